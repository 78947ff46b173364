"""The worked example and the what-if explorer match an independent numpy computation."""

import numpy as np
import pytest

from core.lessons import worked


def numpy_rnn(rnn: worked.TinyRNN, words):
    W_xh, W_hh, b = np.array(rnn.W_xh), np.array(rnn.W_hh), np.array(rnn.b_h)
    h = np.zeros(len(b))
    out = []
    for w in words:
        h = np.tanh(W_xh.dot(np.array(rnn.embeddings[w])) + W_hh.dot(h) + b)
        out.append(h)
    return out


def test_worked_example_matches_numpy():
    rnn = worked.TinyRNN()
    steps = worked.run(rnn)
    for step, ref in zip(steps, numpy_rnn(rnn, worked.WORDS), strict=True):
        np.testing.assert_allclose(step.h, ref, rtol=1e-12)
        np.testing.assert_allclose(step.pre, np.arctanh(ref), rtol=1e-9)
    assert steps[0].h_prev == [0.0, 0.0] and steps[1].h_prev == steps[0].h


def test_edited_weights_change_the_result_and_still_match_numpy():
    rnn = worked.TinyRNN(W_hh=[[1.5, 0.0], [0.0, -1.5]], b_h=[0.0, 0.0])
    rnn.embeddings["cat"] = [2.0, 2.0]
    steps = worked.run(rnn, ["cat", "cat", "here"])
    np.testing.assert_allclose([s.h for s in steps], numpy_rnn(rnn, ["cat", "cat", "here"]), rtol=1e-12)
    assert steps[-1].h != worked.run(worked.TinyRNN())[-1].h


def test_unknown_word_is_a_clear_error():
    with pytest.raises(ValueError, match="No embedding"):
        worked.run(worked.TinyRNN(), ["dog"])


def test_hand_answer_is_checked_within_tolerance():
    step = worked.run(worked.TinyRNN())[0]
    assert worked.check_answer(step, [round(v, 2) for v in step.h]) == [True, True]
    assert worked.check_answer(step, [step.h[0] + 0.1, step.h[1]]) == [False, True]


def test_zero_recurrence_forgets_as_soon_as_input_stops():
    tr = worked.trajectory(worked.recurrent_matrix("zero", 8, 1.0), steps=10, input_steps=3)
    assert max(tr.norm[3:]) == 0.0 and tr.norm[2] > 0


def test_identity_recurrence_matches_numpy_and_large_weights_saturate():
    W = worked.recurrent_matrix("identity", 4, 1.0)
    tr = worked.trajectory(W, steps=6, input_steps=2, seed=3)
    import torch
    g = torch.Generator().manual_seed(3)
    xw = torch.randn(6, 4, generator=g, dtype=torch.float64).numpy()
    xw[2:] = 0
    h = np.zeros(4)
    for t in range(6):
        h = np.tanh(xw[t] + h)
    np.testing.assert_allclose(tr.h[-1], h, rtol=1e-12)
    big = worked.trajectory(worked.recurrent_matrix("identity", 16, 5.0), steps=20, input_steps=3)
    assert big.saturated[-1] > 0.9
