"""Device choice, torch thread count and read-only inference helpers.

Models shared between learners are prepared once (eval mode, no grad, on the chosen device) and only ever
run under `torch.inference_mode()`; nothing here keeps per-learner state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from core import settings

DEVICE_ENV = "RNN_COURSE_DEVICE"
THREADS_ENV = "RNN_COURSE_TORCH_THREADS"
# Measured with `python -m core.bench threads` (see README, "Performance"): on a 2-core server, one intra-op
# thread per forward pass serves concurrent learners best; a single local user can raise it.
DEFAULT_THREADS = 1


def choose_device(preferred: str | None = None) -> torch.device:
    """Pick cuda > mps > cpu, unless `preferred` or $RNN_COURSE_DEVICE names one that is available."""
    name = (preferred or os.environ.get(DEVICE_ENV, "")).strip().lower()  # checked below, with a clearer error than settings.get
    if name:
        if name.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"{DEVICE_ENV}={name!r} but CUDA is not available on this machine.")
        if name == "mps" and not _mps_available():
            raise RuntimeError(f"{DEVICE_ENV}={name!r} but Apple MPS is not available on this machine.")
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def thread_count(value: str | int | None = None) -> int:
    """The intra-op thread count to use: `value`, else $RNN_COURSE_TORCH_THREADS, else DEFAULT_THREADS."""
    raw = value if value is not None else (os.environ.get(THREADS_ENV, "").strip() or DEFAULT_THREADS)
    try:
        n = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{THREADS_ENV} must be a positive integer, got {raw!r}.") from None
    if n < 1:
        raise ValueError(f"{THREADS_ENV} must be a positive integer, got {n}.")
    return min(n, settings.cpu_quota())


def configure_threads(value: str | int | None = None) -> int:
    """Set torch's intra-op thread count for this process (idempotent) and return it."""
    n = thread_count(value)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def prepare(model: nn.Module, device: torch.device | None = None) -> nn.Module:
    """Make `model` safe to share read-only between sessions: eval mode, frozen weights, on `device`."""
    model = model.to(device or choose_device())
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


@contextmanager
def inference() -> Iterator[None]:
    """The one way demos run a shared model: no autograd, no version counters."""
    with torch.inference_mode():
        yield
