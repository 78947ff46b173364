"""Lab 2's equal-budget experiment as the manifest recorded it: a vanilla RNN, a GRU and an LSTM of the same size,
trained with the same recipe for the same 900 CPU-seconds on Tiny Shakespeare. Rows for the page's table and charts;
nothing is re-measured here, every number is read from checkpoints/manifest.json.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.training import checkpoints

NAMES = ("shakespeare-rnn", "shakespeare-gru", "shakespeare-lstm")
LABEL = {"rnn": "vanilla RNN", "gru": "GRU", "lstm": "LSTM"}
BASELINE = "shakespeare-rnn"


@dataclass(frozen=True)
class Run:
    """One model of the experiment, as its manifest entry recorded it."""

    name: str
    label: str
    params: int
    steps: int  # parameter updates done within the budget
    chars_seen: int  # steps * batch * seq_len
    cpu_s: float  # CPU seconds used (one torch thread)
    val: float  # nats per character on the whole held-out tenth, state carried across chunks
    perplexity: float
    bits: float
    train_subset: float | None  # the same measure on a slice of the training text
    evals: list[tuple[int, float]]  # (step, validation loss on the first 50,000 held-out characters)
    steps_logged: list[int]  # training-log steps (averaged over `window` updates each)
    train_loss: list[float]
    grad_norm: list[float]
    recipe: dict


def run_of(name: str, e: dict) -> Run:
    m, t, c = e["metrics"], e["training"], e["curve"]
    return Run(name=name, label=LABEL[e["config"]["kind"]], params=e["params"], steps=t["steps"],
               chars_seen=t["chars_seen"], cpu_s=t["elapsed_s"], val=m["val_loss_nats_per_char"],
               perplexity=m["perplexity"], bits=m["bits_per_char"],
               train_subset=e.get("train_subset_loss_nats_per_char"),
               evals=[(int(s), float(v)) for s, v in c["evals"]], steps_logged=list(c["step"]),
               train_loss=list(c["train_loss"]), grad_norm=list(c["grad_norm"]), recipe=e["recipe"])


def load(names: tuple[str, ...] = NAMES) -> list[Run]:
    """The runs that are shipped now, in the order of `names` (missing ones are left out, never invented)."""
    try:
        known = set(checkpoints.names())
    except checkpoints.CheckpointError:
        return []
    return [run_of(n, checkpoints.entry(n)) for n in names if n in known]


def seconds_per_update(run: Run) -> float:
    return run.cpu_s / run.steps


def summary_rows(runs: list[Run]) -> list[dict]:
    """The comparison table: size, updates, characters read, held-out loss and perplexity, change vs the RNN."""
    base = next((r for r in runs if r.name == BASELINE), None)
    rows = []
    for r in runs:
        row = {"model": r.label, "parameters": r.params, "CPU seconds": r.cpu_s, "updates": r.steps,
               "seconds per update": round(seconds_per_update(r), 3), "characters read": r.chars_seen,
               "validation loss (nats/char)": r.val, "bits per char": r.bits, "perplexity": r.perplexity,
               "perplexity vs RNN": "" if base is None else f"{(r.perplexity - base.perplexity) / base.perplexity:+.1%}",
               "training-text loss": r.train_subset}
        rows.append(row)
    return rows


def eval_rows(runs: list[Run]) -> list[dict]:
    """Validation checkpoints of each run, placed on three x-axes: updates, characters read and CPU seconds.

    CPU seconds at an update are estimated as step x the run's average seconds per update (the log records steps,
    and every update of one run costs about the same)."""
    rows = []
    for r in runs:
        per_char = r.chars_seen / r.steps
        for step, loss in r.evals:
            rows.append({"model": r.label, "updates": step, "characters read": int(step * per_char),
                         "CPU seconds": round(step * seconds_per_update(r), 1), "validation loss": loss,
                         "perplexity": round(math.exp(loss), 3)})
    return rows


def log_rows(runs: list[Run]) -> list[dict]:
    """The training log: training loss and gradient norm (before clipping at 1.0) against updates."""
    return [{"model": r.label, "updates": s, "training loss": loss, "gradient norm": g}
            for r in runs for s, loss, g in zip(r.steps_logged, r.train_loss, r.grad_norm, strict=True)]


def common_step(runs: list[Run]) -> int | None:
    """The largest validation step that every run reached (the equal-updates point); None if there is none."""
    shared = set.intersection(*({s for s, _ in r.evals} for r in runs)) if runs else set()
    return max(shared) if shared else None


def at_step(run: Run, step: int) -> float:
    return dict(run.evals)[step]


def update_ratio(fast: Run, slow: Run) -> float:
    """How many times more updates `fast` made than `slow` in the same budget."""
    return fast.steps / slow.steps


def same_recipe(runs: list[Run]) -> bool:
    """True when every run used the same training settings (only the recipe's name differs)."""
    configs = [r.recipe.get("train_config") for r in runs]
    return bool(configs) and all(c == configs[0] for c in configs)
