"""The copy task for the Neural Turing Machine: data, training loop, evaluation (bit errors per sequence, by
length and memory size), checkpoint files and what the page calls. `python -m core.train --recipe ntm-copy`
reproduces checkpoints/ntm-copy.pt and its manifest entry.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from core.models.ntm import NTM, NTMConfig, num_params
from core.training import checkpoints
from core.training.loop import backward_clipped, warmup_cosine
from core.training.runs import hardware

MODEL_TYPE = "ntm"
RECIPE = "ntm-copy"
EVAL_SEED, EVAL_N = 1, 200
EVAL_LENGTHS = (1, 2, 4, 6, 8, 10, 12, 16, 20)
MEMORY_SIZES = (4, 8, 12, 20, 32)


@dataclass
class NTMTrainConfig:
    min_len: int = 1
    max_len: int = 10  # training lengths are drawn from min_len..max_len
    batch: int = 32
    lr: float = 3e-3  # cosine-decayed to lr * min_lr_fraction over the CPU budget
    min_lr_fraction: float = 0.3
    clip: float = 10.0
    memory_range: tuple[int, int] = (16, 24)  # N drawn per batch, so any memory size >= the length works later
    cpu_budget_s: float = 150.0  # stop after this much process CPU time (one torch thread)
    max_steps: int = 20000
    seed: int = 0
    eval_every: int = 250


@dataclass
class NTMRecipe:
    name: str
    title: str
    model: NTMConfig = field(default_factory=NTMConfig)
    train: NTMTrainConfig = field(default_factory=NTMTrainConfig)
    notes: str = ""


RECIPES = {RECIPE: NTMRecipe(RECIPE, "Neural Turing Machine, copy task (LSTM 100, memory 20 x 12)",
                             notes="One read and one write head; trained on random 6-bit sequences of length 1-10 "
                                   "with 16-24 memory slots (drawn per batch), batch 32, Adam with a cosine "
                                   "learning rate (3e-3 down to 9e-4) over a 150 CPU-second budget, one torch "
                                   "thread. A 75 CPU-second run with a lower floor (1e-4) and 12-32 slots only "
                                   "half-learned the task (about 4 wrong bits at length 10).")}


# ---------------------------------------------------------------- the copy task
def copy_batch(batch: int, length: int, bits: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """(x (B, 2L+1, bits+1), target (B, L, bits)): L random bit vectors, a delimiter step, then L blank steps
    during which the model must write the vectors back in order."""
    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}.")
    seq = torch.randint(0, 2, (batch, length, bits), generator=generator).float()  # (B, L, bits)
    x = torch.zeros(batch, 2 * length + 1, bits + 1)
    x[:, :length, :bits] = seq
    x[:, length, bits] = 1.0  # delimiter
    return x, seq


def copy_outputs(model: NTM, x: Tensor, memory_slots: int | None = None):
    """The model's output probabilities for the recall phase (B, L, bits) and the full trace."""
    trace = model(x, memory_slots)
    length = (x.shape[1] - 1) // 2
    return trace.outputs[:, length + 1 :], trace


def bit_errors(probs: Tensor, target: Tensor) -> Tensor:
    """Wrong bits per sequence (B,) after rounding the probabilities at 0.5."""
    return ((probs > 0.5).float() != target).float().sum(dim=(1, 2))


# ---------------------------------------------------------------- training
@dataclass
class StepInfo:
    step: int
    loss: float
    elapsed_s: float
    val: dict | None  # {length: mean bit errors per sequence} on evaluation steps


def lr_at(cfg: NTMTrainConfig, cpu_s: float) -> float:
    """No warmup; the cosine follows the CPU budget."""
    return warmup_cosine(cfg.lr, 0, 0, cfg.min_lr_fraction, cpu_s / max(cfg.cpu_budget_s, 1e-9))


def train(model: NTM, cfg: NTMTrainConfig, on_step: Callable[[StepInfo], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> dict:
    """Train in place; returns the history (per-step loss, evaluations, CPU seconds, why it stopped)."""
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    hist: dict = {"step": [], "loss": [], "val": [], "elapsed_s": 0.0, "stopped": ""}
    t0 = time.process_time()
    step = 0
    model.train()
    while step < cfg.max_steps:
        if should_stop is not None and should_stop():
            hist["stopped"] = "should_stop"
            break
        if time.process_time() - t0 >= cfg.cpu_budget_s:
            hist["stopped"] = "cpu_budget"
            break
        length = int(torch.randint(cfg.min_len, cfg.max_len + 1, (1,), generator=gen))
        slots = int(torch.randint(cfg.memory_range[0], cfg.memory_range[1] + 1, (1,), generator=gen))
        x, target = copy_batch(cfg.batch, length, model.cfg.bits, gen)
        for group in opt.param_groups:
            group["lr"] = lr_at(cfg, time.process_time() - t0)
        probs, _ = copy_outputs(model, x, slots)
        loss = F.binary_cross_entropy(probs.clamp(1e-6, 1 - 1e-6), target)
        backward_clipped(opt, loss, model, cfg.clip)
        if not math.isfinite(loss.item()):
            raise RuntimeError(f"Training diverged at step {step} (loss {loss.item()}).")
        opt.step()
        step += 1
        hist["step"].append(step)
        hist["loss"].append(round(loss.item(), 5))
        val = None
        if cfg.eval_every and step % cfg.eval_every == 0:
            val = evaluate(model, lengths=(2, cfg.max_len), n=64)
            hist["val"].append([step, val])
            model.train()
        hist["elapsed_s"] = time.process_time() - t0
        if on_step is not None:
            on_step(StepInfo(step, loss.item(), hist["elapsed_s"], val))
    hist["stopped"] = hist["stopped"] or "steps"
    model.eval()
    return hist


def evaluate(model: NTM, lengths: tuple[int, ...] = EVAL_LENGTHS, n: int = EVAL_N, seed: int = EVAL_SEED,
             memory_slots: int | None = None) -> dict[str, float]:
    """{length: mean wrong bits per sequence} on n fresh sequences per length (deterministic for a seed)."""
    was_training = model.training
    model.eval()
    out = {}
    with torch.inference_mode():
        for length in lengths:
            gen = torch.Generator().manual_seed(seed * 1000 + length)
            x, target = copy_batch(n, length, model.cfg.bits, gen)
            probs, _ = copy_outputs(model, x, memory_slots)
            out[str(length)] = round(float(bit_errors(probs, target).mean()), 3)
    model.train(was_training)
    return out


# ---------------------------------------------------------------- checkpoint files (core.training.checkpoints reads them)
FAMILY = checkpoints.family(MODEL_TYPE, "an NTM", NTMConfig, NTM)


def save_file(path: Path, model: NTM) -> dict:
    return checkpoints.save_file(path, model, model_type=MODEL_TYPE)


def load_file(path: Path) -> NTM:
    return checkpoints.load_file(path, model_type=MODEL_TYPE)


def load(name: str = RECIPE, directory: Path | str | None = None) -> tuple[NTM, dict]:
    """(model in eval mode, manifest entry), verified against the manifest (core.training.checkpoints.load)."""
    return checkpoints.load(name, directory=directory, model_type=MODEL_TYPE)


# ---------------------------------------------------------------- what the page calls
@dataclass
class CopyRun:
    inputs: list[list[int]]  # (L, bits) the sequence to copy
    outputs: list[list[float]]  # (L, bits) the model's probabilities in the recall phase
    read_weights: list[list[float]]  # (2L+1, N)
    write_weights: list[list[float]]  # (2L+1, N)
    wrong_bits: int


def copy_demo(model: NTM, length: int, memory_slots: int, seed: int) -> CopyRun:
    """One random sequence through the model with `memory_slots` slots: everything the page draws."""
    gen = torch.Generator().manual_seed(int(seed))
    x, target = copy_batch(1, int(length), model.cfg.bits, gen)
    with torch.inference_mode():
        probs, trace = copy_outputs(model, x, int(memory_slots))
    return CopyRun(target[0].int().tolist(), probs[0].tolist(), trace.read_weights[0].tolist(),
                   trace.write_weights[0].tolist(), int(bit_errors(probs, target)[0]))


# ---------------------------------------------------------------- recipe -> checkpoint
def run(resume: bool, threads: int) -> dict:
    recipe = RECIPES[RECIPE]
    torch.manual_seed(recipe.train.seed)
    model = NTM(recipe.model)
    if resume:
        print(f"[{RECIPE}] --resume is not supported for this short run; training from scratch", flush=True)

    def on_step(info: StepInfo) -> None:
        if info.step % 100 == 0 or info.val is not None:
            val = f" val bit errors {info.val}" if info.val else ""
            print(f"[{RECIPE}] step {info.step} loss {info.loss:.4f} {info.elapsed_s:.0f} cpu-s{val}", flush=True)

    print(f"[{RECIPE}] {num_params(model):,} params, {threads} thread(s)", flush=True)
    t_wall = time.perf_counter()
    hist = train(model, recipe.train, on_step=on_step)
    wall = time.perf_counter() - t_wall
    path = checkpoints.CHECKPOINT_DIR / f"{RECIPE}.pt"
    facts = save_file(path, model)
    shipped = load_file(path)  # measure what ships (float16 weights)
    slots = {str(n): evaluate(shipped, memory_slots=n) for n in MEMORY_SIZES}
    n = len(hist["step"])
    k = max(1, math.ceil(n / 300))
    entry = {
        "title": recipe.title, "kind": "ntm", "model_type": MODEL_TYPE, "config": shipped.cfg.to_dict(),
        "params": num_params(shipped), **facts,
        "metrics": {"bit_errors_per_sequence": slots[str(recipe.model.memory_slots)],
                    "bit_errors_by_memory_slots": slots,
                    "test": f"{EVAL_N} fresh random sequences per length (seed {EVAL_SEED}); "
                            f"bits per vector {recipe.model.bits}; trained on lengths "
                            f"{recipe.train.min_len}-{recipe.train.max_len}"},
        "training": {"steps": len(hist["step"]), "cpu_s": round(hist["elapsed_s"], 1),
                     "wall_s": round(wall, 1), "stopped": hist["stopped"],
                     "sequences_seen": len(hist["step"]) * recipe.train.batch},
        "curve": {"window": k, "step": [hist["step"][min(i + k, n) - 1] for i in range(0, n, k)],
                  "train_loss": [round(sum(hist["loss"][i : i + k]) / len(hist["loss"][i : i + k]), 4)
                                 for i in range(0, n, k)],
                  "val_bit_errors": hist["val"]},
        "recipe": {"name": RECIPE, "command": f"python -m core.train --recipe {RECIPE}",
                   "train_config": asdict(recipe.train), "notes": recipe.notes},
        "hardware": hardware(threads, torch.device("cpu")),
        "produced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    checkpoints.register(RECIPE, entry)
    print(f"[{RECIPE}] saved {path.name} ({facts['bytes']:,} bytes): bit errors {entry['metrics']}", flush=True)
    return entry
