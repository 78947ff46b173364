"""Long-range stress test, measured: vanilla RNN, LSTM, GRU and GRU + attention with the same size, data stream
and number of steps on the recall task (core.tasks.recall_batch), scored at growing cue-target distances on fresh
data. Two experiments: "mixed" (one model per cell trained on distances 1-100, scored out to 200) and "fixed" (one
model per cell and distance, trained only at that distance: where vanishing gradients bite). `python -m core.train --recipe longrange-stress` runs it and records the table;
`python -m core.evaluate longrange-stress --json` re-measures the stored models on a fresh seed.
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
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from core import checkpoints, inference, tasks
from core.data import sha256_file
from core.models.recall import RecallConfig, RecallNet

RECIPE = "longrange-stress"
TITLE = "Long-range recall: RNN vs LSTM vs GRU vs GRU+attention, accuracy vs distance"
MODEL_TYPE = "recall-stress"
MODELS = {"rnn": ("rnn", False), "lstm": ("lstm", False), "gru": ("gru", False), "gru+attention": ("gru", True)}
DISTANCES = (1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 200)  # 150 and 200 are past the training range


@dataclass
class StressConfig:
    steps: int = 2500  # experiment "mixed": one model per cell, distances uniform in 1..max_distance
    batch: int = 64
    max_distance: int = 100
    fixed_steps: int = 400  # experiment "fixed": one model per cell and distance, trained only at that distance
    fixed_distances: tuple[int, ...] = (5, 10, 20, 50, 100)
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
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
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
    from core.train import hardware, runs_dir

    cfg = cfg or StressConfig()
    work = runs_dir() / RECIPE
    work.mkdir(parents=True, exist_ok=True)

    def trained(key: str, name: str, distances: tuple[int, int], steps: int) -> tuple[RecallNet, dict]:
        part = work / f"{key}.pt"
        if resume and part.exists():
            saved = torch.load(part, map_location="cpu", weights_only=True)
            model = RecallNet(model_config(name, cfg))
            model.load_state_dict(saved["state_dict"])
            print(f"[{RECIPE}:{key}] reused from {part}", flush=True)
            return model.eval(), saved["training"]
        model, info = train_one(name, cfg, distances, steps, log=lambda s: print(s, flush=True))
        torch.save({"state_dict": model.state_dict(), "training": info}, part)
        return model, info

    models, training = {}, {}
    for name in MODELS:
        models[name], training[name] = trained(name, name, (1, cfg.max_distance), cfg.steps)
    for d in cfg.fixed_distances:
        for name in MODELS:
            key = f"fixed/{name}/{d}"
            models[key], training[key] = trained(key.replace("/", "-"), name, (d, d), cfg.fixed_steps)
    path = checkpoints.CHECKPOINT_DIR / f"{RECIPE}.pt"
    payload = {"format": checkpoints.FORMAT, "model_type": MODEL_TYPE,
               "configs": {n: m.cfg.to_dict() for n, m in models.items()},
               "state_dicts": {n: {k: v.half() for k, v in m.state_dict().items()} for n, m in models.items()}}
    torch.save(payload, path.with_suffix(".tmp"))
    os.replace(path.with_suffix(".tmp"), path)
    mixed, fixed = measure(load_file(path), cfg.eval_n, cfg.eval_seed)
    entry = {
        "title": TITLE, "kind": "stress", "model_type": MODEL_TYPE, "tags": ["module8", "stress-test"],
        "config": asdict(cfg), "models": {n: models[n].cfg.to_dict() for n in MODELS},
        "params": {n: sum(p.numel() for p in models[n].parameters()) for n in MODELS},
        "file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path), "dtype": "float16",
        "metrics": {"accuracy_vs_distance": mixed, "fixed_distance_accuracy": fixed,
                    "chance": 1 / len(tasks.CUES),
                    "eval": f"{cfg.eval_n} fresh sequences per distance (seed {cfg.eval_seed})",
                    "mixed": f"one model per cell, {cfg.steps} steps at distances uniform in 1-{cfg.max_distance}; "
                             f"scored at {list(DISTANCES)} (past {cfg.max_distance}: never trained on)",
                    "fixed": f"one model per cell and distance, {cfg.fixed_steps} steps at that distance only: "
                             "can it learn a dependency it only ever sees that far away?"},
        "task": f"cue (one of A-D), then `distance` distractors (letters a-z, {tasks.ATTRACTORS:.0%} of them other "
                "cue letters: attractors), then '?': predict the first cue "
                "(core.tasks.recall_batch; like agreement across an intervening clause)",
        "training": training,
        "recipe": {"name": RECIPE, "command": f"python -m core.train --recipe {RECIPE}",
                   "evaluate": f"python -m core.evaluate {RECIPE} --json", "script": "core/stress.py",
                   "notes": "Same hidden size, data stream, optimiser and steps for all four models."},
        "hardware": hardware(threads, torch.device("cpu")),
        "produced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    checkpoints.register(RECIPE, entry)
    print(json.dumps({"mixed": mixed, "fixed": fixed}), flush=True)
    return entry


def measure(models: dict[str, RecallNet], n: int, seed: int) -> tuple[dict, dict]:
    """(mixed: {model: {distance: acc}}, fixed: {model: {distance: acc at its own training distance}})."""
    mixed = {name: accuracy_vs_distance(models[name], n=n, seed=seed) for name in MODELS if name in models}
    fixed: dict[str, dict[str, float]] = {}
    for key, model in models.items():
        if key.startswith("fixed/"):
            _, name, d = key.split("/")
            fixed.setdefault(name, {})[d] = accuracy_vs_distance(model, (int(d),), n, seed)[d]
    return mixed, fixed


def load_file(path) -> dict[str, RecallNet]:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if payload.get("model_type") != MODEL_TYPE:
            raise checkpoints.CheckpointError(f"{path.name} is not a stress-test checkpoint.")
        models = {}
        for name, conf in payload["configs"].items():
            model = RecallNet(RecallConfig(**conf))
            model.load_state_dict({k: v.float() for k, v in payload["state_dicts"][name].items()})
            models[name] = model.eval()
    except checkpoints.CheckpointError:
        raise
    except Exception as e:
        raise checkpoints.CheckpointError(f"{path.name} could not be loaded ({type(e).__name__}: {e}).") from e
    return models


def load(directory=None) -> tuple[dict[str, RecallNet], dict]:
    """({model name: model in eval mode}, manifest entry), after checking size and sha256."""
    e, path = checkpoints.verify(RECIPE, directory)
    return load_file(path), e


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
