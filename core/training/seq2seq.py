"""Dates seq2seq: recipes, the training loop (teacher forcing), greedy decoding, a `translate` call for pages and
the checkpoint files. Evaluation, measurements and the recipe runner that writes the manifest are in
`core.training.seq2seq_eval`; the checks on whether an answer can be trusted are in `core.training.date_check`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from core.data import tasks
from core.models.seq2seq import Seq2Seq, Seq2SeqConfig
from core.training import checkpoints
from core.training.date_check import Check, check_answer
from core.training.loop import backward_clipped, warmup_cosine

MODEL_TYPE = "seq2seq-dates"


@dataclass
class Seq2SeqTrainConfig:
    steps: int = 1000  # the budget: equal steps = equal examples seen (the same stream) for every model
    batch: int = 64  # single dates per short batch
    long_batch: int = 32  # memos per long batch
    long_fraction: float = 0.5
    natural_fraction: float = 0.0  # share of batches of natural text (tasks.natural_example); 0: memos only
    natural_batch: int = 48
    lr: float = 3e-3
    min_lr_fraction: float = 0.1
    warmup_steps: int = 100
    clip: float = 1.0
    seed: int = 0
    eval_every: int = 250  # quick validation on a small fresh set; 0: never
    checkpoint_every_s: float = 60.0


def dates_config(attention: str = "additive", hidden: int = 128, embed: int = 32, attn_dim: int = 32,
                 coverage: bool = False) -> Seq2SeqConfig:
    return Seq2SeqConfig(src_vocab_size=len(tasks.SRC_VOCAB), tgt_vocab_size=len(tasks.TGT_VOCAB),
                         attention=attention, hidden=hidden, embed=embed, attn_dim=attn_dim, coverage=coverage,
                         max_out=tasks.MAX_TARGET_LEN + 2, pad_id=tasks.TGT_VOCAB.pad,
                         sos_id=tasks.TGT_VOCAB.sos, eos_id=tasks.TGT_VOCAB.eos)


@dataclass
class DatesRecipe:
    name: str
    title: str
    model: Seq2SeqConfig
    train: Seq2SeqTrainConfig = field(default_factory=Seq2SeqTrainConfig)
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    stage1: Seq2SeqTrainConfig | None = None  # trained first (or its saved weights reused), then `train` continues


# Two stages, the same for every model of the comparison: the first recipe (1,000 steps of single dates and memos),
# then 700 steps on a stream where half of the batches are natural text (ranges, lists, notes, numbers nearby).
MEMOS_TRAIN = Seq2SeqTrainConfig(steps=1000)
NATURAL_TRAIN = Seq2SeqTrainConfig(steps=700, long_fraction=0.4, natural_fraction=0.5, lr=2e-3, warmup_steps=50,
                                   seed=1)
_EQUAL = ("Same data, same budget, same hidden size 128 and optimiser as its pair: stage 1 is 1,000 steps of single "
          "dates and memos (seed 0), stage 2 continues for 700 steps on a stream where half of the batches are "
          "natural text (ranges, lists, notes and headings with other numbers nearby), 20% memos and 30% single "
          "dates (seed 1). Only the attention "
          "differs. The plain decoder gets the encoder summary at every step (Cho et al. 2014), not only as its "
          "first state.")
_COVERAGE = (" Attention here is additive (Bahdanau) with a coverage term (Tu et al. 2016): the score also sees how "
             "much each input position was already attended. Measured on the first recipe (single dates and memos), "
             "plain Bahdanau attention learned single dates (99.5% at step 500) but kept repeating the first date "
             "of multi-date memos (26% exact match on memos at step 500).")
RECIPES: dict[str, DatesRecipe] = {
    r.name: r
    for r in [
        DatesRecipe("dates-attention", "Dates, bi-GRU 128 + additive attention (with coverage)",
                    dates_config("additive", coverage=True), NATURAL_TRAIN, notes=_EQUAL + _COVERAGE,
                    tags=["lab03", "attention", "size-explorer"], stage1=MEMOS_TRAIN),
        DatesRecipe("dates-plain", "Dates, bi-GRU 128, fixed context vector (no attention)", dates_config("none"),
                    NATURAL_TRAIN, notes=_EQUAL, tags=["lab03", "baseline"], stage1=MEMOS_TRAIN),
        DatesRecipe("dates-attention-small", "Dates, bi-GRU 32 + additive attention (with coverage)",
                    dates_config("additive", 32, 16, 16, coverage=True),
                    notes="Model-size explorer: the first dates-attention recipe (1,000 steps of single dates and "
                          "memos, no natural text) at hidden 32.",
                    tags=["size-explorer"]),
        DatesRecipe("dates-attention-medium", "Dates, bi-GRU 64 + additive attention (with coverage)",
                    dates_config("additive", 64, 24, 32, coverage=True),
                    notes="Model-size explorer: the first dates-attention recipe (1,000 steps of single dates and "
                          "memos, no natural text) at hidden 64.",
                    tags=["size-explorer"]),
        DatesRecipe("dates-plain-2x", "Dates, bi-GRU 128, no attention, twice the first training budget",
                    dates_config("none"), Seq2SeqTrainConfig(steps=2000),
                    notes="Not-starved check: the first baseline recipe (single dates and memos only) with 2,000 "
                          "steps (the same stream continued).",
                    tags=["baseline", "check"]),
        DatesRecipe("dates-bahdanau", "Dates, bi-GRU 128 + additive attention without coverage",
                    dates_config("additive"), NATURAL_TRAIN,
                    notes=_EQUAL + " Pure additive (Bahdanau) attention: no coverage term.", tags=["ablation"],
                    stage1=MEMOS_TRAIN),
        DatesRecipe("dates-dot", "Dates, bi-GRU 128 + dot-product (Luong) attention", dates_config("dot"),
                    NATURAL_TRAIN, notes="Seed extension: dot-product attention in place of additive, same recipe.",
                    tags=["extension"], stage1=MEMOS_TRAIN),
    ]
}


# ---------------------------------------------------------------- training
@dataclass
class StepInfo:
    step: int
    loss: float
    grad_norm: float
    lr: float
    elapsed_s: float
    val: dict | None  # {"short": acc, "long": acc} on validation steps


def lr_at(cfg: Seq2SeqTrainConfig, step: int) -> float:
    return warmup_cosine(cfg.lr, step, cfg.warmup_steps, cfg.min_lr_fraction, step / max(1, cfg.steps))


def train(model: Seq2Seq, cfg: Seq2SeqTrainConfig, on_step: Callable[[StepInfo], None] | None = None,
          should_stop: Callable[[], bool] | None = None, resume: dict | None = None,
          on_checkpoint: Callable[[dict], None] | None = None) -> dict:
    """Train in place on the generated stream; returns the history (per-step loss, grad norm, lr, validations)."""
    torch.manual_seed(cfg.seed)
    device = next(model.parameters()).device
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    hist: dict = {"step": [], "loss": [], "grad_norm": [], "lr": [], "val": [], "elapsed_s": 0.0, "stopped": ""}
    step = 0
    if resume is not None:
        model.load_state_dict(resume["model"])
        opt.load_state_dict(resume["optim"])
        hist, step = resume["history"], int(resume["step"])
        hist.setdefault("resumed_at", []).append(step)
    t0, elapsed0, last_ckpt = time.process_time(), hist["elapsed_s"], time.perf_counter()
    val_short = tasks.date_dataset(200, seed=99, split="test", kind="short")
    val_long = tasks.date_dataset(100, seed=99, split="test", kind="long")
    val_natural = tasks.date_dataset(100, seed=99, split="test", kind="natural") if cfg.natural_fraction else []

    def state() -> dict:
        hist["elapsed_s"] = elapsed0 + time.process_time() - t0
        return {"model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
                "optim": opt.state_dict(), "history": hist, "step": step}

    model.train()
    while step < cfg.steps:
        if should_stop is not None and should_stop():
            hist["stopped"] = "should_stop"
            break
        pairs = tasks.training_batch(step, cfg.batch, cfg.long_batch, cfg.seed, cfg.long_fraction,
                                     cfg.natural_fraction, cfg.natural_batch)
        src, src_len, tgt = (t.to(device) for t in tasks.encode_pairs(pairs))
        lr = lr_at(cfg, step)
        for group in opt.param_groups:
            group["lr"] = lr
        loss = model.loss(src, src_len, tgt)
        grad_norm = backward_clipped(opt, loss, model, cfg.clip)
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"Training diverged at step {step} (loss {loss.item()}); lower the learning rate.")
        opt.step()
        step += 1
        hist["step"].append(step)
        hist["loss"].append(round(loss.item(), 5))
        hist["grad_norm"].append(round(grad_norm, 4))
        hist["lr"].append(lr)
        val = None
        if cfg.eval_every and step % cfg.eval_every == 0:
            val = {"short": accuracy(model, val_short), "long": accuracy(model, val_long)}
            if val_natural:
                val["natural"] = accuracy(model, val_natural)
            hist["val"].append([step, val["short"], val["long"], *([val["natural"]] if val_natural else [])])
            model.train()
        hist["elapsed_s"] = elapsed0 + time.process_time() - t0
        if on_step is not None:
            on_step(StepInfo(step, loss.item(), grad_norm, lr, hist["elapsed_s"], val))
        if on_checkpoint is not None and time.perf_counter() - last_ckpt >= cfg.checkpoint_every_s:
            on_checkpoint(state())
            last_ckpt = time.perf_counter()
    hist["stopped"] = hist["stopped"] or "steps"
    if on_checkpoint is not None:
        on_checkpoint(state())
    return hist


# ---------------------------------------------------------------- decoding
def decode(model: Seq2Seq, pairs: list[tasks.DatePair], batch: int = 100,
           with_attention: bool = False) -> tuple[list[str], list]:
    """Greedy predictions for `pairs` (and, if asked, each one's attention matrix (T_out, S) as a tensor)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i].source))  # similar lengths share a batch
    preds: list[str] = [""] * len(pairs)
    attns: list = [None] * len(pairs)
    with torch.inference_mode():
        for k in range(0, len(order), batch):
            idx = order[k : k + batch]
            src, src_len, _ = tasks.encode_pairs([pairs[i] for i in idx])
            out = model.greedy(src.to(device), src_len.to(device))
            for row, i in enumerate(idx):
                preds[i] = tasks.TGT_VOCAB.decode(out.tokens[row].tolist())
                if with_attention and out.attention is not None:
                    n_out = min(int(out.lengths[row]) + 1, out.attention.shape[1])
                    attns[i] = out.attention[row, :n_out, : int(src_len[row])].cpu()
    model.train(was_training)
    return preds, attns


def accuracy(model: Seq2Seq, pairs: list[tasks.DatePair]) -> float:
    preds, _ = decode(model, pairs)
    return sum(p == q.target for p, q in zip(preds, pairs, strict=True)) / len(pairs)


# ---------------------------------------------------------------- what pages call
@dataclass
class Translation:
    text: str  # what the model read (after cleaning)
    output: str  # its ISO answer ("" when there was nothing to read)
    source_tokens: list[str]  # one per source position ("<unk>" for unknown characters)
    output_tokens: list[str]  # one per output step, "<eos>" last when produced
    attention: list[list[float]] | None  # (len(output_tokens), len(source_tokens)); None without attention
    notes: list[str]
    check: Check | None = None  # how much to trust `output` (None when there was nothing to read)

def sequence_probability(model: Seq2Seq, src: torch.Tensor, src_len: torch.Tensor, out_ids: list[int]) -> float:
    """P(out_ids | src) under the model: the product of each chosen character's probability (teacher-forced on the
    greedy output, so it is the probability of exactly what was shown)."""
    if not out_ids:
        return 0.0
    with torch.inference_mode():
        logits, _ = model(src, src_len, torch.tensor([out_ids], device=src.device))
        logp = torch.log_softmax(logits[0], -1).gather(1, torch.tensor(out_ids, device=src.device)[:, None])
    return math.exp(float(logp.sum()))


def translate(model: Seq2Seq, text: object) -> Translation:
    """Normalise whatever a learner typed. Never raises on input: empty, emoji, 500 characters all give a result
    (possibly empty) and notes that say what happened."""
    clean, notes = tasks.check_learner_text(text)
    if not clean:
        return Translation("", "", [], [], None, notes)
    ids = tasks.SRC_VOCAB.encode(clean)
    src = torch.tensor([ids])
    device = next(model.parameters()).device
    with torch.inference_mode():
        out = model.greedy(src.to(device), torch.tensor([len(ids)], device=device))
    n = min(int(out.lengths[0]) + 1, out.tokens.shape[1])
    out_ids = out.tokens[0, :n].tolist()
    attention = out.attention[0, :n].tolist() if out.attention is not None else None
    tokens = [tasks.TGT_VOCAB.tokens[i] for i in out_ids]
    if int(out.lengths[0]) >= out.tokens.shape[1]:
        notes.append("The model never produced its end token; the answer was cut at the length limit.")
    output = tasks.TGT_VOCAB.decode(out_ids)
    prob = sequence_probability(model, src.to(device), torch.tensor([len(ids)], device=device), out_ids)
    check = check_answer(clean, output, prob)
    return Translation(clean, output, [tasks.SRC_VOCAB.tokens[i] for i in ids], tokens, attention, notes, check)


# ---------------------------------------------------------------- checkpoint files (core.training.checkpoints reads them)
FAMILY = checkpoints.family(MODEL_TYPE, "a dates seq2seq model", Seq2SeqConfig, Seq2Seq,
                            fixed={"src_vocab": tasks.SRC_VOCAB.to_list(), "tgt_vocab": tasks.TGT_VOCAB.to_list()})


def save_file(path: Path, model: Seq2Seq) -> dict:
    return checkpoints.save_file(path, model, model_type=MODEL_TYPE)


def load_file(path: Path, device: torch.device | str | None = None) -> Seq2Seq:
    return checkpoints.load_file(path, device, model_type=MODEL_TYPE)


def load(name: str, device: torch.device | str | None = None,
         directory: Path | str | None = None) -> tuple[Seq2Seq, dict]:
    """(model in eval mode, manifest entry), verified against the manifest (core.training.checkpoints.load)."""
    return checkpoints.load(name, device, directory=directory, model_type=MODEL_TYPE)
