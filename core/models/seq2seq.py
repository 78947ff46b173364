"""GRU encoder-decoder, with a fixed context vector (Cho et al. 2014) or with attention: additive (Bahdanau et al.
2015) or dot-product (Luong et al. 2015). Teacher forcing for training, greedy decoding that returns the attention
weights of every output step. `Seq2SeqConfig` is the boundary: recipes, checkpoints and pages all speak it.

The encoder is torch's fused nn.GRU (bidirectional, 300-step inputs: a Python step loop would be ~10x slower on our
CPU); the decoder runs our from-primitives GRUCell one step at a time, because attention happens between steps.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from core.models.cells import GRUCell

ATTENTIONS = ("none", "additive", "dot")


@dataclass
class Seq2SeqConfig:
    src_vocab_size: int
    tgt_vocab_size: int
    attention: str = "additive"  # "none": fixed context vector | "additive": Bahdanau | "dot": Luong (scaled)
    hidden: int = 128  # encoder (per direction) and decoder hidden size
    embed: int = 32
    attn_dim: int = 128  # additive attention's inner size
    coverage: bool = False  # additive only: the score also sees how much each position was attended so far
    bidirectional: bool = True
    max_out: int = 60  # greedy decoding stops here if no <eos>
    pad_id: int = 0
    sos_id: int = 1
    eos_id: int = 2

    def __post_init__(self) -> None:
        if self.attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {self.attention!r}.")
        for name in ("src_vocab_size", "tgt_vocab_size", "hidden", "embed", "attn_dim", "max_out"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}.")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Decoded:
    """Greedy decoding of a batch."""

    tokens: Tensor  # (B, T) output ids, <eos> included where it was produced, <pad> after it
    attention: Tensor | None  # (B, T, S) weights over source positions per output step; None without attention
    lengths: Tensor  # (B,) output tokens before <eos> (T where none was produced)


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each row of x (B, S, ...) within its own length; padding stays where it is. Its own inverse."""
    B, S = x.shape[:2]
    t = torch.arange(S, device=x.device)[None, :].expand(B, S)  # (B, S)
    src = lengths.to(x.device)[:, None] - 1 - t
    src = torch.where(src >= 0, src, t)
    return x.gather(1, src.view(B, S, *([1] * (x.dim() - 2))).expand_as(x))


class Encoder(nn.Module):
    """Two GRUs read the input left-to-right and right-to-left; h_j = [forward h_j ; backward h_j].

    Not torch's packed sequences: their backward pass was 10x slower on our CPU. Padding sits at the end, the
    right-to-left GRU reads each input reversed within its own length, and attention masks the padding."""

    def __init__(self, cfg: Seq2SeqConfig) -> None:
        super().__init__()
        self.embedding = nn.Embedding(cfg.src_vocab_size, cfg.embed, padding_idx=cfg.pad_id)
        self.fwd = nn.GRU(cfg.embed, cfg.hidden, batch_first=True)
        self.bwd = nn.GRU(cfg.embed, cfg.hidden, batch_first=True) if cfg.bidirectional else None
        self.out_size = cfg.hidden * (2 if cfg.bidirectional else 1)

    def forward(self, src: Tensor, src_len: Tensor) -> tuple[Tensor, Tensor]:
        """src (B, S), src_len (B,) -> (annotations h_j (B, S, D), summary (B, D)); D = hidden x directions."""
        lengths = src_len.clamp(min=1).to(src.device)
        x = self.embedding(src)  # (B, S, E)
        h_fwd, _ = self.fwd(x)  # (B, S, H)
        last = h_fwd.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, h_fwd.shape[-1])).squeeze(1)  # (B, H)
        if self.bwd is None:
            return h_fwd, last
        h_bwd_rev, _ = self.bwd(reverse_padded(x, lengths))  # (B, S, H), reversed order
        first = h_bwd_rev.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, h_fwd.shape[-1])).squeeze(1)
        annotations = torch.cat([h_fwd, reverse_padded(h_bwd_rev, lengths)], dim=-1)  # (B, S, 2H)
        return annotations, torch.cat([last, first], dim=-1)  # summary: both directions' final states (B, 2H)


class AdditiveAttention(nn.Module):
    """e_j = v . tanh(W_s s_prev + W_h h_j [+ w_c cov_j]), alpha = softmax(e) over real (unpadded) positions.

    With coverage (Tu et al. 2016), cov_j = the attention position j received at earlier output steps: the score
    can then prefer what has not been read yet, which stops the decoder repeating one date of a memo."""

    def __init__(self, query_size: int, key_size: int, attn_dim: int, coverage: bool = False) -> None:
        super().__init__()
        self.W_s = nn.Linear(query_size, attn_dim, bias=False)
        self.W_h = nn.Linear(key_size, attn_dim)
        self.v = nn.Linear(attn_dim, 1, bias=False)
        self.w_c = nn.Linear(1, attn_dim, bias=False) if coverage else None

    def keys(self, annotations: Tensor) -> Tensor:
        return self.W_h(annotations)  # (B, S, A): computed once per input, reused at every output step

    def scores(self, s_prev: Tensor, keys: Tensor, cov: Tensor | None = None) -> Tensor:
        pre = self.W_s(s_prev)[:, None, :] + keys  # (B, S, A)
        if self.w_c is not None and cov is not None:
            pre = pre + self.w_c(cov[..., None])  # (B, S, A)
        return self.v(torch.tanh(pre)).squeeze(-1)  # (B, S)


class DotAttention(nn.Module):
    """e_j = (W_q s_prev) . h_j / sqrt(D): Luong's multiplicative score, scaled like a transformer's."""

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__()
        self.W_q = nn.Linear(query_size, key_size, bias=False)
        self.scale = 1.0 / math.sqrt(key_size)

    def keys(self, annotations: Tensor) -> Tensor:
        return annotations

    def scores(self, s_prev: Tensor, keys: Tensor, cov: Tensor | None = None) -> Tensor:
        return torch.einsum("bd,bsd->bs", self.W_q(s_prev), keys) * self.scale  # (B, S)


class Seq2Seq(nn.Module):
    def __init__(self, cfg: Seq2SeqConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        D, H, E = self.encoder.out_size, cfg.hidden, cfg.embed
        self.bridge = nn.Linear(D, H)  # s_0 = tanh(W summary)
        self.tgt_embedding = nn.Embedding(cfg.tgt_vocab_size, E, padding_idx=cfg.pad_id)
        self.cell = GRUCell(E + D, H)  # input: [previous output char ; context]
        self.attn: nn.Module | None = None
        if cfg.attention == "additive":
            self.attn = AdditiveAttention(H, D, cfg.attn_dim, cfg.coverage)
        elif cfg.attention == "dot":
            self.attn = DotAttention(H, D)
        self.head = nn.Linear(H + D + E, cfg.tgt_vocab_size)  # logits from [s_t ; c_t ; y_prev]

    def _context(self, s_prev: Tensor, annotations: Tensor, keys: Tensor | None, mask: Tensor,
                 summary: Tensor, cov: Tensor) -> tuple[Tensor, Tensor | None]:
        """(context (B, D), weights (B, S) or None). Without attention the context is the same summary at every
        step: the whole input must squeeze through that one vector (the bottleneck)."""
        if self.attn is None:
            return summary, None
        e = self.attn.scores(s_prev, keys, cov).masked_fill(~mask, float("-inf"))  # (B, S)
        alpha = torch.softmax(e, dim=-1)  # (B, S), sums to 1 over real positions
        return torch.bmm(alpha[:, None, :], annotations).squeeze(1), alpha  # (B, D)

    def _start(self, src: Tensor, src_len: Tensor):
        annotations, summary = self.encoder(src, src_len)  # (B, S, D), (B, D)
        mask = torch.arange(src.shape[1], device=src.device)[None, :] < src_len.clamp(min=1).to(src.device)[:, None]
        keys = self.attn.keys(annotations) if self.attn is not None else None
        s = torch.tanh(self.bridge(summary))  # (B, H)
        return annotations, summary, mask, keys, s

    def _step(self, y_prev: Tensor, s: Tensor, enc, cov: Tensor) -> tuple[Tensor, Tensor, Tensor | None, Tensor]:
        """One output step: (logits (B, V), new state (B, H), weights (B, S) or None, coverage (B, S))."""
        annotations, summary, mask, keys = enc
        emb = self.tgt_embedding(y_prev)  # (B, E)
        c, alpha = self._context(s, annotations, keys, mask, summary, cov)
        (s,) = self.cell(torch.cat([emb, c], dim=-1), (s,))  # (B, H)
        logits = self.head(torch.cat([s, c, emb], dim=-1))  # (B, V)
        return logits, s, alpha, cov if alpha is None else cov + alpha

    def forward(self, src: Tensor, src_len: Tensor, tgt: Tensor) -> tuple[Tensor, Tensor | None]:
        """Teacher forcing: the decoder reads the true previous character. tgt (B, T) ends with <eos>.
        Returns (logits (B, T, V), attention (B, T, S) or None)."""
        annotations, summary, mask, keys, s = self._start(src, src_len)
        enc = (annotations, summary, mask, keys)
        y_prev = torch.full((src.shape[0],), self.cfg.sos_id, dtype=torch.long, device=src.device)
        cov = torch.zeros(src.shape, device=src.device)  # (B, S)
        logits, weights = [], []
        for y_t in tgt.unbind(1):
            step_logits, s, alpha, cov = self._step(y_prev, s, enc, cov)
            logits.append(step_logits)
            weights.append(alpha)
            y_prev = y_t
        attention = torch.stack(weights, dim=1) if self.attn is not None else None
        return torch.stack(logits, dim=1), attention

    def loss(self, src: Tensor, src_len: Tensor, tgt: Tensor) -> Tensor:
        logits, _ = self(src, src_len, tgt)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1), ignore_index=self.cfg.pad_id)

    def greedy(self, src: Tensor, src_len: Tensor, max_out: int | None = None) -> Decoded:
        """Decode by feeding back the most likely character until every row has produced <eos>."""
        max_out = max_out or self.cfg.max_out
        annotations, summary, mask, keys, s = self._start(src, src_len)
        enc = (annotations, summary, mask, keys)
        B = src.shape[0]
        y_prev = torch.full((B,), self.cfg.sos_id, dtype=torch.long, device=src.device)
        done = torch.zeros(B, dtype=torch.bool, device=src.device)
        lengths = torch.full((B,), max_out, dtype=torch.long, device=src.device)
        cov = torch.zeros(src.shape, device=src.device)  # (B, S)
        tokens, weights = [], []
        for t in range(max_out):
            logits, s, alpha, cov = self._step(y_prev, s, enc, cov)
            y = logits.argmax(-1)  # (B,)
            y = y.masked_fill(done, self.cfg.pad_id)
            newly = (y == self.cfg.eos_id) & ~done
            lengths[newly] = t
            done |= newly
            tokens.append(y)
            if alpha is not None:
                weights.append(alpha)
            y_prev = y
            if bool(done.all()):
                break
        attention = torch.stack(weights, dim=1) if weights else None
        return Decoded(torch.stack(tokens, dim=1), attention, lengths)


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
