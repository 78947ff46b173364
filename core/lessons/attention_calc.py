"""The attention weight calculator: one query against a few keys and values, every intermediate number kept so a
page can show the working: dot products -> optional 1/sqrt(d) scaling -> softmax -> weights -> weighted sum."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core import metrics

EXAMPLE_QUERY = [0.5, 0.3]
EXAMPLE_KEYS = [[0.4, 0.2], [0.1, 0.8], [0.6, 0.1]]
EXAMPLE_VALUES = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
LIMIT = 1e6  # larger entries are refused: exp() of their products would not say anything useful


@dataclass
class AttentionResult:
    scores: list[float]  # q . k_i, one per key
    scaled: list[float]  # scores / sqrt(d) when scaling is on, else the scores
    weights: list[float]  # softmax of the scaled scores, sum to 1
    context: list[float]  # sum_i weights_i v_i
    scale: float  # the factor the scores were multiplied by (1 or 1/sqrt(d))


def _matrix(rows: object, name: str) -> np.ndarray:
    try:
        a = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name}: every entry must be a number.") from e
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name}: expected a non-empty table of numbers.")
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: empty cells, NaN or infinity are not allowed; fill every cell with a number.")
    if np.abs(a).max() > LIMIT:
        raise ValueError(f"{name}: keep entries between -{LIMIT:g} and {LIMIT:g}.")
    return a


def softmax(x: np.ndarray) -> np.ndarray:
    """Numerically stable softmax over the last axis (subtracting the max changes nothing mathematically)."""
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def attend(query: object, keys: object, values: object | None = None, scaled: bool = True) -> AttentionResult:
    """Dot-product attention of one query (d,) over keys (n, d) and values (n, d_v); values default to the keys.
    Raises ValueError with a learner-readable message on bad input (wrong shapes, empty cells, NaN)."""
    q = _matrix(query, "query")
    if q.shape[0] != 1:
        raise ValueError("query: give a single vector.")
    k = _matrix(keys, "keys")
    v = k if values is None else _matrix(values, "values")
    if k.shape[1] != q.shape[1]:
        raise ValueError(f"keys have {k.shape[1]} numbers each but the query has {q.shape[1]}: they must match.")
    if v.shape[0] != k.shape[0]:
        raise ValueError(f"{k.shape[0]} keys but {v.shape[0]} values: every key needs one value.")
    scores = k @ q[0]  # (n,)
    scale = 1.0 / math.sqrt(q.shape[1]) if scaled else 1.0
    logits = scores * scale
    weights = softmax(logits)  # (n,)
    context = weights @ v  # (d_v,)
    return AttentionResult(scores.tolist(), logits.tolist(), weights.tolist(), context.tolist(), scale)


def entropy_bits(weights: list[float]) -> float:
    """How spread the weights are: 0 bits = all on one key, log2(n) = perfectly even."""
    return metrics.entropy_bits(weights)


def max_entropy_bits(n: int) -> float:
    """The spread of weights shared evenly over n keys: log2(n) bits, the ceiling of `entropy_bits`."""
    return math.log2(n)


def top_positions(weights: list[float], k: int = 3) -> list[int]:
    """The k positions that got the most weight, largest first (the inputs an output step mostly read)."""
    return [int(i) for i in np.argsort(np.asarray(weights))[::-1][:k]]
