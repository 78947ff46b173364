"""One logging configuration for the course (core.logs) and the store's log lines: learner creation, sign-in,
deletion and driver failures, under loggers named rnn_course.<domain>."""

import io
import logging

import pytest

from core import logs
from core.cohort import store
from core.cohort.store import StoreError


@pytest.fixture
def clean_logger():
    logger = logging.getLogger("rnn_course")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    logger.handlers[:] = [h for h in logger.handlers if h.get_name() != logs.HANDLER_NAME]  # an app test configured it
    yield logger
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


def test_configure_is_idempotent_and_reads_the_level(clean_logger, monkeypatch):
    monkeypatch.setenv(logs.LEVEL_ENV, "warning")
    stream = io.StringIO()
    for _ in range(3):
        logs.configure(stream=stream)
    ours = [h for h in clean_logger.handlers if h.get_name() == logs.HANDLER_NAME]
    assert len(ours) == 1 and clean_logger.level == logging.WARNING
    logs.get("store").info("not shown")
    logs.get("store").warning("shown once")
    text = stream.getvalue()
    assert "not shown" not in text and text.count("shown once") == 1
    assert " WARNING rnn_course.store: shown once" in text and text[:4].isdigit()  # time, level, logger name
    monkeypatch.setenv(logs.LEVEL_ENV, "debug")
    logs.configure(stream=stream)
    assert clean_logger.level == logging.DEBUG


def test_a_bad_level_is_refused_with_the_variable_named(clean_logger, monkeypatch):
    monkeypatch.setenv(logs.LEVEL_ENV, "loud")
    with pytest.raises(ValueError, match=logs.LEVEL_ENV):
        logs.configure(stream=io.StringIO())


def test_logger_names_are_namespaced():
    assert logs.get("store").name == "rnn_course.store"


def test_store_logs_creation_sign_in_and_deletion_by_uid(db, records):
    ada, token = db.create_learner("Ada")
    sso = db.learner_for_login("sso|bob", "Bob")
    db.learner_for_login("sso|bob", "Bob")  # a returning sign-in is not news
    db.delete_learner(ada.id)
    lines = [r.getMessage() for r in records if r.name == "rnn_course.store" and r.levelno >= logging.INFO]
    assert any("created" in m and ada.uid in m for m in lines)
    assert sum(1 for m in lines if sso.uid in m) == 1
    assert any("deleted" in m and ada.uid in m for m in lines)
    assert not any("Ada" in m or token in m for m in lines)  # no names or secrets in the log


def test_driver_failures_are_logged(tmp_path, records):
    s = store.open_store(f"sqlite:///{tmp_path / 'course.db'}")
    with s.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE quiz_scores")
    with pytest.raises(StoreError):
        s.record_quiz_score(s.create_learner("Ada")[0].id, "m01", 1, 5)
    assert [r for r in records if r.name == "rnn_course.store" and r.levelno == logging.ERROR]
    s.engine.dispose()
