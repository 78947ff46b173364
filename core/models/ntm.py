"""A small Neural Turing Machine (Graves et al. 2014): an LSTM controller with one read and one write head on an
N x M memory matrix. Addressing = content (cosine similarity, key strength beta) -> interpolation with the previous
weighting (gate g) -> circular shift (-1, 0, +1) -> sharpening (gamma). The write head erases, then adds.

Nothing depends on N: memory starts as a constant and both heads start on slot 0, so the same weights run with
any memory size (the page lets learners shrink memory below the sequence length and watch the copy break).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

MEMORY_INIT = 1e-6  # a constant start: cosine similarity on an all-equal memory gives a flat content weighting


@dataclass
class NTMConfig:
    bits: int = 6  # width of each vector to copy
    hidden: int = 100  # controller LSTM size
    memory_width: int = 12  # M: numbers per memory slot
    memory_slots: int = 20  # N used in training (any N works at inference)
    shifts: int = 3  # allowed head moves per step: -1, 0, +1

    def __post_init__(self) -> None:
        for name in ("bits", "hidden", "memory_width", "memory_slots"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}.")
        if self.shifts not in (1, 3, 5):
            raise ValueError(f"shifts must be 1, 3 or 5, got {self.shifts!r}.")

    @property
    def input_size(self) -> int:
        return self.bits + 1  # the bits + a delimiter channel that marks the end of the input

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Trace:
    """What happened at every time step of one run (batch-first)."""

    outputs: Tensor  # (B, T, bits) probabilities
    read_weights: Tensor  # (B, T, N) where the read head looked
    write_weights: Tensor  # (B, T, N) where the write head wrote
    memory: Tensor  # (B, N, M) memory after the last step


def address(memory: Tensor, w_prev: Tensor, key: Tensor, beta: Tensor, g: Tensor, shift: Tensor,
            gamma: Tensor) -> Tensor:
    """One head's new weighting over the N slots (B, N), from memory (B, N, M) and its parameters:
    key (B, M), beta (B, 1) >= 0, g (B, 1) in [0, 1], shift (B, S) a distribution over moves, gamma (B, 1) >= 1."""
    sim = F.cosine_similarity(memory, key[:, None, :], dim=-1, eps=1e-8)  # (B, N)
    w_c = torch.softmax(beta * sim, dim=-1)  # (B, N) content addressing
    w_g = g * w_c + (1 - g) * w_prev  # (B, N) interpolate with where the head was
    half = shift.shape[1] // 2
    # circular convolution: w_s[i] = sum_j w_g[i - j] s[j], j in -half..half
    w_s = sum(shift[:, j + half, None] * torch.roll(w_g, j, dims=1) for j in range(-half, half + 1))  # (B, N)
    w = (w_s + 1e-12) ** gamma  # (B, N) sharpen
    return w / w.sum(-1, keepdim=True)


class NTM(nn.Module):
    def __init__(self, cfg: NTMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        M, S = cfg.memory_width, cfg.shifts
        self.controller = nn.LSTMCell(cfg.input_size + M, cfg.hidden)  # reads [x_t ; r_(t-1)]
        self.head_sizes = {"read": M + 1 + 1 + S + 1, "write": M + 1 + 1 + S + 1 + M + M}  # key,beta,g,s,gamma(,e,a)
        self.read_head = nn.Linear(cfg.hidden, self.head_sizes["read"])
        self.write_head = nn.Linear(cfg.hidden, self.head_sizes["write"])
        self.out = nn.Linear(cfg.hidden + M, cfg.bits)  # y_t from [h_t ; r_t]

    def _split(self, p: Tensor) -> tuple[Tensor, ...]:
        M, S = self.cfg.memory_width, self.cfg.shifts
        key, beta, g, s, gamma = torch.split(p[:, : M + 3 + S], [M, 1, 1, S, 1], dim=-1)
        return (key, F.softplus(beta), torch.sigmoid(g), torch.softmax(s, -1), 1 + F.softplus(gamma))

    def forward(self, x: Tensor, memory_slots: int | None = None) -> Trace:
        """x (B, T, bits + 1) -> Trace with per-step output probabilities and head weightings."""
        B, T, _ = x.shape
        N, M = memory_slots or self.cfg.memory_slots, self.cfg.memory_width
        memory = torch.full((B, N, M), MEMORY_INIT, device=x.device)  # (B, N, M)
        w_r = F.one_hot(torch.zeros(B, dtype=torch.long, device=x.device), N).float()  # (B, N) start at slot 0
        w_w = w_r.clone()
        r = torch.zeros(B, M, device=x.device)  # (B, M)
        h = c = torch.zeros(B, self.cfg.hidden, device=x.device)
        outs, reads, writes = [], [], []
        for x_t in x.unbind(1):
            h, c = self.controller(torch.cat([x_t, r], dim=-1), (h, c))  # (B, H)
            p_w = self.write_head(h)
            w_w = address(memory, w_w, *self._split(p_w))  # (B, N)
            erase, add = torch.split(p_w[:, -2 * M :], [M, M], dim=-1)
            erase, add = torch.sigmoid(erase), torch.tanh(add)
            memory = memory * (1 - w_w[:, :, None] * erase[:, None, :]) + w_w[:, :, None] * add[:, None, :]
            w_r = address(memory, w_r, *self._split(self.read_head(h)))  # (B, N)
            r = torch.bmm(w_r[:, None, :], memory).squeeze(1)  # (B, M) read = weighted sum of slots
            outs.append(torch.sigmoid(self.out(torch.cat([h, r], dim=-1))))
            reads.append(w_r)
            writes.append(w_w)
        return Trace(torch.stack(outs, 1), torch.stack(reads, 1), torch.stack(writes, 1), memory)


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
