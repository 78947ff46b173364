"""Where training runs keep their resumable state, and the facts about the machine a run records."""

from __future__ import annotations

import math
import os
import platform
from pathlib import Path

import torch

RUNS_ENV = "RNN_COURSE_RUNS_DIR"


def runs_dir() -> Path:
    env = os.environ.get(RUNS_ENV, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "rnn-course" / "runs"


def hardware(threads: int, device: torch.device) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if device.type == "cuda" else None
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "torch_threads": threads, "device": str(device),
            "gpu": gpu, "torch": torch.__version__, "python": platform.python_version()}


def curve(history, points: int = 400) -> dict:
    """The per-step curves averaged into at most `points` windows (keeps the manifest small)."""
    n = len(history.steps)
    k = max(1, math.ceil(n / points))

    def pool(values: list[float]) -> list[float]:
        return [round(sum(values[i : i + k]) / len(values[i : i + k]), 4) for i in range(0, n, k)]

    return {
        "window": k,
        "step": [history.steps[min(i + k, n) - 1] for i in range(0, n, k)],
        "train_loss": pool(history.train_loss),
        "grad_norm": pool(history.grad_norm),
        "lr": [round(v, 6) for v in pool(history.lr)],
        "evals": [[s, round(v, 4)] for s, v in history.evals],
    }


