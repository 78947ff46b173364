"""Learner flows through the real scripts: sign in, choose a path, tick sections, shared demo links, errors."""

import re

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


def test_choosing_path_c_points_next_step_at_module_0_then_module_1(db, learner):
    record, token = learner
    at = open_page("Home.py", token)
    at.button(key="path-C").click().run()
    assert db.learner(record.id).path == "C"
    assert f"Next step: {COURSE.pages['m00'].label}" in labels(at)
    for section in COURSE.modules["m00"].sections:
        db.set_section_done(record.id, "m00", section.id)
    at.run()
    assert f"Next step: {COURSE.pages['m01'].label}" in labels(at)


def test_path_c_needs_only_sections_4_1_to_4_3_of_module_4(db, learner):
    record, token = learner
    db.set_path(record.id, "C")
    for module_id in ("m00", "m01", "m02"):
        for section in COURSE.modules[module_id].sections:
            db.set_section_done(record.id, module_id, section.id)
    for section_id in ("4.1", "4.2", "4.3"):
        db.set_section_done(record.id, "m04", section_id)
    at = open_page("Home.py", token)
    assert f"Next step: {COURSE.pages['m08'].label}" in labels(at)


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
