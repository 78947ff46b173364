"""The Module 2 speed round: quick shape and parameter-count questions about one RNN layer, generated from a
seed so every answer is computed, never typed in."""

from __future__ import annotations

import random
from dataclasses import dataclass

BADGE_SECONDS = 60.0


@dataclass(frozen=True)
class Question:
    prompt: str
    options: tuple[str, ...]
    answer: str


def _choices(rng: random.Random, answer: str, wrong: list[str]) -> tuple[str, ...]:
    opts = list(dict.fromkeys([answer, *[w for w in wrong if w != answer]]))[:4]
    rng.shuffle(opts)
    return tuple(opts)


def questions(seed: int, n: int = 5) -> list[Question]:
    """`n` questions about an RNN with random embedding size E, hidden size H and vocabulary V."""
    rng = random.Random(seed)
    out = []
    kinds = ["W_hh", "W_xh", "h_t", "params", "W_hy"]
    for k in range(n):
        E, H, V = rng.choice([8, 16, 32, 64]), rng.choice([10, 20, 50, 100, 128]), rng.choice([27, 65, 100])
        kind = kinds[k % len(kinds)]
        setup = f"Embedding size E = {E}, hidden size H = {H}, vocabulary V = {V}."
        if kind == "W_hh":
            q = Question(f"{setup} Shape of W_hh?", (), f"{H} × {H}")
            wrong = [f"{H} × {E}", f"{E} × {E}", f"{H} × {V}"]
        elif kind == "W_xh":
            q = Question(f"{setup} Shape of W_xh?", (), f"{H} × {E}")
            wrong = [f"{E} × {H}", f"{H} × {H}", f"{V} × {E}"]
        elif kind == "h_t":
            q = Question(f"{setup} How many numbers are in one hidden state h_t?", (), str(H))
            wrong = [str(E), str(V), str(H * H)]
        elif kind == "params":
            q = Question(f"{setup} Parameters in W_xh, W_hh and b_h together?", (), str(H * E + H * H + H))
            wrong = [str(H * E + H * H), str(H * H + H), str(H * E + H)]
        else:
            q = Question(f"{setup} Shape of the read-out W_hy?", (), f"{V} × {H}")
            wrong = [f"{H} × {V}", f"{V} × {E}", f"{H} × {H}"]
        out.append(Question(q.prompt, _choices(rng, q.answer, wrong), q.answer))
    return out


def result(qs: list[Question], answers: list[str | None], seconds: float) -> tuple[int, bool]:
    """(number correct, badge earned): the badge needs every answer right within BADGE_SECONDS."""
    correct = sum(a == q.answer for q, a in zip(qs, answers, strict=True))
    return correct, correct == len(qs) and seconds <= BADGE_SECONDS
