"""Modules 0-3: the main widgets of each lesson page drive real computations and the output follows."""

import pytest

from core.lessons import worked
from tests.app.conftest import open_page

M02, M03 = "pages/m02_rnn.py", "pages/m03_lstm.py"
M00, M01 = "pages/m00_why_this_matters.py", "pages/m01_sequences.py"


def latex(at) -> list[str]:
    return [el.value for el in at.latex]


def test_m02_worked_example_follows_edited_weights(learner):
    at = open_page(M02, learner[1])
    assert not at.exception, at.exception
    expected = worked.run(worked.TinyRNN())
    assert any(f"{expected[-1].h[0]:+.3f}" in t for t in latex(at))
    at.number_input(key="whh-0-0").set_value(2.0).run()
    rnn = worked.TinyRNN(W_hh=[[2.0, 0.6], [-0.5, 0.1]])
    changed = worked.run(rnn)[-1].h[0]
    assert not at.exception
    assert any(f"{changed:+.3f}" in t for t in latex(at))


def test_m02_hand_calculation_is_checked_against_the_computation(learner):
    at = open_page(M02, learner[1])
    target = worked.run(worked.TinyRNN(), ["cat", "sat"])[1].h
    at.button(key="m02-hand-check").click().run()
    assert at.error and "Not yet" in at.error[0].value
    at.number_input(key="m02-hand-1").set_value(round(target[0], 3))
    at.number_input(key="m02-hand-2").set_value(round(target[1], 3))
    at.button(key="m02-hand-check").click().run()
    assert at.success and "Correct" in at.success[0].value


def test_m02_what_if_zero_matrix_forgets(learner):
    at = open_page(M02, learner[1])
    before = [m.value for m in at.metric if "after the input" in m.label][0]
    at.selectbox(key="m02-whh").set_value("zero").run()
    after = [m.value for m in at.metric if "after the input" in m.label][0]
    assert float(after) == 0.0 and float(before) > 0.0


def test_m02_next_char_game_scores_a_round(learner):
    at = open_page(M02, learner[1])
    if not any("What comes next" in s.value for s in at.subheader):
        pytest.fail("game missing")
    text_keys = [w.key for w in at.text_input if w.key and w.key.startswith("m02-guess")]
    if not text_keys:
        pytest.skip("no trained RNN checkpoint shipped")
    at.text_input(key=text_keys[0]).set_value("e").run()
    at.button(key="m02-reveal").click().run()
    assert not at.exception, at.exception
    assert any("real next character" in m.value for m in at.markdown)
    at.button(key="m02-next").click().run()
    assert any("Round 2" in m.value for m in at.markdown)


def metric(at, label_part: str) -> str:
    return [m.value for m in at.metric if label_part in m.label][0]


def test_m03_gradient_flow_follows_the_sliders(learner):
    at = open_page(M03, learner[1])
    assert not at.exception, at.exception
    caption = [c.value for c in at.caption if "at distance" in c.value][0]
    at.slider(key="m03-scale").set_value(3.0).run()
    at.slider(key="m03-steps").set_value(20).run()
    assert not at.exception
    changed = [c.value for c in at.caption if "at distance" in c.value][0]
    assert changed != caption and "distance 20" in changed


def test_m03_gate_playground_holds_memory_with_open_forget_gate(learner):
    at = open_page(M03, learner[1])
    at.slider(key="m03-f").set_value(1.0)
    at.slider(key="m03-i").set_value(1.0)
    at.slider(key="m03-g").set_value(0.5)
    at.toggle(key="m03-once").set_value(True).run()
    assert metric(at, "c₄₀") == "0.5000"
    at.slider(key="m03-f").set_value(0.5).run()
    assert float(metric(at, "c₄₀")) < 1e-6


def test_m03_telephone_game_reports_both_models(learner):
    at = open_page(M03, learner[1])
    at.radio(key="m03-tel-source").set_value("random").run()
    assert not at.exception
    assert len([m for m in at.metric if "influence of step 1" in m.label]) == 2


@pytest.mark.slow
def test_m03_trained_gradient_flow_uses_the_shipped_models(learner):
    at = open_page(M03, learner[1])
    at.radio(key="m03-source").set_value("trained").run()
    assert not at.exception, at.exception
    assert any("Trained weights" in c.value for c in at.caption)


def test_m03_predict_then_reveal_shows_the_real_lowest_forget_gate(learner):
    at = open_page(M03, learner[1])
    if not any("Predict, then reveal" in s.value for s in at.subheader):
        pytest.fail("section missing")
    if at.text_input(key="m03-but-text") is None:
        pytest.skip("no trained LSTM shipped")
    at.toggle(key="m03-but-reveal").set_value(True).run()
    assert not at.exception, at.exception
    shown = [m.value for m in at.success] + [m.value for m in at.info]
    assert any("Lowest average forget gate" in v for v in shown)


def test_m00_timeline_and_jargon_translator_follow_the_learner(learner):
    at = open_page(M00, learner[1])
    assert not at.exception, at.exception
    assert any("char-rnn" in c.value or "Karpathy" in c.value for c in at.caption)
    at.selectbox(key="m00-milestone").set_value("lstm").run()
    assert any("Hochreiter" in c.value for c in at.caption)
    at.radio(key="m00-audience").set_value("An engineering lead").run()
    assert "constant memory" in at.info[0].value or any("constant memory" in i.value for i in at.info)
    at.text_input(key="m00-jargon").set_value("hidden state").run()
    assert any(e.label == "Hidden state" for e in at.expander)


def test_m01_spot_the_sequence_scores_points(learner):
    from core.lessons import sequences

    at = open_page(M01, learner[1])
    assert not at.exception, at.exception
    assert len(at.tabs) >= 5
    first = sequences.scenarios()[0]
    at.radio(key="m01-spot-seq-0").set_value("yes" if first.sequence else "no")
    at.selectbox(key="m01-spot-pattern-0").set_value(first.pattern)
    at.button(key="m01-spot-check").click().run()
    assert not at.exception, at.exception
    assert any(m.value == f"3 / {3 * len(sequences.scenarios())}" for m in at.metric)
    at.button(key="m01-spot-next").click().run()
    assert any("Scenario 2" in m.value for m in at.markdown)


def test_m02_speed_round_awards_the_badge_and_saves_it(learner, db):
    from core.assessment import speed

    record, token = learner
    at = open_page(M02, token)
    at.button(key="m02-speed-start").click().run()
    for k, q in enumerate(speed.questions(1)):
        at.radio(key=f"m02-speed-1-{k}").set_value(q.answer)
    at.button(key="m02-speed-submit").click().run()
    assert not at.exception, at.exception
    assert any("Badge earned" in s.value for s in at.success)
    assert db.best_quiz_scores(record.id)["m02-speed-badge"] == 1.0


def test_m03_debug_the_lstm_reveals_real_diagnostics(learner):
    at = open_page(M03, learner[1])
    if not any("Debug the LSTM" in s.value for s in at.subheader):
        pytest.fail("section missing")
    if at.radio(key="m03-debug-guess") is None:
        pytest.skip("debug pair not shipped")
    assert not any("average forget gate" in m.label for m in at.metric)
    at.radio(key="m03-debug-guess").set_value("Model A").run()
    assert not at.exception, at.exception
    gates = {m.label: float(m.value) for m in at.metric if "average forget gate" in m.label}
    assert gates["Model A: average forget gate"] < gates["Model B: average forget gate"]
    assert at.success and "Model A" in at.success[0].value


def test_m01_discussion_notes_are_saved(learner, db):
    record, token = learner
    at = open_page(M01, token)
    at.text_area(key="m01-discuss-notes").set_value("Ops logs are many-to-one.").run()
    at.button(key="m01-discuss-save").click().run()
    assert not at.exception, at.exception
    assert db.reflections(record.id, "m01-discuss") == {("m01-discuss", "notes"): "Ops logs are many-to-one."}


def test_m02_same_word_gets_a_different_state_in_a_new_position(learner):
    at = open_page(M02, learner[1])
    at.text_input(key="m02-seq").set_value("cat cat").run()
    steps = worked.run(worked.TinyRNN(), ["cat", "cat"])
    assert steps[0].h != steps[1].h
    shown = latex(at)
    assert any(f"{steps[1].h[0]:+.3f}" in t for t in shown) and any(f"{steps[0].h[0]:+.3f}" in t for t in shown)
