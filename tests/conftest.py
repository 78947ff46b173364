"""Shared fixtures: a fresh store per test, on SQLite and, when a server can be started, on PostgreSQL; and the
records the course's loggers emit."""

import logging

import pytest
from sqlalchemy import MetaData, create_engine

from core.cohort import store
from tests import pg


@pytest.fixture(scope="session")
def pg_url():
    reason = pg.unavailable()
    if reason:
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    with pg.postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'course.db'}"
        return
    url = request.getfixturevalue("pg_url")
    yield url
    engine = create_engine(url)  # leave an empty database (no tables, no alembic_version) for the next test
    everything = MetaData()
    everything.reflect(engine)
    everything.drop_all(engine)
    engine.dispose()


@pytest.fixture
def db(db_url):
    s = store.open_store(db_url)
    yield s
    s.engine.dispose()


@pytest.fixture
def records():
    """What the course's loggers emitted (a handler on "rnn_course", so it works whether or not it propagates)."""
    got: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = got.append
    logger = logging.getLogger("rnn_course")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield got
    logger.removeHandler(handler)
    logger.setLevel(old_level)
