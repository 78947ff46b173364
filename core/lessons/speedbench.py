"""Speed comparison for Module 8, measured on whatever device runs it: time per sequence against sequence length
for an LSTM (one step after another) and a transformer encoder of the same width (all positions at once),
forward only and forward + backward (a training step without the optimiser), median of a few repeats.
"""

from __future__ import annotations

import platform
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

MODELS = ("LSTM", "Transformer encoder")
MODES = ("forward", "forward + backward")
LENGTHS = (16, 32, 64, 128, 256, 512, 1024)  # the lengths a page offers; a run uses those up to its longest


def lengths_up_to(longest: int) -> tuple[int, ...]:
    """The offered lengths from the shortest up to `longest` (each double the one before)."""
    return tuple(n for n in LENGTHS if n <= longest)


@dataclass(frozen=True)
class BenchConfig:
    lengths: tuple[int, ...] = (16, 32, 64, 128, 256, 512)
    width: int = 64  # LSTM hidden size = transformer d_model
    layers: int = 1
    heads: int = 4
    batch: int = 4
    repeats: int = 3  # timed runs per point (after one untimed warm-up); the median is reported

    def check(self) -> None:
        if not self.lengths or min(self.lengths) < 1 or max(self.lengths) > 4096:
            raise ValueError("Lengths must be between 1 and 4096.")
        if not (1 <= self.width <= 1024 and 1 <= self.layers <= 8 and 1 <= self.batch <= 256
                and 1 <= self.repeats <= 20):
            raise ValueError("Width 1-1024, layers 1-8, batch 1-256, repeats 1-20.")
        if self.width % self.heads:
            raise ValueError(f"The width ({self.width}) must be divisible by the number of heads ({self.heads}).")


@dataclass
class BenchResult:
    device: str  # e.g. "cpu: AMD EPYC (1 torch thread)" or "cuda: NVIDIA H100"
    config: dict
    params: dict[str, int]
    rows: list[dict] = field(default_factory=list)  # model, length, mode, ms_per_sequence, sequential_steps, ...
    gpu: dict = field(default_factory=dict)  # CUDA only: peak memory per model, utilisation if readable
    seconds: float = 0.0


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def device_label(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "mps: Apple GPU"
    return f"cpu: {cpu_name()} ({torch.get_num_threads()} torch thread{'s' * (torch.get_num_threads() > 1)})"


def build(cfg: BenchConfig, device: torch.device) -> dict[str, nn.Module]:
    """The two contenders at matched width, with fixed seeds so every run times the same weights."""
    torch.manual_seed(0)
    lstm = nn.LSTM(cfg.width, cfg.width, num_layers=cfg.layers, batch_first=True)
    layer = nn.TransformerEncoderLayer(cfg.width, cfg.heads, 4 * cfg.width, dropout=0.0, batch_first=True)
    encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
    return {"LSTM": lstm.to(device), "Transformer encoder": encoder.to(device)}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_call(model: nn.Module, x: torch.Tensor, backward: bool) -> float:
    """Wall-clock seconds for one forward (and backward) pass, with device synchronisation around it."""
    return _timed(model, x, backward)[0]


def _timed(model: nn.Module, x: torch.Tensor, backward: bool) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of this thread) for one pass."""
    _sync(x.device)
    c0, t0 = time.thread_time(), time.perf_counter()
    if backward:
        out = model(x)
        out = out[0] if isinstance(out, tuple) else out
        out.float().pow(2).mean().backward()  # (B, T, H) -> scalar; gradients reach every weight
    else:
        with torch.no_grad():
            model(x)
    _sync(x.device)
    return time.perf_counter() - t0, time.thread_time() - c0


def sequential_steps(model_name: str, length: int, layers: int) -> int:
    """Operations that must wait for the previous one: an LSTM layer has one per position, an encoder layer one."""
    return length * layers if model_name == "LSTM" else layers


class UtilSampler:
    """Polls torch.cuda.utilization (NVML: share of the last sample period in which any kernel ran) in a thread
    while a block runs. Where NVML is unavailable, `samples` stays empty and `error` says why."""

    def __init__(self, device: torch.device, every_s: float = 0.02) -> None:
        self.device, self.every_s, self.samples, self.error = device, every_s, [], ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append(torch.cuda.utilization(self.device))
            except Exception as exc:  # pynvml missing, no permission, ...
                self.error = f"{type(exc).__name__}: {exc}"[:200]
                return
            self._stop.wait(self.every_s)

    def __enter__(self) -> UtilSampler:
        if self.device.type == "cuda":
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=1)


def run(cfg: BenchConfig, device: torch.device | None = None,
        on_step: Callable[[float, str], None] | None = None) -> BenchResult:
    """Time both models at every length and mode. `on_step(fraction done, what just finished)` reports progress."""
    cfg.check()
    device = device or torch.device("cpu")
    models = build(cfg, device)
    result = BenchResult(device_label(device), asdict(cfg),
                         {n: sum(p.numel() for p in m.parameters()) for n, m in models.items()})
    total, done, t_start = len(cfg.lengths) * len(MODELS) * len(MODES), 0, time.perf_counter()
    gen = torch.Generator().manual_seed(0)
    for length in cfg.lengths:
        x = torch.randn(cfg.batch, length, cfg.width, generator=gen).to(device)
        for name, model in models.items():
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            for mode in MODES:
                backward = mode != "forward"
                model.train(backward)
                time_call(model, x, backward)  # warm-up: allocations, kernel selection
                with UtilSampler(device) as util:
                    timed = [_timed(model, x, backward) for _ in range(cfg.repeats)]
                times = [t for t, _ in timed]
                model.zero_grad(set_to_none=True)
                row = {"model": name, "length": length, "mode": mode,
                       "ms_per_sequence": statistics.median(times) / cfg.batch * 1000,
                       "sequential_steps": sequential_steps(name, length, cfg.layers),
                       "cpu_ms_per_sequence": statistics.median(c for _, c in timed) / cfg.batch * 1000}
                if device.type == "cuda":
                    row["gpu_busy_percent"] = statistics.mean(util.samples) if util.samples else None
                    if util.error:
                        result.gpu["utilization_note"] = f"GPU utilisation not readable here ({util.error})"
                result.rows.append(row)
                done += 1
                if on_step:
                    on_step(done / total, f"{name}, {mode}, length {length}")
            if device.type == "cuda":
                peak = torch.cuda.max_memory_allocated(device) / 2**20
                result.gpu.setdefault("peak_memory_mib", {}).setdefault(name, {})[str(length)] = round(peak, 1)
    result.seconds = time.perf_counter() - t_start
    return result


def busy_factor(rows: list[dict]) -> float:
    """Total wall-clock time / total CPU time of the timing thread: about 1 on an idle CPU, well above 1 when
    other processes compete for it (meaningless on a GPU, where the CPU mostly waits)."""
    cpu = sum(r["cpu_ms_per_sequence"] for r in rows)
    return sum(r["ms_per_sequence"] for r in rows) / cpu if cpu > 0 else float("nan")


def growth(rows: list[dict], model: str, mode: str) -> float:
    """How many times longer the longest length takes than the shortest (per sequence), for one model and mode."""
    pts = sorted((r["length"], r["ms_per_sequence"]) for r in rows if r["model"] == model and r["mode"] == mode)
    if len(pts) < 2 or pts[0][1] <= 0:
        raise ValueError("Need at least two lengths with positive times.")
    return pts[-1][1] / pts[0][1]


@dataclass(frozen=True)
class ModeSummary:
    """One mode's headline: how each model's time grew over the lengths, and who was faster at the longest."""
    mode: str
    growth: dict[str, float]  # model -> time at the longest length / time at the shortest
    longest: int
    ms_at_longest: dict[str, float]  # model -> ms per sequence at the longest length
    faster: str  # the model with the smaller time at the longest length


def summary(rows: list[dict]) -> list[ModeSummary]:
    """The headline of a benchmark run, one entry per mode in MODES order."""
    longest = max(r["length"] for r in rows)
    out = []
    for mode in MODES:
        t = {r["model"]: r["ms_per_sequence"] for r in rows if r["mode"] == mode and r["length"] == longest}
        out.append(ModeSummary(mode, {m: growth(rows, m, mode) for m in MODELS}, longest, t, min(t, key=t.get)))
    return out
