"""Measurements behind the Module 2-3 demos: gradient flow by autograd, the telephone game, gate playground,
hidden-state traces of a trained char model. Plain torch; nothing here trains or mutates a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from core import inference
from core.models.cells import make_cell


def random_cell(kind: str, hidden: int = 32, input_size: int = 16, seed: int = 0, recurrent_scale: float = 1.0,
                forget_bias: float = 1.0) -> nn.Module:
    """A freshly initialised RNN or LSTM cell (PyTorch's default init), W_hh multiplied by `recurrent_scale`."""
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
