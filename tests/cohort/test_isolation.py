"""A learner can read and change only their own records: learner B, using every learner-scoped query of the
store, never sees or alters what learner A stored. New store methods must be classified here (the test fails
until they are), so isolation is re-checked whenever the store grows.

And a deleted learner leaves nothing behind for anyone (issue 17, item 4): "Delete my data" while a training run
is going stops it and saves nothing, and whoever signs up next sees no job, no run and no held-out text."""

import inspect
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from core.cohort.store import Store, open_store
from core.jobs import registry as jobs
from core.jobs import runs as learner_runs

NOW = datetime.now(UTC)
RUN = "20260101T000000-0123456789ab"

# learner-scoped writes, each called for learner A with these arguments (after the learner id)
WRITES = {
    "set_path": ("B",),
    "set_cohort": ("TEAM-A",),
    "set_section_done": ("m02", "2.1"),
    "record_quiz_score": ("m02", 4, 5),
    "record_quiz_attempt": ("m02", [("q1", "A's answer", True, 1.0)]),
    "save_reflection": ("m01", "r1", "A's private reflection"),
    "add_to_deck": ("card-1", "{}", NOW + timedelta(days=1), "quiz:m02", "m02"),
    "record_review": ("card-1", 3, "{}", NOW + timedelta(days=3), NOW),
    "save_lab_attempt": ("rnn_step", "A's code", 1, 3, "[]"),
    "save_evaluation": ("r1", "A's run", "tinyshakespeare", {"kind": "gru"}, 1.5, 5000, 20.0, "A's sample"),
    "submit_result": ("r1", "tinyshakespeare", "beginner"),
    "share_sample": ("r1", "A's shared sample", {"temperature": 0.8}),
    "award_badges": ({"first-run": "A's run"},),
    "save_neuron_finding": ("r1", 0, 3, "space", 0.7, "A's neuron"),
    "save_model": (RUN, {"title": "A's run"}, {"steps": [1]}, {"lr": 1}, "A's held-out text", b"A's weights", 5),
}
# learner-scoped writes with keyword arguments
KEYWORD_WRITES = {
    "job_submit": {"job_id": "a0a0a0a0a0a0", "kind": "run", "title": "A's job", "corpus": "upload:a.txt",
                   "spec": {"steps": 5}, "info": {}, "text": "A's uploaded text", "seconds": 30, "allowance_s": 900,
                   "day_s": 86400, "queue_limit": 8},
}
# learner-scoped reads: for learner B each must come back empty
READS = {
    "completed_sections": (),
    "best_quiz_scores": (),
    "quiz_answers": (),
    "reflections": (),
    "reflection_times": (),
    "deck": (),
    "reviews": (),
    "latest_lab_code": ("rnn_step",),
    "lab_summary": (),
    "my_results": (),
    "my_samples": (),
    "badges": (),
    "neuron_findings": (),
    "current_job": (3600,),
    "model_records": (),
    "model_count": (),
}
# one of the learner's runs by its id: for learner B each raises KeyError
BY_RUN = {"model", "model_weights", "model_held_out"}
# the job engine's calls by job id (random, handed only to workers and to the job's own learner's pages)
WORKER = {"job", "job_claim", "job_update", "job_finish", "job_stop", "job_text", "job_queue_position",
          "jobs_running", "jobs_recover", "jobs_queued"}
# shared with the learner's cohort by design, never with an author or reviewer id: checked in
# test_cohort_features_share_only_what_they_must below
COHORT = {"leaderboard", "leaderboard_categories", "gallery", "like_sample", "cast_vote", "my_vote", "vote_tally",
          "review_tasks", "submit_review", "reviews_done", "review_feedback", "cohort_capstone_stats",
          "withdraw_result", "delete_sample"}
# instructor-only capstone moderation (pages guard it with the instructor role)
INSTRUCTOR = {"moderation_entries", "moderate_result"}
# neither: identity, aggregate counts, instructor-only queries (guarded by the instructor role on pages),
# and B's own deletion (checked below not to touch A)
OTHER = {"create_learner", "learner_for_login", "find_learner", "learner", "cohort_size", "cohort_overview",
         "cohort_evidence",
         "cohort_codes", "cohort_activity", "export_learner", "delete_learner", "remove_from_deck",
         "training_seconds_left", "model_owner", "forget_jobs", "delete_models", "delete_model"}


def public_methods() -> set[str]:
    return {n for n, f in inspect.getmembers(Store, inspect.isfunction) if not n.startswith("_")}


def test_every_store_method_is_classified_for_isolation():
    assert public_methods() == (set(WRITES) | set(KEYWORD_WRITES) | set(READS) | BY_RUN | WORKER | OTHER | COHORT
                                | INSTRUCTOR)


def test_learner_b_sees_and_changes_nothing_of_learner_a(db):
    a, _ = db.create_learner("A")
    b, _ = db.create_learner("B")
    for name, args in WRITES.items():
        getattr(db, name)(a.id, *args)
    for name, kwargs in KEYWORD_WRITES.items():
        getattr(db, name)(a.uid, **kwargs)
    a_before = {name: getattr(db, name)(a.id, *args) for name, args in READS.items()}
    assert all(a_before.values()), "learner A's data was written through every write"

    for name, args in READS.items():
        assert not getattr(db, name)(b.id, *args), f"{name} leaked learner A's data to learner B"
        if name in ("current_job", "model_records", "model_count"):  # these also take the uid
            assert not getattr(db, name)(b.uid, *args), f"{name} leaked learner A's data to learner B (by uid)"
    for name in BY_RUN:
        with pytest.raises(KeyError):
            getattr(db, name)(b.uid, RUN)
    assert not db.delete_model(b.uid, RUN) and db.forget_jobs(b.uid) == [] and db.delete_models(b.uid) == 0
    exported = db.export_learner(b.id)
    assert "A's" not in repr(exported) and "TEAM-A" not in repr(exported)

    db.remove_from_deck(b.id, "card-1")
    db.delete_learner(b.id)
    assert db.model_weights(a.uid, RUN) == b"A's weights" and db.job_text("a0a0a0a0a0a0") == "A's uploaded text"
    assert {name: getattr(db, name)(a.id, *args) for name, args in READS.items()} == a_before
    assert db.learner(a.id).path == "B" and db.learner(a.id).cohort_code == "TEAM-A"


def test_cohort_features_share_only_what_they_must(db):
    a, _ = db.create_learner("Ada", "TEAM-1")
    b, _ = db.create_learner("Bob", "TEAM-1")
    outsider, _ = db.create_learner("Eve", "TEAM-2")
    db.save_evaluation(a.id, "r1", "A's run", "names", {}, 1.9, 5000, 20.0, "A's sample")
    db.save_evaluation(a.id, "r2", "A's unsubmitted run", "names", {}, 1.8, 5000, 20.0, "A's secret sample")
    db.submit_result(a.id, "r1", "names")
    sid = db.share_sample(a.id, "r1", "A's shared sample", {"temperature": 0.8})

    # B changes nothing of A's through the calls that take B's id
    db.withdraw_result(b.id, "r1")
    db.delete_sample(b.id, sid)
    assert db.my_results(a.id)[1].category == "names" and db.my_samples(a.id)

    # what B sees of A: the submitted entry (display name, server numbers), the sample without its author
    board = db.leaderboard(b.id, "names")
    assert [r.title for r in board] == ["A's run"] and "secret" not in repr(board)
    assert not any(hasattr(r, "learner_id") for r in board)
    assert [g.text for g in db.gallery(b.id)] == ["A's shared sample"]
    assert "learner_id" not in repr(db.gallery(b.id)) and "r1" not in repr(db.gallery(b.id))
    tasks = db.review_tasks(b.id)
    assert [t.text for t in tasks] == ["A's shared sample"] and "Ada" not in repr(tasks)
    db.submit_review(b.id, tasks[0].assignment_id, 5, 4, 3)
    feedback = db.review_feedback(a.id)
    assert "Bob" not in repr(feedback) and str(b.id) not in repr(vars(feedback[sid]).values())
    assert db.review_feedback(b.id) == {} and db.reviews_done(a.id) == 0

    # another cohort sees nothing at all
    assert db.leaderboard(outsider.id, "names") == [] and db.gallery(outsider.id) == []
    assert db.review_tasks(outsider.id) == [] and db.vote_tally(outsider.id) == {}
    assert db.leaderboard_categories(outsider.id) == []
    stats = db.cohort_capstone_stats(outsider.id)
    assert stats["learners"] == 1 and stats["with_badges"] == 0


# ---- a deleted learner leaves nothing behind (issue 17, item 4) -----------------------------------------------

TEXT = "the cat sat on the mat. the dog sat on the log. a cat and a dog. " * 40


@pytest.fixture
def cohort(tmp_path, monkeypatch):
    """A store with models kept in it and a registry whose worker trains in this process."""
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path / "state"))
    s = open_store(f"sqlite:///{tmp_path / 'course.db'}")
    learner_runs.bind(s)
    reg = jobs.Registry(s, jobs.Budget(concurrent=1), broker="memory://")
    yield s, reg
    reg.shutdown(timeout=30)
    learner_runs.bind(None)
    s.engine.dispose()


def _long_run(owner: str) -> jobs.JobSpec:
    return jobs.JobSpec(owner=owner, text=TEXT, corpus="upload:secret-diary.txt", title="my diary", hidden=16,
                        embed=8, steps=3000, seconds=60, batch=4, seq_len=16, eval_every=0, sample_every=0)


def _wait(cond, timeout=30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def _nothing_left(s: Store, reg: jobs.Registry, tmp_path) -> None:
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM learner_models").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM training_jobs").scalar() == 0
    assert not (tmp_path / "state" / "runs").exists() or not any((tmp_path / "state" / "runs").iterdir())
    newcomer, _ = s.create_learner("Next")
    assert reg.current(newcomer.uid) is None and reg.current(newcomer.id) is None
    assert learner_runs.list_runs(newcomer.uid) == [] and learner_runs.list_runs(newcomer.id) == []


def _delete_my_data(s: Store, learner) -> None:
    """What the "Delete my data" button does (core.ui.cohort_page.my_data)."""
    jobs.forget_learner(learner.uid, s)
    s.delete_learner(learner.id)


def test_deleting_a_learner_mid_run_stops_it_saves_nothing_and_the_next_sign_up_sees_nothing(cohort, tmp_path):
    s, reg = cohort
    ada, _ = s.create_learner("Ada")
    job = reg.submit(_long_run(ada.uid))
    assert _wait(lambda: job.progress().step >= 3)
    _delete_my_data(s, ada)
    assert job.join(30) and _wait(lambda: not reg.execution.events)  # the worker stopped
    time.sleep(0.3)
    _nothing_left(s, reg, tmp_path)
    with pytest.raises(KeyError):
        learner_runs.held_out_text(ada.uid, "20260101T000000-000000000000")


def test_a_run_that_finishes_while_its_learner_is_deleted_is_discarded(cohort, tmp_path):
    s, reg = cohort
    ada, _ = s.create_learner("Ada")
    saving, deleted = threading.Event(), threading.Event()
    real_saver = reg.saver

    def slow_saver(*args, **kwargs):  # the run ends and starts saving; the learner deletes their data meanwhile
        saving.set()
        assert deleted.wait(30)
        return real_saver(*args, **kwargs)

    reg.saver = slow_saver
    job = reg.submit(_long_run(ada.uid))
    assert _wait(lambda: job.progress().step >= 3)
    job.stop()
    assert saving.wait(30)
    _delete_my_data(s, ada)
    deleted.set()
    assert _wait(lambda: not reg.execution.events)
    time.sleep(0.3)
    _nothing_left(s, reg, tmp_path)


def test_a_queued_run_of_a_deleted_learner_never_starts(cohort, tmp_path):
    s, reg = cohort
    ada, _ = s.create_learner("Ada")
    bob, _ = s.create_learner("Bob")
    first = reg.submit(_long_run(bob.uid))
    assert _wait(lambda: first.progress().state == "running")
    waiting = reg.submit(_long_run(ada.uid))
    _delete_my_data(s, ada)
    assert waiting.join(5)
    first.stop()
    assert first.join(30)
    _delete_my_data(s, bob)
    _nothing_left(s, reg, tmp_path)

