"""Dates seq2seq: recipes, the training loop (teacher forcing), evaluation on freshly generated held-out dates
(overall, by input length, by format, by number of dates), checkpoint files and a `translate` call for pages.

`python -m core.train --recipe dates-attention` and `python -m core.evaluate dates-attention --json` land here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import yaml

from core import settings
from core.data import tasks
from core.models import inference
from core.models.seq2seq import Seq2Seq, Seq2SeqConfig, num_params
from core.training import checkpoints
from core.training.loop import backward_clipped, warmup_cosine
from core.training.runs import hardware, runs_dir

MODEL_TYPE = "seq2seq-dates"
EVAL_N, EVAL_SEED = 2000, 1  # per split; the test seed differs from every training stream
SIZE_NAMES = ("dates-attention-small", "dates-attention-medium", "dates-attention")  # the model-size explorer


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
SHIPPED_RUN_NOTES: dict[str, str] = {}
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


# ---------------------------------------------------------------- decoding and evaluation
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


def _rate(hits: list[bool]) -> dict:
    return {"n": len(hits), "exact_match": round(sum(hits) / len(hits), 4) if hits else None}


def span_attention_mass(pair: tasks.DatePair, pred: str, attn: torch.Tensor) -> float | None:
    """Mean attention mass that the characters of date k put on the source span of date k (1.0 = perfect
    alignment). Only for predictions with the right number of dates."""
    if attn is None or len(pred.split(" ")) != pair.n_dates:
        return None
    masses = []
    for t in range(min(len(pred), attn.shape[0])):
        k = pred[:t].count(" ")
        if pred[t] == " ":
            continue
        a, b = pair.spans[k]
        masses.append(float(attn[t, a:b].sum()))
    return sum(masses) / len(masses) if masses else None


def evaluate(model: Seq2Seq, n: int = EVAL_N, seed: int = EVAL_SEED) -> dict:
    """Exact match on freshly generated held-out dates: the short all-formats set and the long memo set, by
    input-length bucket, by format and by number of dates. Deterministic for a given seed."""
    short = tasks.date_dataset(n, seed, "test", "short")
    long = tasks.date_dataset(n, seed, "test", "long")
    natural = tasks.date_dataset(n, seed, "test", "natural")
    p_natural, _ = decode(model, natural)
    hit_n = [p == q.target for p, q in zip(p_natural, natural, strict=True)]
    p_short, _ = decode(model, short)
    p_long, a_long = decode(model, long, with_attention=model.cfg.attention != "none")
    hit_s = [p == q.target for p, q in zip(p_short, short, strict=True)]
    hit_l = [p == q.target for p, q in zip(p_long, long, strict=True)]
    by_len, by_fmt, by_n = defaultdict(list), defaultdict(list), defaultdict(list)
    for pair, hit in [*zip(short, hit_s, strict=True), *zip(long, hit_l, strict=True)]:
        by_len[tasks.bucket_of(len(pair.source))].append(hit)
    for pair, hit in zip(short, hit_s, strict=True):
        by_fmt[pair.fmt].append(hit)
    for pair, hit in zip(long, hit_l, strict=True):
        by_n[pair.n_dates].append(hit)
    split = [h for q, h in zip(long, hit_l, strict=True) if len(q.source) >= tasks.LONG_SPLIT_MIN]
    buckets = sorted(by_len, key=lambda b: int(b.split("-")[0].rstrip("+")))
    masses = [m for q, p, a in zip(long, p_long, a_long, strict=True)
              if (m := span_attention_mass(q, p, a)) is not None]
    errors = [{"source": q.source, "target": q.target, "predicted": p}
              for q, p, h in zip(short + long, p_short + p_long, hit_s + hit_l, strict=True) if not h][:8]
    return {
        "test": f"fresh held-out dates (seed {seed}): {n} single dates in {len(tasks.FORMATS)} formats, {n} memos "
                f"of {tasks.LONG_LEN[0]}-{tasks.LONG_LEN[1]}(+20) characters with 1-{tasks.MAX_DATES} dates, {n} "
                "pieces of natural text (ranges, lists, notes, numbers nearby)",
        "all_formats": _rate(hit_s),
        "long_memos": _rate(hit_l),
        "long_split": {**_rate(split), "definition": f"memos of {tasks.LONG_SPLIT_MIN}+ characters (2-5 dates)"},
        "overall": _rate(hit_s + hit_l),
        "by_length": {b: _rate(by_len[b]) for b in buckets},
        "by_format": {f: _rate(by_fmt[f]) for f in tasks.FORMATS if f in by_fmt},
        "by_n_dates": {str(k): _rate(by_n[k]) for k in sorted(by_n)},
        "natural_text": _rate(hit_n),
        "handwritten": handwritten_score(model),
        "attention_on_right_date": round(sum(masses) / len(masses), 4) if masses else None,
        "errors": errors,
        "natural_errors": [{"source": q.source, "target": q.target, "predicted": p}
                           for q, p, h in zip(natural, p_natural, hit_n, strict=True) if not h][:8],
    }


HANDWRITTEN = settings.ASSETS / "dates_handwritten.yaml"


def handwritten_set() -> list[tasks.DatePair]:
    """The hand-written evaluation sentences (assets/dates_handwritten.yaml): never generated, never trained on."""
    items = yaml.safe_load(HANDWRITTEN.read_text(encoding="utf-8"))["items"]
    return [tasks.DatePair(it["text"], it["expected"], len(it["expected"].split(" "))) for it in items]


def handwritten_score(model: Seq2Seq) -> dict:
    """Exact match on the hand-written set, with every answer and whether the unsure-check flagged it."""
    pairs = handwritten_set()
    rows = []
    for pair in pairs:
        tr = translate(model, pair.source)
        rows.append({"text": pair.source, "expected": pair.target, "predicted": tr.output,
                     "correct": tr.output == pair.target, "flagged": bool(tr.check and tr.check.unsure),
                     "probability": tr.check.probability if tr.check else 0.0})
    wrong = [r for r in rows if not r["correct"]]
    right = [r for r in rows if r["correct"]]
    return {"n": len(rows), "exact_match": round(len(right) / len(rows), 4),
            "wrong_flagged": sum(r["flagged"] for r in wrong), "wrong": len(wrong),
            "right_flagged": sum(r["flagged"] for r in right), "rows": rows}


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


# ---------------------------------------------------------------- is the answer trustworthy?
UNSURE_PROB = 0.5  # below this sequence probability the answer is shown as a guess
_MONTH_RE = "|".join([*tasks.MONTHS, "Sept", *(m[:3] for m in tasks.MONTHS)])  # longest first, whole words
_YEAR = r"(?:19[5-9]\d|20[0-4]\d)"
# Date-like spans: numbers with / . - separators, 8-digit YYYYMMDD, and a month name with a year within a few words.
_DATE_LIKE = re.compile(
    r"\b(?:\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}(?:\d{2})?)\b|"
    rf"\b{_YEAR}[01]\d[0-3]\d\b|"
    rf"(?:\b\d{{1,2}}(?:st|nd|rd|th)?[\s\-]+(?:of\s+)?)?\b(?:{_MONTH_RE})\b\.?"
    rf"(?:[\s,\-]+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?)?(?:[\s,\-]|to|until)+"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?[\s,]+)?(?:{_YEAR}|'\d{{2}})\b", re.IGNORECASE)


# A day number that opens a range just before a date ("5 to 9 May 2023", "the 1st to the 15th of August 2022").
_RANGE_START = re.compile(r"\b\d{1,2}(?:st|nd|rd|th)?(?:\s+(?:of\s+)?[a-z]{3,9}\.?)?\s*"
                          r"(?:-|to|until|till|through|and)\s*(?:the\s+)?$", re.IGNORECASE)
_RANGE_INSIDE = re.compile(r"\d(?:st|nd|rd|th)?\s*(?:-|to|until|till|through)\s*\d{1,2}(?:st|nd|rd|th)?\b"
                           r"(?!\s*[/.\-]\d)", re.IGNORECASE)


@dataclass
class Check:
    """Why an answer may be wrong, found without knowing the right answer."""

    probability: float  # product of the probabilities of the characters the model chose (greedy), 0-1
    invalid: list[str]  # output pieces that are not calendar dates (2021-02-30, 2021-1-5, ...)
    unsupported: list[str]  # output dates whose year or day number does not occur in the input
    unused: list[str]  # date-like spans of the input that no output date accounts for
    reasons: list[str]  # one sentence per problem, for the learner
    extra: int = 0  # how many more dates the answer has than the input seems to hold

    @property
    def unsure(self) -> bool:
        return bool(self.reasons)


def date_like_spans(text: str) -> list[str]:
    """Pieces of `text` that look like a full date (day, month and year), by a rule independent of the model."""
    return [m.group(0).strip(" ,-") for m in _DATE_LIKE.finditer(text)]


def expected_dates(text: str) -> int:
    """How many dates `text` seems to hold: one per date-like span, two for a span that is a range of days
    ("10-12 October 2019", "5 to 9 May 2023")."""
    n = 0
    for m in _DATE_LIKE.finditer(text):
        span = m.group(0)
        has_month = any(re.search(rf"\b{mo[:3]}", span, re.IGNORECASE) for mo in tasks.MONTHS)
        ranged = bool(_RANGE_START.search(text[: m.start()])) or (has_month and bool(_RANGE_INSIDE.search(span)))
        n += 2 if ranged else 1
    return n


def _span_readings(span: str) -> tuple[set[int], set[int], set[int]]:
    """Years, months and days a date-like span could mean (generous: every reading of its numbers; no days
    when the span holds none besides the year)."""
    years = {int(y) for y in re.findall(rf"(?<!\d){_YEAR}", span)}
    years |= {1900 + int(y) if int(y) >= 50 else 2000 + int(y) for y in re.findall(r"(?<![\d'])\d{2}$", span)}
    years |= {1900 + int(y) if int(y) >= 50 else 2000 + int(y) for y in re.findall(r"'(\d{2})\b", span)}
    months = {i + 1 for i, m in enumerate(tasks.MONTHS) if re.search(rf"\b{m[:3]}", span, re.IGNORECASE)}
    nums = [int(x) for x in re.findall(r"\d+", span)]
    if re.fullmatch(rf"{_YEAR}\d{{4}}", span):
        return years, {int(span[4:6])}, {int(span[6:8])}
    if not months:
        months |= {n for n in nums[:3] if 1 <= n <= 12}
    # A two-digit year ("5/17/84") is not a day; a number that occurs twice ("12.12.12") may be both.
    short_years = {y % 100 for y in years}
    days = {n for n in nums if 1 <= n <= 31 and (n not in short_years or nums.count(n) > 1 or len(nums) > 2)}
    return years, months, days


def check_answer(text: str, output: str, probability: float) -> Check:
    """Flags an answer that should not be presented as the answer: low probability, a piece that is not a valid
    date, a date whose year or day is nowhere in the input, or a date-like span of the input left unused."""
    pieces = [p for p in output.split(" ") if p]
    invalid = [p for p in pieces if not _valid_iso(p)]
    valid = [dt.date.fromisoformat(p) for p in pieces if p not in invalid]
    numbers = {int(n) for n in re.findall(r"\d+", text)}
    compact = set(re.findall(r"\d{8}", text))
    unsupported = []
    for d in valid:
        if d.strftime("%Y%m%d") in compact:
            continue
        year_ok = d.year in numbers or (d.year % 100) in numbers
        if not (year_ok and d.day in numbers):
            unsupported.append(d.isoformat())
    unused, taken = [], set()
    for span in date_like_spans(text):  # each date-like span needs an output date of its own that fits it
        years, months, days = _span_readings(span)
        fits = [i for i, d in enumerate(valid)
                if d.year in years and d.month in months and (not days or d.day in days) and i not in taken]
        if fits:
            taken.add(fits[0])
        else:
            unused.append(span)
    extra = max(0, len(pieces) - expected_dates(text))
    reasons = []
    if probability < UNSURE_PROB:
        reasons.append(f"The model gives its own answer a probability of only {probability:.0%}.")
    if invalid:
        shown = ", ".join(p if len(p) <= 12 else p[:10] + "..." for p in invalid)
        reasons.append(f"{shown} is not a valid calendar date.")
    if unsupported:
        reasons.append(f"{', '.join(unsupported)}: that year or day number does not appear in the input.")
    if unused:
        reasons.append("The input seems to contain a date the answer does not include: "
                       + ", ".join(f"'{u}'" for u in unused) + ".")
    if extra and len(pieces) > 1:
        reasons.append(f"The answer has {len(pieces)} dates but the input seems to hold "
                       f"{len(pieces) - extra}: one may be invented or written twice.")
    if not pieces:
        reasons.append("The model wrote no date at all.")
    return Check(probability, invalid, unsupported, unused, reasons, extra)


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


def _valid_iso(s: str) -> bool:
    try:
        dt.date.fromisoformat(s)
        return len(s) == 10
    except ValueError:
        return False


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


# ---------------------------------------------------------------- measurements for the size explorer
def measure_latency(model: Seq2Seq, repeats: int = 30) -> dict:
    """Median ms to normalise one short date and one ~200-character memo at batch 1 (this process's threads)."""
    rng = random.Random(7)
    samples = {"short_ms": tasks.short_example(rng, "test").source,
               "memo_200_ms": tasks.long_example(rng, 200, "test").source}
    out = {}
    for key, text in samples.items():
        translate(model, text)  # warm up
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            translate(model, text)
            times.append((time.perf_counter() - t) * 1000)
        out[key] = round(sorted(times)[len(times) // 2], 2)
    return out


def bench_sizes(names: tuple[str, ...] = SIZE_NAMES, repeats: int = 30) -> dict[str, dict]:
    """Latency and memory of each shipped size, measured one after another in this process (same conditions:
    the numbers stored at training time were taken under whatever else the machine was running)."""
    out = {}
    for name in names:
        model, _ = load(name)
        out[name] = {"latency": measure_latency(model, repeats), "memory": measure_memory(model)}
    return out


def measure_memory(model: Seq2Seq) -> dict:
    """Weights in memory (float32) and the peak extra memory torch allocates to decode a 200-character memo,
    measured with the profiler's memory accounting."""
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    text = tasks.long_example(random.Random(7), 200, "test").source
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
        translate(model, text)
    events = prof.key_averages()
    peak = max((getattr(ev, "cpu_memory_usage", 0) for ev in events), default=0)
    total_alloc = sum(max(0, getattr(ev, "self_cpu_memory_usage", 0)) for ev in events)
    return {"weights_fp32_bytes": weight_bytes, "decode_memo_200_largest_op_bytes": int(peak),
            "decode_memo_200_allocated_bytes": int(total_alloc)}


# ---------------------------------------------------------------- recipes -> checkpoints
def _curve(hist: dict, points: int = 300) -> dict:
    n = len(hist["step"])
    k = max(1, math.ceil(n / points))

    def pool(values: list[float]) -> list[float]:
        return [round(sum(values[i : i + k]) / len(values[i : i + k]), 4) for i in range(0, n, k)]

    return {"window": k, "step": [hist["step"][min(i + k, n) - 1] for i in range(0, n, k)],
            "train_loss": pool(hist["loss"]), "grad_norm": pool(hist["grad_norm"]),
            "lr": [round(v, 6) for v in pool(hist["lr"])],
            "val_exact_match": [dict(zip(("step", "short", "long", "natural"), row, strict=False))
                                for row in hist["val"]]}


def heatmap_examples(model: Seq2Seq) -> list[dict]:
    """Attention matrices for a learner-style date and a short memo (empty without attention)."""
    if model.cfg.attention == "none":
        return []
    out = []
    for text in ("Thursday, the 14th of March 2024",
                 "The tenant paid in full on 3/9/21. The board approved the budget by 14 Feb 1987."):
        tr = translate(model, text)
        rows = tr.attention or []
        out.append({"text": text, "output": tr.output, "source_tokens": tr.source_tokens,
                    "output_tokens": tr.output_tokens,
                    "attention": [[round(a, 3) for a in row] for row in rows],
                    "looks_at": [text[max(range(len(row)), key=row.__getitem__)] for row in rows]})
    return out


def run_recipe(name: str, resume: bool, threads: int) -> dict:
    recipe = RECIPES[name]
    device = inference.choose_device()
    torch.manual_seed(recipe.train.seed)
    model = Seq2Seq(recipe.model).to(device)
    work = runs_dir() / name
    state_path = work / "state.pt"
    resume_state = None
    if resume and state_path.exists():
        resume_state = torch.load(state_path, map_location="cpu", weights_only=False)
        print(f"[{name}] resuming at step {resume_state['step']}", flush=True)

    def on_checkpoint(state: dict) -> None:
        work.mkdir(parents=True, exist_ok=True)
        torch.save(state, state_path.with_suffix(".tmp"))
        os.replace(state_path.with_suffix(".tmp"), state_path)

    def on_step(info: StepInfo) -> None:
        if info.step % 50 == 0 or info.val is not None:
            val = ""
            if info.val:
                natural = f" natural {info.val['natural']:.3f}" if "natural" in info.val else ""
                val = f" val short {info.val['short']:.3f} long {info.val['long']:.3f}{natural}"
            print(f"[{name}] step {info.step} loss {info.loss:.4f} gnorm {info.grad_norm:.2f} lr {info.lr:.2e} "
                  f"{info.elapsed_s:.0f}s{val}", flush=True)

    print(f"[{name}] {num_params(model):,} params, device {device}, {threads} thread(s)", flush=True)
    t_wall = time.perf_counter()
    stage1 = None
    if recipe.stage1 is not None:  # when resuming stage 2, only stage 1's facts are needed
        stage1 = _stage1(name, model, recipe.stage1, work, on_step, load_weights=resume_state is None)
    hist = train(model, recipe.train, on_step=on_step, resume=resume_state, on_checkpoint=on_checkpoint)
    return record(name, model, hist, stage1, time.perf_counter() - t_wall, threads, device)


def finalize_from_state(name: str, threads: int, note: str) -> dict:
    """Ship the last saved state of an interrupted run (runs_dir()/NAME/state.pt) as it is, with `note` saying why
    it stopped early; the manifest records the steps it really took."""
    recipe = RECIPES[name]
    device = inference.choose_device()
    work = runs_dir() / name
    state = torch.load(work / "state.pt", map_location="cpu", weights_only=False)
    model = Seq2Seq(recipe.model).to(device)
    model.load_state_dict(state["model"])
    hist = state["history"]
    hist["stopped"] = f"stopped by hand at step {state['step']} of {recipe.train.steps}"
    stage1 = _stage1(name, model, recipe.stage1, work, lambda info: None, load_weights=False) \
        if recipe.stage1 is not None else None
    SHIPPED_RUN_NOTES[name] = note
    return record(name, model, hist, stage1, None, threads, device)


def refresh(name: str, threads: int, stage1_file: Path | None = None) -> dict:
    """Re-measure a shipped checkpoint (metrics, hand-written set, latency, memory, heatmaps) and rewrite its
    manifest entry with the recipe's current notes; training facts and curves stay as recorded. With
    `stage1_file` (the stage-1 checkpoint), also record how that model did on natural text and the hand-written
    set, so pages can say what the natural-text stage changed."""
    recipe = RECIPES[name]
    device = inference.choose_device()
    model, entry = load(name, device)
    metrics = evaluate(model)
    if stage1_file is not None and entry["training"].get("stage1"):
        before = load_file(stage1_file, device)
        natural = tasks.date_dataset(EVAL_N, EVAL_SEED, "test", "natural")
        preds, _ = decode(before, natural)
        hand = handwritten_score(before)
        entry["training"]["stage1"]["metrics"] = {
            **entry["training"]["stage1"].get("metrics", {}),
            "natural_text": _rate([p == q.target for p, q in zip(preds, natural, strict=True)])["exact_match"],
            "handwritten": hand["exact_match"], "handwritten_wrong_flagged": hand["wrong_flagged"],
            "handwritten_wrong": hand["wrong"]}
    entry = {**entry, "title": recipe.title, "tags": recipe.tags, "metrics": metrics,
             "accuracy_vs_length": {b: v["exact_match"] for b, v in metrics["by_length"].items()},
             "latency": measure_latency(model), "memory": measure_memory(model), "heatmaps": heatmap_examples(model),
             "recipe": {**entry["recipe"], "notes": recipe.notes}, "hardware": hardware(threads, device),
             "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    entry["training"]["note"] = entry["training"].get("note") or SHIPPED_RUN_NOTES.get(name, "")
    checkpoints.register(name, entry)
    return entry


def record(name: str, model: Seq2Seq, hist: dict, stage1: dict | None, wall: float | None, threads: int,
           device: torch.device) -> dict:
    """Save `model` as checkpoints/NAME.pt, measure what ships and write its manifest entry."""
    recipe = RECIPES[name]
    path = checkpoints.CHECKPOINT_DIR / f"{name}.pt"
    facts = save_file(path, model)
    shipped = load_file(path, device)  # measure what ships (float16 weights)
    metrics = evaluate(shipped)
    entry = {
        "title": recipe.title, "kind": "seq2seq", "model_type": MODEL_TYPE, "tags": recipe.tags,
        "config": shipped.cfg.to_dict(), "params": num_params(shipped),
        "vocab": {"source": tasks.SRC_VOCAB.to_list(), "target": tasks.TGT_VOCAB.to_list()}, **facts,
        "metrics": metrics,
        "accuracy_vs_length": {b: v["exact_match"] for b, v in metrics["by_length"].items()},
        "latency": measure_latency(shipped), "memory": measure_memory(shipped),
        "heatmaps": heatmap_examples(shipped),
        "training": {"steps": (hist["step"][-1] if hist["step"] else 0) + (stage1 or {}).get("steps", 0),
                     "cpu_s": round(hist["elapsed_s"] + (stage1 or {}).get("cpu_s", 0.0), 1),
                     "stage1": stage1, "stage2_steps": hist["step"][-1] if hist["step"] else 0,
                     "stage2_cpu_s": round(hist["elapsed_s"], 1),
                     "wall_s_this_session": round(wall, 1) if wall is not None else None,
                     "stopped": hist["stopped"],
                     "resumed_at_steps": hist.get("resumed_at", []), "note": SHIPPED_RUN_NOTES.get(name, "")},
        "curve": _curve(hist),
        "data": {"generator": "core.data.tasks (date_dataset / training_batch)", "train_seed": recipe.train.seed,
                 "held_out": "dates with md5(iso)[0] % 10 == 0 never appear in training",
                 "eval_seed": EVAL_SEED, "eval_n_per_split": EVAL_N},
        "recipe": {"name": name, "command": f"python -m core.train --recipe {name}",
                   "evaluate": f"python -m core.evaluate {name} --json",
                   "train_config": asdict(recipe.train),
                   "stage1_config": asdict(recipe.stage1) if recipe.stage1 else None, "notes": recipe.notes},
        "hardware": hardware(threads, device),
        "produced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    checkpoints.register(name, entry)
    print(f"[{name}] saved {path.name} ({facts['bytes']:,} bytes): all formats "
          f"{metrics['all_formats']['exact_match']}, long split {metrics['long_split']['exact_match']}", flush=True)
    return entry


def _stage1(name: str, model: Seq2Seq, cfg: Seq2SeqTrainConfig, work: Path,
            on_step: Callable[[StepInfo], None], load_weights: bool = True) -> dict:
    """Stage 1 of a two-stage recipe: reuse `work/stage1.pt` ({"model": state dict, "facts": {...}}) when it is
    there (the weights a previous stage-1 run produced), else train it from scratch and save it there. Returns
    what is known about it (steps, CPU seconds, where the weights came from)."""
    path = work / "stage1.pt"
    if path.exists():
        saved = torch.load(path, map_location="cpu", weights_only=False)
        if load_weights:
            model.load_state_dict({k: v.float() for k, v in saved["model"].items()})
            print(f"[{name}] stage 1 weights from {path}", flush=True)
        return saved["facts"]
    hist = train(model, cfg, on_step=on_step)
    facts = {"steps": hist["step"][-1] if hist["step"] else 0, "cpu_s": round(hist["elapsed_s"], 1),
             "source": "trained in this run", "val": hist["val"]}
    work.mkdir(parents=True, exist_ok=True)
    torch.save({"model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}, "facts": facts}, path)
    return facts


def evaluate_main(argv: list[str]) -> int:
    """`python -m core.evaluate dates-attention [--n 2000] [--seed 1001] [--json]`."""
    parser = argparse.ArgumentParser(prog="python -m core.evaluate", description=evaluate_main.__doc__)
    parser.add_argument("name")
    parser.add_argument("--n", type=int, default=EVAL_N, help="examples per split")
    parser.add_argument("--seed", type=int, default=EVAL_SEED + 1000, help="test-set seed (fresh by default)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--bench", action="store_true", help="also measure batch-1 latency and memory")
    args = parser.parse_args(argv)
    inference.configure_threads()
    try:
        model, entry = load(args.name, inference.choose_device())
    except checkpoints.CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    result = {"checkpoint": args.name, "seed": args.seed, **evaluate(model, max(1, args.n), args.seed),
              "manifest": {k: entry["metrics"][k]["exact_match"] for k in ("all_formats", "long_split")
                           if k in entry["metrics"]}}
    if args.bench:
        result["latency"], result["memory"] = measure_latency(model), measure_memory(model)
    if args.json:
        print(json.dumps(result))
    else:
        for k in ("all_formats", "long_memos", "long_split", "overall", "natural_text", "by_length",
                  "attention_on_right_date"):
            print(f"{k:24} {result[k]}")
        hand = result["handwritten"]
        print(f"{'handwritten':24} {hand['exact_match']} of {hand['n']} (wrong answers flagged as unsure: "
              f"{hand['wrong_flagged']} of {hand['wrong']})")
    return 0





# ---------------------------------------------------------------- manifest readers for pages (no model loading)
def size_explorer(names: tuple[str, ...] = SIZE_NAMES) -> list[dict]:
    """One row per shipped size of the attention model: measured params, accuracy, latency and memory."""
    rows = []
    for name in names:
        if name not in checkpoints.names(model_type=MODEL_TYPE):
            continue
        e = checkpoints.entry(name)
        rows.append({"name": name, "hidden": e["config"]["hidden"], "params": e["params"],
                     "file_bytes": e["bytes"], "all_formats": e["metrics"]["all_formats"]["exact_match"],
                     "long_split": e["metrics"]["long_split"]["exact_match"], **e["latency"], **e["memory"],
                     "train_cpu_s": e["training"]["cpu_s"]})
    return rows


def length_curves(names: tuple[str, ...] = ("dates-attention", "dates-plain")) -> dict[str, dict[str, float]]:
    """{model: {input-length bucket: exact match}} as measured when the checkpoints were made."""
    shipped = checkpoints.names(model_type=MODEL_TYPE)
    return {n: checkpoints.entry(n)["accuracy_vs_length"] for n in names if n in shipped}
