import json

from core.course import decisions
from core.ui.lessons import limits_decisions
from tests.app.conftest import all_text, open_page

M08 = "pages/m08_limitations.py"


def _radio(at, key):
    return next(r for r in at.radio if r.key == key)


def test_m08_builds_every_planned_element_and_the_live_stress_probe_follows_the_distance(learner):
    at = open_page(M08, learner[1])
    assert not at.exception
    text = all_text(at)
    for heading in ("Long-range dependency stress test", "RNN vs transformer speed comparison",
                    "Sequence model timeline", "Transformer preview", "Should I use an RNN?",
                    "Architecture selection exercise", "Build or buy", "Apply it"):
        assert heading in text
    assert "still to come" not in text
    before = at.code[0].value
    at.select_slider(key="m08-stress-distance").set_value(5).run()
    assert not at.exception
    assert at.code[0].value != before and len(at.code[0].value) == 5 + 2
    at.slider(key="m08-stress-attractors").set_value(0.5).run()
    assert not at.exception and "only distance 5" in all_text(at)


def test_m08_speed_benchmark_runs_live_and_names_the_device(learner):
    at = open_page(M08, learner[1])
    assert "Press **Run the benchmark**" in all_text(at)
    at.select_slider(key="m08-bench-longest").set_value(32)
    at.select_slider(key="m08-bench-width").set_value(32)
    at.button(key="m08-bench-run").click().run()
    assert not at.exception
    text = all_text(at)
    assert "Measured on cpu:" in text and "time per sequence (ms" in text
    assert "grew" in text  # the summary computed from the measurements


def test_m08_flowchart_and_build_vs_buy_show_the_reasoning_path_and_live_costs(learner):
    at = open_page(M08, learner[1])
    _radio(at, "m08-rnn-streaming").set_value("Yes, it processes a live stream").run()
    _radio(at, "m08-rnn-device").set_value("On a microcontroller, phone or other small device").run()
    assert not at.exception
    leaf = decisions.tree("rnn").nodes["leaf_small_rnn"]
    assert any(leaf.recommendation in s.value for s in at.success)
    assert "Your reasoning path" in all_text(at)
    for key in ("m08-bvb-standard", "m08-bvb-data_leaves", "m08-bvb-volume"):
        _radio(at, key).set_value("Yes").run()
    assert any("Use a hosted API" in s.value for s in at.success)
    # the cost table computes in the browser (tests/ui/test_client_charts_m08.py): here, its assumptions reach it
    text = all_text(at)
    assert "log_req" in text and "Custom transformer" in text and "Break-even: self-hosting wins" in text
    assert "fixed monthly cost" in text  # the break-even formula under the chart


def test_m08_transformer_preview_switches_weights_and_rejects_unknown_words(learner):
    at = open_page(M08, learner[1])
    before = all_text(at)
    assert "Prediction:" in before
    at.radio(key="m08-tf-weights").set_value("untrained").run()
    assert not at.exception and all_text(at) != before
    at.selectbox(key="m08-tf-sentence").set_value("(type your own)").run()
    at.text_input(key="m08-tf-text").input("the unicorn near the boxes").run()
    assert any("Unknown word" in w.value for w in at.warning)


def test_m08_exercises_are_saved_and_graded(learner, db):
    record, token = learner
    at = open_page(M08, token)
    _, scenarios = decisions.exercise()
    for s in scenarios:
        _radio(at, f"m08-arch-{s.id}").set_value(s.answer)
    at.text_area(key=f"m08-arch-why-{scenarios[0].id}").input("Tiny, offline, always on.")
    next(b for b in at.button if b.label == "Save and compare").click().run()
    assert not at.exception
    saved = db.reflections(record.id, limits_decisions.EXERCISE_ID)
    assert json.loads(saved[(limits_decisions.EXERCISE_ID, scenarios[0].id)]) == {
        "choice": scenarios[0].answer, "why": "Tiny, offline, always on."}
    assert f"Score: {len(scenarios)} / {len(scenarios)}" in all_text(at)
    _radio(at, "m08-apply-approach").set_value("Custom RNN/LSTM")
    at.text_area(key="m08-apply-justification").input("Edge sensors, no network.")
    next(b for b in at.button if b.label == "Save my proposal").click().run()
    assert not at.exception
    mine = db.reflections(record.id, limits_decisions.APPLY_ID)
    assert mine[(limits_decisions.APPLY_ID, "approach")] == "Custom RNN/LSTM"
    assert mine[(limits_decisions.APPLY_ID, "justification")] == "Edge sensors, no network."


def test_m08_opens_again_without_error_for_a_returning_learner(learner):
    open_page(M08, learner[1])
    at = open_page(M08, learner[1])  # the warm path: caches filled, the learner known
    assert not at.exception
