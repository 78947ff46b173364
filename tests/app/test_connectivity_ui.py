"""The connectivity view driven through AppTest with the shipped trio, another shipped model and a learner's own."""

import re

import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.data.corpora import Vocab
from core.jobs import runs as learner_runs
from core.models.charlm import CharLM, CharLMConfig
from core.ui import models
from core.ui.lessons import connectivity as connectivity_ui
from tests.app.conftest import all_text

KEY = "t-conn"
LEARNER = 7


def page(learner_id: int | None = None) -> None:
    from types import SimpleNamespace

    from core.ui.lessons import connectivity as connectivity_ui

    ctx = None if learner_id is None else SimpleNamespace(learner=SimpleNamespace(id=learner_id))
    connectivity_ui.view(ctx, "t-conn")


def start(learner_id: int | None = None) -> AppTest:
    return AppTest.from_function(page, kwargs={"learner_id": learner_id}, default_timeout=120).run()


def strips(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "font-family:monospace" in m.value]


def boxed(strip: str) -> str:
    """The character shown as the predicted one."""
    return re.search(r'title="the predicted character"[^>]*>([^<]*)</span>', strip).group(1)


@pytest.fixture(autouse=True)
def trio_shipped():
    if len(models.shipped_charlms(("rnn", "lstm", "gru"))) < 3:
        pytest.skip("the shipped Shakespeare trio is not installed")


def test_nothing_is_computed_until_the_button_then_three_strips_and_a_chart():
    at = start()
    assert not at.exception
    assert not strips(at) and not at.get("vega_lite_chart")
    assert "Nothing is computed until you press the button" in all_text(at)
    at.button[0].click().run()
    assert not at.exception
    shown = strips(at)
    assert len(shown) == 3 and len(at.get("vega_lite_chart")) == 1
    assert [m.value for m in at.markdown if m.value.startswith("**")][:3] == ["**vanilla RNN**", "**LSTM**",
                                                                              "**GRU**"]
    text = connectivity_ui.DEFAULT_TEXT
    for strip in shown:
        assert strip.count("<span") == len(text)
        assert boxed(strip) == "?"  # the default target is the last character
        assert "no influence" not in strip  # nothing comes after it
    assert "Computed live" in all_text(at) and "How this was made" in all_text(at)


def test_the_slider_explains_another_character_and_greys_out_what_follows():
    at = start()
    at.button[0].click().run()
    text = connectivity_ui.DEFAULT_TEXT
    at.slider[0].set_value(text.index("Juliet") + 1).run()  # the "J" of the first "Juliet" (1-based)
    assert not at.exception
    for strip in strips(at):
        assert boxed(strip) == "J"
        assert strip.count("no influence") == len(text) - text.index("Juliet") - 1
    assert "Explaining the prediction of **“J”**" in all_text(at)


def test_unknown_characters_are_left_out_and_the_length_is_capped():
    at = start()
    at.text_area[0].input("KING (aside): 1 2 3, say no more!")
    at.button[0].click().run()
    assert not at.exception
    assert "Left out characters the model never saw" in all_text(at)
    assert strips(at)[0].count("<span") == len("KING aside:   3, say no more!")  # the trio knows "3", not "1"
    assert at.text_area[0].max_chars == connectivity_ui.MAX_CHARS
    at.text_area[0].input("Pay me $3, and then $3 more$")  # a "$" in the prose must not start LaTeX
    at.button[0].click().run()
    assert not at.exception
    assert any(m.value.startswith("Explaining the prediction of **“\\$”**") for m in at.markdown)
    assert "P(“\\$”)" in at.caption[1].value  # the first model's line
    assert "$" not in strips(at)[0] and strips(at)[0].count("&#36;") == 3
    at.text_area[0].input("1")
    at.button[0].click().run()
    assert not at.exception and "Type at least two characters" in all_text(at)


def test_another_shipped_model_is_shown_alone():
    at = start()
    at.radio(key=f"{KEY}-mode").set_value("one").run()
    assert at.selectbox(key=f"{KEY}-model").value == "shakespeare-lstm-best"
    at.button[0].click().run()
    assert not at.exception and len(strips(at)) == 1 and len(at.get("vega_lite_chart")) == 1


def test_a_learners_own_model_can_be_picked(tmp_path, monkeypatch):
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path / "state"))
    torch.manual_seed(0)
    vocab = Vocab.from_text("abcdefghijklmnopqrstuvwxyz ,.!?\n")
    model = CharLM(CharLMConfig(kind="gru", vocab_size=len(vocab), hidden=16, layers=1, embed=8))
    rec = learner_runs.save_run(LEARNER, model, vocab, "some text", "more", None,
                                {"title": "tiny", "corpus": "upload:t.txt", "stopped": "finished", "steps": 3})
    at = start(LEARNER)
    at.radio(key=f"{KEY}-mode").set_value("one").run()
    at.selectbox(key=f"{KEY}-model").set_value(models.own_key(LEARNER, rec.run_id)).run()
    at.button[0].click().run()
    assert not at.exception
    assert len(strips(at)) == 1 and "Your model: tiny" in all_text(at)
    assert "Left out characters" in all_text(at)  # the default text's capitals are not in this vocabulary
