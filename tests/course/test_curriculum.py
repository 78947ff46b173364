"""assets/course.yaml and assets/glossary.yaml are valid, the paths are the lesson plan's, and a path step is
complete only with its evidence (quiz passed, labs where the path asks), not from ticks alone."""


import pytest

from core.course import curriculum, glossary, progress
from core.labs import exercises
from core.settings import REPO_ROOT

COURSE = curriculum.load_course()
ROOT = REPO_ROOT


def test_modules_0_to_10_each_have_tldr_goals_takeaways_and_sections():
    assert [m.number for m in COURSE.modules.values()] == list(range(11))
    for m in COURSE.modules.values():
        assert len(m.tldr.split()) >= 40, m.id
        assert len(m.goals) >= 3 and len(m.takeaways) >= 3 and m.stakeholder, m.id
        assert len(m.sections) >= 2 and all(s.minutes > 0 for s in m.sections), m.id
        assert all(s.id.startswith(f"{m.number}.") for s in m.sections), m.id
        assert len({s.id for s in m.sections}) == len(m.sections), m.id


def test_learning_paths_are_exactly_the_lesson_plans():
    ids = {k: [COURSE.modules[m].number for m in p.modules] for k, p in COURSE.paths.items()}
    assert ids == {"A": [0, 1, 3, 5, 7, 8], "B": list(range(11)), "C": [0, 1, 2, 4, 8], "D": [0, 2, 3, 7, 8]}
    assert COURSE.paths["C"].sections == {}, "path C takes all of module 4, temperature (4.4) included"
    assert "4.4" in COURSE.required_sections("m04", "C")
    assert COURSE.paths["B"].extras == ("codelabs", "flashcards", "cheatsheets"), "labs are central to path B"
    assert COURSE.paths["D"].extras == ("interview", "flashcards", "cheatsheets")
    assert not COURSE.paths["A"].extras
    assert COURSE.paths["C"].extras == ("ownmodel",), "path C ends with a model trained on the learner's own text"
    assert {k: p.labs for k, p in COURSE.paths.items()} == {"A": "none", "B": "passed", "C": "none", "D": "attempted"}


def test_path_c_points_to_training_on_your_own_text():
    notes = " ".join(COURSE.paths["C"].notes.values())
    assert "Train on your own text" in notes and "Module 5" in notes


def test_module_labs_are_real_labs_placed_on_that_module():
    placed = {page: {lab for _, labs in groups for lab in labs} for page, groups in exercises.PLACEMENT.items()}
    with_labs = {m.id for m in COURSE.modules.values() if m.labs}
    assert with_labs == set(placed), "every module that shows labs names the ones that complete it"
    for module_id in with_labs:
        assert set(COURSE.modules[module_id].labs) <= placed[module_id], module_id


def test_every_page_has_a_script_and_every_script_is_a_page():
    for page in COURSE.pages.values():
        assert (ROOT / page.file).is_file(), page.file
    scripts = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert scripts == {p.file for p in COURSE.pages.values() if p.file != "Home.py"}


def test_every_page_script_starts_with_the_shared_course_page_call():
    for page in COURSE.pages.values():
        code = (ROOT / page.file).read_text()
        assert f'shell.course_page("{page.id}")' in code, page.file


def test_path_time_estimates_add_up_from_sections():
    c_minutes = COURSE.path_minutes("C")
    assert c_minutes == sum(COURSE.modules[m].minutes for m in ("m00", "m01", "m02", "m04", "m08")) + \
        COURSE.pages["ownmodel"].minutes
    extras = sum(COURSE.pages[p].minutes for p in ("codelabs", "flashcards", "cheatsheets"))
    assert COURSE.path_minutes("B") == sum(m.minutes for m in COURSE.modules.values()) + extras


def show_everything(step: str, quizzes: dict, labs: dict, solved: bool = True) -> None:
    """The evidence a diligent learner leaves on a step: its quiz passed, its labs run (and passed)."""
    if step in COURSE.modules:
        quizzes[step] = 1.0
        labs.update(dict.fromkeys(COURSE.modules[step].labs, solved))


def test_next_step_walks_the_path_in_order_and_ends():
    done: progress.Done = {}
    quizzes: dict[str, float] = {}
    labs: dict[str, bool] = {}
    seen = []
    while (step := progress.next_step(COURSE, done, "D", progress.Evidence(quizzes, labs))) is not None:
        seen.append(step)
        done[step] = set(progress.required_sections(COURSE, step, "D"))
        show_everything(step, quizzes, labs, solved=False)  # path D asks for labs attempted, not passed
        assert len(seen) < 20
    assert seen == ["m00", "m02", "m03", "m07", "m08", "interview", "flashcards", "cheatsheets"]
    assert progress.path_share(COURSE, done, "D") == pytest.approx(1.0)
    assert progress.path_completion(COURSE, done, "D", progress.Evidence(quizzes, labs)) == (8, 8)


@pytest.mark.parametrize("path_key", list(COURSE.paths))
def test_ticking_every_box_without_quizzes_or_labs_finishes_no_module(path_key):
    done = {step: set(progress.required_sections(COURSE, step, path_key)) for step in COURSE.paths[path_key].steps}
    assert progress.path_share(COURSE, done, path_key) == pytest.approx(1.0), "the reading is all ticked"
    assert progress.next_step(COURSE, done, path_key) == "m00", "but nothing is shown yet"
    complete, total = progress.path_completion(COURSE, done, path_key)
    no_evidence = [e for e in COURSE.paths[path_key].extras if not progress.required_evidence(COURSE, e, path_key)]
    assert complete == len(no_evidence) and total == len(COURSE.paths[path_key].steps)
    step = progress.step_progress(COURSE, done, "m00", path_key)
    assert step.status == "started" and [n.kind for n in step.needs] == ["quiz"]


def test_a_module_is_complete_with_its_sections_ticked_and_its_quiz_passed():
    done = {"m00": {s.id for s in COURSE.modules["m00"].sections}}
    failed = progress.step_progress(COURSE, done, "m00", "A", progress.Evidence({"m00": 0.4}))
    assert failed.status == "started" and "best so far 40%" in failed.needs[0].text
    passed = progress.step_progress(COURSE, done, "m00", "A", progress.Evidence({"m00": COURSE.quiz_pass}))
    assert passed.status == "done" and passed.needs == ()
    unread = progress.step_progress(COURSE, {}, "m00", "A", progress.Evidence({"m00": 1.0}))
    assert unread.status == "started", "a passed quiz without the reading ticked is not complete either"


def test_path_b_needs_the_modules_labs_passed_and_path_d_only_attempted():
    done = {"m02": {s.id for s in COURSE.modules["m02"].sections}}
    tried = progress.Evidence({"m02": 1.0}, {"rnn_step": False})
    solved = progress.Evidence({"m02": 1.0}, {"rnn_step": True})
    assert progress.step_progress(COURSE, done, "m02", "B", progress.Evidence({"m02": 1.0})).needs[0].id == "rnn_step"
    assert progress.step_progress(COURSE, done, "m02", "B", tried).status == "started"
    assert progress.step_progress(COURSE, done, "m02", "B", solved).status == "done"
    assert progress.step_progress(COURSE, done, "m02", "D", tried).status == "done"
    assert progress.step_progress(COURSE, done, "m02", "C", progress.Evidence({"m02": 1.0})).status == "done"


def test_evidence_comes_from_the_stores_records():
    class Summary:
        def __init__(self, solved):
            self.solved = solved

    evidence = progress.Evidence.from_records({"m02": 0.75}, {"rnn_step": Summary(False), "softmax": Summary(True)})
    assert evidence.quizzes == {"m02": 0.75} and evidence.labs == {"rnn_step": False, "softmax": True}


def test_the_cohort_table_shows_reading_and_completion_side_by_side():
    class Learner:
        id, display_name, cohort_code, path = 1, "Ada", None, "A"

    done = {"m00": {s.id for s in COURSE.modules["m00"].sections}}
    plain = progress.cohort_table(COURSE, [Learner()], {1: done})[0]
    assert "steps_complete" not in plain and plain["M0"] == 1.0 and plain["next_step"] == "m00"
    row = progress.cohort_table(COURSE, [Learner()], {1: done}, {1: progress.Evidence({"m00": 0.9})})[0]
    assert row["steps_complete"] == "1 / 6" and row["next_step"] == "m01"


def test_partly_done_module_is_started_and_next():
    done = {"m00": {"0.1"}}
    assert progress.step_progress(COURSE, done, "m00", "A").status == "started"
    assert progress.next_step(COURSE, done, "A") == "m00"
    assert 0 < progress.path_share(COURSE, done, "A") < 1


def test_no_path_means_no_next_step():
    assert progress.next_step(COURSE, {}, None) is None
    assert progress.next_step(COURSE, {}, "Z") is None


def test_a_path_naming_an_unknown_page_is_rejected():
    import yaml

    data = yaml.safe_load(curriculum.COURSE_FILE.read_text())
    data["paths"]["A"]["modules"].append("m99")
    with pytest.raises(ValueError, match="m99"):
        curriculum.parse_course(data)


def test_an_unknown_lab_rule_is_rejected():
    import yaml

    data = yaml.safe_load(curriculum.COURSE_FILE.read_text())
    data["paths"]["B"]["labs"] = "sometimes"
    with pytest.raises(ValueError, match="'labs' must be one of"):
        curriculum.parse_course(data)


def test_glossary_terms_are_complete_and_point_at_real_modules():
    terms = glossary.load()
    assert len(terms) >= 30
    names = [t.term.lower() for t in terms]
    assert len(set(names)) == len(names)
    for t in terms:
        assert t.plain and t.technical and t.module in COURSE.modules, t.term
    for required in ("hidden state", "perplexity", "temperature", "vanishing gradient"):
        assert any(required in n for n in names), required


def test_glossary_search_matches_names_aliases_and_definitions():
    terms = glossary.load()
    assert glossary.search(terms, "") == list(terms)
    assert any(t.term.lower().startswith("perplexity") for t in glossary.search(terms, "PERPLEXITY"))
    assert glossary.search(terms, "zzzz-no-such-term") == []


def test_the_own_model_step_is_complete_only_once_a_model_is_saved():
    """Path C ends on 'Your own model': ticking the box is reading progress; the step needs a trained model."""
    assert "ownmodel" in COURSE.paths["C"].steps
    done = {"ownmodel": {progress.PAGE_SECTION}}
    ticked = progress.step_progress(COURSE, done, "ownmodel", "C", progress.Evidence())
    assert ticked.status == "started" and [n.kind for n in ticked.needs] == ["model"]
    trained = progress.step_progress(COURSE, done, "ownmodel", "C", progress.Evidence(models=1))
    assert trained.status == "done" and not trained.needs
    assert progress.step_progress(COURSE, {}, "ownmodel", "C", progress.Evidence(models=1)).status == "started"


def test_a_paths_practice_pages_come_in_the_sidebars_order():
    """The sidebar lists pages in one fixed order (Practice, then Reference); a path's steps follow it, so the
    sidebar and the path's step list never disagree (path B: code labs, then flashcards, then cheat sheets)."""
    import yaml

    order = list(COURSE.pages)
    for path in COURSE.paths.values():
        assert list(path.extras) == sorted(path.extras, key=order.index), path.key
    assert order.index("codelabs") < order.index("flashcards")
    data = yaml.safe_load(curriculum.COURSE_FILE.read_text())
    data["paths"]["B"]["extras"] = ["flashcards", "codelabs", "cheatsheets"]
    with pytest.raises(ValueError, match="sidebar's order"):
        curriculum.parse_course(data)


def test_home_words_completion_per_path():
    """Labs only where the path asks for them, a model of your own only on the path that ends with one."""
    words = {key: progress.join_terms(progress.completion_terms(COURSE, key)) for key in COURSE.paths}
    assert words["A"] == "read and quizzed"
    assert "code labs passed" in words["B"] and "code labs tried" in words["D"]
    assert "lab" not in words["C"] and "model of your own" in words["C"]
