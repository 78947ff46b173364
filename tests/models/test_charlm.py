"""CharLM: shapes, traces, state carrying, the nn.LSTM twin, and that it can overfit one batch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.models import charlm, fastgen
from core.models.charlm import CharLM, CharLMConfig, build
from core.models.fastgen import CpuGenerator

torch.set_num_threads(1)
B, T, V = 2, 9, 11


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_forward_returns_logits_state_and_trace_of_the_right_shapes(kind):
    torch.manual_seed(0)
    model = CharLM(CharLMConfig(kind=kind, vocab_size=V, hidden=8, layers=2, embed=4))
    idx = torch.randint(V, (B, T))
    logits, state, trace = model(idx, trace=True)
    assert logits.shape == (B, T, V)
    assert len(state) == 2 and all(s.shape == (B, 8) for layer in state for s in layer)
    assert len(trace.hidden) == 2 and all(h.shape == (B, T, 8) for h in trace.hidden)
    assert len(trace.cell) == (2 if kind == "lstm" else 0)
    names = {"rnn": set(), "lstm": {"i", "f", "g", "o"}, "gru": {"r", "z", "n"}}[kind]
    for gates in trace.gates:
        assert set(gates) == names
        assert all(g.shape == (B, T, 8) for g in gates.values())
    # The trace does not change the numbers, and the last hidden state is the last traced step.
    plain, _, none = model(idx)
    assert none is None
    torch.testing.assert_close(plain, logits)
    torch.testing.assert_close(trace.hidden[-1][:, -1], state[-1][0])


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_carrying_state_across_chunks_equals_one_long_pass(kind):
    torch.manual_seed(1)
    model = CharLM(CharLMConfig(kind=kind, vocab_size=V, hidden=8, layers=2, embed=4))
    idx = torch.randint(V, (B, T))
    whole, _, _ = model(idx)
    first, state, _ = model(idx[:, :4])
    second, _, _ = model(idx[:, 4:], state)
    torch.testing.assert_close(torch.cat([first, second], 1), whole)
    # step() is the same computation, one character at a time.
    state = model.init_state(B)
    for t in range(T):
        logits_t, state = model.step(idx[:, t], state)
        torch.testing.assert_close(logits_t, whole[:, t])


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_torch_backed_model_matches_ours_with_copied_weights(kind):
    torch.manual_seed(2)
    cfg = CharLMConfig(kind=kind, vocab_size=V, hidden=8, layers=2, embed=4)
    ours = CharLM(cfg)
    ref = charlm.torch_twin(ours)
    idx = torch.randint(V, (B, T))
    a, sa, _ = ours(idx)
    b, sb, _ = ref(idx)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    for x, y in zip(sa, sb, strict=True):
        for u, v in zip(x, y, strict=True):
            torch.testing.assert_close(u, v, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="Traces"):
        ref(idx, trace=True)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_training_overfits_one_batch(kind):
    torch.manual_seed(3)
    model = build(CharLMConfig(kind=kind, vocab_size=V, hidden=32, layers=1, embed=8))
    idx = torch.randint(V, (2, 17))
    x, y = idx[:, :-1], idx[:, 1:]
    opt = torch.optim.Adam(model.parameters(), lr=2e-2)
    for _ in range(300):
        logits, _, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        if loss.item() < 0.05:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05


def test_bad_config_is_a_clear_error():
    with pytest.raises(ValueError, match="kind"):
        CharLMConfig(kind="transformer")
    with pytest.raises(ValueError, match="hidden"):
        CharLMConfig(hidden=0)
    with pytest.raises(ValueError, match="dropout"):
        CharLMConfig(dropout=1.5)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_fast_stepper_gives_the_same_logits_as_step(kind):
    torch.manual_seed(4)
    model = CharLM(CharLMConfig(kind=kind, vocab_size=V, hidden=8, layers=3, embed=4))
    idx = torch.randint(V, (1, T))
    with torch.inference_mode():
        fast = fastgen.FastStepper(model)
        s1 = s2 = model.init_state(1)
        for t in range(T):
            a, s1 = model.step(idx[:, t], s1)
            b, s2 = fast(idx[:, t], s2)
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_compiled_cpu_step_gives_the_same_logits_as_step(kind, layers):
    torch.manual_seed(5)
    model = CharLM(CharLMConfig(kind=kind, vocab_size=V, hidden=8, layers=layers, embed=4))
    idx = torch.randint(V, (1, T))
    with torch.inference_mode():
        start = tuple(tuple(torch.randn_like(x) for x in s) for s in model.init_state(1))  # not only zeros
        expected, state = [], start
        for t in range(T):
            logits, state = model.step(idx[:, t], state)
            expected.append(logits[0])
        got = CpuGenerator(model).forced_logits(idx[0].tolist(), start)
    torch.testing.assert_close(torch.from_numpy(got), torch.stack(expected), rtol=1e-5, atol=1e-5)


def test_compiled_tanh_is_within_four_tenths_of_a_millionth_of_float64_tanh():
    from core.models.fastgen import _tanh

    x = np.linspace(-20, 20, 400_001).astype(np.float32)
    got = np.array([_tanh(v) for v in x[::97]] + [_tanh(np.float32(v)) for v in (0.0, 1e-30, -1e-8)])
    ref = np.tanh(np.concatenate([x[::97], [0.0, 1e-30, -1e-8]]).astype(np.float64))
    assert np.abs(got - ref).max() < 4e-7



def test_compiled_kernels_still_build_where_no_cache_folder_is_writable(monkeypatch):
    import numba

    from core.models import fastgen

    real_njit = numba.njit

    def njit(*args, cache=False, **options):
        if cache:
            raise RuntimeError("cannot cache function 'f': no locator available for file 'f.py'")
        return real_njit(*args, **options)

    monkeypatch.setattr(numba, "njit", njit)

    def add_one(x):
        return x + 1

    assert fastgen._compiled()(add_one)(1) == 2
