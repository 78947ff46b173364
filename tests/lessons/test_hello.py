import math

import numpy as np
import pytest

from core.lessons import hello
from core.models import inference

inference.configure_threads()


def _numpy_views(model: hello.HelloRNN, word: str):
    W_xh, W_hh, b_h = (p.detach().double().numpy() for p in (model.W_xh, model.W_hh, model.b_h))
    W_hy, b_y = model.W_hy.detach().double().numpy(), model.b_y.detach().double().numpy()
    h = np.zeros(W_hh.shape[0])
    out = []
    for ch, tgt in zip(word[:-1], word[1:], strict=True):
        x = np.zeros(4)
        x[hello.VOCAB.index(ch)] = 1
        h = np.tanh(W_xh @ x + W_hh @ h + b_h)
        y = W_hy @ h + b_y
        p = np.exp(y - y.max()) / np.exp(y - y.max()).sum()
        out.append((p, -np.log(p[hello.VOCAB.index(tgt)])))
    return out


def test_per_step_softmax_and_cross_entropy_match_numpy():
    _, model, _ = hello.train(hello.HelloConfig(steps=20))
    for view, (p, loss) in zip(hello.views(model), _numpy_views(model, "hello"), strict=True):
        assert np.allclose(view.probs, p, atol=1e-6)
        assert view.loss == pytest.approx(loss, abs=1e-6)
        assert sum(view.one_hot) == 1 and view.one_hot[hello.VOCAB.index(view.char)] == 1


def test_training_learns_hello_and_is_seeded():
    before, after, losses = hello.train(hello.HelloConfig())
    assert hello.mean_loss(hello.views(after)) < 0.1 < hello.mean_loss(hello.views(before))
    assert [s.target for s in hello.views(after)] == [hello.VOCAB[int(np.argmax(s.probs))] for s in hello.views(after)]
    assert hello.train(hello.HelloConfig())[2] == losses


def test_conversions_agree():
    nats = hello.cross_entropy(0.25)
    assert nats == pytest.approx(math.log(4))
    assert hello.perplexity(nats) == pytest.approx(4)
    assert hello.bits(nats) == pytest.approx(2)
    assert hello.nats_from_perplexity(4) == pytest.approx(nats)
    with pytest.raises(ValueError):
        hello.cross_entropy(0)


def test_temperature_sharpens_and_flattens():
    p = [0.6, 0.3, 0.1]
    assert hello.with_temperature(p, 1.0) == pytest.approx(p)
    assert hello.with_temperature(p, 0.5)[0] > 0.6 > hello.with_temperature(p, 2.0)[0]
    assert sum(hello.with_temperature(p, 1.7)) == pytest.approx(1)
