"""assets/course.yaml and assets/glossary.yaml are valid, and the paths are exactly the lesson plan's."""


import pytest

from core.course import curriculum, glossary, progress
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
    assert COURSE.paths["C"].sections == {"m04": ("4.1", "4.2", "4.3")}
    assert COURSE.paths["D"].extras == ("interview",)
    assert all(not COURSE.paths[k].extras for k in "ABC")


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
    m04 = {s.id: s.minutes for s in COURSE.modules["m04"].sections}
    expected = sum(COURSE.modules[m].minutes for m in ("m00", "m01", "m02", "m08")) + sum(
        m04[s] for s in ("4.1", "4.2", "4.3"))
    assert c_minutes == expected
    assert COURSE.path_minutes("B") == sum(m.minutes for m in COURSE.modules.values())


def test_next_step_walks_the_path_in_order_and_ends():
    done: progress.Done = {}
    seen = []
    while (step := progress.next_step(COURSE, done, "D")) is not None:
        seen.append(step)
        done[step] = set(progress.required_sections(COURSE, step, "D"))
        assert len(seen) < 20
    assert seen == ["m00", "m02", "m03", "m07", "m08", "interview"]
    assert progress.path_share(COURSE, done, "D") == pytest.approx(1.0)


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
