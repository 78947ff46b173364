"""Character-level language models: embedding -> stacked recurrent cells -> linear head.

`CharLM` runs our from-primitives cells (and can return per-step traces for the visualisations);
`TorchCharLM` has the same interface on top of nn.LSTM / nn.GRU / nn.RNN, for speed comparisons.
`CharLMConfig` is the boundary: widgets, recipes and checkpoints all speak it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor, nn

from core.models.cells import State, make_cell

ModelState = tuple[State, ...]  # one cell state per layer
KINDS = ("rnn", "lstm", "gru")
BACKENDS = ("cells", "torch")


@dataclass
class CharLMConfig:
    kind: str = "lstm"  # "rnn" | "lstm" | "gru"
    vocab_size: int = 65
    hidden: int = 256
    layers: int = 2
    embed: int = 64
    dropout: float = 0.0  # between layers and before the head (training only)
    forget_bias: float = 1.0  # LSTM forget-gate bias at initialisation
    backend: str = "cells"  # "cells": from primitives; "torch": nn.LSTM/nn.GRU/nn.RNN

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}.")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}.")
        for name in ("vocab_size", "hidden", "layers", "embed"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}.")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}.")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Trace:
    """Per-step activations of one forward pass; every tensor is (B, T, H), one list item per layer."""

    hidden: list[Tensor] = field(default_factory=list)
    cell: list[Tensor] = field(default_factory=list)  # LSTM only
    gates: list[dict[str, Tensor]] = field(default_factory=list)  # i,f,g,o (LSTM) / r,z,n (GRU) / {} (RNN)


class CharLM(nn.Module):
    """Embedding -> stacked from-primitives cells (dropout between layers) -> linear head over the vocabulary."""

    def __init__(self, cfg: CharLMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed)
        sizes = [cfg.embed] + [cfg.hidden] * (cfg.layers - 1)
        self.cells = nn.ModuleList(make_cell(cfg.kind, n_in, cfg.hidden, cfg.forget_bias) for n_in in sizes)
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden, cfg.vocab_size)

    def init_state(self, batch: int, device: torch.device | str | None = None) -> ModelState:
        device = device or self.head.weight.device
        return tuple(cell.init_state(batch, device) for cell in self.cells)

    def forward(
        self, idx: Tensor, state: ModelState | None = None, trace: bool = False
    ) -> tuple[Tensor, ModelState, Trace | None]:
        """idx (B, T) of char ids -> logits (B, T, V), the state after the last step, and a Trace if asked."""
        B, T = idx.shape
        if state is None:
            state = self.init_state(B, idx.device)
        tr = Trace() if trace else None
        x = self.embed(idx)  # (B, T, E)
        new_state = []
        for layer, cell in enumerate(self.cells):
            if layer > 0:
                x = self.drop(x)
            xw = cell.W_xh(x)  # (B, T, G): the input projection of every step in one matmul
            s = state[layer]
            hs: list[Tensor] = []
            if tr is None:
                for xw_t in xw.unbind(1):
                    s = cell.recur(xw_t, s)
                    hs.append(s[0])  # (B, H)
            else:
                cs: list[Tensor] = []
                gs: dict[str, list[Tensor]] = {name: [] for name in cell.gate_names}
                for xw_t in xw.unbind(1):
                    s, gates = cell.recur_with_gates(xw_t, s)
                    hs.append(s[0])
                    if len(s) > 1:
                        cs.append(s[1])
                    for name, value in gates.items():
                        gs[name].append(value)
                tr.hidden.append(torch.stack(hs, 1))
                if cs:
                    tr.cell.append(torch.stack(cs, 1))
                tr.gates.append({name: torch.stack(v, 1) for name, v in gs.items()})
            x = torch.stack(hs, 1)  # (B, T, H)
            new_state.append(s)
        logits = self.head(self.drop(x))  # (B, T, V)
        return logits, tuple(new_state), tr

    def step(self, idx_t: Tensor, state: ModelState) -> tuple[Tensor, ModelState]:
        """One character per sequence: idx_t (B,) -> logits (B, V) and the next state."""
        x = self.embed(idx_t)  # (B, E)
        new_state = []
        for cell, s in zip(self.cells, state, strict=True):
            s = cell(x, s)
            x = s[0]  # (B, H)
            new_state.append(s)
        return self.head(x), tuple(new_state)


class TorchCharLM(nn.Module):
    """The same model on torch's fused recurrent layers (oneDNN on CPU, cuDNN on GPU)."""

    def __init__(self, cfg: CharLMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed)
        rnn_cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cfg.kind]
        dropout = cfg.dropout if cfg.layers > 1 else 0.0
        self.rnn = rnn_cls(cfg.embed, cfg.hidden, cfg.layers, batch_first=True, dropout=dropout)
        if cfg.kind == "lstm":
            H = cfg.hidden
            with torch.no_grad():
                for layer in range(cfg.layers):
                    getattr(self.rnn, f"bias_ih_l{layer}")[H : 2 * H].fill_(cfg.forget_bias)
                    getattr(self.rnn, f"bias_hh_l{layer}")[H : 2 * H].zero_()
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden, cfg.vocab_size)

    def init_state(self, batch: int, device: torch.device | str | None = None) -> ModelState:
        device = device or self.head.weight.device
        n = 2 if self.cfg.kind == "lstm" else 1
        return tuple(
            tuple(torch.zeros(batch, self.cfg.hidden, device=device) for _ in range(n))
            for _ in range(self.cfg.layers)
        )

    def forward(
        self, idx: Tensor, state: ModelState | None = None, trace: bool = False
    ) -> tuple[Tensor, ModelState, Trace | None]:
        if trace:
            raise ValueError("Traces need the from-primitives model (backend='cells'); nn.LSTM hides its gates.")
        if state is None:
            state = self.init_state(idx.shape[0], idx.device)
        packed = tuple(torch.stack(part) for part in zip(*state, strict=True))  # each (L, B, H)
        out, new = self.rnn(self.embed(idx), packed if len(packed) == 2 else packed[0])
        new = new if isinstance(new, tuple) else (new,)
        new_state = tuple(tuple(part[layer] for part in new) for layer in range(self.cfg.layers))
        return self.head(self.drop(out)), new_state, None

    def step(self, idx_t: Tensor, state: ModelState) -> tuple[Tensor, ModelState]:
        logits, new_state, _ = self(idx_t[:, None], state)
        return logits[:, 0], new_state

    def stepper(self):
        return self.step


def _paired(cells: CharLM, fused: TorchCharLM) -> list[tuple[Tensor, Tensor]]:
    """(from-primitives tensor, nn.RNN/LSTM/GRU tensor) for every weight: both use torch's gate order."""
    pairs = [(cells.embed.weight, fused.embed.weight), (cells.head.weight, fused.head.weight),
             (cells.head.bias, fused.head.bias)]
    for layer, cell in enumerate(cells.cells):
        pairs += [(cell.W_xh.weight, getattr(fused.rnn, f"weight_ih_l{layer}")),
                  (cell.W_xh.bias, getattr(fused.rnn, f"bias_ih_l{layer}")),
                  (cell.W_hh.weight, getattr(fused.rnn, f"weight_hh_l{layer}")),
                  (cell.W_hh.bias, getattr(fused.rnn, f"bias_hh_l{layer}"))]
    return pairs


def torch_twin(model: CharLM) -> TorchCharLM:
    """The nn.RNN/LSTM/GRU-backed model with `model`'s weights copied in."""
    twin = TorchCharLM(CharLMConfig(**{**model.cfg.to_dict(), "backend": "torch"}))
    with torch.no_grad():
        for ours, theirs in _paired(model, twin):
            theirs.copy_(ours)
    return twin


def cells_twin(model: CharLM | TorchCharLM) -> CharLM:
    """Our from-primitives CharLM with a TorchCharLM's weights (so traces work on it); a CharLM as it is."""
    if isinstance(model, CharLM):
        return model
    cells = CharLM(CharLMConfig(**{**model.cfg.to_dict(), "backend": "cells"}))
    with torch.no_grad():
        for ours, theirs in _paired(cells, model):
            ours.copy_(theirs)
    return cells.eval()


def build(cfg: CharLMConfig) -> CharLM | TorchCharLM:
    """The model a config describes, freshly initialised."""
    return CharLM(cfg) if cfg.backend == "cells" else TorchCharLM(cfg)


def num_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
