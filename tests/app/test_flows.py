"""Learner flows through the real scripts: sign in, choose a path, tick sections, shared demo links, errors."""

import re

import pytest

from core.cohort import store
from core.course import curriculum
from tests.app.conftest import open_page

COURSE = curriculum.load_course()


def labels(at) -> list[str]:
    return [el.proto.label for el in at.get("page_link")]


def test_sign_in_creates_a_learner_and_shows_the_resume_code_once(db):
    at = open_page("pages/m03_lstm.py")
    at.text_input[0].input("  Grace   Hopper ")
    at.button[0].click().run()
    assert not at.exception
    assert any("Module 3" in t.value for t in at.title), "the deep-linked page is shown after sign-in"
    codes = [c.value for c in at.code]
    assert len(codes) == 1 and db.find_learner(codes[0]).display_name == "Grace Hopper"
    at.run()
    assert not at.code, "the resume code is shown once, not on every rerun"


def test_empty_name_is_refused_with_a_message(db):
    at = open_page("Home.py")
    at.text_input[0].input("   ")
    at.button[0].click().run()
    assert not at.exception
    assert any("display name" in e.value for e in at.error)
    assert not labels(at)


def test_html_in_the_display_name_is_shown_as_text(db):
    _, token = db.create_learner("<img src=x onerror=alert(1)>")
    at = open_page("Home.py", token)
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "\\<img" in shown and not re.search(r"(?<!\\)<img", shown)


def home_next_step(at) -> str:
    """The label of Home's own 'Next step' link (the main area's, not the sidebar's)."""
    return [el.proto.label for el in at.main.get("page_link")][0]


def finish_module(db, learner_id: int, module_id: str, share: float = 1.0) -> None:
    for section in COURSE.modules[module_id].sections:
        db.set_section_done(learner_id, module_id, section.id)
    db.record_quiz_score(learner_id, module_id, share * 6, 6)


def test_choosing_path_c_points_next_step_at_module_0_then_module_1(db, learner):
    record, token = learner
    at = open_page("Home.py", token)
    at.button(key="path-C").click().run()
    assert db.learner(record.id).path == "C"
    assert home_next_step(at) == f"Next step: {COURSE.pages['m00'].label}"
    for section in COURSE.modules["m00"].sections:
        db.set_section_done(record.id, "m00", section.id)
    at.run()
    assert home_next_step(at) == f"Next step: {COURSE.pages['m00'].label}", "ticks alone do not finish a module"
    assert any("take the module quiz" in c.value for c in at.caption)
    db.record_quiz_score(record.id, "m00", 5, 6)
    at.run()
    assert home_next_step(at) == f"Next step: {COURSE.pages['m01'].label}"


def test_path_c_takes_all_of_module_4_temperature_included(db, learner):
    record, token = learner
    db.set_path(record.id, "C")
    for module_id in ("m00", "m01", "m02"):
        finish_module(db, record.id, module_id)
    for section_id in ("4.1", "4.2", "4.3"):
        db.set_section_done(record.id, "m04", section_id)
    db.record_quiz_score(record.id, "m04", 6, 6)
    at = open_page("Home.py", token)
    assert home_next_step(at) == f"Next step: {COURSE.pages['m04'].label}"
    db.set_section_done(record.id, "m04", "4.4")
    at.run()
    assert home_next_step(at) == f"Next step: {COURSE.pages['m08'].label}"


def test_path_b_is_not_finished_by_ticks_alone_and_asks_for_the_labs(db, learner):
    record, token = learner
    db.set_path(record.id, "B")
    for step in COURSE.paths["B"].steps:
        sections = COURSE.modules[step].sections if step in COURSE.modules else ()
        for section_id in [s.id for s in sections] or ["all"]:
            db.set_section_done(record.id, step, section_id)
    at = open_page("Home.py", token)
    shown = " ".join(m.value for m in at.markdown) + " ".join(str(p.proto) for p in at.get("progress"))
    assert "Reading: 100% ticked" in shown and "Complete: 3 of 14 steps" in shown
    assert "finished" not in " ".join(s.value for s in at.success)
    for module_id in ("m00", "m01"):
        db.record_quiz_score(record.id, module_id, 6, 6)
    db.record_quiz_score(record.id, "m02", 6, 6)
    at.run()
    assert home_next_step(at) == f"Next step: {COURSE.pages['m02'].label}", "module 2's lab is not done yet"
    assert any("pass every test of code lab 'Code lab: one RNN step'" in c.value for c in at.caption)
    db.save_lab_attempt(record.id, "rnn_step", "code", 3, 3, "[]")
    at.run()
    assert home_next_step(at) == f"Next step: {COURSE.pages['m03'].label}"


@pytest.mark.parametrize("path_key, page", [("B", "codelabs"), ("B", "flashcards"), ("B", "cheatsheets"),
                                            ("D", "flashcards"), ("D", "cheatsheets")])
def test_practice_pages_are_on_paths_b_and_d(db, learner, path_key, page):
    record, token = learner
    db.set_path(record.id, path_key)
    at = open_page(COURSE.pages[page].file, token)
    assert not at.exception
    assert not any("Not on your path" in c.value for c in at.caption)
    assert any("On your path" in c.value for c in at.caption)


def test_navigation_puts_the_path_first_and_marks_the_rest(db, learner):
    record, token = learner
    db.set_path(record.id, "A")
    at = open_page("pages/m02_rnn.py", token)
    nav = labels(at)
    on_path = [lab for lab in nav if lab.endswith("★")]
    assert [lab.removesuffix(" ★") for lab in on_path] == [COURSE.pages[m].label for m in COURSE.paths["A"].modules]
    off = [lab for lab in nav if lab.endswith("not on your path")]
    assert len(off) == 5
    assert any("Not on your path" in c.value for c in at.caption)


def test_ticking_a_section_is_saved_and_counts(db, learner):
    record, token = learner
    at = open_page("pages/m04_char_lm.py", token)
    at.checkbox(key="done::m04::4.1").check().run()
    assert not at.exception
    assert db.completed_sections(record.id) == {"m04": {"4.1"}}
    at.checkbox(key="done::m04::4.1").uncheck().run()
    assert db.completed_sections(record.id) == {}


def test_an_extra_page_on_path_d_is_a_step(db, learner):
    record, token = learner
    db.set_path(record.id, "D")
    at = open_page("pages/e_interview.py", token)
    at.checkbox(key="done::interview::all").check().run()
    assert db.completed_sections(record.id) == {"interview": {"all"}}


def test_bag_of_words_settings_come_from_and_go_to_the_url(learner):
    _, token = learner
    at = open_page("pages/m01_sequences.py", token, a="dogs chase cats", b="cats chase dogs")
    assert [t.value for t in at.text_input] == ["dogs chase cats", "cats chase dogs"]
    assert any("Identical bags" in w.value for w in at.warning)
    at.text_input(key="bow-b").input("a different text").run()
    assert at.query_params["b"] == "a different text"
    assert not any("Identical bags" in w.value for w in at.warning)


def test_a_bad_url_setting_falls_back_to_the_default(learner):
    _, token = learner
    at = open_page("pages/m01_sequences.py", token, a="x" * 5000)
    assert not at.exception
    assert at.text_input(key="bow-a").value == "The dog bit the man."


def test_a_corrupted_database_is_reported_on_the_page(tmp_path, monkeypatch):
    path = tmp_path / "broken.db"
    path.write_bytes(b"garbage" * 1000)
    monkeypatch.setenv(store.URL_ENV, f"sqlite:///{path}")
    at = open_page("Home.py")
    assert not at.exception
    assert any("not an SQLite database" in e.value for e in at.error)
    assert path.read_bytes() == b"garbage" * 1000


def test_an_unknown_resume_link_says_so(db):
    at = open_page("Home.py", "A" * 24)
    assert not at.exception
    assert any("not known" in w.value for w in at.warning)


def test_sign_out_returns_to_the_gate(learner):
    _, token = learner
    at = open_page("Home.py", token)
    at.button(key="sign-out").click().run()
    assert not at.exception
    assert "Display name" in [w.label for w in at.text_input]


def test_cohort_page_exports_only_my_data_and_can_delete_it(db, learner):
    record, token = learner
    other, _ = db.create_learner("Other", "TEAM-1")
    db.set_section_done(other.id, "m01", "1.1")
    at = open_page("pages/cohort.py", token)
    assert not at.exception
    at.text_input[0].input("team-1")
    at.button[0].click().run()
    assert db.learner(record.id).cohort_code == "TEAM-1"
    assert any("1 other learner" in m.value for m in at.markdown)
    at.checkbox(key="confirm-delete").check().run()
    at.button[1].click().run()
    assert db.learner(record.id) is None and db.learner(other.id) is not None


def _resume_link(at, token: str):
    """The same browser session opens someone's `?resume=` link."""
    at.query_params["resume"] = token
    return at.run()


def test_a_resume_link_for_another_account_asks_before_switching(db, learner):
    me, my_token = learner
    other, other_token = db.create_learner("Mallory")
    at = _resume_link(open_page("Home.py", my_token), other_token)
    assert not at.exception
    assert "resume" not in at.query_params, "the token never stays in (or returns to) the address"
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "**Ada**" in sidebar and "Mallory" not in sidebar, "still signed in as the current learner"
    assert any("Mallory" in w.value and "Ada" in w.value for w in at.warning), "the prompt says whose account"
    at.button(key="resume-stay").click().run()
    assert not at.exception and not any("Mallory" in w.value for w in at.warning)
    assert "**Ada**" in " ".join(m.value for m in at.sidebar.markdown)
    assert "resume" not in at.query_params


def test_confirming_the_switch_signs_in_as_the_link_owner(db, learner):
    _, my_token = learner
    _, other_token = db.create_learner("Mallory")
    at = _resume_link(open_page("Home.py", my_token), other_token)
    at.button(key="resume-switch").click().run()
    assert not at.exception
    assert "**Mallory**" in " ".join(m.value for m in at.sidebar.markdown)
    assert "resume" not in at.query_params


def test_a_resume_link_does_not_replace_the_learner_this_browser_remembers(db, learner, monkeypatch):
    from core.ui import state

    _, my_token = learner
    _, other_token = db.create_learner("Mallory")
    monkeypatch.setattr(state, "_cookie", lambda: my_token)  # a new tab: the learner comes from the cookie
    at = open_page("Home.py", other_token)
    assert not at.exception
    assert "**Ada**" in " ".join(m.value for m in at.sidebar.markdown)
    assert any("Mallory" in w.value for w in at.warning)
    assert not any(other_token in h.proto.body for h in at.get("html")), "no cookie for the link's account"


def test_a_resume_link_in_a_fresh_browser_says_whose_account_it_opened(db):
    _, token = db.create_learner("Grace")
    at = open_page("Home.py", token)
    assert not at.exception
    assert "**Grace**" in " ".join(m.value for m in at.sidebar.markdown)
    assert any("Grace" in i.value and "resume link" in i.value for i in at.info)
