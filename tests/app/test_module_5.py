
import pytest

from core.data.corpora import CorpusError, corpus_path
from core.lessons import gallery, timelapse
from core.training import checkpoints
from tests.app.conftest import all_text, open_page

M05 = "pages/m05_experiments.py"


def _codes(at) -> list[str]:
    return [c.value for c in at.code]


def test_m05_shakespeare_gallery_follows_the_character_name(learner):
    at = open_page(M05, learner[1])
    assert not at.exception
    assert any(c.startswith("JULIET:\n") for c in _codes(at))
    at.text_input(key="m05-gal-play-name").input("Romeo").run()
    assert not at.exception
    assert any(c.startswith("ROMEO:\n") for c in _codes(at))
    assert "characters generated in" in all_text(at)
    at.text_input(key="m05-gal-play-name").input("R2-D2!").run()
    assert any("Enter a character name" in w.value for w in at.warning)


def test_m05_latex_and_c_tabs_generate_from_the_prompt(learner):
    at = open_page(M05, learner[1])
    codes = _codes(at)
    assert any(c.startswith("\\begin{theorem}\nLet $R$") for c in codes)
    assert any(c.startswith("static int count_free_pages(struct zone *zone)\n{\n") for c in codes)
    at.text_input(key="m05-gal-c-signature").input("void reset_all(void)").run()
    assert any(c.startswith("void reset_all(void)\n{\n") for c in _codes(at))
    before = _codes(at)
    at.button(key="m05-gal-c-again").click().run()
    assert _codes(at) != before


def test_m05_name_votes_are_checked_against_the_training_list(learner, db):
    try:
        corpus_path("names", download=False)
    except CorpusError:
        pytest.skip("names.txt is not in the data folder")
    at = open_page(M05, learner[1])
    votes = [r for r in at.radio if r.key and r.key.startswith("m05-vote-0-")]
    assert len(votes) == 10
    for r in votes:
        r.set_value("invented")
    at.run()
    at.button(key="m05-names-check").click().run()
    assert not at.exception
    right = [m for m in at.metric if m.label == "your votes that were right"]
    assert right and right[0].value.endswith("/ 10")
    assert ("m05-names", "round-0") in db.reflections(learner[0].id, "m05-names")


def test_m05_names_say_plainly_when_the_list_is_missing(learner, tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_COURSE_DATA_DIR", str(tmp_path))
    at = open_page(M05, learner[1])
    assert not at.exception
    assert any("Needs names.txt" in w.value and "not found" in w.value for w in at.warning)


def test_m05_scrubber_shows_the_snapshot_samples(learner):
    snaps = timelapse.snapshots_of(checkpoints.entry("warpeace-lstm"))
    at = open_page(M05, learner[1])
    slider = at.select_slider(key="m05-scrub-iter")
    assert list(map(int, slider.options)) == [s.iteration for s in snaps]
    last = snaps[-1]
    at.select_slider(key="m05-scrub-iter").set_value(last.iteration).run()
    assert not at.exception
    codes = _codes(at)
    assert all(sample in codes for sample in last.samples.values())


def test_m05_spot_the_error_checks_the_line_on_the_server(learner, db):
    at = open_page(M05, learner[1])
    puzzle = [p for p in gallery.load_puzzles() if gallery.errors(p["kind"], p["text"])][0]
    faulty = gallery.errors(puzzle["kind"], puzzle["text"])[0].line
    n_lines = puzzle["text"].count("\n") + 1
    clean = next(i for i in range(1, n_lines + 1) if not gallery.check_answer(puzzle["kind"], puzzle["text"], i)[0])
    box = at.selectbox(key=f"m05-spot-line-{puzzle['id']}")
    box.set_value(clean).run()
    at.button(key="m05-spot-check").click().run()
    assert any("finds nothing wrong" in e.value for e in at.error)
    at.selectbox(key=f"m05-spot-line-{puzzle['id']}").set_value(faulty).run()
    at.button(key="m05-spot-check").click().run()
    assert any("that line is faulty" in s.value for s in at.success)
    assert '"correct": true' in db.reflections(learner[0].id, "m05-spot")[("m05-spot", puzzle["id"])]
    at.button(key="m05-spot-next").click().run()
    assert not at.exception and "Puzzle 2 of" in all_text(at)


def test_m05_opens_again_without_error_for_a_returning_learner(learner):
    open_page(M05, learner[1])
    at = open_page(M05, learner[1])  # the warm path: caches filled, the learner known
    assert not at.exception


def test_m05_lesson_text_is_rendered_from_the_lesson_file(learner):
    from core.course import lessons

    at = open_page(M05, learner[1])
    shown = [m.value for m in at.markdown] + [c.value for c in at.caption]
    after_a_guess = {"detective-excerpt-note"}  # the neuron detective shows it once a guess is checked
    for name, body in lessons.blocks("m05").items():
        if name not in after_a_guess:
            assert any(body in value for value in shown), f"block {name!r} of assets/lessons/m05.md is not on the page"
