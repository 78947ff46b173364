"""The activation heatmap explorer and the neuron detective game, driven through AppTest (tests/app/neurons_app.py)."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.lessons import neurons
from core.ui.lessons import neurons as neurons_ui
from tests.app.conftest import all_text

APP = str(Path(__file__).with_name("neurons_app.py"))


def run(which: str, **session) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["which"] = which
    for k, v in session.items():
        at.session_state[k] = v
    return at.run()


def key(at: AppTest, name: str) -> str:
    """The explorer's widget key for the model the page picked first."""
    return f"t-ex-{at.selectbox(key='t-ex-model').value}-{name}"


def colored(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "font-family:monospace" in m.value)


def test_explorer_lights_up_units_for_pasted_text_and_follows_the_widgets():
    at = run("explorer")
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 2  # heatmap + unit trace
    first = colored(at)
    at.text_area(key=key(at, "text")).input('He said "yes" and left.').run()
    assert not at.exception
    assert colored(at) != first and colored(at).count("<span") == len('He said "yes" and left.')
    assert "&quot;" in colored(at)  # the text is escaped, not interpreted as HTML
    unit_box = at.selectbox(key=key(at, "unit-1-c-None"))
    before = colored(at)
    unit_box.set_value(int(unit_box.options[5].split()[-1])).run()
    assert colored(at) != before
    at.radio(key=key(at, "signal")).set_value("h").run()
    at.selectbox(key=key(at, "layer")).set_value(0).run()
    assert not at.exception and "layer 1: h" in all_text(at)


def test_explorer_filters_units_by_a_feature_with_held_out_and_live_r():
    at = run("explorer")
    at.text_area(key=key(at, "text")).input('"Go," he said. "Now!"\nShe did not answer (not yet).').run()
    at.selectbox(key=key(at, "filter")).set_value("quotes").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["unit", "r on held-out text", "r on your text"]
    if neurons.is_current(neurons.load_results(), at.selectbox(key="t-ex-model").value):  # held-out units first
        assert table["r on held-out text"].notna().iloc[0]
    assert "r on your text" in table and table["r on your text"].notna().all()


def test_explorer_caps_long_text_and_explains_empty_or_unknown_input():
    at = run("explorer")
    at.text_area(key=key(at, "text")).input("word " * 200).run()
    assert f"only the first {neurons_ui.MAX_CHARS}" in all_text(at)
    assert not at.exception
    at.text_area(key=key(at, "text")).input("   ").run()
    assert "Type or paste some text" in all_text(at)
    at.text_area(key=key(at, "text")).input("日本語 ok").run()
    assert not at.exception and "never saw in training" in all_text(at)


def test_explorer_runs_on_a_learners_own_model_without_held_out_results():
    at = run("own")
    assert not at.exception
    at.selectbox(key="t-own-filter").set_value("parens").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["r on held-out text"].isna().all() and table["r on your text"].notna().all()
    assert "your text only" in all_text(at)


def puzzle_results() -> dict:
    res = neurons.load_results()
    if not res or not res.get("puzzles"):
        pytest.skip("checkpoints/neurons.json not produced yet")
    return res


def test_detective_scores_a_right_and_a_wrong_guess_and_saves_them(learner, db):
    res = puzzle_results()
    record, _ = learner
    at = run("detective", learner_id=record.id)
    assert not at.exception
    p = res["puzzles"][0]
    at.radio(key="m05-nd-guess-0").set_value(p["answer"]).run()
    at.button(key="m05-nd-check").click().run()
    assert not at.exception
    text = all_text(at)
    assert "Right" in text and "Pearson r" in text and f"{p['r']:+.2f}" in text
    assert at.metric[0].value == "1 of 1"
    saved = db.reflections(record.id, neurons_ui.QUIZ_ID)
    assert "answer:" in saved[(neurons_ui.QUIZ_ID, p["id"])]

    at.button(key="m05-nd-next").click().run()
    q = res["puzzles"][1]
    wrong = next(c for c in q["choices"] if c != q["answer"])
    at.radio(key="m05-nd-guess-1").set_value(wrong).run()
    at.button(key="m05-nd-check").click().run()
    assert "Not quite" in all_text(at) and at.metric[0].value == "1 of 2"


def test_summary_tables_show_the_shipped_correlations_and_how_they_were_made():
    res = puzzle_results()
    at = run("summary")
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["model"]) == set(res["models"])
    best = max(abs(v["top"][0][1]) for m in res["models"].values() for per in m["units"].values()
               for f, v in per.items() if neurons.FEATURES[f].memory)
    assert table["Pearson r"].abs().max() == best
    assert "python -m core.lessons.neurons" in all_text(at)


def test_detective_without_results_says_so(learner):
    at = run("detective", learner_id=learner[0].id, results={"puzzles": []})
    assert not at.exception and "not installed on this server" in all_text(at)


def test_live_pass_over_the_longest_allowed_text_is_fast():
    import torch

    from core.lessons import analysis
    from core.models import inference
    from core.training import checkpoints

    inference.configure_threads()  # as the app does: one torch thread
    model, entry = checkpoints.load("linux-lstm")
    ids = torch.tensor([checkpoints.vocab_of(entry).encode(("the cat sat. " * 30)[:neurons_ui.MAX_CHARS])])
    analysis.layer_states(model, ids)
    start = time.perf_counter()
    analysis.layer_states(model, ids)
    elapsed = time.perf_counter() - start
    print(f"layer_states on {neurons_ui.MAX_CHARS} chars, linux-lstm 2x256: {elapsed * 1000:.0f} ms")
    assert elapsed < 2.0  # ~0.1-0.2 s here; generous for a loaded shared CPU
