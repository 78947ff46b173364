"""The hand-computed BPTT examples of Module 9 against torch autograd."""

import math

import pytest
import torch

from core.lessons import bptt_examples as bx


def _torch_grads(rnn: bx.ScalarRNN, xs, ds, window=None) -> dict[str, float]:
    p = {k: torch.tensor(getattr(rnn, k), dtype=torch.float64, requires_grad=True) for k in bx.PARAMS}
    h = torch.tensor(rnn.h0, dtype=torch.float64)
    loss = torch.tensor(0.0, dtype=torch.float64)
    for t, (x, d) in enumerate(zip(xs, ds, strict=True), 1):
        if window is not None and t > 1 and (t - 1) % window == 0:
            h = h.detach()  # what training does between windows
        h = torch.tanh(p["w"] * h + p["u"] * x + p["b"])
        loss = loss + 0.5 * (p["v"] * h - d) ** 2
    loss.backward()
    return {k: p[k].grad.item() for k in bx.PARAMS}


RNNS = [bx.ScalarRNN(), bx.ScalarRNN(w=1.8, u=-0.4, v=0.6, b=0.2, h0=0.3), bx.ScalarRNN(w=0.3)]


@pytest.mark.parametrize("rnn", RNNS)
@pytest.mark.parametrize("T", [3, 8, 12])
def test_full_bptt_matches_torch_autograd(rnn, T):
    _, total = bx.backward(rnn, bx.XS[:T], bx.DS[:T])
    assert total == pytest.approx(_torch_grads(rnn, bx.XS[:T], bx.DS[:T]), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("rnn", RNNS)
@pytest.mark.parametrize("window", [1, 2, 3, 5])
def test_truncated_bptt_matches_torch_with_detached_windows(rnn, window):
    xs, ds = bx.XS[:10], bx.DS[:10]
    rows, total = bx.backward(rnn, xs, ds, window=window)
    assert total == pytest.approx(_torch_grads(rnn, xs, ds, window), rel=1e-12, abs=1e-15)
    assert [r.t for r in rows if r.cut_before] == list(range(window + 1, 11, window))


def test_truncation_changes_the_recurrent_gradient_but_not_v():
    rnn = bx.ScalarRNN()
    _, full = bx.backward(rnn, bx.XS[:6], bx.DS[:6])
    _, cut = bx.backward(rnn, bx.XS[:6], bx.DS[:6], window=2)
    assert cut["v"] == pytest.approx(full["v"])  # v only touches each step's own output
    assert abs(cut["w"] - full["w"]) > 1e-3


def test_forward_values_by_hand():
    rows = bx.forward(bx.ScalarRNN(), (1.0, -0.5), (0.5, -0.2))
    h1 = math.tanh(0.7)
    assert rows[0].h == pytest.approx(h1)
    assert rows[1].a == pytest.approx(0.9 * h1 - 0.35)
    assert rows[0].loss == pytest.approx(0.5 * (1.2 * h1 - 0.5) ** 2)


def test_sensitivity_matches_autograd_jacobian():
    rnn = bx.ScalarRNN(w=1.5)
    xs = bx.XS[:8]
    hs = [torch.tensor(rnn.h0, dtype=torch.float64, requires_grad=True)]
    for x in xs:
        hs.append(torch.tanh(rnn.w * hs[-1] + rnn.u * x + rnn.b))
        hs[-1].retain_grad()
    hs[-1].backward()
    expected = [abs(h.grad.item()) for h in hs[1:-1]] + [1.0]
    assert bx.sensitivity(rnn, xs) == pytest.approx(expected, rel=1e-12)


def test_clipping_matches_torch_clip_grad_norm():
    grads = {"w": 30.0, "u": -40.0, "v": 1.0, "b": 0.5}
    clipped = bx.clip_global_norm(grads, 5.0)
    ts = [torch.zeros(1, requires_grad=True) for _ in grads]
    for t, g in zip(ts, grads.values(), strict=True):
        t.grad = torch.tensor([g])
    norm = torch.nn.utils.clip_grad_norm_(ts, 5.0)
    assert clipped.norm_before == pytest.approx(norm.item())
    assert list(clipped.after.values()) == pytest.approx([t.grad.item() for t in ts], rel=1e-6)
    assert clipped.norm_after == pytest.approx(5.0)
    same = bx.clip_global_norm({"w": 0.1}, 5.0)
    assert same.scale == 1.0 and same.after == {"w": 0.1}
    with pytest.raises(ValueError):
        bx.clip_global_norm(grads, 0.0)
