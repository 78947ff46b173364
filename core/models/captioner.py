"""A small image captioner in the style of "Show, Attend and Tell" (Xu et al. 2015): a CNN turns the picture into
a grid of feature vectors, an LSTM writes the caption one word at a time and, before each word, takes a soft
(additive) attention over the grid cells. `CaptionerConfig` is the boundary: recipes, checkpoints and pages speak it.

Hard attention here is an inference-time variant: the model was trained with soft attention only; in "hard" mode
each step samples one grid cell from the soft weights and reads that cell's features alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass
class CaptionerConfig:
    vocab_size: int
    image_size: int = 48
    channels: tuple[int, int, int] = (16, 32, 64)  # three stride-2 convs, each halving the picture: 48 -> 6
    hidden: int = 128  # LSTM state size
    embed: int = 32  # word embedding size
    attn_dim: int = 64
    max_len: int = 24  # greedy decoding stops here if no <eos>
    pad_id: int = 0
    sos_id: int = 1
    eos_id: int = 2

    def __post_init__(self) -> None:
        self.channels = tuple(int(c) for c in self.channels)
        if len(self.channels) != 3 or min(self.channels) < 1:
            raise ValueError(f"channels must be three positive sizes, got {self.channels!r}.")
        if self.image_size % 8:
            raise ValueError(f"image_size must be a multiple of 8, got {self.image_size}.")
        for name in ("vocab_size", "hidden", "embed", "attn_dim", "max_len"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}.")

    @property
    def grid(self) -> int:
        return self.image_size // 8

    def to_dict(self) -> dict:
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d


@dataclass
class Caption:
    """Greedy (or hard-attention) decoding of one batch."""

    tokens: Tensor  # (B, T) word ids, <eos> included where produced, <pad> after it
    attention: Tensor  # (B, T, G*G) soft weights over grid cells at each step
    probs: Tensor  # (B, T, V) the next-word distribution at each step
    cells: Tensor | None  # (B, T) the sampled cell at each step (hard mode), else None


class Encoder(nn.Module):
    """Three conv layers (stride 2, ReLU; 5x5 then 3x3) -> features a_j for each of the G x G grid cells.

    A learned embedding per cell is added, so a feature vector also says *where* it is: after attention averages
    cells together, the decoder can still tell "on the left" from "on the right"."""

    def __init__(self, cfg: CaptionerConfig) -> None:
        super().__init__()
        layers, c_in = [], 3
        for k, c_out in enumerate(cfg.channels):  # strided convs: a quarter of the cost of conv + max-pool
            size = 5 if k == 0 else 3
            layers += [nn.Conv2d(c_in, c_out, size, stride=2, padding=size // 2), nn.ReLU()]
            c_in = c_out
        self.conv = nn.Sequential(*layers)
        self.position = nn.Parameter(torch.zeros(cfg.grid * cfg.grid, c_in))
        self.out_size = c_in

    def feature_map(self, images: Tensor) -> Tensor:
        """images (B, 3, S, S) in [0, 1] -> CNN activations (B, C, G, G), before the position embedding."""
        return self.conv(images)

    def forward(self, images: Tensor) -> Tensor:
        fmap = self.feature_map(images)  # (B, C, G, G)
        return fmap.flatten(2).transpose(1, 2) + self.position  # (B, G*G, C)


class Captioner(nn.Module):
    def __init__(self, cfg: CaptionerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        D, H, E, A = self.encoder.out_size, cfg.hidden, cfg.embed, cfg.attn_dim
        self.init_h = nn.Linear(D, H)  # h_0, c_0 from the mean of the grid features
        self.init_c = nn.Linear(D, H)
        self.embedding = nn.Embedding(cfg.vocab_size, E, padding_idx=cfg.pad_id)
        self.W_h = nn.Linear(H, A, bias=False)  # e_j = v . tanh(W_h h_prev + W_a a_j)
        self.W_a = nn.Linear(D, A)
        self.v = nn.Linear(A, 1, bias=False)
        self.cell = nn.LSTMCell(E + D, H)  # input: [previous word ; context]
        self.head = nn.Linear(H + D + E, cfg.vocab_size)  # logits from [h_t ; z_t ; y_prev]

    def start(self, images: Tensor) -> tuple[Tensor, Tensor, tuple[Tensor, Tensor]]:
        """(features (B, N, D), their attention keys (B, N, A), initial LSTM state)."""
        feats = self.encoder(images)  # (B, N, D)
        mean = feats.mean(1)  # (B, D)
        return feats, self.W_a(feats), (torch.tanh(self.init_h(mean)), torch.tanh(self.init_c(mean)))

    def attend(self, h_prev: Tensor, keys: Tensor) -> Tensor:
        """Soft attention weights alpha (B, N) over grid cells; each row sums to 1."""
        e = self.v(torch.tanh(self.W_h(h_prev)[:, None, :] + keys)).squeeze(-1)  # (B, N)
        return torch.softmax(e, dim=-1)

    def step(self, y_prev: Tensor, state: tuple[Tensor, Tensor], feats: Tensor, keys: Tensor,
             hard_cells: Tensor | None = None) -> tuple[Tensor, tuple[Tensor, Tensor], Tensor]:
        """One word: (logits (B, V), new state, alpha (B, N)). With `hard_cells` (B,), the context is that one
        cell's features instead of the alpha-weighted average."""
        alpha = self.attend(state[0], keys)  # (B, N)
        if hard_cells is None:
            z = torch.bmm(alpha[:, None, :], feats).squeeze(1)  # (B, D)
        else:
            z = feats[torch.arange(feats.shape[0], device=feats.device), hard_cells]  # (B, D)
        emb = self.embedding(y_prev)  # (B, E)
        h, c = self.cell(torch.cat([emb, z], dim=-1), state)  # (B, H) each
        return self.head(torch.cat([h, z, emb], dim=-1)), (h, c), alpha

    def forward(self, images: Tensor, captions: Tensor) -> tuple[Tensor, Tensor]:
        """Teacher forcing. captions (B, T) end with <eos> and are <pad>-padded.
        Returns (logits (B, T, V), attention (B, T, N))."""
        feats, keys, state = self.start(images)
        y_prev = torch.full((images.shape[0],), self.cfg.sos_id, dtype=torch.long, device=images.device)
        logits, weights = [], []
        for y_t in captions.unbind(1):
            step_logits, state, alpha = self.step(y_prev, state, feats, keys)
            logits.append(step_logits)
            weights.append(alpha)
            y_prev = y_t
        return torch.stack(logits, 1), torch.stack(weights, 1)

    def loss(self, images: Tensor, captions: Tensor) -> Tensor:
        logits, _ = self(images, captions)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), captions.reshape(-1),
                               ignore_index=self.cfg.pad_id)

    def generate(self, images: Tensor, hard: bool = False, generator: torch.Generator | None = None,
                 max_len: int | None = None) -> Caption:
        """Greedy words. `hard=True`: at each step sample one grid cell from alpha (with `generator`) and read
        only that cell. Stops when every row has produced <eos>."""
        max_len = max_len or self.cfg.max_len
        feats, keys, state = self.start(images)
        B = images.shape[0]
        y_prev = torch.full((B,), self.cfg.sos_id, dtype=torch.long, device=images.device)
        done = torch.zeros(B, dtype=torch.bool, device=images.device)
        tokens, weights, probs, cells = [], [], [], []
        for _ in range(max_len):
            cell = None
            if hard:
                cell = torch.multinomial(self.attend(state[0], keys), 1, generator=generator).squeeze(1)  # (B,)
                cells.append(cell)
            logits, state, alpha = self.step(y_prev, state, feats, keys, cell)
            p = torch.softmax(logits, -1)  # (B, V)
            y = p.argmax(-1).masked_fill(done, self.cfg.pad_id)  # (B,)
            done |= y == self.cfg.eos_id
            tokens.append(y)
            weights.append(alpha)
            probs.append(p)
            y_prev = y
            if bool(done.all()):
                break
        return Caption(torch.stack(tokens, 1), torch.stack(weights, 1), torch.stack(probs, 1),
                       torch.stack(cells, 1) if hard else None)


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
