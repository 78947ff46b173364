"""Dates seq2seq, measured: exact match on freshly generated held-out dates (overall, by input length, by format,
by number of dates), the hand-written set, latency and memory, the recipe runner that trains, measures what ships
and writes the manifest entry, and the manifest readers Module 6 uses.

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
from dataclasses import asdict
from pathlib import Path

import torch
import yaml

from core import settings
from core.data import tasks
from core.models import inference
from core.models.seq2seq import Seq2Seq, num_params
from core.training import checkpoints
from core.training.runs import hardware, runs_dir
from core.training.seq2seq import (
    MODEL_TYPE,
    RECIPES,
    Seq2SeqTrainConfig,
    StepInfo,
    decode,
    load,
    load_file,
    save_file,
    train,
    translate,
)

EVAL_N, EVAL_SEED = 2000, 1  # per split; the test seed differs from every training stream
SIZE_NAMES = ("dates-attention-small", "dates-attention-medium", "dates-attention")  # the model-size explorer
SHIPPED_RUN_NOTES: dict[str, str] = {}  # name -> why a shipped run stopped early (finalize_from_state)


# ---------------------------------------------------------------- evaluation
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


# ---------------------------------------------------------------- recipes -> checkpoints (train, measure what ships)
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
