"""Shared fixtures: a fresh SQLite store per test (never the developer's own database)."""

import pytest

from core import store


@pytest.fixture
def db(tmp_path):
    s = store.open_store(f"sqlite:///{tmp_path / 'course.db'}")
    yield s
    s.engine.dispose()
