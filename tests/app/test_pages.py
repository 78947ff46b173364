"""Every page renders for a signed-in learner, and every page is behind the learner gate."""

import pytest

from core.course import curriculum
from tests.app.conftest import all_text, open_as_allowed, open_page

COURSE = curriculum.load_course()
PAGES = sorted(COURSE.pages.values(), key=lambda p: p.file)


def link_labels(at) -> list[str]:
    return [el.proto.label for el in at.get("page_link")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_every_page_renders_with_its_title(page, learner):
    _, token = learner
    at = open_as_allowed(page, token)
    assert not at.exception, at.exception
    titles = [t.value for t in at.title]
    assert titles, f"{page.file} has no title"
    expected = f"Module {page.module.number}" if page.module else page.title.split(" (")[0]
    if page.id == "home":
        expected = COURSE.title
    assert any(expected in t for t in titles), (expected, titles)
    labels = link_labels(at)
    assert "Home" in labels and all(COURSE.pages[m].label in " ".join(labels) for m in COURSE.modules)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_every_page_asks_who_you_are_before_showing_anything(page, db_url):
    at = open_page(page.file)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [COURSE.title]
    labels = [w.label for w in at.text_input]
    assert "Display name" in labels
    assert not link_labels(at), "no navigation before the learner is known"
    assert not at.subheader or all("TL;DR" not in s.value for s in at.subheader)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_no_page_shows_another_learners_data(page, db, learner):
    other, _ = db.create_learner("Zed Secretname", "TEAM-Z")
    db.set_path(other.id, "D")
    db.save_reflection(other.id, "m01", "r1", "TOP-SECRET-REFLECTION")
    db.save_lab_attempt(other.id, "rnn_step", "# TOP-SECRET-CODE", 0, 3, "[]")
    _, token = learner
    at = open_page(page.file, token)
    assert not at.exception
    shown = all_text(at)
    assert "Ada" in shown  # the learner's own name is in the sidebar: the probe does see page content
    for secret in ("Zed Secretname", "TEAM-Z", "TOP-SECRET-REFLECTION", "TOP-SECRET-CODE"):
        assert secret not in shown, f"{page.file} shows {secret!r}"
