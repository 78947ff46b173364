"""Our cells against torch.nn.RNNCell / LSTMCell / GRUCell with copied weights: values and gradients."""

import pytest
import torch
from torch import nn

from core.models.cells import GRUCell, LSTMCell, RNNCell

B, I, H = 3, 5, 7  # noqa: E741 - batch, input, hidden as in the equations


def _copy_weights(ours: nn.Module, ref: nn.Module) -> None:
    with torch.no_grad():
        ours.W_xh.weight.copy_(ref.weight_ih)
        ours.W_xh.bias.copy_(ref.bias_ih)
        ours.W_hh.weight.copy_(ref.weight_hh)
        ours.W_hh.bias.copy_(ref.bias_hh)


def _check_against(ours: nn.Module, ref: nn.Module, lstm: bool) -> None:
    torch.manual_seed(0)
    _copy_weights(ours, ref)
    x = torch.randn(B, I)
    h0 = torch.randn(B, H)
    c0 = torch.randn(B, H)
    # Run three steps so gradients flow through the recurrence too.
    state = (h0, c0) if lstm else (h0,)
    ref_state = (h0, c0) if lstm else h0
    for _ in range(3):
        state = ours(x, state)
        ref_state = ref(x, ref_state)
    ref_tuple = ref_state if lstm else (ref_state,)
    for a, b in zip(state, ref_tuple, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    sum(s.pow(2).sum() for s in state).backward()
    sum(s.pow(2).sum() for s in ref_tuple).backward()
    pairs = [
        (ours.W_xh.weight, ref.weight_ih),
        (ours.W_xh.bias, ref.bias_ih),
        (ours.W_hh.weight, ref.weight_hh),
        (ours.W_hh.bias, ref.bias_hh),
    ]
    for a, b in pairs:
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


def test_rnn_cell_matches_torch_rnn_cell():
    torch.manual_seed(1)
    _check_against(RNNCell(I, H), nn.RNNCell(I, H, nonlinearity="tanh"), lstm=False)


def test_lstm_cell_matches_torch_lstm_cell():
    torch.manual_seed(2)
    _check_against(LSTMCell(I, H), nn.LSTMCell(I, H), lstm=True)


def test_gru_cell_matches_torch_gru_cell():
    torch.manual_seed(3)
    _check_against(GRUCell(I, H), nn.GRUCell(I, H), lstm=False)


def test_lstm_forget_gate_bias_starts_at_one():
    cell = LSTMCell(I, H)
    total = cell.W_xh.bias + cell.W_hh.bias
    torch.testing.assert_close(total[H : 2 * H], torch.ones(H))


@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_every_cell_keeps_one_contract(cls):
    cell = cls(I, H)
    state = cell.init_state(B, "cpu")
    assert isinstance(state, tuple)
    new = cell(torch.randn(B, I), state)
    assert isinstance(new, tuple) and len(new) == len(state)
    assert all(s.shape == (B, H) for s in new)
    via_recur, gates = cell.recur_with_gates(cell.W_xh(torch.ones(B, I)), state)
    torch.testing.assert_close(via_recur[0], cell(torch.ones(B, I), state)[0])
    assert set(gates) == set(cell.gate_names)
    assert all(g.shape == (B, H) for g in gates.values())
