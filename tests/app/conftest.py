"""AppTest helpers: each test gets its own SQLite database and a signed-in learner."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.cohort import store

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'course.db'}"
    monkeypatch.setenv(store.URL_ENV, url)
    return url


@pytest.fixture
def db(db_url):
    s = store.open_store(db_url)
    yield s
    s.engine.dispose()


@pytest.fixture
def learner(db):
    record, token = db.create_learner("Ada")
    return record, token


INSTRUCTOR_KEY = "test-instructor-key-0123456789"


def open_page(page_file: str, token: str | None = None, *, secrets: dict | None = None, user: dict | None = None,
              session: dict | None = None, **query) -> AppTest:
    """Run Home.py, then switch to `page_file` as a learner following a link would."""
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=TIMEOUT)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    if user is not None:
        at.user = user
    for key, value in (session or {}).items():
        at.session_state[key] = value
    if token:
        at.query_params["resume"] = token
    for key, value in query.items():
        at.query_params[key] = value
    if page_file != "Home.py":
        at.switch_page(page_file)
    return at.run()


def open_as_allowed(page, token: str) -> AppTest:
    """Open a course page (a curriculum Page) as the learner, with the instructor key where the page needs it."""
    instructor = {"secrets": {"course": {"instructor_key": INSTRUCTOR_KEY}},
                  "session": {"_instructor_key": INSTRUCTOR_KEY}} if page.instructor_only else {}
    return open_page(page.file, token, **instructor)


def all_text(at: AppTest) -> str:
    """Every element's protobuf text (values, labels, markdown, table cells) in the rendered page."""
    out: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)
