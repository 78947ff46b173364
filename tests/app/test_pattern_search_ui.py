"""Module 5's pattern search and Karpathy-cells view through AppTest (tests/app/pattern_search_app.py): a span picked
by typing or by positions, the held-out search on a shipped model and on a learner's own model, the fallback when
the held-out text is absent, and the cells compared with our measured units."""

from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.data import corpora as data
from core.jobs import runs as learner_runs
from core.lessons import cells, neurons
from core.lessons import pattern_search as ps
from core.models.charlm import CharLM, CharLMConfig
from core.training import checkpoints
from core.ui.lessons import pattern_search as search_ui
from tests.app.conftest import all_text

APP = str(Path(__file__).with_name("pattern_search_app.py"))


def run(**session) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in session.items():
        at.session_state[k] = v
    return at.run()


def shipped_with_corpus(name: str) -> None:
    try:
        entry = checkpoints.entry(name)
        data.corpus_path(entry["data"]["corpus"], download=False)
    except (checkpoints.CheckpointError, data.CorpusError) as e:
        pytest.skip(f"{name} or its corpus is not here: {e}")


def marks(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if "<mark" in m.value]


def test_search_on_a_shipped_model_finds_comments_for_a_comment_span():
    shipped_with_corpus("linux-lstm")
    at = run()
    assert not at.exception
    picks = at.dataframe[0].value
    assert list(picks.columns)[:2] == ["unit", "fires"] and len(picks) == 5
    assert marks(at) == [next(m for m in marks(at))]  # only the sample with its span, no search yet
    at.button(key="t-ps-linux-lstm-search").click().run()
    assert not at.exception
    text = all_text(at)
    assert "places** in 20,000 characters" in text or "places in 20,000 characters" in text
    found = marks(at)[1:]
    assert len(found) == search_ui.SHOW
    assert sum("/*" in f or " * " in f or "*/" in f or "//" in f for f in found) >= search_ui.SHOW // 2, found


def test_the_span_can_be_typed_or_slid_and_a_missing_piece_is_explained():
    shipped_with_corpus("linux-lstm")
    at = run()
    at.text_input(key="t-ps-linux-lstm-needle").input("no such text here").run()
    assert not at.exception and "does not appear in the sample" in all_text(at)
    at.text_input(key="t-ps-linux-lstm-needle").input("total").run()
    assert at.number_input(key="t-ps-linux-lstm-nth-3").value == 1  # "total" appears 3 times
    at.number_input(key="t-ps-linux-lstm-nth-3").set_value(3).run()
    sample = at.text_area(key="t-ps-linux-lstm-text").value
    before, _, rest = marks(at)[0].partition("<mark")
    assert before.count("total") == 2 and rest.split(">", 1)[1].startswith("total</mark>")
    at.radio(key="t-ps-linux-lstm-how").set_value(search_ui.BY_POSITION).run()
    slider = f"t-ps-linux-lstm-range-{len(sample)}"
    at.slider(key=slider).set_value((0, 6)).run()
    assert not at.exception
    assert f">{sample[:6]}</mark>" in marks(at)[0]
    at.slider(key=slider).set_value((0, len(sample))).run()
    assert "covers the whole sample" in all_text(at)


def test_lstmvis_rule_with_a_high_threshold_says_when_no_unit_passes():
    shipped_with_corpus("linux-lstm")
    at = run()
    at.radio(key="t-ps-linux-lstm-rule").set_value("threshold").run()
    at.slider(key="t-ps-linux-lstm-thr").set_value(0.9).run()
    assert not at.exception and "No unit passes this rule" in all_text(at)


@pytest.fixture
def own_run(tmp_path, monkeypatch):
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path))
    learner_runs.bind(None)
    torch.manual_seed(0)
    train, val = 'say "hi" (ok)\n' * 40, 'a "quote" and (a paren)\nmore "quotes" here\n' * 20
    vocab = data.Vocab.from_text(train + val)
    model = CharLM(CharLMConfig(kind="gru", vocab_size=len(vocab), hidden=16, layers=1, embed=8)).eval()
    rec = learner_runs.save_run(7, model, vocab, train, val, None, {"title": "mine", "corpus": "upload:q.txt"})
    return rec, val


def test_search_runs_on_a_learners_own_model_over_its_own_held_out_text(own_run):
    rec, val = own_run
    at = run(learner_id=7)
    name = f"own:7:{rec.run_id}"
    assert any(o.startswith("Your model: mine") for o in at.selectbox(key="t-ps-model").options)
    at.selectbox(key="t-ps-model").set_value(name).run()
    assert not at.exception
    assert at.text_area(key=f"t-ps-{name}-text").value == val[:240]  # its own held-out text as the sample
    at.text_input(key=f"t-ps-{name}-needle").input('"quote"').run()
    at.button(key=f"t-ps-{name}-search").click().run()
    assert not at.exception
    assert "the text held out when you trained this model" in all_text(at)
    assert marks(at)[1:], all_text(at)[-2000:]


def test_without_the_held_out_corpus_the_search_says_so(tmp_path, monkeypatch):
    shipped_with_corpus("latex-lstm")
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))  # an empty data folder
    search_ui.held_out_scan.clear()
    at = run(default="latex-lstm")
    at.button(key="t-ps-latex-lstm-search").click().run()
    assert not at.exception and "not on this server" in all_text(at)
    search_ui.held_out_scan.clear()


def test_cells_view_shows_each_post_cell_with_our_measured_unit_and_a_verdict():
    results = neurons.load_results()
    if not results:
        pytest.skip("checkpoints/neurons.json not produced yet")
    at = run(which="cells")
    assert not at.exception
    text = all_text(at)
    assert "karpathy.github.io/2015/05/21/rnn-effectiveness" in text and "about 5%" in text
    for cell in cells.POST_CELLS:
        assert cell.title in text
    table = at.dataframe[0].value
    assert len(table) == sum(len(c.ours) for c in cells.POST_CELLS)
    comment = table[(table["our model"] == "linux-lstm") & (table["our feature"] == "inside a C comment")].iloc[0]
    per_layer = [per["comment"]["top"][0][1] for per in results["models"]["linux-lstm"]["units"].values()]
    assert abs(comment["Pearson r"]) == max(map(abs, per_layer))
    assert "python -m core.lessons.neurons" in text


def test_cells_view_without_the_analysis_says_it_is_not_installed():
    at = run(which="cells", results={"models": {}})
    assert not at.exception and "not installed on this server" in all_text(at)


def test_scan_constants_keep_the_held_out_pass_small():
    assert 20_000 <= ps.SCAN_CHARS <= 50_000 and search_ui.MAX_CHARS == 300
