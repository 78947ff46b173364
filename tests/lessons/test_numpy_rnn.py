"""Track A's NumPy char-RNN: its hand-written BPTT against numerical gradients and torch autograd; it learns."""

import numpy as np
import pytest
import torch

from core.lessons import numpy_rnn

V, H, T = 5, 4, 6
INPUTS, TARGETS = [0, 3, 1, 4, 2, 2], [3, 1, 4, 2, 2, 0]


def _setup():
    p = numpy_rnn.init_params(V, H, seed=3, scale=0.6)  # large enough that tanh is far from linear
    rng = np.random.default_rng(7)
    p["b_h"] = rng.normal(0, 0.3, H)
    p["b_y"] = rng.normal(0, 0.3, V)
    return p, rng.normal(0, 0.5, H)


def test_bptt_matches_numerical_gradients():
    p, h0 = _setup()
    _, cache = numpy_rnn.forward(p, INPUTS, TARGETS, h0)
    grads = numpy_rnn.backward(p, cache)
    eps = 1e-6
    for name, w in p.items():
        numeric = np.zeros_like(w)
        for i in np.ndindex(w.shape):
            old = w[i]
            w[i] = old + eps
            up = numpy_rnn.forward(p, INPUTS, TARGETS, h0)[0]
            w[i] = old - eps
            down = numpy_rnn.forward(p, INPUTS, TARGETS, h0)[0]
            w[i] = old
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg=name)


def test_bptt_matches_torch_autograd_on_the_same_weights():
    p, h0 = _setup()
    loss, cache = numpy_rnn.forward(p, INPUTS, TARGETS, h0)
    grads = numpy_rnn.backward(p, cache)
    tp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p.items()}
    h = torch.tensor(h0, dtype=torch.float64)
    logits = []
    for x in INPUTS:
        h = torch.tanh(tp["W_xh"] @ torch.nn.functional.one_hot(torch.tensor(x), V).double() + tp["W_hh"] @ h
                       + tp["b_h"])
        logits.append(tp["W_hy"] @ h + tp["b_y"])
    torch_loss = torch.nn.functional.cross_entropy(torch.stack(logits), torch.tensor(TARGETS))
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    for name in p:
        np.testing.assert_allclose(grads[name], tp[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


def test_clipping_rescales_to_the_threshold_and_keeps_direction():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([4.0])}
    before = numpy_rnn.clip_global_norm(grads, 1.0)
    assert before == pytest.approx(5.0)
    assert grads["a"] == pytest.approx([0.6, 0.0]) and grads["b"] == pytest.approx([0.8])
    small = {"a": np.array([0.3, 0.4])}
    assert numpy_rnn.clip_global_norm(small, 1.0) == pytest.approx(0.5)
    assert small["a"] == pytest.approx([0.3, 0.4])


def test_adagrad_first_step_moves_each_weight_by_lr():
    p = {"w": np.array([1.0, -2.0])}
    numpy_rnn.Adagrad(p, lr=0.1).update(p, {"w": np.array([5.0, -0.01])})
    assert p["w"] == pytest.approx([0.9, -1.9], abs=1e-6)


def test_training_lowers_the_loss_on_a_tiny_text():
    text = "hello world. " * 20
    model = numpy_rnn.train(text, hidden=24, seq_len=12, lr=0.1, steps=300, seed=0)
    start = np.log(len(model.chars))
    assert model.losses[0] == pytest.approx(start, abs=0.05)  # tiny weights: a uniform guess at first
    assert np.mean(model.losses[-20:]) < 0.5 * start
    assert set(model.sample("hel", 40, temperature=0.5, seed=1)) <= set(model.chars)


def test_sampling_is_seeded_and_the_callbacks_run():
    seen = []
    model = numpy_rnn.train("abcabcabd" * 5, hidden=8, seq_len=5, steps=50,
                            on_step=lambda m, i, loss, norm: seen.append(i), should_stop=lambda: len(seen) >= 10)
    assert seen == list(range(1, 11)) and len(model.losses) == 10
    assert model.sample("a", 30, seed=4) == model.sample("a", 30, seed=4)


def test_too_short_text_is_a_clear_error():
    with pytest.raises(ValueError, match="Need more than"):
        numpy_rnn.train("abc", seq_len=25)
