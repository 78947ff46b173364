"""Gradient flow, telephone game and gate playground against independent computations."""

import numpy as np
import torch
from torch.autograd.functional import jacobian

from core.lessons import analysis


def jacobian_norms(cell, xs):
    """Reference: for every t, re-run from the state s_t and take the full Jacobian of h_T with torch."""
    T = xs.shape[0]
    states = [tuple(s.double() for s in cell.init_state(1))]
    with torch.no_grad():
        for t in range(T):
            states.append(cell(xs[t:t + 1], states[-1]))
    norms = []
    for t in range(T):
        def h_T(*s, t=t):
            state = tuple(x[None] for x in s)
            for k in range(t, T):
                state = cell(xs[k:k + 1], state)
            return state[0][0]
        J = jacobian(h_T, tuple(x[0] for x in states[t]))
        norms.append(float(torch.sqrt(sum((j ** 2).sum() for j in J))))
    return norms


def test_rnn_gradient_flow_matches_torch_jacobian_and_the_product_formula():
    cell = analysis.random_cell("rnn", hidden=6, input_size=3, seed=1, recurrent_scale=1.3)
    xs = analysis.random_inputs(7, 3, seed=1)
    ours = analysis.gradient_flow(cell, xs)
    np.testing.assert_allclose(ours, jacobian_norms(cell, xs), rtol=1e-9)
    # numpy: ∂h_T/∂h_t = Π_k diag(1 - h_k²) W_hh
    W_xh, b_x = cell.W_xh.weight.detach().numpy(), cell.W_xh.bias.detach().numpy()
    W_hh, b_h = cell.W_hh.weight.detach().numpy(), cell.W_hh.bias.detach().numpy()
    h, hs = np.zeros(6), []
    for x in xs.numpy():
        h = np.tanh(W_xh @ x + b_x + W_hh @ h + b_h)
        hs.append(h)
    J = np.eye(6)
    ref = [0.0] * 7
    for t in range(6, -1, -1):
        J = J @ (np.diag(1 - hs[t] ** 2) @ W_hh)
        ref[t] = np.linalg.norm(J)
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


def test_lstm_gradient_flow_matches_torch_jacobian_over_h_and_c():
    cell = analysis.random_cell("lstm", hidden=5, input_size=3, seed=2, forget_bias=2.0)
    xs = analysis.random_inputs(6, 3, seed=2)
    np.testing.assert_allclose(analysis.gradient_flow(cell, xs), jacobian_norms(cell, xs), rtol=1e-9)


def test_telephone_game_is_zero_without_a_change_and_decays_with_zero_recurrence():
    cell = analysis.random_cell("rnn", hidden=8, input_size=4, seed=0, recurrent_scale=0.0)
    xs = analysis.random_inputs(10, 4)
    assert analysis.influence_of_first_input(cell, xs, xs[0]) == [0.0] * 10
    d = analysis.influence_of_first_input(cell, xs, xs[0] + 1.0)
    assert d[0] > 0 and d[1:] == [0.0] * 9


def test_telephone_game_matches_two_separate_runs():
    cell = analysis.random_cell("lstm", hidden=8, input_size=4, seed=0)
    xs = analysis.random_inputs(12, 4)
    alt = torch.ones(4, dtype=torch.float64)
    d = analysis.influence_of_first_input(cell, xs, alt)

    def run(seq):
        s = tuple(x.double() for x in cell.init_state(1))
        out = []
        with torch.no_grad():
            for x in seq:
                s = cell(x[None], s)
                out.append(s[0][0])
        return out

    other = xs.clone()
    other[0] = alt
    ref = [float((a - b).norm()) for a, b in zip(run(xs), run(other), strict=True)]
    np.testing.assert_allclose(d, ref, rtol=1e-9)


def test_gate_playground_matches_closed_form():
    f, i, o, g = 0.9, 0.5, 0.8, 0.6
    run = analysis.gate_playground(f, i, o, g, steps=20)
    t = np.arange(1, 21)
    c = i * g * (1 - f ** t) / (1 - f)
    np.testing.assert_allclose(run.c, c, rtol=1e-12)
    np.testing.assert_allclose(run.h, o * np.tanh(c), rtol=1e-12)
    held = analysis.gate_playground(1.0, 1.0, 1.0, 0.5, steps=10, write_steps=1)
    assert held.c == [0.5] * 10 and held.i[1:] == [0.0] * 9


def test_float32_gradient_flow_agrees_with_float64():
    cell = analysis.random_cell("lstm", hidden=16, input_size=4, seed=5)
    xs = analysis.random_inputs(40, 4, seed=5)
    ref = analysis.gradient_flow(cell, xs)
    ours = analysis.gradient_flow(cell.float(), xs.float())
    np.testing.assert_allclose(ours, ref, rtol=1e-3)


def test_gru_gradient_flow_matches_torch_jacobian():
    cell = analysis.random_cell("gru", hidden=5, input_size=3, seed=3)
    xs = analysis.random_inputs(6, 3, seed=3)
    np.testing.assert_allclose(analysis.gradient_flow(cell, xs), jacobian_norms(cell, xs), rtol=1e-9)


def test_gru_gradient_flow_matches_the_per_step_jacobian_product():
    # PyTorch's GRU: h = (1 - z) n + z h_prev, n = tanh(W_in x + b_in + r (W_hn h_prev + b_hn)); its Jacobian
    # ∂h_k/∂h_{k-1} written out by hand, multiplied from the last step back, gives the same norms as autograd.
    cell = analysis.random_cell("gru", hidden=4, input_size=3, seed=4)
    xs = analysis.random_inputs(5, 3, seed=4).numpy()
    Wx, bx = cell.W_xh.weight.detach().numpy(), cell.W_xh.bias.detach().numpy()
    Wh, bh = cell.W_hh.weight.detach().numpy(), cell.W_hh.bias.detach().numpy()
    H = 4
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h, jacs = np.zeros(H), []
    for x in xs:
        gx, gh = Wx @ x + bx, Wh @ h + bh
        r, z = sig(gx[:H] + gh[:H]), sig(gx[H:2 * H] + gh[H:2 * H])
        n = np.tanh(gx[2 * H:] + r * gh[2 * H:])
        dr = (r * (1 - r))[:, None] * Wh[:H]
        dz = (z * (1 - z))[:, None] * Wh[H:2 * H]
        dn = (1 - n ** 2)[:, None] * (dr * gh[2 * H:][:, None] + r[:, None] * Wh[2 * H:])
        jacs.append(np.diag(1 - z) @ dn + (h - n)[:, None] * dz + np.diag(z))
        h = (1 - z) * n + z * h
    J, ref = np.eye(H), [0.0] * len(xs)
    for t in range(len(xs) - 1, -1, -1):
        J = J @ jacs[t]
        ref[t] = np.linalg.norm(J)
    np.testing.assert_allclose(analysis.gradient_flow(cell, analysis.random_inputs(5, 3, seed=4)), ref, rtol=1e-9)
