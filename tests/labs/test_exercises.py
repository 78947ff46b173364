"""Every lab: the reference passes its hidden tests in the real sandbox, the starter fails with helpful messages,
typical mistakes get their specific message, and the references agree with independent ones (PyTorch,
finite differences)."""

import numpy as np
import pytest

from core.labs import exercises
from core.labs.exercises import gates, probability, rnn, train_loop
from core.labs.exercises.base import softmax

IDS = ["rnn_step", "rnn_forward", "softmax", "cross_entropy_loss", "sample_with_temperature", "compute_attention",
       "lstm_cell_forward", "gru_cell_forward", "rnn_backward", "clip_gradients", "train_loop"]


def test_lab_ids_are_the_interface():
    assert list(exercises.LABS) == IDS
    placed = {lab for groups in exercises.PLACEMENT.values() for _, labs in groups for lab in labs}
    assert placed == set(IDS)


@pytest.mark.parametrize("lab_id", IDS)
def test_lab_is_complete(lab_id):
    lab = exercises.get(lab_id)
    assert 2 <= len(lab.hints) <= 3
    assert f"def {lab.entry}(" in lab.starter and f"def {lab.entry}(" in lab.solution
    assert lab.starter != lab.solution
    if lab.predict:
        assert 0 <= lab.predict.answer < len(lab.predict.options)
        assert set(lab.predict.feedback) == set(range(len(lab.predict.options))) - {lab.predict.answer}


@pytest.mark.parametrize("lab_id", IDS)
def test_every_hidden_test_says_how_large_a_right_answer_is(lab_id):
    """The server reads back at most a few times that size (core.labs.grader._call), so it must be known."""
    for test in exercises.get(lab_id).tests(0):
        assert test.raises or test.expect is not None, test.name


def test_only_the_training_loop_may_hold_a_sandbox_longer_than_the_default():
    assert {lab.id: lab.total_wall_s for lab in exercises.LABS.values() if lab.total_wall_s} == {"train_loop": 30.0}


@pytest.mark.parametrize("lab_id", IDS)
def test_reference_solution_passes_every_hidden_test(lab_id):
    lab = exercises.get(lab_id)
    report = exercises.grade(lab, lab.solution, seed=3)
    failed = [(r.name, r.message, r.detail) for r in report.results if not r.passed]
    assert report.status == "graded" and not failed, (report.message, failed)


@pytest.mark.parametrize("lab_id", IDS)
def test_starter_code_fails_with_helpful_messages(lab_id):
    lab = exercises.get(lab_id)
    report = exercises.grade(lab, lab.starter, seed=4)
    assert report.status == "graded", report.message  # the starter loads and runs: it is just not done
    assert report.passed < report.total
    for result in report.results:
        assert result.passed or len(result.message) > 15, result


def grade_one(lab_id: str, code: str) -> list[str]:
    lab = exercises.get(lab_id)
    report = exercises.grade(lab, code, seed=5)
    return [r.message for r in report.results if not r.passed] or [report.message]


MISTAKES = [
    ("rnn_step", "return np.tanh(W_xh @ x + W_hh.T @ h_prev + b_h)", "W_hh transposed"),
    ("rnn_step", "return W_xh @ x + W_hh @ h_prev + b_h", "apply np.tanh"),
    ("rnn_step", "return np.tanh(x @ W_xh + W_hh @ h_prev + b_h)", "W @ x (the weight matrix first)"),
    ("rnn_step", "return np.tanh(W_xh @ x + W_hh @ h_prev + b_h).astype(int)", "expected floating point"),
    ("rnn_step", "return np.tanh(np.dot(x, W_xh) + W_hh @ h_prev + b_h)", "W @ x (the weight matrix first)"),
    ("rnn_forward", "return np.array([])", "np.zeros((0, H))"),
    ("rnn_forward", "return np.stack([np.zeros_like(h0) for _ in xs], axis=1) if len(xs) else np.zeros((0, len(h0)))",
     "stack along axis 0"),
    ("softmax", "e = np.exp(logits)\n    return e / e.sum(axis=-1, keepdims=True)", "subtract the largest score"),
    ("softmax", "e = np.exp(logits - np.max(logits, axis=-1, keepdims=True))\n    return e / np.sum(e)",
     "normalised at once"),
    ("clip_gradients", "if max_norm <= 0:\n        raise ValueError\n"
                       "    n = sum(float((g ** 2).sum()) for g in grads.values()) ** 0.5\n"
                       "    return {k: g * min(1.0, max_norm / n) for k, g in grads.items()}, n",
     "compare the norm with max_norm first"),
    ("cross_entropy_loss", "p = np.exp(logits - logits.max(1, keepdims=True))\n    p /= p.sum(1, keepdims=True)\n"
                           "    return float(-np.log(p[np.arange(len(targets)), targets]).sum())",
     "average it instead"),
    ("sample_with_temperature", "if temperature < 0:\n        raise ValueError\n    if temperature == 0:\n"
                                "        return int(np.argmax(logits))\n    z = logits * temperature\n"
                                "    p = np.exp(z - z.max())\n    return int(rng.choice(len(p), p=p / p.sum()))",
     "multiplied by the temperature"),
    ("compute_attention", "s = keys @ query\n    return s @ values, s", "apply softmax"),
    ("clip_gradients", "n = float(np.sqrt(sum((g ** 2).sum() for g in grads.values())))\n"
                       "    if max_norm <= 0:\n        raise ValueError\n"
                       "    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, n",
     "clips each element"),
]


@pytest.mark.parametrize("lab_id,body,expect", MISTAKES)
def test_typical_mistakes_get_their_own_message(lab_id, body, expect):
    lab = exercises.get(lab_id)
    signature = f"def {lab.entry}({', '.join(lab.params)}):"
    messages = grade_one(lab_id, f"import numpy as np\n\n{signature}\n    {body}\n")
    assert any(expect in m for m in messages), messages


def test_backward_mistake_without_the_tanh_derivative_is_named():
    code = rnn.RNN_BACKWARD.solution.replace("dz = (1.0 - hs[t] ** 2) * dh", "dz = dh")
    assert any("tanh derivative" in m for m in grade_one("rnn_backward", code))


def test_backward_with_a_transposed_recurrent_gradient_is_named():
    code = rnn.RNN_BACKWARD.solution.replace("dW_hh += np.outer(dz, h_before)", "dW_hh += np.outer(h_before, dz)")
    assert code != rnn.RNN_BACKWARD.solution
    assert any("dW_hh transposed" in m for m in grade_one("rnn_backward", code))


def test_lstm_mistake_without_tanh_on_c_is_named():
    code = gates.LSTM.solution.replace("h = o * np.tanh(c)", "h = o * c")
    assert any("tanh is missing" in m for m in grade_one("lstm_cell_forward", code))


def test_a_loop_that_fakes_falling_losses_cannot_pass():
    fake = train_loop.TRAIN_LOOP.solution.replace("params[k] -= rate * g / np.sqrt(memory[k] + 1e-8)", "pass")
    fake = fake.replace("losses.append(float(loss))", "losses.append(5.0 - step / 50)")
    messages = grade_one("train_loop", fake)
    assert any("still score log(V)" in m for m in messages), messages


@pytest.mark.parametrize(("original", "broken"), [
    ("loss_and_grads(params, inputs, targets, h)", "loss_and_grads(params, inputs, targets, np.zeros(hidden_size))"),
    ("rate = lr_at(step, steps, lr)", "rate = lr"),  # the schedule is reported but not used
    ("pos, h = 0, np.zeros(hidden_size)", "pos = 0"),  # no fresh state after wrapping
    ("pos += seq_len", "pos += seq_len + 1"),
])
def test_a_loop_that_breaks_the_stated_rules_cannot_pass(original, broken):
    lab = exercises.get("train_loop")
    assert original in lab.solution
    report = exercises.grade(lab, lab.solution.replace(original, broken), seed=5)
    assert report.passed < report.total
    assert any("the loop as specified gives" in r.message for r in report.results if not r.passed)


def test_train_loop_learns_on_a_text_of_its_own():
    text = "the cat sat on the mat. the dog sat on the log. " * 6
    lab = exercises.get("train_loop")
    report = exercises.grade(lab, lab.solution, text=text)
    assert report.passed == report.total, [r.message for r in report.results]
    out = train_loop.train_loop(text, 300, 32, 16, 0.1, 0)
    assert train_loop.text_loss(out["params"], text) < np.log(len(set(text))) - 1.0


def test_solutions_show_the_code_the_server_checks_against():
    assert rnn.RNN_STEP.solution.count("np.tanh(W_xh @ x + W_hh @ h_prev + b_h)") == 1
    namespace: dict = {}
    exec(exercises.get("softmax").solution, namespace)
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -5.0]])
    assert np.allclose(namespace["softmax"](z), softmax(z))


def test_lstm_and_gru_references_match_torch_cells():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    D, H = 5, 4
    x, h, c = rng.normal(size=D), rng.normal(size=H), rng.normal(size=H)
    lstm = torch.nn.LSTMCell(D, H).double()
    with torch.no_grad():
        h_t, c_t = lstm(torch.from_numpy(x)[None], (torch.from_numpy(h)[None], torch.from_numpy(c)[None]))
    W_x, W_h = lstm.weight_ih.detach().numpy(), lstm.weight_hh.detach().numpy()
    b = (lstm.bias_ih + lstm.bias_hh).detach().numpy()
    h_np, c_np = gates.lstm_cell_forward(x, h, c, W_x, W_h, b)
    assert np.allclose(h_np, h_t[0].numpy()) and np.allclose(c_np, c_t[0].numpy())
    gru = torch.nn.GRUCell(D, H).double()
    with torch.no_grad():
        g_t = gru(torch.from_numpy(x)[None], torch.from_numpy(h)[None])
    g_np = gates.gru_cell_forward(x, h, gru.weight_ih.detach().numpy(), gru.weight_hh.detach().numpy(),
                                  gru.bias_ih.detach().numpy(), gru.bias_hh.detach().numpy())
    assert np.allclose(g_np, g_t[0].numpy())


def test_rnn_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    T, D, H = 4, 3, 5
    xs, h0 = rng.normal(size=(T, D)), rng.normal(size=H) * 0.5
    W_xh, W_hh, b_h = rng.normal(size=(H, D)) * 0.5, rng.normal(size=(H, H)) * 0.5, rng.normal(size=H) * 0.1
    dhs = rng.normal(size=(T, H))  # the loss is sum(dhs * hs), so dL/dhs[t] = dhs[t]

    def loss(W_xh=W_xh, W_hh=W_hh, b_h=b_h, h0=h0):
        return float(np.sum(dhs * rnn.rnn_forward(xs, h0, W_xh, W_hh, b_h)))

    grads = rnn.rnn_backward(xs, rnn.rnn_forward(xs, h0, W_xh, W_hh, b_h), h0, W_hh, dhs, np.inf)
    for name, value in {"W_xh": W_xh, "W_hh": W_hh, "b_h": b_h, "h0": h0}.items():
        numeric = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            bumped = [value.copy(), value.copy()]
            bumped[0][i] += 1e-6
            bumped[1][i] -= 1e-6
            numeric[i] = (loss(**{name: bumped[0]}) - loss(**{name: bumped[1]})) / 2e-6
        assert np.allclose(grads[name], numeric, atol=1e-6), name


def test_cross_entropy_reference_is_stable_and_correct():
    logits = np.array([[1000.0, 0.0], [0.0, 0.0]])
    assert np.isclose(probability.cross_entropy_loss(logits, np.array([0, 1])), np.log(2) / 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_slightly_wrong_temperature_is_told_apart(seed):
    lab = exercises.get("sample_with_temperature")
    wrong = lab.solution.replace("z = logits / temperature", "z = logits / np.sqrt(temperature)")
    assert wrong != lab.solution
    assert exercises.grade(lab, wrong, seed=seed).passed < exercises.grade(lab, lab.solution, seed=seed).total
