import time

import pytest

from core.training import hparams
from tests.app.conftest import all_text, open_page

M09 = "pages/m09_implementation.py"


def _metric(at, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def test_m09_renders_warm_with_the_running_source(learner):
    open_page(M09, learner[1])
    start = time.perf_counter()
    at = open_page(M09, learner[1])
    print(f"warm render of {M09} (Home, then the page): {time.perf_counter() - start:.2f} s")
    assert not at.exception
    text = all_text(at)
    assert "9.1 Track A" in text and "9.4 Backpropagation through time" in text
    assert "def backward(p: Params, cache: dict)" in "".join(c.value for c in at.code)
    assert "Bug hunts" in text and "Live training dashboard" in text  # the dashboard is listed as still to come


def test_m09_tracks_a_and_b_train_live_and_fill_the_comparison(learner):
    at = open_page(M09, learner[1])
    at.slider(key="m09-a-steps").set_value(100)
    at.select_slider(key="m09-a-hidden").set_value(16)
    at.button(key="m09-a-train").click().run()
    assert not at.exception
    result = at.session_state["m09-a-result"]
    assert len(result.losses) == 100 and result.stopped == "finished"
    assert float(_metric(at, "mean loss").split()[0]) < result.losses[0]
    assert f"{at.session_state['m09-speed-A']:,.0f} chars/s" in all_text(at)
    at.slider(key="m09-b-steps").set_value(20)
    at.button(key="m09-b-train").click().run()
    assert not at.exception
    result = at.session_state["m09-b-result"]
    assert result.steps == 20 and result.losses[-1] < result.losses[0]
    assert "nats/char" in _metric(at, "validation loss")
    assert f"{at.session_state['m09-speed-B']:,.0f} chars/s" in all_text(at)


def test_m09_bptt_tables_follow_the_sliders_and_tips_are_saved(learner, db):
    at = open_page(M09, learner[1])
    before = all_text(at)
    assert "Truncated to windows" not in before
    at.slider(key="m09-bptt-T").set_value(6)
    at.slider(key="m09-bptt-k").set_value(2).run()
    assert not at.exception
    after = all_text(at)
    assert "Truncated to windows of 2 steps" in after
    at.slider(key="m09-bptt-w").set_value(2.0).run()
    assert all_text(at) != after
    at.checkbox(key="m09-tip-clip").check().run()
    assert not at.exception
    assert db.reflections(learner[0].id, "m09-tips")[("m09-tips", "clip")] == "done"
    assert "1 of 6 habits in place" in all_text(at)


def test_m09_bug_hunt_reveals_the_real_evidence_and_saves_the_answer(learner, db):
    at = open_page(M09, learner[1])
    at.button(key="m09-bug-repeat-run").click().run()
    assert not at.exception
    at.radio(key="m09-bug-repeat-diagnosis").set_value(1)
    at.radio(key="m09-bug-repeat-fix").set_value(1).run()
    at.button(key="m09-bug-repeat-check").click().run()
    assert not at.exception
    assert any("Right diagnosis and right fix" in s.value for s in at.success)
    assert "repeat the" in all_text(at)
    saved = db.reflections(learner[0].id, "m09-bughunts")
    assert "Sampling with a temperature near 0" in saved[("m09-bughunts", "repeat")]
    at.button(key="m09-bug-stuck-run").click().run()
    assert not at.exception
    assert "Largest gradient norm seen" in all_text(at)


@pytest.mark.skipif(not hparams.RESULTS_FILE.exists(), reason="grid results not produced yet")
def test_m09_hparam_explorer_switches_cells_and_exports_the_best(learner):
    at = open_page(M09, learner[1])
    assert not at.exception
    results = hparams.load()
    best = hparams.best(results)
    assert at.selectbox(key="m09-hp-cell").value == f"lr {best['lr']:g} · hidden {best['hidden']}"
    other = next(c for c in results["cells"] if c is not best)
    label = f"lr {other['lr']:g} · hidden {other['hidden']}"
    at.selectbox(key="m09-hp-cell").set_value(label).run()
    assert not at.exception
    assert f"{label}: final validation loss" in all_text(at)
    assert "Download the best config" in all_text(at)

