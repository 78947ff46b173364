"""Measurements behind the Module 2-3 demos: gradient flow by autograd, the telephone game, gate playground,
hidden-state traces of a trained char model, and per-unit activations and their correlation with text features
(Module 5). Plain torch + NumPy; nothing here trains or mutates a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from core.models import inference
from core.models.cells import make_cell


def random_cell(kind: str, hidden: int = 32, input_size: int = 16, seed: int = 0, recurrent_scale: float = 1.0,
                forget_bias: float = 1.0) -> nn.Module:
    """A freshly initialised RNN, LSTM or GRU cell (PyTorch's default init), W_hh multiplied by `recurrent_scale`."""
    torch.manual_seed(seed)
    cell = make_cell(kind, input_size, hidden, forget_bias=forget_bias).double()
    with torch.no_grad():
        cell.W_hh.weight.mul_(recurrent_scale)
    return cell


def random_inputs(steps: int, input_size: int, seed: int = 0) -> Tensor:
    g = torch.Generator().manual_seed(seed + 1)
    return torch.randn(steps, input_size, generator=g, dtype=torch.float64)  # (T, E)


def gradient_flow(cell: nn.Module, xs: Tensor) -> list[float]:
    """‖∂h_T/∂s_t‖_F for t = 0..T-1, where s_t is the state entering step t+1 ((h_t,) or (h_t, c_t)).

    One backward pass gives the whole Jacobian: the sequence runs as a batch of H identical copies, copy b
    back-propagates h_T[b], so its gradient is row b of the Jacobian. Item k of the result is at distance T-k.
    """
    xs = xs.to(cell.W_hh.weight.dtype)
    T, H = xs.shape[0], cell.hidden_size
    xw = cell.W_xh(xs)  # (T, G)
    state = cell.init_state(H)
    state = tuple(s.to(xs.dtype) for s in state)
    probes: list[tuple[Tensor, ...]] = []
    for t in range(T):
        eps = tuple(torch.zeros_like(s, requires_grad=True) for s in state)  # zero nudges: their grad = ∂h_T/∂s_t
        probes.append(eps)
        state = cell.recur(xw[t].expand(H, -1), tuple(s + e for s, e in zip(state, eps, strict=True)))
    h_T = state[0]  # (H copies, H)
    grads = torch.autograd.grad(h_T.diagonal().sum(), [e for eps in probes for e in eps])
    n = len(probes[0])
    return [float(torch.sqrt(sum(g.pow(2).sum() for g in grads[k * n:(k + 1) * n]))) for k in range(T)]


def influence_of_first_input(cell: nn.Module, xs: Tensor, x_alt: Tensor) -> list[float]:
    """The telephone game: ‖h_t(xs) − h_t(xs with step 1 replaced by x_alt)‖ for t = 1..T (no gradients)."""
    xs = xs.to(cell.W_hh.weight.dtype)
    other = xs.clone()
    other[0] = x_alt.to(xs.dtype)
    with torch.no_grad():
        xw = cell.W_xh(torch.stack([xs, other], 1))  # (T, 2, G)
        state = tuple(s.to(xs.dtype) for s in cell.init_state(2))
        out = []
        for t in range(xs.shape[0]):
            state = cell.recur(xw[t], state)
            out.append(float((state[0][0] - state[0][1]).norm()))
    return out


@dataclass
class GateRun:
    c: list[float]  # (T,) cell state
    h: list[float]  # (T,) hidden state
    i: list[float]  # (T,) input gate actually used at each step


def gate_playground(f: float, i: float, o: float, g: float, steps: int = 30, write_steps: int | None = None,
                    c0: float = 0.0) -> GateRun:
    """One LSTM unit with gates fixed by hand: c_t = f·c_{t-1} + i_t·g, h_t = o·tanh(c_t).
    With `write_steps`, the input gate is i for the first `write_steps` steps and closed (0) afterwards."""
    c = torch.tensor(c0, dtype=torch.float64)
    cs, hs, gates = [], [], []
    for t in range(steps):
        i_t = i if write_steps is None or t < write_steps else 0.0
        c = f * c + i_t * g
        cs.append(float(c))
        hs.append(float(o * torch.tanh(c)))
        gates.append(i_t)
    return GateRun(cs, hs, gates)


@dataclass
class HiddenTrace:
    chars: list[str]  # (T,)
    hidden: list[list[float]]  # (T, H) of the chosen layer
    cell: list[list[float]] | None  # (T, H) for an LSTM
    gates: dict[str, list[list[float]]]  # name -> (T, H)


def hidden_trace(model: nn.Module, ids: list[int], chars: list[str], layer: int = 0) -> HiddenTrace:
    """Per-character activations of one layer of a trained CharLM (run read-only under inference())."""
    device = next(model.parameters()).device
    with inference.inference():
        _, _, tr = model(torch.tensor([ids], device=device), trace=True)
    cell = tr.cell[layer][0].float().cpu().tolist() if tr.cell else None
    gates = {k: v[0].float().cpu().tolist() for k, v in tr.gates[layer].items()}
    return HiddenTrace(chars, tr.hidden[layer][0].float().cpu().tolist(), cell, gates)


def trained_cell(model: nn.Module, layer: int = 0, dtype: torch.dtype = torch.float64) -> nn.Module:
    """The layer's cell of a shared trained model, as a private CPU copy (gradients need one) in `dtype`."""
    import copy

    cell = copy.deepcopy(model.cells[layer]).cpu().to(dtype)
    for p in cell.parameters():
        p.requires_grad_(False)
    return cell


def embed_text(model: nn.Module, ids: list[int], dtype: torch.dtype = torch.float64) -> Tensor:
    """The trained embeddings of `ids`, (T, E) on the CPU."""
    with torch.no_grad():
        return model.embed.weight[torch.tensor(ids, device=model.embed.weight.device)].detach().cpu().to(dtype)


def _layer_weights(model: nn.Module, layer: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(W_ih, b_ih, W_hh, b_hh) of one layer, in torch's gate order, from a CharLM or a TorchCharLM."""
    if hasattr(model, "cells"):
        cell = model.cells[layer]
        return cell.W_xh.weight, cell.W_xh.bias, cell.W_hh.weight, cell.W_hh.bias
    rnn = model.rnn
    return tuple(getattr(rnn, f"{name}_l{layer}") for name in ("weight_ih", "bias_ih", "weight_hh", "bias_hh"))


def layer_states(model: nn.Module, idx: Tensor,
                 state: tuple | None = None) -> tuple[list[dict[str, np.ndarray]], tuple]:
    """Every layer's hidden state h (and LSTM cell state c) after each character, and the final model state.

    idx (B, T) -> per layer {"h": (B, T, H)[, "c": (B, T, H)]} as float32 NumPy. Works for CharLM and
    TorchCharLM: each layer runs through torch's fused nn.LSTM/GRU/RNN (4-10x faster than our step loop for a
    whole text); the LSTM cell states, which nn.LSTM does not return, come from the gates recomputed in one
    matmul from the shifted h and a cheap elementwise recurrence c_t = f_t c_{t-1} + i_t g_t.
    """
    kind, H = model.cfg.kind, model.cfg.hidden
    B = idx.shape[0]
    if state is None:
        state = model.init_state(B, idx.device)
    out: list[dict[str, np.ndarray]] = []
    new_state = []
    with inference.inference():
        x = model.embed(idx)  # (B, T, E)
        for layer in range(model.cfg.layers):
            W_ih, b_ih, W_hh, b_hh = _layer_weights(model, layer)
            rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind](x.shape[-1], H, batch_first=True)
            rnn = rnn.to(device=x.device, dtype=x.dtype)
            for name, w in zip(("weight_ih_l0", "bias_ih_l0", "weight_hh_l0", "bias_hh_l0"),
                               (W_ih, b_ih, W_hh, b_hh), strict=True):
                getattr(rnn, name).copy_(w)
            s = state[layer]
            h0 = s[0][None]  # (1, B, H)
            h, _ = rnn(x, (h0, s[1][None]) if kind == "lstm" else h0)  # (B, T, H)
            item = {"h": h.float().cpu().numpy()}
            if kind == "lstm":
                h_prev = torch.cat([s[0][:, None], h[:, :-1]], 1)  # (B, T, H)
                gates = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (B, T, 4H)
                i, f, g, _ = gates.chunk(4, -1)
                ig = (torch.sigmoid(i) * torch.tanh(g)).float().cpu().numpy()
                f = torch.sigmoid(f).float().cpu().numpy()
                c = np.empty_like(ig)
                c_t = s[1].float().cpu().numpy()  # (B, H)
                for t in range(ig.shape[1]):
                    c_t = f[:, t] * c_t + ig[:, t]
                    c[:, t] = c_t
                item["c"] = c
                new_state.append((h[:, -1], torch.from_numpy(c[:, -1]).to(h.device, h.dtype)))
            else:
                new_state.append((h[:, -1],))
            out.append(item)
            x = h
    return out, tuple(new_state)


def pearson_by_unit(acts: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson r between each column of acts (N, H) and feature (N,); 0 where either side is constant."""
    a = np.asarray(acts, dtype=np.float64)
    f = np.asarray(feature, dtype=np.float64)
    a = a - a.mean(0)
    f = f - f.mean()
    denom = np.sqrt((a * a).sum(0) * (f * f).sum())
    num = f @ a  # (H,)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(denom > 1e-12, num / np.where(denom > 1e-12, denom, 1.0), 0.0)
    return np.clip(r, -1.0, 1.0)


def top_units(r: np.ndarray, k: int = 5) -> list[tuple[int, float]]:
    """The k units with the largest |r|, as (unit, r), strongest first."""
    order = np.argsort(-np.abs(r), kind="stable")[:k]
    return [(int(u), float(r[u])) for u in order]
