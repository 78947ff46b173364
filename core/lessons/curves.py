"""Smoothing for the training-loss charts of Module 9: the trailing mean each chart draws next to the raw loss."""

from __future__ import annotations

import math
from collections.abc import Sequence


def trailing_mean(values: Sequence[float | None], window: int) -> list[float]:
    """Mean of each value and the up to `window - 1` before it; missing entries (NaN, or None as JSON's null) are
    skipped, and a window with none left is NaN.

    One pass with running sums (a live chart redraws this every few steps); infinities are counted apart, so a
    window holding +inf averages to +inf and one that has moved past it is finite again.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    out: list[float] = []
    total, count, pos_inf, neg_inf = 0.0, 0, 0, 0

    def add(v: float | None, sign: int) -> None:
        nonlocal total, count, pos_inf, neg_inf
        if v is None or math.isnan(v):
            return
        count += sign
        if v == math.inf:
            pos_inf += sign
        elif v == -math.inf:
            neg_inf += sign
        else:
            total += sign * v

    for i, v in enumerate(values):
        add(v, 1)
        if i >= window:
            add(values[i - window], -1)
        if count == 0 or (pos_inf and neg_inf):
            out.append(math.nan)
        elif pos_inf or neg_inf:
            out.append(math.inf if pos_inf else -math.inf)
        else:
            out.append(total / count)
    return out
