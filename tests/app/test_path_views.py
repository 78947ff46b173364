"""Each path's own view through the real page scripts: the sidebar's "your path" lists exactly the path's steps;
path A (a manager's view) gets technical blocks folded and the business view in full; path C ends with a model
trained on the learner's own text and sampled at three temperatures."""

import pytest

from core.course import business, curriculum
from core.jobs import engine
from core.jobs import registry as jobs
from core.jobs import runs as learner_runs
from core.jobs import spec as job_spec
from tests.app.conftest import all_text, open_page

COURSE = curriculum.load_course()
TEXT = ("the quick brown fox jumps over the lazy dog; pack my box with five dozen liquor jugs.\n" * 60).encode()


def as_path(db, learner, path: str | None, page: str):
    record, token = learner
    db.set_path(record.id, path)
    at = open_page(page, token)
    assert not at.exception, at.exception
    return at


def technical(at) -> list[str]:
    return [e.label for e in at.expander if e.label.startswith("Technical:")]


@pytest.mark.parametrize("path_key", list(COURSE.paths))
def test_the_sidebar_stars_exactly_the_paths_modules_and_practice_pages(db, learner, path_key):
    at = as_path(db, learner, path_key, "Home.py")
    starred = [link.proto.label.removesuffix(" ★") for link in at.sidebar.get("page_link")
               if link.proto.label.endswith(" ★")]
    path = COURSE.paths[path_key]
    modules = [COURSE.pages[m].label for m in path.modules]
    assert starred[:len(modules)] == modules, "the path's modules, in path order"
    assert starred[len(modules):] == [COURSE.pages[p].label for p in path.extras], "and its pages, in path order"


@pytest.mark.parametrize("page, folded", [
    ("pages/m03_lstm.py", ["chain rule", "LSTM's equations", "GRU's equations", "race's measurements", "broken LSTM"]),
    ("pages/m05_experiments.py", ["correlation tables"]),
    ("pages/m07_attention.py", ["attention equations", "Neural Turing Machine", "code lab"])])
def test_path_a_folds_technical_blocks_that_other_paths_see_as_today(db, learner, page, folded):
    at = as_path(db, learner, "A", page)
    labels = technical(at)
    assert all(any(word in label for label in labels) for word in folded), labels
    if page.endswith("m03_lstm.py"):  # the folded blocks still hold their content (open one to read it)
        equations = next(e for e in at.expander if "equations, gate by gate" in e.label)
        assert any("c_t = f_t" in m.value for m in equations.markdown)
    other = as_path(db, learner, "B", page)
    assert not technical(other)


def test_path_a_ends_a_module_with_the_business_view_in_full(db, learner):
    view = business.for_module("m03")
    at = as_path(db, learner, "A", "pages/m03_lstm.py")
    assert "What this means for your organisation" in [s.value for s in at.subheader]
    shown = "\n".join(m.value for m in at.main.markdown)
    assert all(line in shown for line in view.organisation)
    assert view.table.title in shown and view.table.rows[0][0] in shown
    assert not [e for e in at.expander if e.label == "What this means for your organisation"]


@pytest.mark.parametrize("path_key, page", [("A", "pages/m01_sequences.py"), ("B", "pages/m06_beyond_text.py")])
def test_business_tables_of_modules_1_and_6_render(db, learner, path_key, page):
    module_id = page.split("/")[1][:3]
    table = business.for_module(module_id).table
    at = as_path(db, learner, path_key, page)
    assert table.title in all_text(at) and table.rows[-1][1] in all_text(at)
    folded = [e for e in at.expander if e.label == "What this means for your organisation"]
    assert bool(folded) == (path_key != "A"), "folded away off the manager's path, in full on it"


@pytest.fixture
def registry(tmp_path, monkeypatch, db):
    """The app's registry on this test's database, with a short run cap so the preset run ends in seconds."""
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path / "state"))
    monkeypatch.setenv(engine.BROKER_ENV, "memory://")
    monkeypatch.setenv(jobs.CONCURRENT_ENV, "1")
    monkeypatch.setenv(job_spec.SECONDS_ENV, "4")
    jobs._registry = None
    yield
    if jobs._registry is not None:
        jobs._registry.shutdown(timeout=60)
    jobs._registry = None
    learner_runs.bind(None)


@pytest.mark.slow
def test_path_c_ends_with_its_own_text_trained_and_sampled_at_three_temperatures(db, learner, registry):
    record, _ = learner
    at = as_path(db, learner, "C", "pages/p_own_model.py")
    assert "The last step of your path" in all_text(at)
    at.radio(key="own-quick-source").set_value("upload").run()
    at.file_uploader(key="own-quick-file").set_value(("fox.txt", TEXT, "text/plain"))
    at.run()
    assert not at.exception, at.exception
    assert any("Preset: an LSTM with 32 units" in c.value for c in at.caption), "sized for a 5k-character text"
    at.button(key="own-quick-start").click().run()
    assert not at.exception, at.exception
    job = jobs.registry().current(record.uid)
    assert job is not None and job.spec.kind == "lstm" and job.spec.seconds == 4
    assert job.join(60)
    at.run()
    assert not at.exception, at.exception
    run = learner_runs.list_runs(record.uid)[0]
    assert at.selectbox(key="own-quick-run").value == run.run_id
    heads = [m.value for m in at.markdown if m.value.startswith("**τ = ")]
    assert [h.split(" ·")[0] for h in heads] == ["**τ = 0.5**", "**τ = 1.0**", "**τ = 1.5**"]
    samples = [c.value for c in at.code][-3:]
    # a model that has memorised a repetitive text can write the same at tau 0.5 and 1.0; never at all three
    assert len(samples) == 3 and all(len(s) > 100 for s in samples) and len(set(samples)) >= 2
    at.button(key="own-quick-again").click().run()
    assert not at.exception and [c.value for c in at.code][-3:] != samples, "new samples on request"


def test_own_model_starts_on_a_course_text_so_a_learner_without_a_file_can_train(db, learner):
    at = as_path(db, learner, "C", "pages/p_own_model.py")
    assert "counts on your path once a model of yours" in all_text(at)
    source = at.radio(key="own-quick-source")
    if "tinyshakespeare" not in source.options:
        pytest.skip("tinyshakespeare is not on this machine")
    assert source.value == "tinyshakespeare"
    assert not at.button(key="own-quick-start").disabled, "Train is there at once, no upload needed"


def test_own_model_trains_on_pasted_text(db, learner):
    at = as_path(db, learner, "C", "pages/p_own_model.py")
    at.radio(key="own-quick-source").set_value("paste").run()
    at.text_area(key="own-quick-paste").input(TEXT.decode()).run()
    assert not at.exception, at.exception
    assert any("Preset: an LSTM with 32 units" in c.value for c in at.caption)
    assert not at.button(key="own-quick-start").disabled


def test_home_words_a_finished_path_by_what_it_asked_for(db, learner):
    record, _ = learner
    for module_id in COURSE.paths["A"].modules:
        for section in COURSE.required_sections(module_id, "A"):
            db.set_section_done(record.id, module_id, section)
        db.record_quiz_score(record.id, module_id, 1.0, 1.0)
    at = as_path(db, learner, "A", "Home.py")
    text = all_text(at)
    assert "read and quizzed" in text and "practised" not in text and "code labs" not in text
    assert "all read" in text and "0 h 00 min to go" not in text
