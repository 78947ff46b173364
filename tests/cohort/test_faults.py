"""The SQLite file deleted, replaced or corrupted while the app runs (issue 17, item 10): every later call raises
StoreError with a message a learner can read, nothing more is written, the log says what happened, and a
configured database that vanished is reported, never silently created anew."""

import logging
import os
import time

import pytest

from core.cohort import store
from core.cohort.store import StoreError


def _errors(records):
    return [r for r in records if r.name == "rnn_course.store" and r.levelno >= logging.ERROR]


@pytest.fixture
def opened(tmp_path):
    path = tmp_path / "course.db"
    s = store.open_store(f"sqlite:///{path}")
    ada, token = s.create_learner("Ada")
    s.set_section_done(ada.id, "m01", "1.1")
    yield s, path, ada, token
    s.engine.dispose()


def test_deleted_database_stops_writes_and_is_reported(opened, records):
    s, path, ada, _ = opened
    path.unlink()
    with pytest.raises(StoreError, match="deleted") as caught:
        s.create_learner("Eve")
    assert str(path) not in str(caught.value)  # learners see no server paths; the log has them
    for call in (lambda: s.set_section_done(ada.id, "m01", "1.2"), lambda: s.completed_sections(ada.id),
                 lambda: s.create_learner("Mallory")):
        with pytest.raises(StoreError, match="deleted"):
            call()
    assert not path.exists()  # nothing wrote a fresh file in its place
    errors = _errors(records)
    assert len(errors) == 1 and str(path) in errors[0].getMessage()


def test_a_vanished_configured_database_is_not_created_again(opened, records):
    s, path, _, _ = opened
    s.engine.dispose()
    path.unlink()
    with pytest.raises(StoreError, match="deleted"):
        store.open_store(f"sqlite:///{path}")  # what the app does when its cached store is rebuilt
    assert not path.exists() and _errors(records)


def test_corrupted_header_while_running_stops_writes(opened, records):
    s, path, ada, _ = opened
    with path.open("r+b") as fh:
        fh.write(b"garbage garbage garbage!")
    with pytest.raises(StoreError, match="corrupted"):
        s.set_section_done(ada.id, "m01", "1.2")
    with pytest.raises(StoreError, match="corrupted"):
        s.create_learner("Eve")
    assert path.read_bytes().startswith(b"garbage")
    assert _errors(records)


def test_replaced_database_file_is_reported(opened, tmp_path, records):
    s, path, _, token = opened
    other = store.open_store(f"sqlite:///{tmp_path / 'other.db'}")
    other.engine.dispose()
    os.replace(tmp_path / "other.db", path)
    with pytest.raises(StoreError, match="replaced"):
        s.find_learner(token)
    assert _errors(records)


def test_a_healthy_database_keeps_working(opened, records):
    s, _, ada, token = opened
    for k in range(5):
        s.set_section_done(ada.id, "m02", f"2.{k}")
    assert s.find_learner(token).id == ada.id and len(s.completed_sections(ada.id)["m02"]) == 5
    assert not _errors(records)


def test_a_new_database_file_is_announced_in_the_log(tmp_path, records):
    path = tmp_path / "fresh.db"
    s = store.open_store(f"sqlite:///{path}")
    s.engine.dispose()
    created = [r for r in records if r.name == "rnn_course.store" and "new" in r.getMessage()]
    assert s.created_new and len(created) == 1 and str(path) in created[0].getMessage()
    again = store.open_store(f"sqlite:///{path}")
    assert not again.created_new
    again.engine.dispose()


def test_default_sqlite_is_flagged_and_warned_once(tmp_path, monkeypatch, records):
    monkeypatch.setattr(store, "DEFAULT_DB", tmp_path / "default.db")
    monkeypatch.setattr(store.db, "DEFAULT_DB", tmp_path / "default.db")
    monkeypatch.setattr(store.db, "_default_warned", False)
    monkeypatch.delenv(store.URL_ENV, raising=False)
    stores = [store.open_store(), store.open_store(store.resolve_url(None))]
    assert all(s.uses_default_sqlite for s in stores)
    warned = [r for r in records if r.levelno == logging.WARNING and store.URL_ENV in r.getMessage()]
    assert len(warned) == 1
    configured = store.open_store(f"sqlite:///{tmp_path / 'configured.db'}")
    assert not configured.uses_default_sqlite
    for s in (*stores, configured):
        s.engine.dispose()


def test_the_file_check_costs_little_beside_a_transaction(opened):
    s, _, ada, _ = opened
    s.completed_sections(ada.id)
    start = time.perf_counter()
    for _ in range(2000):
        s.watch.check()
    check = (time.perf_counter() - start) / 2000
    start = time.perf_counter()
    for _ in range(200):
        s.completed_sections(ada.id)  # the lightest transaction, its own check included
    read = (time.perf_counter() - start) / 200
    assert check < read / 4, f"check {check * 1e6:.0f} us, read {read * 1e6:.0f} us"
