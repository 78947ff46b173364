"""Figures derived from a loss in nats per character, for records that carry one (`.loss`)."""

from __future__ import annotations

import math


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
