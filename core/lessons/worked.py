"""The Module 2 worked example and "what if?" explorer: a tiny vanilla RNN computed step by step in float64.

h_t = tanh(W_xh x_t + W_hh h_prev + b_h). Every number on the page comes from `run` or `trajectory`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

WORDS = ("cat", "sat", "here")


@dataclass
class TinyRNN:
    """Editable weights of a 2-d embedding, 2-unit RNN. Matrices are lists of rows."""

    embeddings: dict[str, list[float]] = field(default_factory=lambda: {
        "cat": [0.6, -0.1], "sat": [-0.3, 0.8], "here": [0.2, 0.4]})
    W_xh: list[list[float]] = field(default_factory=lambda: [[0.5, -0.4], [0.3, 0.9]])  # (H, E)
    W_hh: list[list[float]] = field(default_factory=lambda: [[0.2, 0.6], [-0.5, 0.1]])  # (H, H)
    b_h: list[float] = field(default_factory=lambda: [0.1, -0.2])  # (H,)


@dataclass
class Step:
    """One time step, each part of the sum kept so the page can show it."""

    t: int
    word: str
    x: list[float]  # (E,)
    h_prev: list[float]  # (H,)
    input_part: list[float]  # W_xh x_t (H,)
    memory_part: list[float]  # W_hh h_prev (H,)
    pre: list[float]  # input_part + memory_part + b_h (H,)
    h: list[float]  # tanh(pre) (H,)


def run(rnn: TinyRNN, words: list[str] | tuple[str, ...] = WORDS) -> list[Step]:
    """Run the tiny RNN over `words` from h_0 = 0 and return every step."""
    W_xh = torch.tensor(rnn.W_xh, dtype=torch.float64)  # (H, E)
    W_hh = torch.tensor(rnn.W_hh, dtype=torch.float64)  # (H, H)
    b_h = torch.tensor(rnn.b_h, dtype=torch.float64)  # (H,)
    h = torch.zeros(W_hh.shape[0], dtype=torch.float64)  # (H,)
    steps = []
    for t, word in enumerate(words, 1):
        if word not in rnn.embeddings:
            raise ValueError(f"No embedding for {word!r}; known words: {sorted(rnn.embeddings)}.")
        x = torch.tensor(rnn.embeddings[word], dtype=torch.float64)  # (E,)
        input_part, memory_part = W_xh @ x, W_hh @ h
        pre = input_part + memory_part + b_h
        h_new = torch.tanh(pre)
        steps.append(Step(t, word, x.tolist(), h.tolist(), input_part.tolist(), memory_part.tolist(),
                          pre.tolist(), h_new.tolist()))
        h = h_new
    return steps


def check_answer(step: Step, answer: list[float], tol: float = 0.01) -> list[bool]:
    """Per unit: is the learner's hand-computed h_t within `tol` of the computed one?"""
    return [abs(a - b) <= tol for a, b in zip(answer, step.h, strict=True)]


@dataclass
class Trajectory:
    h: list[list[float]]  # (T, H): h_t for t = 1..T
    saturated: list[float]  # (T,): share of units with |h| > threshold
    norm: list[float]  # (T,): ||h_t||


SCHEMES = ("identity", "zero", "random")


def recurrent_matrix(scheme: str, hidden: int, scale: float, seed: int = 0) -> torch.Tensor:
    """W_hh for the explorer: scale * I, zeros, or scale * a random matrix with spectral radius about 1."""
    if scheme == "identity":
        return scale * torch.eye(hidden, dtype=torch.float64)
    if scheme == "zero":
        return torch.zeros(hidden, hidden, dtype=torch.float64)
    if scheme == "random":
        g = torch.Generator().manual_seed(seed)
        return scale * torch.randn(hidden, hidden, generator=g, dtype=torch.float64) / hidden**0.5
    raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}.")


def trajectory(W_hh: torch.Tensor, steps: int = 30, input_steps: int = 3, input_scale: float = 1.0,
               seed: int = 0, threshold: float = 0.95) -> Trajectory:
    """h_t of a vanilla RNN driven by a random input for the first `input_steps` steps, then by silence (x = 0)."""
    hidden = W_hh.shape[0]
    g = torch.Generator().manual_seed(seed)
    xw = input_scale * torch.randn(steps, hidden, generator=g, dtype=torch.float64)  # W_xh x_t, (T, H)
    xw[input_steps:] = 0.0
    h = torch.zeros(hidden, dtype=torch.float64)
    hs = []
    for t in range(steps):
        h = torch.tanh(xw[t] + W_hh @ h)  # (H,)
        hs.append(h)
    H = torch.stack(hs)  # (T, H)
    return Trajectory(H.tolist(), (H.abs() > threshold).double().mean(1).tolist(), H.norm(dim=1).tolist())
