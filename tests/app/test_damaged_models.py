"""A damaged shipped model costs only its own demo: the page says so plainly (no server paths), logs the
details for the instructor, and renders every other section, the code labs and the quiz."""

import logging

import pytest
import streamlit as st

from core.training import checkpoints
from core.ui import guard
from tests.app.conftest import all_text, open_page


def damage(tmp_path, monkeypatch, names: set[str] | None = None):
    """A copy of checkpoints/ in which the named .pt files (all when None) are cut to half their size."""
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for path in checkpoints.CHECKPOINT_DIR.iterdir():
        if path.suffix == ".pt" and (names is None or path.stem in names):
            data = path.read_bytes()
            (folder / path.name).write_bytes(data[: len(data) // 2])
        else:
            (folder / path.name).symlink_to(path)
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", folder)
    return folder


@pytest.fixture(autouse=True)
def fresh_caches():
    """Models already loaded by earlier tests (or damaged ones here) must not leak between tests."""
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


def damaged_notes(at) -> list[str]:
    return [e.value for e in at.error if e.value == guard.MESSAGE]


def assert_no_server_paths(at, folder) -> None:
    text = all_text(at)
    assert str(folder) not in text and "/checkpoints/" not in text and "Traceback" not in text


@pytest.fixture
def models_log(monkeypatch):
    """Records of the "rnn_course.models" logger (caught on the logger: it may not propagate to root)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("rnn_course.models")
    logger.addHandler(handler)
    monkeypatch.setattr(guard, "_reported", set())  # each test sees its failures logged
    yield records
    logger.removeHandler(handler)


def test_m05_with_every_model_damaged_still_shows_the_rest_of_the_page(learner, tmp_path, monkeypatch, models_log):
    folder = damage(tmp_path, monkeypatch)
    at = open_page("pages/m05_experiments.py", learner[1])
    assert not at.exception, [e.value for e in at.exception]
    assert damaged_notes(at)
    assert_no_server_paths(at, folder)
    assert "Key takeaways" in [s.value for s in at.subheader], "the page ran to its end (quiz, takeaways)"
    assert any("truncated or replaced" in r.getMessage() and r.exc_info for r in models_log), "details are logged"


def test_m07_with_every_model_damaged_keeps_its_code_lab_and_quiz(learner, tmp_path, monkeypatch):
    folder = damage(tmp_path, monkeypatch)
    at = open_page("pages/m07_attention.py", learner[1])
    assert not at.exception, [e.value for e in at.exception]
    assert damaged_notes(at)
    assert_no_server_paths(at, folder)
    headers = [h.value for h in at.header]
    assert "Code labs" in headers and any("7.4" in h for h in headers)
    assert "Key takeaways" in [s.value for s in at.subheader]


def test_one_damaged_model_costs_only_its_own_demo(learner, tmp_path, monkeypatch):
    damage(tmp_path, monkeypatch, {"dates-attention"})
    at = open_page("pages/m07_attention.py", learner[1])
    assert not at.exception, [e.value for e in at.exception]
    assert len(damaged_notes(at)) >= 1
    assert at.slider(key="m07-ntm-len").value == 6, "the NTM demo below it still works"
    assert "Code labs" in [h.value for h in at.header]


def test_the_failure_is_listed_for_the_instructor(learner, tmp_path, monkeypatch, models_log):
    damage(tmp_path, monkeypatch, {"ntm-copy"})
    open_page("pages/m07_attention.py", learner[1])
    assert [f for f in guard.failures() if "ntm-copy" in f]
