"""Module 9's bug hunts: the real runs show the symptoms the page describes, and the loop detector is right."""

import math

import pytest

from core.lessons import bughunts
from core.training import checkpoints


@pytest.fixture(scope="module")
def runs():
    text = bughunts.BUILTIN_TEXT  # always present, so the test is the same on CI
    return {key: bughunts.sgd_run(text, lr, clip, steps=60)[0]
            for key, (lr, clip) in {"huge": (5.0, 0.0), "huge+clip": (5.0, 1.0), "tiny": (1e-4, 1.0),
                                    "good": (1.0, 1.0)}.items()}


def test_huge_learning_rate_without_clipping_blows_up_and_clipping_tames_it(runs):
    huge, clipped = runs["huge"], runs["huge+clip"]
    assert huge.blew_up_at is not None and huge.blew_up_at < 30
    assert max(huge.grad_norms) > 10 * max(clipped.grad_norms[20:])
    assert clipped.final_loss < huge.final_loss


def test_tiny_learning_rate_leaves_the_loss_at_a_uniform_guess(runs):
    tiny, good = runs["tiny"], runs["good"]
    assert tiny.final_loss == pytest.approx(tiny.start_loss, abs=0.1)
    assert abs(tiny.losses[0] - tiny.losses[-1]) < 0.1
    assert good.final_loss < 0.8 * good.start_loss


def test_adam_with_a_huge_learning_rate_is_stopped_as_diverged_even_with_clipping():
    run = bughunts.adam_run(bughunts.BUILTIN_TEXT, 10.0, 1.0, steps=20)
    assert run.diverged_at is not None and run.diverged_at <= 3
    assert "diverged" in run.message


@pytest.mark.parametrize(("text", "unit", "period"), [
    ("abc xyz he he he he he ", "he ", 3),
    ("no loop here at all", "", 0),
    ("wxyzzzzzzzz", "z", 1),
])
def test_repeating_tail_finds_the_loop(text, unit, period):
    loop = bughunts.repeating_tail(text)
    assert (loop.unit, loop.period) == (unit, period)


def test_greedy_sampling_of_the_shipped_model_loops_and_warm_sampling_does_not():
    name = "shakespeare-rnn"
    if name not in checkpoints.names():
        pytest.skip("shipped checkpoint absent")
    model, entry = checkpoints.load(name)
    model.eval()
    out = bughunts.cold_samples(model, checkpoints.vocab_of(entry), "ROMEO:\n", (0.0, 0.8), length=300)
    cold_text, cold = out[0.0]
    warm_text, warm = out[0.8]
    assert cold.share(cold_text) > 0.5 and cold.period > 0
    assert warm.share(warm_text) < 0.2


def test_practice_text_always_has_enough_characters():
    text, source = bughunts.practice_text()
    assert len(text) > 600 and source
    assert math.isfinite(bughunts.sgd_run(text, 1.0, 1.0, steps=3)[0].final_loss)


def test_every_hunt_has_one_right_diagnosis_and_fix():
    for hunt in bughunts.HUNTS:
        assert 0 <= hunt.diagnosis < len(hunt.diagnoses) and 0 <= hunt.fix < len(hunt.fixes)
    assert len({h.id for h in bughunts.HUNTS}) == 3


def test_failure_rows_cover_every_action_of_the_troubleshooting_flowchart():
    from core.course import troubleshooting

    flow = troubleshooting.load()
    rows = bughunts.failure_rows(flow)
    actions = [n for n in flow.nodes.values() if n.is_action]
    assert sorted(r["what to do"] for r in rows) == sorted(n.text for n in actions)
    linked = {r["see it happen"] for r in rows} - {""}
    assert linked == {"explode", "stuck"} and linked <= {h.id for h in bughunts.HUNTS}
    assert all(r["symptom"] for r in rows)
