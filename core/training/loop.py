"""The one training loop, for offline recipes and in-app training alike: truncated BPTT with the hidden state
carried across batches, gradient clipping, Adam, warmup + cosine learning rate, periodic evaluation and samples,
snapshots at chosen iterations, per-step gradient norms, NaN detection, and resumable state.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.data.corpora import Batches, TextData, eval_streams
from core.models import sampling

EVAL_BATCH, EVAL_SEQ = 16, 256  # the one definition of "validation loss" (core.evaluate uses it too)


class TrainingDiverged(RuntimeError):
    """The loss or the gradient became NaN/inf."""


@dataclass
class TrainConfig:
    batch: int = 64
    seq_len: int = 128
    lr: float = 2e-3
    min_lr_fraction: float = 0.1  # cosine decays to lr * this
    warmup_steps: int = 50
    max_steps: int = 2000
    time_budget_s: float | None = None  # also stop after this much training time; the schedule then follows time
    clock: str = "wall"  # "wall" seconds, or "cpu": this process's CPU seconds (a budget other load cannot eat)
    clip: float = 1.0  # max global gradient norm; 0 turns clipping off
    weight_decay: float = 0.0
    eval_every: int = 200  # 0: only at the end
    eval_chars: int | None = 50_000  # validation characters per periodic evaluation (None: all)
    sample_every: int = 0  # 0: no periodic samples
    sample_len: int = 200
    sample_temperature: float = 0.8
    snapshot_steps: tuple[int, ...] = ()  # iterations at which to keep a copy of the weights
    seed: int = 0
    on_nan: str = "raise"  # "raise" TrainingDiverged, or "stop" and flag the History
    checkpoint_every_s: float = 120.0  # how often to hand a resumable state to on_checkpoint

    def __post_init__(self) -> None:
        if self.clock not in ("wall", "cpu"):
            raise ValueError(f"clock must be 'wall' or 'cpu', got {self.clock!r}.")
        if self.on_nan not in ("raise", "stop"):
            raise ValueError(f"on_nan must be 'raise' or 'stop', got {self.on_nan!r}.")
        if not 0 < self.lr <= 1e6:
            raise ValueError(f"Learning rate must be a positive number up to 1e6, got {self.lr!r}.")
        if self.batch < 1 or self.seq_len < 1 or self.max_steps < 0:
            raise ValueError("batch and seq_len must be positive, max_steps zero or more.")
        self.snapshot_steps = tuple(sorted(set(int(s) for s in self.snapshot_steps)))


@dataclass
class History:
    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)  # nats/char, per step
    grad_norm: list[float] = field(default_factory=list)  # global norm before clipping, per step
    lr: list[float] = field(default_factory=list)
    evals: list[tuple[int, float]] = field(default_factory=list)  # (step, validation nats/char)
    samples: list[tuple[int, str]] = field(default_factory=list)
    snapshots: dict[int, dict] = field(default_factory=dict)  # step -> {"state_dict", "val_loss", "sample"}
    elapsed_s: float = 0.0  # by the config's clock
    chars_seen: int = 0
    stopped: str = ""  # "max_steps" | "time_budget" | "should_stop" | "diverged"
    diverged: bool = False
    message: str = ""

    def to_dict(self, with_snapshots: bool = True) -> dict:
        d = asdict(self)
        if not with_snapshots:
            d.pop("snapshots")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> History:
        h = cls(**{k: v for k, v in d.items() if k != "snapshots"})
        h.evals = [tuple(e) for e in h.evals]
        h.samples = [tuple(s) for s in h.samples]
        h.snapshots = {int(k): v for k, v in d.get("snapshots", {}).items()}
        return h


@dataclass
class StepInfo:
    """What on_step callbacks receive after every optimisation step."""

    step: int  # updates done so far
    loss: float
    grad_norm: float
    lr: float
    elapsed_s: float
    chars_per_s: float
    val_loss: float | None  # set on evaluation steps
    sample: str | None  # set on sampling steps
    history: History


def warmup_cosine(lr: float, step: int, warmup_steps: int, min_lr_fraction: float, progress: float) -> float:
    """The learning-rate schedule of the char-model, dates, captioner and NTM recipes: linear warmup over
    `warmup_steps`, then cosine decay from lr to lr * min_lr_fraction as `progress` goes from 0 to 1 (in steps or in
    seconds, as the recipe budgets)."""
    if step < warmup_steps:
        return lr * (step + 1) / warmup_steps
    floor = lr * min_lr_fraction
    return floor + (lr - floor) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def lr_at(cfg: TrainConfig, step: int, elapsed_s: float) -> float:
    """Linear warmup, then cosine decay to lr * min_lr_fraction over max_steps (or the time budget)."""
    progress = step / max(1, cfg.max_steps)
    if cfg.time_budget_s:
        progress = max(progress, elapsed_s / cfg.time_budget_s) if cfg.max_steps else elapsed_s / cfg.time_budget_s
    return warmup_cosine(cfg.lr, step, cfg.warmup_steps, cfg.min_lr_fraction, progress)


def detach_state(state: tuple) -> tuple:
    return tuple(tuple(s.detach() for s in layer) for layer in state)


@torch.no_grad()
def evaluate_loss(
    model: nn.Module, ids: Tensor, max_chars: int | None = None, batch: int = EVAL_BATCH, seq_len: int = EVAL_SEQ
) -> tuple[float, int]:
    """Mean cross-entropy (nats/char) of predicting ids[1:] from ids[:-1], in `batch` contiguous streams with the
    state carried across chunks of `seq_len`. Returns (loss, characters scored). Restores the model's mode."""
    if max_chars is not None:
        ids = ids[: max_chars + 1]
    if len(ids) < 2:
        raise ValueError("Need at least 2 characters to measure a loss.")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    x, y = eval_streams(ids, batch)
    x, y = x.to(device), y.to(device)
    state, total, count = None, 0.0, 0
    for t0 in range(0, x.shape[1], seq_len):
        logits, state, _ = model(x[:, t0 : t0 + seq_len], state)
        target = y[:, t0 : t0 + seq_len]
        total += F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="sum")
        count += target.numel()
    model.train(was_training)
    return float(total) / count, count


def _sample_text(model: nn.Module, data: TextData, cfg: TrainConfig, step: int) -> str:
    was_training = model.training
    model.eval()
    text = sampling.sample(model, data.vocab, cfg.sample_len, cfg.sample_temperature, prime="\n", seed=step)
    model.train(was_training)
    return text


def backward_clipped(opt: torch.optim.Optimizer, loss: torch.Tensor, model: nn.Module, clip: float) -> float:
    """Fresh gradients of `loss`, clipped to a global norm of `clip` (no clipping when clip <= 0); returns the norm
    before clipping. The caller checks it and the loss, then calls opt.step(). Every training loop here uses it."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    return float(torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clip > 0 else float("inf")))


def train(
    model: nn.Module,
    data: TextData,
    cfg: TrainConfig,
    on_step: Callable[[StepInfo], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    resume: dict | None = None,
    on_checkpoint: Callable[[dict], None] | None = None,
) -> History:
    """Train `model` on data.train in place and return its History (which holds the curves and snapshots).

    `resume` is a dict previously given to `on_checkpoint`; training then continues where it stopped.
    """
    device = next(model.parameters()).device
    torch.manual_seed(cfg.seed)  # dropout masks; the batches and samples use their own generators
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    batches = Batches(data.train, cfg.batch, cfg.seq_len, seed=cfg.seed)
    history, step, state = History(), 0, None
    if resume is not None:
        model.load_state_dict(resume["model"])
        opt.load_state_dict(resume["optim"])
        history = History.from_dict(resume["history"])
        step = int(resume["step"])
        state = resume.get("state")
        if state is not None:
            state = tuple(tuple(s.to(device) for s in layer) for layer in state)
    # A uniform guess costs ln(V) nats/char; a loss far above that means the weights blew up (NaN follows).
    explode_at = 20.0 * math.log(max(2, len(data.vocab))) + 20.0
    elapsed0 = history.elapsed_s
    clock = time.process_time if cfg.clock == "cpu" else time.perf_counter
    t_start = clock()
    last_ckpt = time.perf_counter()
    model.train()

    def elapsed() -> float:
        return elapsed0 + clock() - t_start

    def val_loss() -> float:
        return evaluate_loss(model, data.val, cfg.eval_chars)[0]

    def snapshot() -> None:
        if step in cfg.snapshot_steps and step not in history.snapshots:
            weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            history.snapshots[step] = {"state_dict": weights, "val_loss": val_loss()}

    def checkpoint() -> dict:
        history.elapsed_s = elapsed()
        return {
            "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
            "optim": opt.state_dict(),
            "history": history.to_dict(),
            "step": step,
            "state": None if state is None else tuple(tuple(s.cpu() for s in layer) for layer in state),
        }

    while True:
        snapshot()
        if cfg.max_steps and step >= cfg.max_steps:
            history.stopped = "max_steps"
            break
        if cfg.time_budget_s and elapsed() >= cfg.time_budget_s:
            history.stopped = "time_budget"
            break
        if should_stop is not None and should_stop():
            history.stopped = "should_stop"
            break
        x, y, starts_epoch = batches.get(step)
        x, y = x.to(device), y.to(device)
        if starts_epoch:
            state = None
        lr = lr_at(cfg, step, elapsed())
        for group in opt.param_groups:
            group["lr"] = lr
        logits, state, _ = model(x, state)
        state = detach_state(state)  # truncated BPTT: carry the values, cut the graph
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        grad_norm = backward_clipped(opt, loss, model, cfg.clip)
        loss_value = loss.item()
        if not (math.isfinite(loss_value) and math.isfinite(grad_norm)) or loss_value > explode_at:
            what = "gradient norm" if math.isfinite(loss_value) and loss_value <= explode_at else "loss"
            value = loss_value if what == "loss" else grad_norm
            history.diverged, history.stopped = True, "diverged"
            history.message = (
                f"Training diverged at step {step}: the {what} became {value:.4g} with learning rate {lr:g}. "
                "Lower the learning rate (or keep gradient clipping on) and start again."
            )
            history.elapsed_s = elapsed()
            if cfg.on_nan == "raise":
                raise TrainingDiverged(history.message)
            break
        opt.step()
        step += 1
        history.steps.append(step)
        history.train_loss.append(loss_value)
        history.grad_norm.append(grad_norm)
        history.lr.append(lr)
        history.chars_seen += x.numel()
        history.elapsed_s = elapsed()
        v = val_loss() if cfg.eval_every and step % cfg.eval_every == 0 else None
        if v is not None:
            history.evals.append((step, v))
        s = _sample_text(model, data, cfg, step) if cfg.sample_every and step % cfg.sample_every == 0 else None
        if s is not None:
            history.samples.append((step, s))
        if on_step is not None:
            rate = history.chars_seen / max(history.elapsed_s, 1e-9)
            on_step(StepInfo(step, loss_value, grad_norm, lr, history.elapsed_s, rate, v, s, history))
        if on_checkpoint is not None and time.perf_counter() - last_ckpt >= cfg.checkpoint_every_s:
            on_checkpoint(checkpoint())
            last_ckpt = time.perf_counter()
    if not history.diverged and (not history.evals or history.evals[-1][0] != step):
        history.evals.append((step, val_loss()))
    history.elapsed_s = elapsed()
    if on_checkpoint is not None:
        on_checkpoint(checkpoint())
    return history
