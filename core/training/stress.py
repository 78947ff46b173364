"""Long-range stress test, measured: vanilla RNN, LSTM, GRU and GRU + attention with the same size, data stream
and number of steps on the recall task (core.data.tasks.recall_batch), scored at growing cue-target distances on fresh
data. Two experiments. "fixed" (the headline): one model per cell, distance and seed, trained only at that distance
with the same small budget -- can gradient descent find a dependency it only ever sees that far away? "mixed": one
model per cell trained on distances 1-100 (short examples included), scored out to 1000 -- once a latch is learned
from short examples, does it hold? `python -m core.train --recipe longrange-stress` runs both;
`python -m core.evaluate longrange-stress --json` re-measures the stored models on a fresh seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from core.data import tasks
from core.models import inference
from core.models.recall import RecallConfig, RecallNet
from core.training import checkpoints
from core.training.loop import backward_clipped
from core.training.runs import hardware, runs_dir

RECIPE = "longrange-stress"
TITLE = "Long-range recall: RNN vs LSTM vs GRU vs GRU+attention, accuracy vs distance"
MODEL_TYPE = "recall-stress"
MODELS = {"rnn": ("rnn", False), "lstm": ("lstm", False), "gru": ("gru", False), "gru+attention": ("gru", True)}
DISTANCES = (1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 200, 500, 1000)  # past 100: never trained on


@dataclass
class StressConfig:
    steps: int = 2500  # experiment "mixed": one model per cell, distances uniform in 1..max_distance
    batch: int = 64
    max_distance: int = 100
    fixed_steps: int = 400  # experiment "fixed": one model per cell and distance, trained only at that distance
    fixed_distances: tuple[int, ...] = (2, 5, 10, 15, 20, 30, 50, 75, 100)
    fixed_seeds: tuple[int, ...] = (0, 1)  # each (cell, distance) is trained from two initialisations
    hidden: int = 64
    embed: int = 16
    lr: float = 3e-3
    clip: float = 1.0
    seed: int = 0
    eval_n: int = 500  # sequences per distance
    eval_seed: int = 1


def model_config(name: str, cfg: StressConfig) -> RecallConfig:
    kind, attention = MODELS[name]
    return RecallConfig(kind, attention, len(tasks.RECALL_VOCAB), len(tasks.CUES), cfg.hidden, cfg.embed)


def train_one(name: str, cfg: StressConfig, distances: tuple[int, int], steps: int,
              log=print) -> tuple[RecallNet, dict]:
    """Train model `name` for `steps` batches, each at one distance drawn uniformly from `distances`."""
    torch.manual_seed(cfg.seed)
    model = RecallNet(model_config(name, cfg))
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    rng = random.Random(f"recall-train-{cfg.seed}")
    gen = torch.Generator().manual_seed(cfg.seed)
    losses, t0 = [], time.process_time()
    for step in range(steps):
        lr = cfg.lr * 0.5 * (1 + math.cos(math.pi * step / steps))
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = tasks.recall_batch(cfg.batch, rng.randint(*distances), gen)
        logits, _ = model(x)
        loss = F.cross_entropy(logits, y)
        backward_clipped(opt, loss, model, cfg.clip)
        opt.step()
        losses.append(loss.item())
        if (step + 1) % 250 == 0:
            log(f"[{RECIPE}:{name}:{distances[0]}-{distances[1]}] step {step + 1} loss {sum(losses[-250:]) / 250:.4f} "
                f"{time.process_time() - t0:.0f}s cpu")
    model.eval()
    curve = [round(sum(losses[i : i + 50]) / len(losses[i : i + 50]), 4) for i in range(0, len(losses), 50)]
    return model, {"loss_every_50": curve, "cpu_s": round(time.process_time() - t0, 1)}


def accuracy_vs_distance(model: RecallNet, distances=DISTANCES, n: int = 500, seed: int = 1) -> dict[str, float]:
    gen = torch.Generator().manual_seed(seed)
    out = {}
    with torch.inference_mode():
        for d in distances:
            x, y = tasks.recall_batch(n, d, gen)
            logits, _ = model(x)
            out[str(d)] = round(float((logits.argmax(-1) == y).float().mean()), 4)
    return out


def run(resume: bool, threads: int, cfg: StressConfig | None = None) -> dict:
    """Train every model one after another and record both tables. `resume` reuses models already finished by an
    interrupted run."""
    cfg = cfg or StressConfig()
    work = runs_dir() / RECIPE
    work.mkdir(parents=True, exist_ok=True)

    def trained(key: str, name: str, distances: tuple[int, int], steps: int,
                run_cfg: StressConfig = cfg) -> tuple[RecallNet, dict]:
        part = work / f"{key}.pt"
        if resume and part.exists():
            saved = torch.load(part, map_location="cpu", weights_only=True)
            model = RecallNet(model_config(name, cfg))
            model.load_state_dict(saved["state_dict"])
            print(f"[{RECIPE}:{key}] reused from {part}", flush=True)
            return model.eval(), saved["training"]
        model, info = train_one(name, run_cfg, distances, steps, log=lambda s: print(s, flush=True))
        torch.save({"state_dict": model.state_dict(), "training": info}, part)
        return model, info

    models, training = {}, {}
    for name in MODELS:
        models[name], training[name] = trained(name, name, (1, cfg.max_distance), cfg.steps)
    for seed in cfg.fixed_seeds:
        for d in cfg.fixed_distances:
            for name in MODELS:
                key = fixed_key(name, d, seed)
                models[key], training[key] = trained(key.replace("/", "-"), name, (d, d), cfg.fixed_steps,
                                                     replace(cfg, seed=seed))
    path = checkpoints.CHECKPOINT_DIR / f"{RECIPE}.pt"
    facts = checkpoints.save_file(path, models, model_type=MODEL_TYPE)
    mixed, fixed = measure(load_file(path), cfg.eval_n, cfg.eval_seed)
    entry = {
        "title": TITLE, "kind": "stress", "model_type": MODEL_TYPE, "tags": ["module8", "stress-test"],
        "config": asdict(cfg), "models": {n: models[n].cfg.to_dict() for n in MODELS},
        "params": {n: sum(p.numel() for p in models[n].parameters()) for n in MODELS},
        **facts,
        "metrics": {"accuracy_vs_distance": mixed, "fixed_distance_accuracy": fixed,
                    "chance": 1 / len(tasks.CUES),
                    "eval": f"{cfg.eval_n} fresh sequences per distance (seed {cfg.eval_seed})",
                    "mixed": f"one model per cell, {cfg.steps} steps at distances uniform in 1-{cfg.max_distance}; "
                             f"scored at {list(DISTANCES)} (past {cfg.max_distance}: never trained on)",
                    "fixed": f"one model per cell, distance and seed {list(cfg.fixed_seeds)}, {cfg.fixed_steps} "
                             "steps at that distance only: can it learn a dependency it only ever sees that far "
                             "away? Values are [accuracy for each seed]."},
        "task": f"cue (one of A-D), then `distance` distractors (letters a-z, {tasks.ATTRACTORS:.0%} of them other "
                "cue letters: attractors), then '?': predict the first cue "
                "(core.data.tasks.recall_batch; like agreement across an intervening clause)",
        "training": training,
        "recipe": {"name": RECIPE, "command": f"python -m core.train --recipe {RECIPE}",
                   "evaluate": f"python -m core.evaluate {RECIPE} --json", "script": "core/training/stress.py",
                   "notes": "Same hidden size, data stream, optimiser and steps for all four models."},
        "hardware": hardware(threads, torch.device("cpu")),
        "produced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    checkpoints.register(RECIPE, entry)
    print(json.dumps({"mixed": mixed, "fixed": fixed}), flush=True)
    return entry


def fixed_key(name: str, distance: int, seed: int) -> str:
    """Model key in the checkpoint: "fixed/gru/20" for seed 0 (the original layout), "fixed/gru/20/s1" after."""
    return f"fixed/{name}/{distance}" + (f"/s{seed}" if seed else "")


def parse_fixed_key(key: str) -> tuple[str, int, int]:
    """Inverse of fixed_key: (cell name, distance, seed)."""
    parts = key.split("/")
    return parts[1], int(parts[2]), int(parts[3][1:]) if len(parts) > 3 else 0


def measure(models: dict[str, RecallNet], n: int, seed: int) -> tuple[dict, dict]:
    """(mixed: {model: {distance: acc}}, fixed: {model: {distance: [acc at its own training distance per seed]}})."""
    mixed = {name: accuracy_vs_distance(models[name], n=n, seed=seed) for name in MODELS if name in models}
    found: dict[str, dict[int, dict[int, float]]] = {}
    for key, model in models.items():
        if key.startswith("fixed/"):
            name, d, s = parse_fixed_key(key)
            found.setdefault(name, {}).setdefault(d, {})[s] = accuracy_vs_distance(model, (d,), n, seed)[str(d)]
    fixed = {name: {str(d): [by_seed[s] for s in sorted(by_seed)] for d, by_seed in sorted(per.items())}
             for name, per in found.items()}
    return mixed, fixed


def fixed_rows(fixed: dict) -> list[dict]:
    """Long table for charts: one row per (model, distance, seed) of the fixed-distance experiment."""
    return [{"model": name, "distance": int(d), "seed": s, "accuracy": acc}
            for name, per in fixed.items() for d, accs in per.items() for s, acc in enumerate(seed_values(accs))]


def seed_values(accs) -> list[float]:
    """Per-seed accuracies of one fixed-distance cell."""
    return list(accs) if isinstance(accs, list | tuple) else [accs]  # older entries stored one seed as a number


def learned_share(fixed: dict, threshold: float = 0.9) -> dict[str, dict[str, float]]:
    """{model: {distance: share of seeds that reached `threshold` accuracy}} -- "did it learn the dependency"."""
    return {name: {d: sum(a >= threshold for a in seed_values(accs)) / len(seed_values(accs)) for d, accs in per.items()}
            for name, per in fixed.items()}


# ---------------------------------------------------------------- checkpoint file (core.training.checkpoints reads it)
FAMILY = checkpoints.family(MODEL_TYPE, "a set of recall models", RecallConfig, RecallNet, several=True,
                            manifest_config=("models",))


def load_file(path: Path) -> dict[str, RecallNet]:
    return checkpoints.load_file(path, model_type=MODEL_TYPE)


def load(directory: Path | str | None = None) -> tuple[dict[str, RecallNet], dict]:
    """({model key: model in eval mode}, manifest entry), verified against the manifest
    (core.training.checkpoints.load)."""
    return checkpoints.load(RECIPE, directory=directory, model_type=MODEL_TYPE)


def evaluate_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.evaluate")
    parser.add_argument("name")
    parser.add_argument("--n", type=int, default=500, help="sequences per distance")
    parser.add_argument("--seed", type=int, default=1001, help="fresh seed (the manifest used 1)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    inference.configure_threads()
    try:
        models, entry = load()
    except checkpoints.CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    table, fixed = measure(models, max(1, args.n), args.seed)
    result = {"checkpoint": RECIPE, "seed": args.seed, "accuracy_vs_distance": table,
              "fixed_distance_accuracy": fixed, "manifest": {k: entry["metrics"][k] for k in
                                                             ("accuracy_vs_distance", "fixed_distance_accuracy")}}
    if args.json:
        print(json.dumps(result))
    else:
        print("distance  " + "  ".join(f"{n:>13}" for n in table))
        for d in DISTANCES:
            print(f"{d:8}  " + "  ".join(f"{table[n][str(d)]:13.3f}" for n in table))
        print("trained at one distance only:", json.dumps(fixed))
    return 0


def probe(models: dict[str, RecallNet], distance: int, attractors: float = tasks.ATTRACTORS, n: int = 200,
          seed: int = 0) -> dict:
    """Live check at one distance on fresh sequences: accuracy of the mixed-trained models and of the models trained
    only at `distance` (per seed), plus one example sequence with each model's prediction and confidence."""
    if not 0.0 <= attractors <= 1.0 or not math.isfinite(attractors):
        raise ValueError("The attractor share must be between 0 and 1.")
    keys = [name for name in MODELS if name in models]
    keys += sorted((k for k in models if k.startswith("fixed/") and parse_fixed_key(k)[1] == distance),
                   key=lambda k: (list(MODELS).index(parse_fixed_key(k)[0]), parse_fixed_key(k)[2]))
    gen = torch.Generator().manual_seed(seed)
    x, y = tasks.recall_batch(n, distance, gen, attractors)
    rows = []
    with torch.inference_mode():
        for key in keys:
            logits, _ = models[key](x)
            probs = logits.softmax(-1)
            name, trained, run_seed = (key, "distances 1-100 mixed", 0) if not key.startswith("fixed/") else (
                parse_fixed_key(key)[0], f"only distance {distance}", parse_fixed_key(key)[2])
            rows.append({"model": name, "trained on": trained, "seed": run_seed,
                         "accuracy": float((probs.argmax(-1) == y).float().mean()),
                         "example prediction": tasks.CUES[int(probs[0].argmax())],
                         "confidence": float(probs[0].max())})
    return {"rows": rows, "example": tasks.recall_text(x[0]), "answer": tasks.CUES[int(y[0])], "n": n}
