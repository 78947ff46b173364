"""A tiny transformer encoder written out in full (token + learned position embeddings, pre-norm blocks of
multi-head self-attention and an MLP) that returns its attention weights, for the Module 8 transformer preview.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass
class TinyTransformerConfig:
    vocab_size: int = 64
    n_classes: int = 2
    max_len: int = 48
    d_model: int = 32
    n_heads: int = 2
    n_layers: int = 2
    d_ff: int = 64

    def to_dict(self) -> dict:
        return asdict(self)


class SelfAttention(nn.Module):
    def __init__(self, cfg: TinyTransformerConfig) -> None:
        super().__init__()
        if cfg.d_model % cfg.n_heads:
            raise ValueError(f"d_model {cfg.d_model} must be divisible by n_heads {cfg.n_heads}.")
        self.n_heads, self.d_head = cfg.n_heads, cfg.d_model // cfg.n_heads
        self.W_qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.W_o = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x: Tensor, pad: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """x (B, T, D), pad (B, T) True where padding -> (out (B, T, D), weights (B, heads, T, T))."""
        B, T, D = x.shape
        q, k, v = self.W_qkv(x).view(B, T, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4)  # 3 x (B, h, T, d)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # (B, h, T, T): every position vs every other
        if pad is not None:
            scores = scores.masked_fill(pad[:, None, None, :], float("-inf"))
        weights = scores.softmax(dim=-1)  # each row sums to 1: where position i looks
        out = (weights @ v).transpose(1, 2).reshape(B, T, D)  # (B, T, D)
        return self.W_o(out), weights


class Block(nn.Module):
    def __init__(self, cfg: TinyTransformerConfig) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(), nn.Linear(cfg.d_ff, cfg.d_model))

    def forward(self, x: Tensor, pad: Tensor | None = None) -> tuple[Tensor, Tensor]:
        a, weights = self.attn(self.ln1(x), pad)
        x = x + a
        return x + self.mlp(self.ln2(x)), weights


class TinyTransformer(nn.Module):
    """Encoder that classifies the token at one query position (e.g. a masked verb) from the whole sentence."""

    def __init__(self, cfg: TinyTransformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos = nn.Embedding(cfg.max_len, cfg.d_model)  # no recurrence, so order must be fed in explicitly
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.n_classes)

    def forward(self, x: Tensor, query: Tensor, pad: Tensor | None = None) -> tuple[Tensor, list[Tensor]]:
        """x (B, T) token ids, query (B,) position to classify -> (logits (B, C), [weights (B, h, T, T)] per layer)."""
        B, T = x.shape
        if T > self.cfg.max_len:
            raise ValueError(f"Sequence of {T} tokens is longer than the model's {self.cfg.max_len} positions.")
        h = self.tok(x) + self.pos(torch.arange(T, device=x.device))[None]  # (B, T, D)
        maps = []
        for block in self.blocks:
            h, weights = block(h, pad)
            maps.append(weights)
        h_q = self.ln_f(h)[torch.arange(B, device=x.device), query]  # (B, D)
        return self.head(h_q), maps

    def loss(self, x: Tensor, query: Tensor, y: Tensor, pad: Tensor | None = None) -> Tensor:
        logits, _ = self(x, query, pad)
        return F.cross_entropy(logits, y)
