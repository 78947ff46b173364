"""Stop from any replica, for a run that no worker has taken yet: on a hosted cohort the workers' threads (as many as
the cap) may all be training, so nobody reads a waiting run's message for minutes; the stop must end it at once
and free the learner (the job's row decides, not the worker)."""

from core.jobs import registry as jobs
from tests.jobs.conftest import learner, make_registry, spec, state, store  # noqa: F401 - fixtures


def test_a_waiting_run_stopped_from_a_replica_ends_at_once_without_a_worker(make_registry, learner):  # noqa: F811
    ada = learner("Ada")
    web = make_registry(consume=False)  # a replica: it only enqueues, and no worker is free
    job = web.submit(spec(ada.uid))
    assert job.progress().state == "queued"
    job.stop()
    p = job.progress()
    assert p.state == "stopped" and p.step == 0 and p.message.startswith("Stopped while waiting")
    again = web.submit(spec(ada.uid))  # the learner may start another run straight away
    assert again.progress().state == "queued"
    assert web.store.job_claim(job.id, "late-worker", 1, jobs.STALE_S) == "gone"  # its message, read later
