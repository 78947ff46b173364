"""Learners' in-app training runs, as pages see them: submit a run, follow its progress, stop it, take a slot for
short training in the page's own thread (module 4), and forget a learner's jobs when they delete their data.

The state is in the cohort database (core.cohort.jobs), so the cap on runs at once, one run per learner, the daily
allowance, progress and stop hold across replicas and restarts; the work is carried by Huey (core.jobs.engine),
embedded in the web process by default or in separate `python -m core.jobs.worker` processes. Pages only read
`Job.progress()`, a frozen copy.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict

import torch
from huey import crontab

from core import logs
from core.cohort import db
from core.cohort.store import URL_ENV, JobRecord, JobRefused, Store, open_store
from core.data.corpora import split_text
from core.jobs import engine, runner
from core.jobs import runs as learner_runs
from core.jobs.spec import (  # noqa: F401 (the names pages use, re-exported)
    ACTIVE,
    CONCURRENT_ENV,
    GATES,
    NICE_ENV,
    SECONDS_ENV,
    Budget,
    JobError,
    JobSpec,
    Progress,
    check_spec,
    count_params,
    estimate_memory_mb,
    model_config,
    process_rss_mb,
)

DAY_S = 24 * 3600.0
KEEP_DONE_S = 3600.0  # a finished run stays on the learner's dashboard this long; the saved model stays for good
STALE_S = 60.0  # a job whose worker has not written for this long is taken as dead (requeued)
log = logs.get("jobs")
_lower_thread_priority = runner.lower_thread_priority  # the name tests and older callers use


def _refusal(e: JobRefused, budget: Budget, inline: bool = False) -> JobError:
    if e.reason == "active":
        return JobError("You have a training run in progress: stop it (it will be saved) first." if inline else
                        "You already have a run in progress: stop it (it will be saved) before starting another.")
    if e.reason == "allowance":
        return JobError("You have used today's training allowance "
                        f"({budget.learner_seconds_per_day / 60:.0f} minutes). Explore the models you trained, or "
                        "come back tomorrow.")
    if e.reason == "queue":
        return JobError(f"{e.detail} runs are already waiting for the trainer. Try again in a few minutes.")
    return JobError("Your account no longer exists on this server (its data was deleted). Sign in again.")


class Job:
    """A handle on one job in the database: every read is fresh, so any replica's page sees the same run."""

    def __init__(self, registry: Registry, record: JobRecord) -> None:
        self.id = record.id
        self._registry = registry
        self._last = record

    @property
    def spec(self) -> JobSpec:
        """The run's settings (without its text)."""
        return runner.spec_of(self._last)

    def record(self) -> JobRecord | None:
        rec = self._registry.store.job(self.id)
        if rec is not None:
            self._last = rec
        return rec

    def progress(self) -> Progress:
        rec = self.record()
        r = rec or self._last
        pos = self._registry.store.job_queue_position(self.id) if rec is not None and rec.state == "queued" else 0
        info, prog = r.info, r.progress
        state, message = (r.state, r.message) if rec is not None else ("stopped", "This run was deleted.")
        return Progress(
            job_id=r.id, learner_id=r.learner_id, title=r.title, corpus=r.corpus, state=state, queue_position=pos,
            step=r.step, max_steps=r.spec["steps"], seconds_budget=r.seconds_budget, elapsed_s=r.elapsed_s,
            chars_per_s=r.chars_per_s, params=info["params"], vocab_size=info["vocab_size"],
            train_chars=info["train_chars"], val_chars=info["val_chars"], memory_mb=info["memory_mb"],
            lr=r.spec["lr"], clip=r.spec["clip"], dropout=r.spec["dropout"], hidden=r.spec["hidden"],
            train=tuple((s, v) for s, v in prog.get("train", ())), grad_norms=tuple(prog.get("grad_norms", ())),
            evals=tuple((s, v) for s, v in prog.get("evals", ())),
            samples=tuple((s, t) for s, t in prog.get("samples", ())), message=message, run_id=r.run_id,
            stop_requested=r.stop_requested, layers=r.spec["layers"], owner=r.owner_uid)

    def stop(self, reason: str = "stopped") -> None:
        """Ask the run to stop after its current step (from any replica); what was trained so far is saved."""
        self._registry.store.job_stop(self.id, reason)
        self._registry.execution.events.get(self.id, threading.Event()).set()

    def join(self, timeout: float | None = None, poll_s: float = 0.1) -> bool:
        """Wait until the run has ended (or was deleted); False on timeout."""
        end = None if timeout is None else time.monotonic() + timeout
        while end is None or time.monotonic() < end:
            rec = self.record()
            if rec is None or rec.done:
                return True
            time.sleep(poll_s)
        return False


class Registry:
    """Training jobs in one cohort database. `consume` (default: when the broker is embedded) runs a Huey consumer
    with `workers` threads (default: the cap) in this process."""

    def __init__(self, store: Store, budget: Budget | None = None, broker: str | None = None,
                 saver: Callable[..., learner_runs.RunRecord | None] = learner_runs.save_run,
                 consume: bool | None = None, workers: int | None = None, stale_s: float = STALE_S) -> None:
        self.store = store
        self.budget = budget or Budget.from_env()
        self.broker = engine.broker_url() if broker is None else broker
        self.execution = runner.Execution(store, self.budget, saver, stale_s=stale_s)
        self.huey = engine.make_huey(self.broker, learner_runs.state_dir(),
                                     cohort=store.engine.url.render_as_string(hide_password=True))
        self._task = self.huey.task(name="train")(self.execution.run)
        self.huey.periodic_task(crontab(minute="*"), name="recover")(self.recover)
        self.consumer = None
        self._consumer_thread: threading.Thread | None = None
        if engine.embedded(self.broker) if consume is None else consume:
            self.start_consumer(workers)

    @property
    def saver(self) -> Callable:
        return self.execution.saver

    @saver.setter
    def saver(self, fn: Callable) -> None:
        self.execution.saver = fn

    # ---- the engine -------------------------------------------------------------------------------------------

    def start_consumer(self, workers: int | None = None) -> None:
        """Take jobs in this process: hand waiting jobs to the engine again (a restart), then start the threads."""
        self.recover(everything=True)
        self.consumer = engine.consumer(self.huey, workers or self.budget.concurrent, embedded_mode=True)
        self.consumer.start()  # the worker and scheduler threads; a supervisor restarts any that dies
        self._consumer_thread = threading.Thread(target=engine.supervise, args=(self.consumer,),
                                                 name="train-consumer", daemon=True)
        self._consumer_thread.start()
        log.info("Training jobs: %d worker thread(s) in this process, queue %s.", workers or self.budget.concurrent,
                 engine.shown(self.broker))

    def recover(self, everything: bool = False) -> int:
        """Requeue jobs whose worker died (and, at a start, hand every waiting job to the engine again: a message
        delivered twice is harmless, the database decides who trains). Returns how many were handed over."""
        ids = self.store.jobs_recover(self.execution.stale_s)
        if ids:
            log.warning("Requeued %d training job(s) whose worker stopped: %s", len(ids), ", ".join(ids))
        if everything:
            ids = list(dict.fromkeys(ids + self.store.jobs_queued()))
        for job_id in ids:
            self._task(job_id)
        return len(ids)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop the jobs running in this process and the consumer (tests; a server exit). Their models are saved."""
        for job_id in list(self.execution.events):
            self.store.job_stop(job_id, "stopped")
            self.execution.events[job_id].set()
        if self.consumer is not None:
            self.consumer.stop_flag.set()
            end = time.monotonic() + timeout
            for _, worker in self.consumer.worker_threads:
                worker.join(max(0.0, end - time.monotonic()))
            if self._consumer_thread is not None:
                self._consumer_thread.join(max(0.0, end - time.monotonic()))

    # ---- what pages call --------------------------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> Job:
        """Queue a run for spec.owner; JobError with a clear message if it cannot."""
        problems = check_spec(spec, self.budget)
        if problems:
            raise JobError(" ".join(problems))
        text = spec.text[: self.budget.max_corpus_chars]
        train_text, val_text = split_text(text)
        vocab_size = len(set(text))
        info = {"params": count_params(spec, vocab_size), "vocab_size": vocab_size, "train_chars": len(train_text),
                "val_chars": len(val_text), "memory_mb": estimate_memory_mb(spec, vocab_size, len(text))}
        settings = {k: v for k, v in asdict(spec).items() if k not in ("owner", "text", "title", "corpus")}
        try:
            rec = self.store.job_submit(
                spec.owner, job_id=secrets.token_hex(6), kind="run", title=spec.title, corpus=spec.corpus,
                spec=settings, info=info, text=text, seconds=min(spec.seconds, self.budget.max_seconds),
                allowance_s=self.budget.learner_seconds_per_day, day_s=DAY_S, queue_limit=self.budget.queue)
        except JobRefused as e:
            raise _refusal(e, self.budget) from None
        try:
            self._task(rec.id)
        except Exception as e:  # the broker is down: say so, and do not leave a run that never starts
            log.error("Could not hand job %s to the trainer (%s).", rec.id, engine.shown(self.broker), exc_info=e)
            self.store.job_finish(rec.id, "failed", "The trainer could not be reached; nothing was trained.")
            raise JobError("The trainer could not be reached. Try again in a minute, or tell your instructor.") from e
        log.info("Job %s queued for learner %s (%s, %d×%d).", rec.id, rec.owner_uid, spec.kind, spec.layers,
                 spec.hidden)
        return Job(self, rec)

    def current(self, owner: str | int) -> Job | None:
        """This learner's active run, or their latest one finished within the last hour, or None."""
        rec = self.store.current_job(owner, KEEP_DONE_S)
        return Job(self, rec) if rec is not None else None

    def remaining_seconds(self, owner: str | int) -> float:
        return self.store.training_seconds_left(owner, self.budget.learner_seconds_per_day, DAY_S)

    def queue_position(self, job: Job) -> int:
        return self.store.job_queue_position(job.id)

    def running_count(self) -> int:
        return self.store.jobs_running()

    @contextlib.contextmanager
    def inline_slot(self, owner: str | int, seconds: float, poll_s: float = 0.25) -> Iterator[float]:
        """A training slot for short training that runs in the page's own thread (module 4's challenges): it waits
        in the same first-come queue, counts against the same cap on runs at once, the one-run-per-learner rule
        and the learner's daily allowance. Yields the seconds this run may use; JobError when it cannot run now."""
        try:
            rec = self.store.job_submit(owner, job_id=secrets.token_hex(6), kind="inline", title="inline training",
                                        corpus="", spec={}, info={}, text=None, seconds=seconds,
                                        allowance_s=self.budget.learner_seconds_per_day, day_s=DAY_S,
                                        queue_limit=self.budget.queue)
        except JobRefused as e:
            raise _refusal(e, self.budget, inline=True) from None
        beating = threading.Event()

        def heartbeat() -> None:
            while not beating.wait(min(10.0, self.execution.stale_s / 4)):
                self.store.job_update(rec.id)

        threading.Thread(target=heartbeat, name="train-inline-heartbeat", daemon=True).start()
        start = None
        try:
            me = runner.worker_name("page")
            while (outcome := self.store.job_claim(rec.id, me, self.budget.concurrent, self.execution.stale_s)) == "wait":
                time.sleep(poll_s)
            if outcome != "claimed":
                raise JobError("This training slot was cancelled. Try again.")
            start = time.monotonic()
            yield rec.seconds_budget
        finally:
            beating.set()
            used = 0.0 if start is None else time.monotonic() - start
            self.store.job_finish(rec.id, "finished", seconds_used=used)


def forget_learner(owner: str | int, store: Store | None = None) -> int:
    """'Delete my data' for training: stop and delete every job of the learner (a worker still training one stops
    at its next poll and saves nothing), then delete their saved models. Call it before deleting the learner.
    Returns how many jobs were still active."""
    store = store or learner_runs.bound() or (_registry.store if _registry is not None else None)
    if store is None:
        learner_runs.delete_learner_runs(owner)
        return 0
    active = store.forget_jobs(owner)
    if _registry is not None:
        for job_id in active:
            _registry.execution.events.get(job_id, threading.Event()).set()
    if learner_runs.bound() is None:
        learner_runs.bind(store)
    learner_runs.delete_learner_runs(owner)
    log.info("Forgot learner %s's training: %d active job(s) stopped, saved models deleted.", owner, len(active))
    return len(active)


_registry: Registry | None = None
_registry_setting = ""  # $RNN_COURSE_DATABASE_URL when it was made
_registry_guard = threading.Lock()


def _warm_up() -> None:
    """Building the first Adam optimiser imports torch's compiler stack (about 1-13 s here); do it before a
    learner waits for it."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def registry(store: Store | None = None) -> Registry:
    """The process-wide registry on `store` (default: the store already bound, else the configured database),
    budget and broker from the environment. Binding a store also keeps learners' models in it."""
    global _registry, _registry_setting
    with _registry_guard:
        setting = os.environ.get(URL_ENV, "")
        stale = _registry is not None and (setting != _registry_setting or (
            store is not None and _url(_registry.store) != _url(store)))
        if stale:  # another database (re-configured, or a test): start over on it
            _registry.shutdown(timeout=5.0)
            _registry = None
        if _registry is None:
            store = store or learner_runs.bound() or open_store(db.resolve_url(db.secrets_url()))
            learner_runs.bind(store)
            _registry, _registry_setting = Registry(store), setting
            threading.Thread(target=_warm_up, name="train-warm-up", daemon=True).start()
        elif learner_runs.bound() is None:
            learner_runs.bind(_registry.store)
        return _registry


def bind(store: Store) -> Registry:
    """The app's one call when it opens its store: jobs and saved models use it from then on."""
    learner_runs.bind(store)
    return registry(store)


__all__ = ["ACTIVE", "Budget", "Job", "JobError", "JobSpec", "Progress", "Registry", "bind", "check_spec",
           "count_params", "estimate_memory_mb", "forget_learner", "model_config", "process_rss_mb", "registry"]
