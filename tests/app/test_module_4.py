import time

from core.lessons import guessing
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
    prefix, answer = guessing.game_round(0)
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


def _code_values(at) -> list[str]:
    return [c.value for c in at.code]


def test_m04_timelapse_slider_moves_through_the_manifest_snapshots(learner):
    from core.lessons import timelapse
    from core.training import checkpoints

    at = open_page(M04, learner[1])
    assert not at.exception
    iters = [s.iteration for s in timelapse.snapshots_of(checkpoints.entry("warpeace-lstm"))]
    slider = at.select_slider(key="m04-tl-iter")
    assert list(map(int, slider.options)) == iters and int(slider.value) == iters[-1]
    before = _code_values(at)
    at.select_slider(key="m04-tl-iter").set_value(iters[0]).run()
    assert not at.exception
    assert _code_values(at) != before
    assert f"Sample of iteration {iters[0]} at τ = 0.8" in all_text(at)
    at.radio(key="m04-tl-tau").set_value("1.2").run()
    assert f"Sample of iteration {iters[0]} at τ = 1.2" in all_text(at)
    assert "Mostly real words" in all_text(at)


def test_m04_modern_ai_table_and_challenge_levels_are_listed(learner):
    at = open_page(M04, learner[1])
    text = all_text(at)
    assert "The idea underneath" in text and "top_k or top_p" in text
    assert "Beat the character-frequency baseline" in text
    pending = " ".join(i.value for i in at.info if "still to come" in i.value)
    assert "Training timelapse" not in pending and "Perplexity challenge levels" not in pending


def test_m04_challenges_say_plainly_when_the_corpus_is_missing(learner, tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_COURSE_DATA_DIR", str(tmp_path))
    at = open_page(M04, learner[1])
    assert not at.exception
    assert any("tinyshakespeare.txt; not found" in w.value for w in at.warning)
    assert not [b for b in at.button if b.key == "m04-ch-run"]


def test_m04_challenge_level_1_is_trained_and_judged_on_the_server(learner, db):
    from core.data.corpora import CorpusError, corpus_path

    try:
        corpus_path("tinyshakespeare", download=False)
    except CorpusError:
        import pytest
        pytest.skip("tinyshakespeare.txt is not in the data folder")
    at = open_page(M04, learner[1])
    at.slider(key="m04-ch-seconds-1").set_value(2)
    at.select_slider(key="m04-ch-hidden").set_value(32)
    at.button(key="m04-ch-run").click().run()
    assert not at.exception
    labels = {m.label: m.value for m in at.metric}
    assert "validation perplexity" in labels and "baseline perplexity" in labels
    assert float(labels["baseline perplexity"]) > 1
    saved = db.reflections(learner[0].id, "m04-challenges")
    assert ("m04-challenges", "level-1") in saved
    assert "not tried" in all_text(at) and ("passed ✓" in all_text(at) or "tried, not passed yet" in all_text(at))


def test_m04_lesson_text_is_rendered_from_the_lesson_file(learner):
    from core.course import lessons

    at = open_page(M04, learner[1])
    shown = [m.value for m in at.markdown]
    for name, body in lessons.blocks("m04").items():
        assert any(body in value for value in shown), f"block {name!r} of assets/lessons/m04.md is not on the page"
