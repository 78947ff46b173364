"""Separate worker processes (a hosted cohort): web replicas only enqueue; `python -m core.jobs.worker` trains,
writing progress and the model to the database; a worker killed mid-run leaves the run to another worker."""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import MetaData, create_engine

from core.cohort.store import open_store
from core.jobs import registry as jobs
from core.jobs import runs as learner_runs
from core.settings import REPO_ROOT
from tests.jobs.conftest import spec


def start_worker(database: str, broker: str, state, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1",
           learner_runs.STATE_ENV: str(state), jobs.CONCURRENT_ENV: "1"}
    return subprocess.Popen([sys.executable, "-m", "core.jobs.worker", "--database", database, "--broker", broker,
                             *extra], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def stop(proc: subprocess.Popen, sig=signal.SIGINT) -> str:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def wait_until(cond, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False




@pytest.fixture(params=["postgresql", "sqlite"])
def hosted(request, tmp_path, monkeypatch):
    """A web replica that only enqueues. PostgreSQL: the cohort database is the broker too (Huey's own tables), the
    hosted setup without Redis. SQLite: one server, a queue in a shared file."""
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path / "state"))
    if request.param == "postgresql":
        database = broker = request.getfixturevalue("pg_url")
    else:
        database, broker = f"sqlite:///{tmp_path / 'course.db'}", f"sqlite:///{tmp_path / 'queue.db'}"
    store = open_store(database)
    learner_runs.bind(store)
    web = jobs.Registry(store, jobs.Budget(concurrent=1), broker=broker, consume=False)
    yield database, broker, web
    web.shutdown()
    learner_runs.bind(None)
    store.engine.dispose()
    if request.param == "postgresql":  # leave an empty database for the next test
        engine = create_engine(database)
        everything = MetaData()
        everything.reflect(engine)
        everything.drop_all(engine)
        engine.dispose()


def test_the_worker_check_prints_its_configuration(tmp_path):
    database, broker = f"sqlite:///{tmp_path / 'course.db'}", f"sqlite:///{tmp_path / 'queue.db'}"
    out = start_worker(database, broker, tmp_path / "state", "--check").communicate(timeout=120)[0]
    assert "training worker: broker sqlite:///" in out and "cap 1 run(s)" in out


def test_a_worker_process_trains_what_a_web_replica_queued(hosted, tmp_path):
    database, broker, web = hosted
    state = tmp_path / "state"
    ada = web.store.create_learner("Ada")[0]
    job = web.submit(spec(ada.uid))
    assert job.progress().state == "queued"
    worker = start_worker(database, broker, state)
    try:
        assert job.join(120), stop(worker)
        p = job.progress()
        assert p.state == "finished" and p.run_id and len(p.train) == 30
        assert [r.run_id for r in learner_runs.list_runs(ada.uid)] == [p.run_id]  # the model is in the database
    finally:
        stop(worker)


@pytest.mark.slow  # two worker processes start (torch imports) and a stale heartbeat is waited for: ~35 s
def test_a_run_whose_worker_is_killed_finishes_on_another_worker(hosted, tmp_path):
    database, broker, web = hosted
    state = tmp_path / "state"
    ada = web.store.create_learner("Ada")[0]
    job = web.submit(spec(ada.uid, steps=3000, seconds=4, eval_every=0, sample_every=0))
    first = start_worker(database, broker, state, "--stale-seconds", "3")
    try:
        assert wait_until(lambda: job.progress().step >= 3, 120), stop(first)
    finally:
        stop(first, signal.SIGKILL)
    assert job.progress().state == "running"  # nobody is training it now
    second = start_worker(database, broker, state, "--stale-seconds", "3")
    try:
        assert job.join(120), stop(second)
        p = job.progress()
        assert p.state == "budget" and p.run_id and web.store.job(job.id).attempts == 2
    finally:
        stop(second)
