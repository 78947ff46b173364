"""A sequence classifier for the long-range recall task: embedding -> one recurrent cell (rnn/lstm/gru, from
core.models.cells) -> the last state, optionally plus dot-product attention over every state -> class logits.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from core.models.cells import make_cell


@dataclass
class RecallConfig:
    kind: str = "gru"  # "rnn" | "lstm" | "gru"
    attention: bool = False  # the last state queries all states (the cue is one look away at any distance)
    vocab_size: int = 33
    n_classes: int = 4
    hidden: int = 64
    embed: int = 16

    def to_dict(self) -> dict:
        return asdict(self)


class RecallNet(nn.Module):
    def __init__(self, cfg: RecallConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.embed)
        self.cell = make_cell(cfg.kind, cfg.embed, cfg.hidden)
        self.W_q = nn.Linear(cfg.hidden, cfg.hidden, bias=False) if cfg.attention else None
        self.head = nn.Linear(cfg.hidden * (2 if cfg.attention else 1), cfg.n_classes)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """x (B, T) -> (logits (B, C), attention weights (B, T) or None)."""
        xw = self.cell.W_xh(self.embedding(x))  # (B, T, G): the input projection for all steps in one matmul
        state = self.cell.init_state(x.shape[0], x.device)
        hs = []
        for xw_t in xw.unbind(1):
            state = self.cell.recur(xw_t, state)
            hs.append(state[0])
        h_last = state[0]  # (B, H)
        if self.W_q is None:
            return self.head(h_last), None
        H = torch.stack(hs, dim=1)  # (B, T, H)
        scores = torch.einsum("bh,bth->bt", self.W_q(h_last), H) / math.sqrt(self.cfg.hidden)
        alpha = torch.softmax(scores, dim=-1)  # (B, T)
        context = torch.bmm(alpha[:, None, :], H).squeeze(1)  # (B, H)
        return self.head(torch.cat([h_last, context], dim=-1)), alpha
