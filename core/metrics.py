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
