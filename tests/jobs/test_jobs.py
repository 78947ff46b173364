"""Training jobs: bounded, queued, isolated per learner, a stop keeps (and saves) the model, and the queue, cap,
allowance, progress and stop live in the cohort database, so they hold across replicas and restarts."""

import os
import threading
import time

import pytest
import torch

from core.jobs import engine
from core.jobs import registry as jobs
from core.jobs import runs as learner_runs
from core.jobs import spec as spec_mod
from core.models import charlm
from core.models.charlm import CharLM, CharLMConfig, build, num_params
from core.training.loop import evaluate_loss
from tests.jobs.conftest import LONG, TEXT, spec


def wait_until(cond, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_a_tiny_job_trains_reports_progress_and_saves_the_run(make_registry, learner):
    ada = learner()
    job = make_registry().submit(spec(ada.uid))
    assert job.join(30)
    p = job.progress()
    assert p.state == "finished" and p.step == 30 and p.done and p.run_id and p.owner == ada.uid
    assert [s for s, _ in p.train] == list(range(1, 31)) and len(p.grad_norms) == 30
    assert [s for s, _ in p.evals] == [10, 20, 30] and p.evals[-1][1] < p.evals[0][1]
    assert [s for s, _ in p.samples] == [15, 30]
    assert p.params > 0 and p.memory_mb > 0 and p.train_chars + p.val_chars == len(TEXT)
    model, vocab, rec = learner_runs.load_run(ada.uid, p.run_id)
    assert isinstance(model, CharLM) and rec.stopped == "finished" and rec.steps == 30 and rec.owner == ada.uid
    val = torch.tensor(vocab.encode(learner_runs.held_out_text(ada.uid, p.run_id)))
    assert evaluate_loss(model, val, 20_000)[0] == pytest.approx(rec.val_loss, abs=1e-4)


def test_stop_keeps_and_saves_the_model_trained_so_far(make_registry, learner, store):
    ada = learner()
    job = make_registry().submit(spec(ada.uid, **LONG))
    assert wait_until(lambda: job.progress().step >= 3)
    job.stop()
    assert job.join(30)
    p = job.progress()
    assert p.state == "stopped" and 3 <= p.step < 3000
    assert store.job_text(job.id) is None  # the corpus is released
    rec = learner_runs.list_runs(ada.uid)[0]
    assert rec.run_id == p.run_id and rec.stopped == "stopped" and rec.steps == p.step


def test_the_time_budget_ends_a_run_and_it_is_saved_as_budget(make_registry, learner):
    ada = learner()
    job = make_registry().submit(spec(ada.uid, **{**LONG, "seconds": 1}))
    assert job.join(30)
    p = job.progress()
    assert p.state == "budget" and 0 < p.step < 3000 and p.elapsed_s >= 1.0
    assert learner_runs.list_runs(ada.uid)[0].stopped == "budget"


def test_runs_beyond_the_cap_wait_in_a_queue_and_start_when_a_slot_frees(make_registry, learner):
    ada, bob = learner("Ada"), learner("Bob")
    reg = make_registry(concurrent=1, workers=2)
    first = reg.submit(spec(ada.uid, **LONG))
    assert wait_until(lambda: first.progress().state == "running")
    second = reg.submit(spec(bob.uid, steps=5, eval_every=0, sample_every=0))
    time.sleep(0.5)
    p2 = second.progress()
    assert p2.state == "queued" and p2.queue_position == 1 and reg.running_count() == 1
    first.stop()
    assert second.join(30)
    assert second.progress().state == "finished"
    assert [r.owner for r in learner_runs.list_runs(bob.uid)] == [bob.uid]


def test_stopping_a_queued_run_trains_and_saves_nothing(make_registry, learner):
    ada, bob = learner("Ada"), learner("Bob")
    reg = make_registry(concurrent=1, workers=2)
    first = reg.submit(spec(ada.uid, **LONG))
    assert wait_until(lambda: first.progress().state == "running")
    second = reg.submit(spec(bob.uid))
    second.stop()
    assert second.join(10)
    assert second.progress().state == "stopped" and second.progress().step == 0
    assert learner_runs.list_runs(bob.uid) == []
    first.stop()


def test_one_active_run_per_learner_and_learners_see_only_their_own(make_registry, learner):
    ada, bob = learner("Ada"), learner("Bob")
    reg = make_registry()
    job = reg.submit(spec(ada.uid, **LONG))
    with pytest.raises(jobs.JobError, match="already have a run"):
        reg.submit(spec(ada.uid))
    assert reg.current(bob.uid) is None and reg.current(ada.uid).id == job.id
    job.stop()
    assert job.join(30)
    assert reg.submit(spec(ada.uid, steps=2)).join(30)  # allowed once the first is done


@pytest.mark.parametrize("change, message", [
    ({"hidden": 4096}, "hidden must be between"),
    ({"steps": 10**6}, "steps must be between"),
    ({"lr": 0.0}, "Learning rate"),
    ({"seconds": 10**6}, "Training time"),
    ({"text": "abc"}, "too short"),
    ({"hidden": 256, "layers": 2, "embed": 64, "text": "".join(map(chr, range(0x4E00, 0x4E00 + 3000))) * 2},
     "parameters"),
])
def test_settings_outside_the_budget_are_refused_with_what_to_change(make_registry, learner, change, message):
    ada = learner()
    reg = make_registry(consume=False)
    with pytest.raises(jobs.JobError, match=message):
        reg.submit(spec(ada.uid, **change))
    assert reg.current(ada.uid) is None


def test_the_daily_allowance_caps_a_learners_training_time(make_registry, learner):
    ada = learner()
    reg = make_registry(learner_seconds_per_day=8)
    job = reg.submit(spec(ada.uid, **LONG, hidden=128, batch=32, seq_len=64))  # 3000 steps take well over 8 s
    assert job.progress().seconds_budget == pytest.approx(8, abs=0.5)
    assert job.join(30) and job.progress().state == "budget"
    with pytest.raises(jobs.JobError, match="allowance"):
        reg.submit(spec(ada.uid))


def test_the_allowance_holds_across_a_restart_and_another_replica(make_registry, learner, store):
    ada = learner()
    first = make_registry(learner_seconds_per_day=60)
    with first.inline_slot(ada.uid, 30):
        pass
    store.job_finish(store.job_submit(ada.uid, job_id="spent0000001", kind="inline", title="t", corpus="", spec={},
                                      info={}, text=None, seconds=60, allowance_s=60, day_s=86400,
                                      queue_limit=8).id, "finished", seconds_used=58.0)
    first.shutdown()
    other = make_registry(consume=False, learner_seconds_per_day=60)  # a new process: nothing in memory
    assert other.remaining_seconds(ada.uid) < 2
    with pytest.raises(jobs.JobError, match="allowance"):
        other.submit(spec(ada.uid))


def test_a_failed_save_finishes_the_run_and_says_so(make_registry, learner):
    ada = learner()
    reg = make_registry()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    reg.saver = broken
    job = reg.submit(spec(ada.uid, steps=3))
    assert job.join(30)
    p = job.progress()
    assert p.state == "finished" and p.run_id is None and "disk full" in p.message


def test_a_diverging_run_is_saved_as_nan_with_the_message(make_registry, learner, monkeypatch):
    from core.jobs import runner

    ada = learner()
    reg = make_registry()
    real = runner.train

    def exploding(model, data, cfg, **kw):
        with torch.no_grad():
            model.head.bias.fill_(float("nan"))  # poison the weights: the first step's loss is NaN
        return real(model, data, cfg, **kw)

    monkeypatch.setattr(runner, "train", exploding)
    job = reg.submit(spec(ada.uid))
    assert job.join(30)
    p = job.progress()
    assert p.state == "nan" and "diverged" in p.message and p.step == 0 and p.run_id is None


def test_cells_twin_computes_the_same_logits_as_the_fused_model():
    for kind in ("rnn", "lstm", "gru"):
        torch.manual_seed(0)
        fused = build(CharLMConfig(kind=kind, vocab_size=11, hidden=12, layers=2, embed=5, backend="torch")).eval()
        cells = charlm.cells_twin(fused)
        x = torch.randint(0, 11, (3, 9))
        torch.testing.assert_close(cells(x)[0], fused(x)[0], atol=1e-5, rtol=1e-5)


def test_finished_jobs_leave_the_dashboard_after_an_hour_but_their_runs_stay(make_registry, learner, monkeypatch):
    ada = learner()
    reg = make_registry()
    job = reg.submit(spec(ada.uid, steps=3))
    assert job.join(30) and reg.current(ada.uid).id == job.id
    monkeypatch.setattr(jobs, "KEEP_DONE_S", 0.0)
    assert reg.current(ada.uid) is None and learner_runs.list_runs(ada.uid)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_parameter_count_matches_the_built_model(kind, layers):
    s = spec("0" * 32, kind=kind, layers=layers, hidden=24, embed=7)
    assert jobs.count_params(s, 13) == num_params(build(jobs.model_config(s, 13)))


def test_memory_estimate_and_rss_are_positive_and_grow_with_the_model():
    small = jobs.estimate_memory_mb(spec("0" * 32, hidden=16), 20, 10_000)
    big = jobs.estimate_memory_mb(spec("0" * 32, hidden=256, layers=2), 20, 10_000)
    assert 0 < small < big
    assert jobs.process_rss_mb() > 10


def test_budget_reads_the_environment():
    b = jobs.Budget.from_env({jobs.CONCURRENT_ENV: "3", jobs.SECONDS_ENV: "45", spec_mod.ALLOWANCE_ENV: "1800"})
    assert b.concurrent == 3 and b.max_seconds == 45 and b.learner_seconds_per_day == 1800
    assert jobs.Budget.from_env({}).learner_seconds_per_day == 900
    for bad in ({jobs.CONCURRENT_ENV: "many"}, {spec_mod.ALLOWANCE_ENV: "lots"}, {spec_mod.ALLOWANCE_ENV: "0"}):
        with pytest.raises(ValueError):
            jobs.Budget.from_env(bad)


def test_the_training_pool_is_sized_from_the_cpu_quota_not_the_host(make_registry, monkeypatch):
    from core import settings

    monkeypatch.setattr(settings, "cpu_quota", lambda: 6)  # a 6-CPU container on a bigger host
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.delenv(jobs.CONCURRENT_ENV, raising=False)
    assert jobs.Budget().concurrent == 3 and jobs.Budget.from_env({}).concurrent == 3
    reg = make_registry(**{})  # the consumer's threads follow the cap
    assert len(reg.consumer.worker_threads) == reg.budget.concurrent == 3


def test_the_training_thread_runs_nicer_than_the_page_threads():
    seen = {}

    def probe():
        tid = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, tid)
        jobs._lower_thread_priority()
        jobs._lower_thread_priority()  # once per thread: a worker thread that trains again is not pushed further
        seen["change"] = os.getpriority(os.PRIO_PROCESS, tid) - before
        seen["before"] = before

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    assert seen["change"] == min(10, 19 - seen["before"])
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == seen["before"]  # this thread untouched


def test_inline_training_shares_the_cap_the_queue_and_the_daily_allowance(make_registry, learner):
    ada, bob = learner("Ada"), learner("Bob")
    r = make_registry(concurrent=1, learner_seconds_per_day=100.0)
    order: list[str] = []
    with r.inline_slot(ada.uid, 30) as allowed:
        assert allowed == 30
        assert r.running_count() == 1
        with pytest.raises(jobs.JobError, match="in progress"):
            r.submit(spec(ada.uid))  # one run at a time per learner, inline or not

        def second() -> None:
            with r.inline_slot(bob.uid, 30):
                order.append("second runs")

        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.5)
        assert order == []  # Bob waits for the only slot
        order.append("first done")
    t.join(timeout=10)
    assert order == ["first done", "second runs"]
    assert r.running_count() == 0
    assert r.remaining_seconds(ada.uid) < 100.0  # the inline run was counted against Ada's allowance


def test_another_replica_sees_the_progress_and_its_stop_reaches_the_worker(make_registry, learner):
    ada = learner()
    trainer = make_registry()
    job = trainer.submit(spec(ada.uid, **LONG))
    replica = make_registry(consume=False)  # a second web process: no worker, same database
    seen = replica.current(ada.uid)
    assert seen is not None and seen.id == job.id
    assert wait_until(lambda: seen.progress().step >= 3)
    seen.stop()  # the worker polls the flag in the database
    assert job.join(30)
    assert seen.progress().state == "stopped" and learner_runs.list_runs(ada.uid)[0].run_id == seen.progress().run_id


def test_the_cap_holds_across_replicas_each_with_its_own_workers(make_registry, learner):
    learners = [learner(n) for n in ("A", "B", "C")]
    regs = [make_registry(concurrent=1, workers=2) for _ in range(3)]
    handles = [reg.submit(spec(lr.uid, **LONG)) for reg, lr in zip(regs, learners, strict=True)]
    assert wait_until(lambda: any(j.progress().state == "running" for j in handles))
    for _ in range(10):
        time.sleep(0.1)
        assert sum(j.progress().state == "running" for j in handles) == 1 and regs[0].running_count() == 1
    for j in handles:
        j.stop()
    assert all(j.join(30) for j in handles)


def test_a_run_whose_worker_died_is_requeued_and_finishes(make_registry, learner, store):
    from datetime import timedelta

    from core.cohort.db import utc_now

    ada = learner()
    web = make_registry(consume=False, stale_s=2)
    job = web.submit(spec(ada.uid))
    assert store.job_claim(job.id, "dead-host:1:worker-1", 1, 2) == "claimed"  # a worker took it, then died
    store.job_update(job.id, heartbeat_at=utc_now() - timedelta(seconds=10))
    assert job.progress().state == "running"
    worker = make_registry(stale_s=2)  # a worker (re)starts: it requeues the dead run and trains it
    assert job.join(30)
    assert job.progress().state == "finished" and job.progress().run_id
    assert store.job(job.id).attempts == 2 and worker.running_count() == 0


def test_a_queued_run_survives_a_restart_of_an_in_memory_queue(make_registry, learner):
    ada = learner()
    make_registry(consume=False).submit(spec(ada.uid))  # queued; this process's queue is then lost
    restarted = make_registry()  # at start, waiting jobs are handed to the engine again
    job = restarted.current(ada.uid)
    assert job is not None and job.join(30) and job.progress().state == "finished"


def test_the_embedded_default_trains_on_a_sqlite_queue_inside_this_process(store, learner, state):
    ada = learner()
    reg = jobs.Registry(store, jobs.Budget(concurrent=1), broker="")  # RNN_COURSE_JOB_BROKER unset
    try:
        queue = engine.queue_file(store.engine.url.render_as_string(hide_password=True))
        assert reg.consumer is not None and (state / queue).exists()
        job = reg.submit(spec(ada.uid, steps=5))
        assert job.join(30) and job.progress().state == "finished"
    finally:
        reg.shutdown()


def test_each_cohort_database_has_its_own_embedded_queue(tmp_path):
    """Two servers from one checkout, two cohorts: a message for one must never reach the other's consumer."""
    a = engine.make_huey("", tmp_path, cohort="sqlite:////srv/a/course.db")
    b = engine.make_huey("", tmp_path, cohort="sqlite:////srv/b/course.db")
    again = engine.make_huey("", tmp_path, cohort="sqlite:////srv/a/course.db")  # a second replica of cohort a

    @a.task(name="train")
    def train(job_id):
        return job_id

    train("job-1")
    assert a.pending_count() == 1 and again.pending_count() == 1
    assert b.pending_count() == 0
    assert len({engine.queue_file(c) for c in ("sqlite:////srv/a/course.db", "sqlite:////srv/b/course.db", "")}) == 3


def test_the_broker_setting_picks_the_engine(tmp_path):
    assert engine.broker_url({engine.BROKER_ENV: " redis://cache:6379/0 "}) == "redis://cache:6379/0"
    assert engine.embedded("") and engine.embedded("memory://") and not engine.embedded("redis://x")
    assert type(engine.make_huey("", tmp_path)).__name__ == "SqliteHuey"
    assert (tmp_path / engine.QUEUE_FILE).exists()
    assert type(engine.make_huey("redis://localhost:6379/0", tmp_path)).__name__ == "RedisHuey"
    assert engine.shown("postgresql://u:secret@h/db") == "postgresql://***@h/db"
    with pytest.raises(ValueError, match=engine.BROKER_ENV):
        engine.make_huey("amqp://x", tmp_path)
