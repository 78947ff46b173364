"""Shared fixtures: a fresh store per test, on SQLite and, when a server can be started, on PostgreSQL."""

import pytest

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
    engine = store.open_store(url).engine  # leave an empty database for the next test
    store.Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def db(db_url):
    s = store.open_store(db_url)
    yield s
    s.engine.dispose()
