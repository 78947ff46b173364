import time

from core.ui import charlm_demos
from tests.app.conftest import all_text, open_page

M04 = "pages/m04_char_lm.py"


def test_m04_hello_training_changes_the_numbers(learner):
    at = open_page(M04, learner[1])
    assert not at.exception
    before = at.metric[1].value
    at.slider(key="m04-hello-steps").set_value(0).run()
    assert not at.exception
    assert at.metric[1].value != before
    assert at.metric[0].value == at.metric[1].value  # no training: after == before


def test_m04_calculators_follow_the_inputs(learner):
    at = open_page(M04, learner[1])
    at.number_input(key="m04-calc-p").set_value(0.5).run()
    assert "1.0000 bits" in all_text(at)
    at.number_input(key="m04-calc-loss").set_value(2.0).run()
    assert "7.389" in all_text(at)


def test_m04_temperature_playground_resamples_and_reshapes(learner):
    at = open_page(M04, learner[1])
    codes = [c.value for c in at.code]
    at.button(key="m04-resample").click().run()
    assert not at.exception
    assert [c.value for c in at.code] != codes
    assert at.query_params.get("seed") == ["1"] or at.query_params.get("seed") == "1"
    at.slider(key="m04-tau").set_value(0.3).run()
    assert at.query_params.get("tau") in ("0.3", ["0.3"])


def test_m04_guess_game_scores_a_round(learner):
    at = open_page(M04, learner[1])
    prefix, answer = charlm_demos.game_round(0)
    at.text_input(key="m04-guess-0").input(answer).run()
    at.button(key="m04-reveal").click().run()
    assert not at.exception
    assert "Answer:" in all_text(at)
    you = [m for m in at.metric if m.label == "you"][0]
    assert you.value == "1"
    at.button(key="m04-next").click().run()
    assert "m04-guess-1" in [w.key for w in at.text_input]


def test_m04_warm_render_time(learner):
    open_page(M04, learner[1])
    start = time.perf_counter()
    at = open_page(M04, learner[1])
    elapsed = time.perf_counter() - start
    assert not at.exception
    print(f"warm render of {M04}: {elapsed:.2f} s")
