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
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

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


_EQUAL = ("Same data stream (seed 0), same 1,000 steps, same hidden size 128 and optimiser as its pair: the only "
          "difference is attention. The plain decoder gets the encoder summary at every step (Cho et al. 2014), "
          "not only as its first state.")
SHIPPED_RUN_NOTES = {
    n: f"This run started with a 1,500-step cosine schedule and was resumed at step {k} with the 1,000-step "
       "budget (to finish on a shared CPU in time); a fresh run follows the 1,000-step schedule throughout."
    for n, k in (("dates-plain", 509),)
}
_COVERAGE = (" Attention here is additive (Bahdanau) with a coverage term (Tu et al. 2016): measured on this "
             "recipe, plain Bahdanau attention learned single dates (99.5% at step 500) but kept repeating the "
             "first date of multi-date memos (26% exact match on memos at step 500).")
RECIPES: dict[str, DatesRecipe] = {
    r.name: r
    for r in [
        DatesRecipe("dates-attention", "Dates, bi-GRU 128 + additive attention (with coverage)",
                    dates_config("additive", coverage=True), notes=_EQUAL + _COVERAGE,
                    tags=["lab03", "attention", "size-explorer"]),
        DatesRecipe("dates-plain", "Dates, bi-GRU 128, fixed context vector (no attention)", dates_config("none"),
                    notes=_EQUAL, tags=["lab03", "baseline"]),
        DatesRecipe("dates-attention-small", "Dates, bi-GRU 32 + additive attention (with coverage)",
                    dates_config("additive", 32, 16, 16, coverage=True),
                    notes="Model-size explorer: the same recipe as dates-attention at hidden 32.",
                    tags=["size-explorer"]),
        DatesRecipe("dates-attention-medium", "Dates, bi-GRU 64 + additive attention (with coverage)",
                    dates_config("additive", 64, 24, 32, coverage=True),
                    notes="Model-size explorer: the same recipe as dates-attention at hidden 64.",
                    tags=["size-explorer"]),
        DatesRecipe("dates-plain-2x", "Dates, bi-GRU 128, no attention, twice the training budget",
                    dates_config("none"), Seq2SeqTrainConfig(steps=2000),
                    notes="Not-starved check: the baseline with 2,000 steps (the same stream continued).",
                    tags=["baseline", "check"]),
        DatesRecipe("dates-bahdanau", "Dates, bi-GRU 128 + additive attention without coverage",
                    dates_config("additive"), notes=_EQUAL, tags=["ablation"]),
        DatesRecipe("dates-dot", "Dates, bi-GRU 128 + dot-product (Luong) attention", dates_config("dot"),
                    notes="Seed extension: dot-product attention in place of additive, same recipe.",
                    tags=["extension"]),
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

    def state() -> dict:
        hist["elapsed_s"] = elapsed0 + time.process_time() - t0
        return {"model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
                "optim": opt.state_dict(), "history": hist, "step": step}

    model.train()
    while step < cfg.steps:
        if should_stop is not None and should_stop():
            hist["stopped"] = "should_stop"
            break
        pairs = tasks.training_batch(step, cfg.batch, cfg.long_batch, cfg.seed, cfg.long_fraction)
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
            hist["val"].append([step, val["short"], val["long"]])
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
                f"of {tasks.LONG_LEN[0]}-{tasks.LONG_LEN[1]}(+20) characters with 1-{tasks.MAX_DATES} dates",
        "all_formats": _rate(hit_s),
        "long_memos": _rate(hit_l),
        "long_split": {**_rate(split), "definition": f"memos of {tasks.LONG_SPLIT_MIN}+ characters (2-5 dates)"},
        "overall": _rate(hit_s + hit_l),
        "by_length": {b: _rate(by_len[b]) for b in buckets},
        "by_format": {f: _rate(by_fmt[f]) for f in tasks.FORMATS if f in by_fmt},
        "by_n_dates": {str(k): _rate(by_n[k]) for k in sorted(by_n)},
        "attention_on_right_date": round(sum(masses) / len(masses), 4) if masses else None,
        "errors": errors,
    }


# ---------------------------------------------------------------- what pages call
@dataclass
class Translation:
    text: str  # what the model read (after cleaning)
    output: str  # its ISO answer ("" when there was nothing to read)
    source_tokens: list[str]  # one per source position ("<unk>" for unknown characters)
    output_tokens: list[str]  # one per output step, "<eos>" last when produced
    attention: list[list[float]] | None  # (len(output_tokens), len(source_tokens)); None without attention
    notes: list[str]


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
    if output and not all(_valid_iso(x) for x in output.split(" ")):
        notes.append("The answer is not a valid calendar date: the input is probably outside what it learned.")
    return Translation(clean, output, [tasks.SRC_VOCAB.tokens[i] for i in ids], tokens, attention, notes)


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
            "val_exact_match": [{"step": s, "short": a, "long": b} for s, a, b in hist["val"]]}


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
            val = f" val short {info.val['short']:.3f} long {info.val['long']:.3f}" if info.val else ""
            print(f"[{name}] step {info.step} loss {info.loss:.4f} gnorm {info.grad_norm:.2f} lr {info.lr:.2e} "
                  f"{info.elapsed_s:.0f}s{val}", flush=True)

    print(f"[{name}] {num_params(model):,} params, device {device}, {threads} thread(s)", flush=True)
    t_wall = time.perf_counter()
    hist = train(model, recipe.train, on_step=on_step, resume=resume_state, on_checkpoint=on_checkpoint)
    wall = time.perf_counter() - t_wall
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
        "training": {"steps": hist["step"][-1] if hist["step"] else 0, "cpu_s": round(hist["elapsed_s"], 1),
                     "wall_s_this_session": round(wall, 1), "stopped": hist["stopped"],
                     "resumed_at_steps": hist.get("resumed_at", []), "note": SHIPPED_RUN_NOTES.get(name, "")},
        "curve": _curve(hist),
        "data": {"generator": "core.data.tasks (date_dataset / training_batch)", "train_seed": recipe.train.seed,
                 "held_out": "dates with md5(iso)[0] % 10 == 0 never appear in training",
                 "eval_seed": EVAL_SEED, "eval_n_per_split": EVAL_N},
        "recipe": {"name": name, "command": f"python -m core.train --recipe {name}",
                   "evaluate": f"python -m core.evaluate {name} --json",
                   "train_config": asdict(recipe.train), "notes": recipe.notes},
        "hardware": hardware(threads, device),
        "produced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    checkpoints.register(name, entry)
    print(f"[{name}] saved {path.name} ({facts['bytes']:,} bytes): all formats "
          f"{metrics['all_formats']['exact_match']}, long split {metrics['long_split']['exact_match']}", flush=True)
    return entry


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
              "manifest": {k: entry["metrics"][k]["exact_match"] for k in ("all_formats", "long_split")}}
    if args.bench:
        result["latency"], result["memory"] = measure_latency(model), measure_memory(model)
    if args.json:
        print(json.dumps(result))
    else:
        for k in ("all_formats", "long_memos", "long_split", "overall", "by_length", "attention_on_right_date"):
            print(f"{k:24} {result[k]}")
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
