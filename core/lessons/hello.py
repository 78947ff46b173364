"""The 'hello' example of Module 4: a 4-letter vocabulary (h, e, l, o), a tiny vanilla RNN trained in well under
a second, and every per-step number the page shows (one-hot input, logits, softmax, loss). Also the loss,
perplexity and bits-per-character conversions and temperature reshaping used by the calculators.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core import metrics

VOCAB = ("h", "e", "l", "o")
WORD = "hello"


@dataclass
class HelloConfig:
    hidden: int = 3
    steps: int = 100
    lr: float = 0.1
    seed: int = 0


@dataclass
class StepView:
    """What the RNN does at one time step: reads `char`, should predict `target`."""

    t: int
    char: str
    target: str
    one_hot: list[float]  # (V,)
    logits: list[float]  # (V,)
    probs: list[float]  # softmax(logits) (V,)
    loss: float  # -ln probs[target], nats


class HelloRNN(torch.nn.Module):
    """h_t = tanh(W_xh x_t + W_hh h_prev + b_h);  y_t = W_hy h_t + b_y."""

    def __init__(self, hidden: int, vocab: int = len(VOCAB)) -> None:
        super().__init__()
        self.W_xh = torch.nn.Parameter(torch.randn(hidden, vocab) * 0.5)  # (H, V)
        self.W_hh = torch.nn.Parameter(torch.randn(hidden, hidden) * 0.5)  # (H, H)
        self.b_h = torch.nn.Parameter(torch.zeros(hidden))  # (H,)
        self.W_hy = torch.nn.Parameter(torch.randn(vocab, hidden) * 0.5)  # (V, H)
        self.b_y = torch.nn.Parameter(torch.zeros(vocab))  # (V,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (T, V) one-hot rows -> logits (T, V)."""
        h_prev = torch.zeros(self.W_hh.shape[0])  # (H,)
        out = []
        for x_t in x:
            h_prev = torch.tanh(self.W_xh @ x_t + self.W_hh @ h_prev + self.b_h)  # (H,)
            out.append(self.W_hy @ h_prev + self.b_y)  # (V,)
        return torch.stack(out)


def one_hot(text: str) -> torch.Tensor:
    """(T, V) one-hot rows for characters of VOCAB."""
    return torch.eye(len(VOCAB))[[VOCAB.index(ch) for ch in text]]


def build(cfg: HelloConfig) -> HelloRNN:
    torch.manual_seed(cfg.seed)
    return HelloRNN(cfg.hidden)


def views(model: HelloRNN, word: str = WORD) -> list[StepView]:
    """Per-step input, logits, softmax and loss for inputs word[:-1] and targets word[1:]."""
    x = one_hot(word[:-1])
    with torch.no_grad():
        logits = model(x).double()  # (T, V)
    probs = torch.softmax(logits, dim=-1)
    out = []
    for t, (ch, tgt) in enumerate(zip(word[:-1], word[1:], strict=True)):
        p = probs[t]
        out.append(StepView(t + 1, ch, tgt, x[t].tolist(), logits[t].tolist(), p.tolist(),
                            -math.log(float(p[VOCAB.index(tgt)]))))
    return out


def mean_loss(steps: list[StepView]) -> float:
    return sum(s.loss for s in steps) / len(steps)


def train(cfg: HelloConfig, word: str = WORD) -> tuple[HelloRNN, HelloRNN, list[float]]:
    """(untrained copy, trained model, loss per step). Seeded: the same config gives the same numbers."""
    model = build(cfg)
    before = build(cfg)
    x = one_hot(word[:-1])
    y = torch.tensor([VOCAB.index(ch) for ch in word[1:]])
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    losses = []
    for _ in range(cfg.steps):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return before, model, losses


def cross_entropy(p_true: float) -> float:
    """Loss in nats when the model gave probability p_true to the character that came next."""
    if not 0 < p_true <= 1:
        raise ValueError(f"Probability must be in (0, 1], got {p_true!r}.")
    return -math.log(p_true)


def perplexity(nats: float) -> float:
    """exp(average loss): the number of equally likely choices the model is 'torn between'."""
    return math.exp(nats)


def bits(nats: float) -> float:
    return nats / math.log(2)


def nats_from_perplexity(ppl: float) -> float:
    if ppl < 1:
        raise ValueError(f"Perplexity is at least 1, got {ppl!r}.")
    return math.log(ppl)


def with_temperature(probs: list[float], tau: float) -> list[float]:
    """Reshape a distribution as softmax(log p / tau) would: tau < 1 sharpens, tau > 1 flattens."""
    if tau <= 0:
        raise ValueError(f"Temperature must be positive, got {tau!r}.")
    with np.errstate(divide="ignore"):  # log 0 = -inf: an impossible character stays impossible
        logs = np.log(np.asarray(probs, dtype=np.float64))
    return metrics.softmax_with_temperature(logs, tau).tolist()
