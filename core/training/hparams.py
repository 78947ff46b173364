"""The learning-rate x hidden-size grid behind Module 9's explorer: one short, real training run of a small LSTM
per cell on a fixed slice of Tiny Shakespeare, all with the same seed, steps and data.

`python -m core.training.hparams` runs the grid and writes checkpoints/hparams.json (when, command, hardware, config, and
per cell the final validation loss and the curves); the page only reads that file.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import torch

from core.data import corpora as data
from core.models.charlm import CharLMConfig, build, num_params
from core.training import loop as training
from core.training.runs import hardware

RESULTS_FILE = data.REPO_ROOT / "checkpoints" / "hparams.json"
COMMAND = "nice -n 10 python -m core.training.hparams"


@dataclass
class GridConfig:
    lrs: tuple[float, ...] = (3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)
    hiddens: tuple[int, ...] = (32, 64, 128)
    corpus: str = "tinyshakespeare"
    chars: int = 200_000  # the first 200k characters: train on the first 90%, validate on the last 10%
    kind: str = "lstm"
    layers: int = 1
    embed: int = 32
    steps: int = 400
    batch: int = 32
    seq_len: int = 64
    warmup_steps: int = 20
    clip: float = 1.0
    eval_every: int = 50
    seed: int = 0
    threads: int = 1
    extra: dict = field(default_factory=dict)

    def train_config(self, lr: float) -> training.TrainConfig:
        return training.TrainConfig(batch=self.batch, seq_len=self.seq_len, lr=lr, warmup_steps=self.warmup_steps,
                                    max_steps=self.steps, clip=self.clip, eval_every=self.eval_every,
                                    eval_chars=None, seed=self.seed, on_nan="stop", clock="cpu")

    def model_config(self, hidden: int, vocab_size: int) -> CharLMConfig:
        return CharLMConfig(kind=self.kind, vocab_size=vocab_size, hidden=hidden, layers=self.layers,
                            embed=self.embed, dropout=0.0, backend="torch")


def run_cell(text_data: data.TextData, cfg: GridConfig, lr: float, hidden: int) -> dict:
    """One real training run: its final validation loss (nats/char) and its curves."""
    torch.manual_seed(cfg.seed)  # the same initial weights for every learning rate of one hidden size
    model = build(cfg.model_config(hidden, len(text_data.vocab)))
    start = time.process_time()
    history = training.train(model, text_data, cfg.train_config(lr))
    final = history.evals[-1][1] if history.evals and not history.diverged else None
    return {
        "lr": lr, "hidden": hidden, "params": num_params(model),
        "final_val_loss": None if final is None else round(final, 4),
        "final_train_loss": round(history.train_loss[-1], 4) if history.train_loss else None,
        "diverged": history.diverged, "message": history.message, "cpu_s": round(time.process_time() - start, 1),
        "curve": {"step": history.steps, "train_loss": [round(v, 4) for v in history.train_loss],
                  "evals": [[s, round(v, 4)] for s, v in history.evals]},
    }


def run_grid(cfg: GridConfig, text: str, on_cell: Callable[[dict], None] | None = None) -> dict:
    """Every (lr, hidden) cell on `text`, hidden size by hidden size; returns the results document."""
    torch.set_num_threads(cfg.threads)
    text_data = data.TextData.from_text(text[: cfg.chars], f"{cfg.corpus}[:{cfg.chars}]")
    cells = []
    for hidden in cfg.hiddens:
        for lr in cfg.lrs:
            cell = run_cell(text_data, cfg, lr, hidden)
            cells.append(cell)
            if on_cell is not None:
                on_cell(cell)
    return {"config": asdict(cfg), "data_sha256": text_data.sha256, "vocab_size": len(text_data.vocab),
            "train_chars": len(text_data.train), "val_chars": len(text_data.val), "cells": cells}


def best(results: dict) -> dict:
    """The cell with the lowest final validation loss (diverged cells never win)."""
    done = [c for c in results["cells"] if c["final_val_loss"] is not None and math.isfinite(c["final_val_loss"])]
    if not done:
        raise ValueError("No cell of the grid finished without diverging.")
    return min(done, key=lambda c: c["final_val_loss"])


def best_config(results: dict) -> dict:
    """What a learner exports: the winning model and training settings, with where they came from."""
    cell, cfg = best(results), results["config"]
    return {
        "model": asdict(GridConfig(**{k: v for k, v in cfg.items() if k in GridConfig.__dataclass_fields__})
                        .model_config(cell["hidden"], results["vocab_size"])),
        "train": {**asdict(GridConfig(**{k: v for k, v in cfg.items() if k in GridConfig.__dataclass_fields__})
                           .train_config(cell["lr"])), "snapshot_steps": []},
        "result": {"final_val_loss_nats_per_char": cell["final_val_loss"], "steps": cfg["steps"]},
        "source": f"{results.get('command', COMMAND)} ({results.get('produced_at', 'unknown date')})",
    }


def load(path: Path | None = None) -> dict | None:
    """The shipped results (or those at `path`), None when absent. Raises ValueError for a malformed file."""
    path = path or RESULTS_FILE
    if not path.exists():
        return None
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e}).") from e
    cfg = results.get("config", {})
    expected = {(lr, h) for lr in cfg.get("lrs", ()) for h in cfg.get("hiddens", ())}
    if not expected or {(c["lr"], c["hidden"]) for c in results.get("cells", [])} != expected:
        raise ValueError(f"{path} does not hold exactly one cell per (learning rate, hidden size) pair.")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS_FILE)
    parser.add_argument("--steps", type=int, default=GridConfig.steps)
    args = parser.parse_args(argv)
    cfg = GridConfig(steps=args.steps)

    wall = time.perf_counter()
    cpu = time.process_time()
    results = run_grid(cfg, data.load_text(cfg.corpus), on_cell=lambda c: print(
        f"lr {c['lr']:g} hidden {c['hidden']}: val {c['final_val_loss']} ({c['cpu_s']} CPU s)", flush=True))
    results = {"produced_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "command": COMMAND,
               "hardware": hardware(cfg.threads, torch.device("cpu")),
               "total_cpu_s": round(time.process_time() - cpu, 1), "total_wall_s": round(time.perf_counter() - wall, 1),
               **results}
    args.out.write_text(json.dumps(results, indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {args.out}; best: lr {best(results)['lr']:g}, hidden {best(results)['hidden']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
