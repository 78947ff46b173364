import os
import threading

import pytest

from core.cohort import store
from core.cohort.store import StoreError


def test_progress_survives_restart(db_url):
    first = store.open_store(db_url)
    learner, token = first.create_learner("Ada", "spring-26")
    first.set_path(learner.id, "C")
    first.set_section_done(learner.id, "m04", "4.1")
    first.record_quiz_score(learner.id, "m01", 4, 5)
    first.engine.dispose()

    second = store.open_store(db_url)  # a new process would do exactly this
    again = second.find_learner(token)
    assert again is not None and again.id == learner.id
    assert again.path == "C" and again.cohort_code == "SPRING-26"
    assert second.completed_sections(learner.id) == {"m04": {"4.1"}}
    assert second.best_quiz_scores(learner.id) == {"m01": pytest.approx(0.8)}


def test_two_learners_never_see_each_others_data(db):
    ada, ada_token = db.create_learner("Ada")
    bob, bob_token = db.create_learner("Ada")  # same display name, different learner
    db.set_section_done(ada.id, "m02", "2.1")
    db.record_quiz_score(ada.id, "m02", 5, 5)
    db.set_path(ada.id, "B")
    assert ada.id != bob.id and ada_token != bob_token
    assert db.find_learner(bob_token).id == bob.id
    assert db.completed_sections(bob.id) == {}
    assert db.best_quiz_scores(bob.id) == {}
    assert db.learner(bob.id).path is None
    exported = db.export_learner(bob.id)
    assert exported["sections_completed"] == [] and exported["quiz_scores"] == []


def test_only_the_token_hash_is_stored(db):
    _, token = db.create_learner("Ada")
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("select token_hash, display_name from learners").fetchall()
    assert rows and all(token not in " ".join(r) for r in rows)


def test_unknown_or_malformed_tokens_find_nobody(db):
    db.create_learner("Ada")
    for bad in (None, "", "x", "' OR 1=1 --", "A" * 500, "a" * 24):
        assert db.find_learner(bad) is None


def test_marking_a_section_twice_and_unmarking(db):
    ada, _ = db.create_learner("Ada")
    db.set_section_done(ada.id, "m01", "1.1")
    db.set_section_done(ada.id, "m01", "1.1")
    assert db.completed_sections(ada.id) == {"m01": {"1.1"}}
    db.set_section_done(ada.id, "m01", "1.1", done=False)
    assert db.completed_sections(ada.id) == {}


def test_delete_learner_removes_everything(db):
    ada, token = db.create_learner("Ada")
    db.set_section_done(ada.id, "m01", "1.1")
    db.record_quiz_score(ada.id, "m01", 1, 5)
    db.delete_learner(ada.id)
    assert db.find_learner(token) is None
    assert db.completed_sections(ada.id) == {} and db.best_quiz_scores(ada.id) == {}


def test_quiz_score_out_of_range_is_rejected(db):
    ada, _ = db.create_learner("Ada")
    with pytest.raises(ValueError):
        db.record_quiz_score(ada.id, "m01", 6, 5)


def test_cohort_size_counts_only(db):
    db.create_learner("A", "X-1")
    db.create_learner("B", "x-1")
    db.create_learner("C")
    assert db.cohort_size("X-1") == 2


def test_fifty_concurrent_writers_lose_nothing(db):
    learners = [db.create_learner(f"L{i}")[0] for i in range(50)]
    errors = []
    start = threading.Barrier(len(learners))

    def work(learner):
        try:
            start.wait()
            for k in range(10):
                db.set_section_done(learner.id, "m02", f"2.{k}")
                db.record_quiz_score(learner.id, "m02", k % 6, 5)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(lr,)) for lr in learners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(len(db.completed_sections(lr.id)["m02"]) == 10 for lr in learners)
    assert all(db.best_quiz_scores(lr.id) == {"m02": 1.0} for lr in learners)


def test_corrupted_database_is_reported_not_overwritten(tmp_path):
    path = tmp_path / "course.db"
    junk = b"this is not a database\n" * 100
    path.write_bytes(junk)
    with pytest.raises(StoreError, match="not an SQLite database"):
        store.open_store(f"sqlite:///{path}")
    assert path.read_bytes() == junk


def test_damaged_sqlite_file_is_reported_not_overwritten(tmp_path):
    path = tmp_path / "course.db"
    path.write_bytes(store.SQLITE_MAGIC + b"\xff" * 4000)
    before = path.read_bytes()
    with pytest.raises(StoreError):
        store.open_store(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_unwritable_location_gives_a_clear_error(tmp_path, monkeypatch):
    # Root (as in CI) may write anywhere, so simulate the permission check the OS would answer.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(StoreError, match="not writable"):
        store.open_store(f"sqlite:///{tmp_path / 'course.db'}")
    (tmp_path / "existing.db").write_bytes(b"")
    with pytest.raises(StoreError, match="read-only"):
        store.open_store(f"sqlite:///{tmp_path / 'existing.db'}")


def test_missing_location_that_cannot_be_created_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StoreError, match="Cannot create the folder"):
        store.open_store(f"sqlite:///{blocker / 'sub' / 'course.db'}")


def test_a_folder_in_place_of_the_database_is_reported(tmp_path):
    (tmp_path / "course.db").mkdir()
    with pytest.raises(StoreError, match="is a folder"):
        store.open_store(f"sqlite:///{tmp_path / 'course.db'}")


def test_bad_url_is_reported():
    with pytest.raises(StoreError):
        store.open_store("not a url at all")


def test_url_resolution_order():
    env = {store.URL_ENV: "sqlite:///from-env.db"}
    assert store.resolve_url("sqlite:///from-secrets.db", env) == "sqlite:///from-secrets.db"
    assert store.resolve_url(None, env) == "sqlite:///from-env.db"
    assert store.resolve_url(None, {}).startswith("sqlite:///") and store.resolve_url(None, {}).endswith("course.db")


def test_schema_creation_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'course.db'}"
    for _ in range(3):
        store.open_store(url).engine.dispose()


def test_a_login_maps_to_one_learner_across_restarts(db_url):
    first = store.open_store(db_url)
    ada = first.learner_for_login("sso|ada", "Ada")
    assert first.learner_for_login("sso|ada", "Ada renamed").id == ada.id
    first.engine.dispose()
    second = store.open_store(db_url)
    assert second.learner_for_login("sso|ada", "Ada").id == ada.id
    assert second.learner_for_login("sso|bob", "Bob").id != ada.id
    second.delete_learner(ada.id)
    assert second.learner_for_login("sso|ada", "Ada").id != ada.id  # a fresh learner after deletion
    second.engine.dispose()


def test_cohort_overview_filters_by_cohort(db):
    a, _ = db.create_learner("A", "T-1")
    b, _ = db.create_learner("B", "T-2")
    db.set_section_done(a.id, "m01", "1.1")
    learners, done = db.cohort_overview("T-1")
    assert [lr.id for lr in learners] == [a.id] and done == {a.id: {"m01": {"1.1"}}}
    assert sorted(db.cohort_codes()) == ["T-1", "T-2"]
    assert len(db.cohort_overview()[0]) == 2 and b.id in db.cohort_overview()[1]


def test_cohort_activity_counts_items_labs_and_reviews_per_cohort(db):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    a, _ = db.create_learner("A", "T-1")
    b, _ = db.create_learner("B", "T-1")
    outsider, _ = db.create_learner("C", "T-2")
    db.record_quiz_attempt(a.id, "m02", [("q1", "x", True, 1.0), ("q2", "y", False, 0.0)])
    db.record_quiz_attempt(b.id, "m02", [("q1", "x", False, 0.0), ("r1", "text", None, 0.0)])
    db.record_quiz_attempt(outsider.id, "m02", [("q1", "x", False, 0.0)])
    db.save_lab_attempt(a.id, "rnn_step", "code", 1, 3, "[]")
    db.save_lab_attempt(a.id, "rnn_step", "code", 3, 3, "[]")
    db.save_lab_attempt(b.id, "rnn_step", "code", 2, 3, "[]")
    db.add_to_deck(a.id, "c1", "{}", now, "quiz:m02", "m02")
    db.record_review(a.id, "c1", 3, "{}", now + timedelta(days=2), now)
    got = db.cohort_activity("T-1")
    items = {(r["quiz"], r["question"]): (r["answers"], r["share_correct"]) for r in got["quiz_items"]}
    assert items == {("m02", "q1"): (2, 0.5), ("m02", "q2"): (1, 0.0)}  # reflections are not graded
    assert got["labs"] == [{"lab": "rnn_step", "learners": 2, "solved": 1, "pass_rate": 0.5}]
    assert got["flashcards"] == [{"learner": "A", "cards_in_deck": 1, "reviews_7d": 1}]
    everyone = {(r["quiz"], r["question"]): r["answers"] for r in db.cohort_activity()["quiz_items"]}
    assert everyone == {("m02", "q1"): 3, ("m02", "q2"): 1}


def test_cohort_evidence_matches_each_learners_own_records_in_three_queries(db):
    """The instructor's dashboard reads every learner's quiz bests, solved labs and saved models at once; the
    result equals the per-learner reads, and learners with nothing get empty evidence."""
    from sqlalchemy import event

    ann, bob, cy = (db.create_learner(n)[0].id for n in ("Ann", "Bob", "Cy"))
    db.record_quiz_score(ann, "m00", 2, 6)
    db.record_quiz_score(ann, "m00", 5, 6)
    db.record_quiz_score(bob, "m01", 3, 4)
    db.save_lab_attempt(ann, "rnn_step", "x", 2, 4, "[]")
    db.save_lab_attempt(ann, "rnn_step", "y", 4, 4, "[]")
    db.save_lab_attempt(bob, "softmax", "z", 1, 3, "[]")
    db.save_model(bob, "run-1", {"title": "t"}, None, {}, "held out", b"w", keep=5)
    statements = []

    def count(conn, cursor, statement, *rest):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = db.cohort_evidence([ann, bob, cy])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3
    for who in (ann, bob, cy):
        quizzes, labs, models = rows[who]
        assert quizzes == db.best_quiz_scores(who)
        assert labs == {lab: s.solved for lab, s in db.lab_summary(who).items()}
        assert models == db.model_count(who)
    assert rows[ann][0]["m00"] == pytest.approx(5 / 6) and rows[ann][1] == {"rnn_step": True}
    assert rows[bob][1] == {"softmax": False} and rows[bob][2] == 1 and rows[cy] == ({}, {}, 0)
    assert db.cohort_evidence([]) == {}
