"""Module 6's teacher-forcing and beam-search widgets, run alone: the stored exposure-bias example shows without
loading a model, and the buttons run the real decoders."""

from streamlit.testing.v1 import AppTest

from core.lessons import dates_decoding as dd
from tests.app.conftest import all_text


def _script():
    from core.ui.lessons import dates_decoding

    dates_decoding.teacher_forcing("t")
    dates_decoding.beam_search("t")


def test_side_by_side_lists_both_runs_step_by_step():
    from core.ui.lessons import dates_decoding

    ex = dd.load_asset()["exposure_bias"]
    table = dates_decoding.side_by_side(ex)
    assert len(table) == len(ex["target"]) + 1
    assert list(table["correct"][:2]) == [ex["target"][0], ex["target"][1]]
    assert table["free running"].str.endswith("✗").sum() == ex["wrong_chars"]
    assert table["teacher forcing"][0] == f"start → {ex['forced'][0]['char']} · {ex['forced'][0]['prob']:.0%}"
    assert dates_decoding.forced_wrong(ex) == 1


def test_teacher_forcing_and_beam_widgets_respond_with_real_decoding():
    ex = dd.load_asset()["exposure_bias"]
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception
    text = all_text(at)
    assert ex["text"] in text and "exposure bias" in text and "Exact match by beam width" in text
    assert "log p (nats)" not in text  # nothing is decoded before the learner asks
    at.button(key="t-tf-run").click().run()
    assert not at.exception and ex["free_output"] in all_text(at)
    at.text_input(key="t-tf-target").set_value("March 3").run()
    at.button(key="t-tf-run").click().run()
    assert "spaces only, like" in all_text(at)

    at.button(key="t-beam-run").click().run()
    assert not at.exception and "log p (nats)" in all_text(at)
    for width in dd.WIDTHS:
        at.select_slider(key="t-beam-width").set_value(width).run()
        assert not at.exception
    at.selectbox(key="t-beam-model").set_value("dates-attention").run()
    at.text_input(key="t-beam-text").set_value("Paid 3 Mar 2021 and 9 May 2022").run()
    assert not at.exception and "2021-03-03 2022-05-09" in all_text(at)


def test_beam_table_marks_the_known_answer_of_the_stored_example():
    ex = dd.load_asset()["exposure_bias"]
    at = AppTest.from_function(_script, default_timeout=60).run()
    at.select_slider(key="t-beam-width").set_value(8).run()
    at.button(key="t-beam-run").click().run()
    assert not at.exception
    text = all_text(at)
    assert "correct?" in text and f"The correct answer, `{ex['target']}`" in text
