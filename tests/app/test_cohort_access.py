"""Instructor role and hosted-cohort access: checked on every run, refused by default."""

import logging

import pytest

from core.cohort import access
from tests.app.conftest import INSTRUCTOR_KEY, open_page

KEYED = {"course": {"instructor_key": INSTRUCTOR_KEY}}
SSO = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                "client_id": "id", "client_secret": "secret",
                "server_metadata_url": "https://sso.example/.well-known/openid-configuration"},
       "course": {"allowed": ["@uni.edu"], "instructors": ["teacher@uni.edu"]}}


@pytest.fixture(autouse=True)
def fresh_key_attempts(monkeypatch):
    """The process-wide count of wrong instructor keys starts at zero in each test."""
    monkeypatch.setattr(access, "KEY_ATTEMPTS", access.Throttle(free=20, base=1.0, cap=60.0, forget=900.0))


def labels(at) -> list[str]:
    return [el.proto.label for el in at.get("page_link")]


def test_a_learner_deep_linking_to_the_instructor_page_is_refused(db, learner):
    other, _ = db.create_learner("Secret Sam", "TEAM-1")
    _, token = learner
    at = open_page("pages/instructor.py", token, secrets=KEYED)
    assert not at.exception
    assert [t.value for t in at.title] == ["Instructors only"]
    assert not at.dataframe and "Secret Sam" not in str(at)
    assert "Instructor dashboard" not in labels(at)


def test_a_wrong_key_is_refused_and_the_right_key_unlocks(db, learner):
    db.create_learner("Secret Sam", "TEAM-1")
    _, token = learner
    at = open_page("pages/instructor.py", token, secrets=KEYED)
    at.text_input[0].input("wrong").run()
    form_button = [b for b in at.button if b.label == "Unlock"][0]
    form_button.click().run()
    assert any("not right" in e.value for e in at.error)
    at.text_input[0].input(INSTRUCTOR_KEY)
    [b for b in at.button if b.label == "Unlock"][0].click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Instructor dashboard"]
    names = list(at.dataframe[0].value["learner"])
    assert names == ["Ada", "Secret Sam"]
    assert "Instructor dashboard" in labels(at)


def test_without_an_instructor_key_configured_there_is_no_way_in(learner):
    _, token = learner
    at = open_page("pages/instructor.py", token, session={"_instructor_key": ""})
    assert [t.value for t in at.title] == ["Instructors only"]
    assert not at.text_input


def test_sso_signed_out_sees_only_a_sign_in_button(db_url):
    at = open_page("pages/m02_rnn.py", secrets=SSO, user={"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not labels(at)


def test_sso_account_outside_the_allow_list_is_refused(db_url):
    at = open_page("Home.py", secrets=SSO, user={"is_logged_in": True, "email": "eve@evil.example",
                                                  "sub": "eve", "name": "Eve"})
    assert any("not on this course's list" in e.value for e in at.error)
    assert not labels(at)


def test_sso_account_gets_its_own_learner_and_instructor_role(db):
    student = {"is_logged_in": True, "email": "ada@uni.edu", "sub": "ada-1", "name": "Ada L", "iss": "sso"}
    at = open_page("Home.py", secrets=SSO, user=student)
    assert not at.exception and "Ada L" in " ".join(m.value for m in at.markdown)
    at = open_page("pages/instructor.py", secrets=SSO, user=student)
    assert [t.value for t in at.title] == ["Instructors only"]
    teacher = {"is_logged_in": True, "email": "teacher@uni.edu", "sub": "t-1", "name": "Teacher", "iss": "sso"}
    at = open_page("pages/instructor.py", secrets=SSO, user=teacher)
    assert [t.value for t in at.title] == ["Instructor dashboard"]
    assert sorted(at.dataframe[0].value["learner"]) == ["Ada L", "Teacher"]


def test_join_codes_are_required_at_sign_up_when_configured(db):
    at = open_page("Home.py", secrets={"course": {"join_codes": ["SPRING-2026"]}})
    at.text_input[0].input("Ada")
    at.button[0].click().run()
    assert any("cohort code" in e.value for e in at.error)
    at.text_input[1].input("spring-2026")
    at.button[0].click().run()
    assert not at.exception and labels(at)


COHORTS = {"course": {"join_codes": ["SPRING-2026"]}}


def _save_code(at, code: str):
    at.text_input[0].input(code)
    [b for b in at.button if b.label == "Save cohort code"][0].click().run()
    return at


def test_a_wrong_cohort_code_is_refused_the_same_way_whether_or_not_it_exists(db):
    record, token = db.create_learner("Ada", "SPRING-2026")
    for i in range(3):
        db.create_learner(f"Member {i}", "TEAM-1")  # a code that exists on the server but is not a join code
    replies = []
    for guess in ("team-1", "NOPE-9"):
        at = _save_code(open_page("pages/cohort.py", token, secrets=COHORTS), guess)
        assert not at.exception
        assert db.learner(record.id).cohort_code == "SPRING-2026"
        assert "TEAM" not in " ".join(m.value for m in at.markdown)
        replies.append([e.value for e in at.error])
    assert replies[0] == replies[1] and replies[0], replies
    assert "team-1" not in replies[0][0].lower()


def test_a_join_code_can_be_saved_and_shows_its_cohort(db):
    record, token = db.create_learner("Ada")
    db.create_learner("Bo", "SPRING-2026")
    at = _save_code(open_page("pages/cohort.py", token, secrets=COHORTS), "spring-2026")
    assert not at.exception and not at.error
    assert db.learner(record.id).cohort_code == "SPRING-2026"
    assert any("1 other learner" in m.value for m in at.markdown)
    at = _save_code(at, "")  # leaving a cohort is always allowed
    assert db.learner(record.id).cohort_code is None


def test_no_count_is_shown_for_a_code_the_course_does_not_accept(db):
    _, token = db.create_learner("Ada", "TEAM-1")  # saved before the check existed, or before the codes changed
    db.create_learner("Bo", "TEAM-1")
    at = open_page("pages/cohort.py", token, secrets=COHORTS)
    assert not at.exception
    assert "other learner" not in " ".join(m.value for m in at.markdown)


def _unlock(at, key: str):
    at.text_input[0].input(key)
    [b for b in at.button if b.label == "Unlock"][0].click().run()
    return at


def test_repeated_wrong_instructor_keys_lock_the_session_out_and_are_logged(learner, monkeypatch):
    _, token = learner
    # the default backoff (5 free, then 2 s, 4 s, ...) with a longer first wait, so a slow test run cannot outlast it
    monkeypatch.setattr(access, "session_key_attempts", lambda: access.Throttle(free=5, base=60.0, cap=900.0))
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("rnn_course.access").addHandler(handler)
    try:
        at = open_page("pages/instructor.py", token, secrets=KEYED)
        for i in range(5):
            at = _unlock(at, f"wrong-{i}")
            assert not at.exception
        assert any("Wait" in e.value for e in at.error), [e.value for e in at.error]
        at = _unlock(at, INSTRUCTOR_KEY)  # the right key, but during the lockout
    finally:
        logging.getLogger("rnn_course.access").removeHandler(handler)
    assert [t.value for t in at.title] == ["Instructors only"]
    assert any("Too many wrong keys" in e.value for e in at.error)
    messages = [r.getMessage() for r in records]
    assert sum("wrong instructor key" in m for m in messages) == 5
    assert not any("wrong-" in m or INSTRUCTOR_KEY in m for m in messages), "never the typed key"


def test_wrong_keys_from_many_sessions_are_limited_for_the_whole_server(learner, monkeypatch):
    _, token = learner
    monkeypatch.setattr(access, "KEY_ATTEMPTS", access.Throttle(free=6, base=30.0, cap=60.0, forget=900.0))
    for session in range(3):  # each new session (a new tab) has its own count, the server keeps one across them
        at = open_page("pages/instructor.py", token, secrets=KEYED)
        for i in range(2):
            at = _unlock(at, f"wrong-{session}-{i}")
    at = _unlock(open_page("pages/instructor.py", token, secrets=KEYED), INSTRUCTOR_KEY)
    assert [t.value for t in at.title] == ["Instructors only"]
    assert any("Too many wrong keys" in e.value for e in at.error)
