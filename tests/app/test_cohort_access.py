"""Instructor role and hosted-cohort access: checked on every run, refused by default."""

from tests.app.conftest import INSTRUCTOR_KEY, open_page

KEYED = {"course": {"instructor_key": INSTRUCTOR_KEY}}
SSO = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                "client_id": "id", "client_secret": "secret",
                "server_metadata_url": "https://sso.example/.well-known/openid-configuration"},
       "course": {"allowed": ["@uni.edu"], "instructors": ["teacher@uni.edu"]}}


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
