"""The course's reference math for distributions and losses: softmax with temperature and entropy (the ONE
implementation the cheat sheets, the hello toy, the attention calculator and the client-side charts are checked
against; the torch sampler is tested against it too), and the figures derived from a loss in nats per character."""

from __future__ import annotations

import math

import numpy as np


def softmax_with_temperature(logits: np.ndarray | list[float], tau: float) -> np.ndarray:
    """p_i = exp(z_i / tau) / sum_j exp(z_j / tau) for tau > 0, computed stably (max subtracted first); -inf logits
    (impossible outcomes) get probability 0."""
    if not tau > 0 or math.isinf(tau):
        raise ValueError(f"Temperature must be a positive finite number, got {tau!r}.")
    z = np.asarray(logits, dtype=np.float64) / tau  # (V,)
    e = np.exp(z - z.max())
    return e / e.sum()


def entropy_bits(p: np.ndarray | list[float]) -> float:
    """Shannon entropy of a distribution in bits (0 * log 0 counts as 0): 0 = all on one outcome, log2(n) = even."""
    p = np.asarray(p, dtype=np.float64)
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum())



class PerCharLoss:
    """Mixin: perplexity and bits per character from `self.loss` (nats per character)."""

    loss: float

    @property
    def perplexity(self) -> float:
        return math.exp(self.loss)

    @property
    def bits_per_char(self) -> float:
        return self.loss / math.log(2)


def new_plausible_names(samples: list[str], known: set[str]) -> tuple[list[str], list[str]]:
    """(plausible, plausible and new) among sampled names, one entry per sample (repeats count).

    A sample "looks like a name" when it has 2-15 lowercase letters and every letter pair in it, counting the
    start and the end of the name as letters, occurs somewhere in `known` (so no "xq", or an ending no real name
    has). "New" means it is not in `known` either. The char-LM recipe (core.training.charlm) and Module 5's page use this."""
    pairs = {a + b for name in known for a, b in zip("^" + name, name + "$", strict=True)}
    plausible = [s for s in samples if 2 <= len(s) <= 15 and s.isalpha() and s.islower()
                 and all(a + b in pairs for a, b in zip("^" + s, s + "$", strict=True))]
    return plausible, [s for s in plausible if s not in known]
