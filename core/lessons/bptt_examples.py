"""Small worked examples of backpropagation through time on a scalar RNN, computed by hand, step by step:
the forward values, the dL/dh_t chain, truncation to windows of k steps, and clipping by the global norm.

The model: h_t = tanh(w*h_(t-1) + u*x_t + b), y_t = v*h_t, loss L = sum_t 0.5*(y_t - d_t)^2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PARAMS = ("w", "u", "v", "b")
XS = (1.0, -0.5, 0.8, 0.3, -1.0, 0.6, 0.9, -0.2, 0.4, -0.7, 0.5, 0.1)  # inputs x_t (the first T are used)
DS = (0.5, -0.2, 0.3, 0.1, -0.4, 0.2, 0.6, -0.1, 0.3, -0.5, 0.2, 0.0)  # targets d_t


@dataclass(frozen=True)
class ScalarRNN:
    w: float = 0.9  # recurrent weight: the factor that repeats at every step back in time
    u: float = 0.7
    v: float = 1.2
    b: float = 0.0
    h0: float = 0.0


@dataclass(frozen=True)
class ForwardRow:
    t: int  # 1-based, as on the page
    x: float
    a: float  # pre-activation w*h_(t-1) + u*x_t + b
    h: float
    y: float
    d: float
    loss: float


@dataclass(frozen=True)
class BackwardRow:
    t: int
    dL_dy: float  # from this step's own loss
    dL_dh: float  # total: own loss + what flows back from later steps (zero across a truncation cut)
    dL_da: float
    grads: dict[str, float]  # this step's contribution to each parameter's gradient
    cut_before: bool  # the gradient stops here and does not reach h_(t-1)


def forward(rnn: ScalarRNN, xs: tuple[float, ...] = XS[:3], ds: tuple[float, ...] = DS[:3]) -> list[ForwardRow]:
    rows, h = [], rnn.h0
    for t, (x, d) in enumerate(zip(xs, ds, strict=True), 1):
        a = rnn.w * h + rnn.u * x + rnn.b
        h = math.tanh(a)
        y = rnn.v * h
        rows.append(ForwardRow(t, x, a, h, y, d, 0.5 * (y - d) ** 2))
    return rows


def backward(rnn: ScalarRNN, xs: tuple[float, ...] = XS[:3], ds: tuple[float, ...] = DS[:3],
             window: int | None = None) -> tuple[list[BackwardRow], dict[str, float]]:
    """Per-step rows in time order and the summed gradient. `window` = k cuts the sequence into windows of k
    steps (1-k, k+1-2k, ...) and stops the gradient at each window's start: truncated BPTT as training does it,
    carrying h's value into the next window but not its gradient."""
    fwd = forward(rnn, xs, ds)
    rows: list[BackwardRow] = []
    total = dict.fromkeys(PARAMS, 0.0)
    dh_future = 0.0  # dL/dh_t arriving from step t+1
    for r in reversed(fwd):
        h_prev = fwd[r.t - 2].h if r.t > 1 else rnn.h0
        dL_dy = r.y - r.d
        dL_dh = dL_dy * rnn.v + dh_future
        dL_da = dL_dh * (1.0 - r.h * r.h)
        grads = {"w": dL_da * h_prev, "u": dL_da * r.x, "v": dL_dy * r.h, "b": dL_da}
        cut = window is not None and (r.t - 1) % window == 0 and r.t > 1
        rows.append(BackwardRow(r.t, dL_dy, dL_dh, dL_da, grads, cut))
        for k in PARAMS:
            total[k] += grads[k]
        dh_future = 0.0 if cut else dL_da * rnn.w
    return rows[::-1], total


def sensitivity(rnn: ScalarRNN, xs: tuple[float, ...] = XS) -> list[float]:
    """|dh_T/dh_t| for t = 1..T: the product of w*(1 - h^2) over the steps in between (1 at t = T)."""
    fwd = forward(rnn, xs, tuple(0.0 for _ in xs))
    out, factor = [], 1.0
    for r in reversed(fwd):
        out.append(abs(factor))
        factor *= rnn.w * (1.0 - r.h * r.h)
    return out[::-1]


@dataclass(frozen=True)
class Clipped:
    before: dict[str, float]
    after: dict[str, float]
    norm_before: float
    norm_after: float
    scale: float  # after = before * scale; 1 when the norm was already small enough


def clip_global_norm(grads: dict[str, float], max_norm: float) -> Clipped:
    """Scale every gradient by the same factor so the joint (L2) norm is at most max_norm."""
    if not max_norm > 0:
        raise ValueError(f"The clipping threshold must be a positive number, got {max_norm!r}.")
    norm = math.sqrt(sum(g * g for g in grads.values()))
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    after = {k: g * scale for k, g in grads.items()}
    return Clipped(dict(grads), after, norm, math.sqrt(sum(g * g for g in after.values())), scale)
