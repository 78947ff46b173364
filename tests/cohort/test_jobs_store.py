"""Training jobs and learners' models in the cohort database, on SQLite and PostgreSQL: the rules that must hold
across replicas (one active run per learner, the cap on runs at once, first come first served, the daily
allowance) hold under concurrent callers, a dead worker's job is requeued, and models go with their learner and
take their leaderboard entry with them."""

import threading
from datetime import timedelta

import pytest

from core.cohort.db import utc_now
from core.cohort.store import JobRefused, open_store

DAY = 86400.0


def submit(db, owner, job_id, kind="run", seconds=60.0, allowance=900.0, queue=8):
    return db.job_submit(owner, job_id=job_id, kind=kind, title="t", corpus="c", spec={"steps": 5}, info={},
                         text="some text", seconds=seconds, allowance_s=allowance, day_s=DAY, queue_limit=queue)


def at_once(n, fn):
    """Run fn(i) in n threads released together; returns the results (exceptions as values)."""
    start, out = threading.Barrier(n), [None] * n

    def run(i):
        start.wait()
        try:
            out[i] = fn(i)
        except Exception as exc:  # noqa: BLE001
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_a_learner_gets_one_active_job_even_when_replicas_submit_at_once(db):
    ada, _ = db.create_learner("Ada")
    results = at_once(8, lambda i: submit(db, ada.uid, f"job{i:09d}"))
    admitted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, JobRefused)]
    assert len(admitted) == 1 and len(refused) == 7 and {r.reason for r in refused} == {"active"}


def test_no_more_than_the_cap_run_when_workers_claim_at_once(db):
    learners = [db.create_learner(f"L{i}")[0] for i in range(6)]
    ids = [submit(db, lr.uid, f"job{i:09d}").id for i, lr in enumerate(learners)]
    results = at_once(6, lambda i: db.job_claim(ids[i], f"w{i}", 2, 60))
    assert sorted(results) == ["claimed", "claimed", "wait", "wait", "wait", "wait"]
    assert db.jobs_running() == 2
    assert [results[i] for i in range(2)] == ["claimed", "claimed"]  # first come, first served


def test_a_finished_job_frees_its_slot_and_its_learner(db):
    ada, _ = db.create_learner("Ada")
    bob, _ = db.create_learner("Bob")
    first, second = submit(db, ada.uid, "first0000001"), submit(db, bob.uid, "second000001")
    assert db.job_claim(first.id, "w1", 1, 60) == "claimed" and db.job_claim(second.id, "w2", 1, 60) == "wait"
    assert db.job_queue_position(second.id) == 1
    db.job_finish(first.id, "finished", seconds_used=12.0)
    assert db.job_claim(second.id, "w2", 1, 60) == "claimed"
    assert db.job_text(first.id) is None and db.job(first.id).done
    assert submit(db, ada.uid, "again0000001").state == "queued"


def test_the_allowance_and_the_queue_are_enforced_by_the_database(db):
    ada, _ = db.create_learner("Ada")
    job = submit(db, ada.uid, "first0000001", seconds=60, allowance=100)
    db.job_finish(job.id, "budget", seconds_used=97.0)
    with pytest.raises(JobRefused) as refused:
        submit(db, ada.uid, "second000001", allowance=100)
    assert refused.value.reason == "allowance"
    assert db.training_seconds_left(ada.uid, 100, DAY) == pytest.approx(3.0)
    assert submit(db, ada.uid, "third0000001", allowance=200).seconds_budget == pytest.approx(60)
    others = [db.create_learner(f"L{i}")[0] for i in range(3)]
    submit(db, others[0].uid, "q00000000001", queue=2)
    with pytest.raises(JobRefused) as full:
        submit(db, others[1].uid, "q00000000002", queue=2)
    assert full.value.reason == "queue"


def test_a_stale_running_job_is_requeued_then_failed(db):
    ada, _ = db.create_learner("Ada")
    job = submit(db, ada.uid, "first0000001")
    for attempt in (1, 2):
        assert db.job_claim(job.id, f"w{attempt}", 1, 60) == "claimed"
        db.job_update(job.id, heartbeat_at=utc_now() - timedelta(minutes=5))
        assert db.jobs_recover(60, max_attempts=2) == ([job.id] if attempt == 1 else [])
    assert db.job(job.id).state == "failed" and db.jobs_running() == 0
    assert submit(db, ada.uid, "second000001").state == "queued"  # the learner is free again


def test_a_duplicate_message_never_trains_a_job_twice(db):
    ada, _ = db.create_learner("Ada")
    job = submit(db, ada.uid, "first0000001")
    bob, _ = db.create_learner("Bob")
    later = submit(db, bob.uid, "aaaa00000000")
    assert db.job_claim(later.id, "w0", 1, 60) == "wait"  # Ada's job came first: Bob's waits
    assert db.job_claim(job.id, "w1", 1, 60) == "claimed"
    assert db.job_claim(job.id, "w2", 1, 60) == "gone"


def test_deleting_a_learner_deletes_their_jobs_and_models_and_refuses_late_saves(db):
    ada, _ = db.create_learner("Ada")
    job = submit(db, ada.uid, "first0000001")
    assert db.job_claim(job.id, "w1", 1, 60) == "claimed"
    db.delete_learner(ada.id)
    assert db.job(job.id) is None and db.jobs_running() == 0
    assert db.job_update(job.id, step=3) == (False, True)  # the worker learns it must stop
    assert db.save_model(ada.uid, "20260101T000000-aaaaaaaaaaaa", {}, None, {}, "held out", b"w", 5,
                         job_id=job.id) is None
    newcomer, _ = db.create_learner("Dee")
    assert db.current_job(newcomer.uid, 3600) is None and db.model_records(newcomer.uid) == []


def test_a_save_is_refused_once_its_job_was_forgotten(db):
    ada, _ = db.create_learner("Ada")
    job = submit(db, ada.uid, "first0000001")
    assert db.forget_jobs(ada.uid) == [job.id]
    assert db.save_model(ada.uid, "20260101T000000-aaaaaaaaaaaa", {}, None, {}, "x", b"w", 5, job_id=job.id) is None
    assert db.model_records(ada.uid) == []


def run_id(i):
    return f"2026010{i}T000000-{i:012x}"


def test_models_are_kept_newest_first_and_a_leaderboard_entry_keeps_its_model(db):
    ada, _ = db.create_learner("Ada", "TEAM")
    db.save_model(ada.uid, run_id(1), {"title": "one"}, None, {}, "held 1", b"w1", 2)
    db.save_evaluation(ada.id, run_id(1), "one", "names", {}, 1.5, 5000, 20.0, "sample")
    db.submit_result(ada.id, run_id(1), "names")
    for i in (2, 3, 4):
        db.save_model(ada.uid, run_id(i), {"title": str(i)}, {"steps": [i]}, {"x": i}, f"held {i}", b"w", 2)
    assert [m.run_id for m in db.model_records(ada.uid)] == [run_id(4), run_id(3), run_id(1)]
    assert db.model(ada.uid, run_id(4)).history == {"steps": [4]} and db.model_held_out(ada.id, run_id(3)) == "held 3"
    assert db.model_weights(ada.uid, run_id(1)) == b"w1"


def test_deleting_a_model_takes_its_leaderboard_entry_with_it(db):
    ada, _ = db.create_learner("Ada", "TEAM")
    bob, _ = db.create_learner("Bob", "TEAM")
    db.save_model(ada.uid, run_id(1), {"title": "one"}, None, {}, "held", b"w", 5)
    db.save_evaluation(ada.id, run_id(1), "one", "names", {}, 1.5, 5000, 20.0, "sample")
    db.submit_result(ada.id, run_id(1), "names")
    assert [r.title for r in db.leaderboard(bob.id, "names")] == ["one"]
    assert not db.delete_model(bob.uid, run_id(1))  # not Bob's
    assert db.delete_model(ada.uid, run_id(1))
    assert db.leaderboard(bob.id, "names") == [] and db.my_results(ada.id) == []
    with pytest.raises(KeyError):
        db.model_weights(ada.uid, run_id(1))


def test_jobs_and_models_survive_reopening_the_database(db):
    ada, _ = db.create_learner("Ada")
    job = submit(db, ada.uid, "first0000001")
    db.save_model(ada.uid, run_id(1), {"title": "one"}, None, {}, "held", b"w", 5)
    again = open_store(db.engine.url.render_as_string(hide_password=False))
    assert again.current_job(ada.uid, 3600).id == job.id and again.jobs_queued() == [job.id]
    assert [m.run_id for m in again.model_records(ada.uid)] == [run_id(1)]
    again.engine.dispose()
