"""Recurrent cells built from nn.Linear + tanh/sigmoid: vanilla (Elman) RNN, LSTM and GRU.

One contract for all three: `cell(x_t, state) -> state`, where state is a tuple, `(h,)` or `(h, c)`.
Inside, `cell(x_t, state) == cell.recur(cell.W_xh(x_t), state)`: a model can project a whole sequence through
W_xh in one matmul and then only recur step by step. `recur_with_gates` also returns the gate activations.
Weights are laid out like torch.nn.RNNCell / LSTMCell / GRUCell, so tests can copy them across.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

State = tuple[Tensor, ...]


class RNNCell(nn.Module):
    """h_t = tanh(W_xh x_t + W_hh h_prev)."""

    kind = "rnn"
    gate_names: tuple[str, ...] = ()

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.W_xh = nn.Linear(input_size, hidden_size)
        self.W_hh = nn.Linear(hidden_size, hidden_size)

    def init_state(self, batch: int, device: torch.device | str | None = None) -> State:
        return (torch.zeros(batch, self.hidden_size, device=device),)

    def forward(self, x_t: Tensor, state: State) -> State:
        return self.recur(self.W_xh(x_t), state)

    def recur(self, xw_t: Tensor, state: State) -> State:
        (h_prev,) = state
        h = torch.tanh(xw_t + self.W_hh(h_prev))  # (B, H)
        return (h,)

    def recur_with_gates(self, xw_t: Tensor, state: State) -> tuple[State, dict[str, Tensor]]:
        return self.recur(xw_t, state), {}


class LSTMCell(nn.Module):
    """Gates i, f, g, o from one fused matmul; c_t = f*c_prev + i*g, h_t = o*tanh(c_t)."""

    kind = "lstm"
    gate_names = ("i", "f", "g", "o")

    def __init__(self, input_size: int, hidden_size: int, forget_bias: float = 1.0) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.W_xh = nn.Linear(input_size, 4 * hidden_size)  # rows: i | f | g | o
        self.W_hh = nn.Linear(hidden_size, 4 * hidden_size)
        with torch.no_grad():  # start with the forget gate open, so the cell state (and its gradient) flows
            H = hidden_size
            self.W_xh.bias[H : 2 * H].fill_(forget_bias)
            self.W_hh.bias[H : 2 * H].zero_()

    def init_state(self, batch: int, device: torch.device | str | None = None) -> State:
        z = torch.zeros(batch, self.hidden_size, device=device)
        return (z, z.clone())

    def forward(self, x_t: Tensor, state: State) -> State:
        return self.recur(self.W_xh(x_t), state)

    def recur(self, xw_t: Tensor, state: State) -> State:
        h_prev, c_prev = state
        gates = xw_t + self.W_hh(h_prev)  # (B, 4H)
        i, f, g, o = gates.chunk(4, dim=1)  # each (B, H)
        c = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)  # (B, H)
        h = torch.sigmoid(o) * torch.tanh(c)  # (B, H)
        return (h, c)

    def recur_with_gates(self, xw_t: Tensor, state: State) -> tuple[State, dict[str, Tensor]]:
        h_prev, c_prev = state
        gates = xw_t + self.W_hh(h_prev)  # (B, 4H)
        i, f, g, o = gates.chunk(4, dim=1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)  # (B, H)
        c = f * c_prev + i * g
        h = o * torch.tanh(c)
        return (h, c), {"i": i, "f": f, "g": g, "o": o}


class GRUCell(nn.Module):
    """r, z gates; candidate n = tanh(W_xn x + r * (W_hn h_prev)); h_t = (1-z)*n + z*h_prev."""

    kind = "gru"
    gate_names = ("r", "z", "n")

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.W_xh = nn.Linear(input_size, 3 * hidden_size)  # rows: r | z | n
        self.W_hh = nn.Linear(hidden_size, 3 * hidden_size)

    def init_state(self, batch: int, device: torch.device | str | None = None) -> State:
        return (torch.zeros(batch, self.hidden_size, device=device),)

    def forward(self, x_t: Tensor, state: State) -> State:
        return self.recur(self.W_xh(x_t), state)

    def recur(self, xw_t: Tensor, state: State) -> State:
        return self.recur_with_gates(xw_t, state)[0]

    def recur_with_gates(self, xw_t: Tensor, state: State) -> tuple[State, dict[str, Tensor]]:
        (h_prev,) = state
        x_r, x_z, x_n = xw_t.chunk(3, dim=1)  # each (B, H)
        h_r, h_z, h_n = self.W_hh(h_prev).chunk(3, dim=1)
        r = torch.sigmoid(x_r + h_r)  # reset gate (B, H)
        z = torch.sigmoid(x_z + h_z)  # update gate (B, H)
        n = torch.tanh(x_n + r * h_n)  # candidate (B, H)
        h = n + z * (h_prev - n)  # = (1 - z) * n + z * h_prev
        return (h,), {"r": r, "z": z, "n": n}


CELLS: dict[str, type[nn.Module]] = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}


def make_cell(kind: str, input_size: int, hidden_size: int, forget_bias: float = 1.0) -> nn.Module:
    if kind not in CELLS:
        raise ValueError(f"Unknown cell kind {kind!r}; choose one of {sorted(CELLS)}.")
    if kind == "lstm":
        return LSTMCell(input_size, hidden_size, forget_bias=forget_bias)
    return CELLS[kind](input_size, hidden_size)
