"""Module 4's guess-the-next-character game: the rounds (famous lines cut at a seeded position) and how a round is
scored for the learner and for the model."""

from __future__ import annotations

import random
from dataclasses import dataclass

LINES = ("But, soft! what light through yonder window breaks?", "A horse! a horse! my kingdom for a horse!",
         "Shall I compare thee to a summer's day?", "The quality of mercy is not strain'd",
         "Good night, good night! parting is such sweet sorrow", "Now is the winter of our discontent")
MIN_PREFIX = 6  # characters shown before the first possible cut, so there is something to go on


def cut_line(lines: tuple[str, ...], seed: int, min_prefix: int) -> tuple[str, str]:
    """(prefix, the character after it): one of `lines` cut at a position drawn from `seed` (at least `min_prefix`
    characters shown), the same for every learner. Module 2's and Module 4's guessing games both use it."""
    rng = random.Random(seed)
    line = lines[rng.randrange(len(lines))]
    cut = rng.randrange(min_prefix, len(line))
    return line[:cut], line[cut]


def game_round(round_no: int) -> tuple[str, str]:
    """(prefix, answer) of a Module 4 round."""
    return cut_line(LINES, 1000 + round_no, MIN_PREFIX)


@dataclass(frozen=True)
class Score:
    you: bool  # the learner's guess is the answer
    model: bool  # the model's most likely character is the answer
    top3: bool  # the answer is among the model's three most likely


def score(guess: str, answer: str, ranked: list[tuple[str, float]]) -> Score:
    """Score one round; `ranked` is the model's distribution as (character, probability), most likely first."""
    top = [ch for ch, _ in ranked[:3]]
    return Score(you=guess == answer, model=bool(top) and top[0] == answer, top3=answer in top)


def answer_probability(answer: str, ranked: list[tuple[str, float]]) -> float:
    """The probability the model gave the answer (0 when it is not in the model's alphabet)."""
    return dict(ranked).get(answer, 0.0)
