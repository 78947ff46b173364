"""Bag of words: the order-blind representation that motivates sequence models (module 1)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def bag_of_words(text: str) -> Counter[str]:
    """Lower-cased word counts; punctuation and order are thrown away."""
    return Counter(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Comparison:
    bag_a: Counter[str]
    bag_b: Counter[str]
    same_bag: bool
    same_sequence: bool

    def table(self) -> list[dict]:
        """One row per word: its count in each text."""
        words = sorted(set(self.bag_a) | set(self.bag_b))
        return [{"word": w, "text A": self.bag_a[w], "text B": self.bag_b[w]} for w in words]


def compare(a: str, b: str) -> Comparison:
    bag_a, bag_b = bag_of_words(a), bag_of_words(b)
    same_sequence = _WORD.findall(a.lower()) == _WORD.findall(b.lower())
    return Comparison(bag_a, bag_b, bag_a == bag_b, same_sequence)
