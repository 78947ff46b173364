"""One training job, run by whichever worker the job engine hands it to (a thread of the web process, or a
`python -m core.jobs.worker` process): claim it in the database, train it with core.training.loop, write its
progress back about once a second (which is also the heartbeat and where a stop from any replica is read), save
the model, release the slot. A job whose row disappears (its learner deleted their data) stops and saves nothing.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from core import logs, settings
from core.cohort.store import JobRecord, Store
from core.data.corpora import TextData, split_text
from core.jobs.spec import NICE_ENV, Budget, JobSpec, model_config
from core.models import inference
from core.models.charlm import build, cells_twin
from core.training.loop import StepInfo, TrainConfig, train

STOP_STATES = {"max_steps": "finished", "time_budget": "budget", "diverged": "nan"}
log = logs.get("jobs")
_niced = threading.local()


def worker_name(kind: str = "worker") -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{kind}-{threading.get_native_id()}"


def lower_thread_priority(by: int | None = None) -> None:
    """On Linux each thread has its own nice value: make this (training) thread `by` (default $RNN_COURSE_TRAIN_NICE,
    else 10) steps nicer than the process, once per thread, so the threads that render pages win the CPU."""
    if getattr(_niced, "done", False):
        return
    try:
        by = settings.get(NICE_ENV) if by is None else by
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + by))
        _niced.done = True
    except (AttributeError, OSError, ValueError):
        pass


def spec_of(rec: JobRecord, text: str = "") -> JobSpec:
    return JobSpec(owner=rec.owner_uid, text=text, corpus=rec.corpus, title=rec.title, **rec.spec)


@dataclass
class Execution:
    """What a worker needs to run jobs: the store, the budget (the cap), how to save a model, and the stop events
    of the jobs running in this process (so a stop asked here needs no poll)."""

    store: Store
    budget: Budget
    saver: Callable
    stale_s: float = 60.0
    poll_s: float = 0.5
    flush_s: float = 1.0
    events: dict[str, threading.Event] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def event(self, job_id: str) -> threading.Event:
        with self.lock:
            return self.events.setdefault(job_id, threading.Event())

    def release(self, job_id: str) -> None:
        with self.lock:
            self.events.pop(job_id, None)

    def run(self, job_id: str) -> None:
        """The job engine's task: wait for a slot (first come, first served), then train."""
        stop = self.event(job_id)
        me = worker_name()
        try:
            while True:
                outcome = self.store.job_claim(job_id, me, self.budget.concurrent, self.stale_s)
                if outcome == "claimed":
                    break
                if outcome != "wait":
                    return
                stop.wait(self.poll_s)
            rec = self.store.job(job_id)
            if rec is not None:
                log.info("Job %s of learner %s started on %s.", job_id, rec.owner_uid, me)
                _Training(self, rec, stop).run()
        finally:
            self.release(job_id)


class _Training:
    def __init__(self, ex: Execution, rec: JobRecord, stop: threading.Event) -> None:
        self.ex, self.rec, self.stop = ex, rec, stop
        self.gone = False
        self.train: list[list] = []
        self.grads: list[float] = []
        self.evals: list[list] = []
        self.samples: list[list] = []
        self.last_flush = 0.0

    def progress(self) -> dict:
        return {"train": self.train, "grad_norms": self.grads, "evals": self.evals, "samples": self.samples}

    def flush(self, **changes) -> None:
        exists, stop = self.ex.store.job_update(self.rec.id, **changes)
        self.last_flush = time.monotonic()
        if not exists:
            self.gone = True
        if stop:
            self.stop.set()

    def on_step(self, info: StepInfo) -> None:
        self.train.append([info.step, info.loss])
        self.grads.append(info.grad_norm)
        event = info.val_loss is not None or info.sample is not None
        if info.val_loss is not None:
            self.evals.append([info.step, info.val_loss])
        if info.sample is not None:
            self.samples.append([info.step, info.sample])
        if event or time.monotonic() - self.last_flush >= self.ex.flush_s:
            self.flush(step=info.step, elapsed_s=info.elapsed_s, chars_per_s=info.chars_per_s,
                       progress=self.progress())
        time.sleep(0)  # hand the GIL to page threads between steps

    def run(self) -> None:
        rec, store = self.rec, self.ex.store
        started = time.monotonic()
        try:
            lower_thread_priority()
            inference.configure_threads()
            text = store.job_text(rec.id)
            if text is None:
                return  # deleted (or finished elsewhere) meanwhile
            self.flush(state="running")
            self._train_and_save(text)
        except Exception as e:  # a run never takes a worker down: report it on the learner's page
            log.error("Job %s failed.", rec.id, exc_info=e)
            store.job_finish(rec.id, "failed", f"Training failed: {type(e).__name__}: {e}",
                             seconds_used=time.monotonic() - started)

    def _train_and_save(self, text: str) -> None:
        rec, store = self.rec, self.ex.store
        spec = spec_of(rec)
        train_text, val_text = split_text(text[: self.ex.budget.max_corpus_chars])
        data = TextData.from_text(train_text + val_text, name=spec.corpus)
        torch.manual_seed(spec.seed)
        model = build(model_config(spec, len(data.vocab)))
        cfg = TrainConfig(batch=spec.batch, seq_len=spec.seq_len, lr=spec.lr, max_steps=spec.steps,
                          warmup_steps=min(50, max(1, spec.steps // 10)), time_budget_s=rec.seconds_budget,
                          clip=spec.clip, eval_every=spec.eval_every, eval_chars=20_000,
                          sample_every=spec.sample_every, sample_len=160, seed=spec.seed, on_nan="stop")
        history = train(model, data, cfg, on_step=self.on_step, should_stop=self.stop.is_set)
        if self.gone:
            log.info("Job %s was deleted while training: its model is discarded.", rec.id)
            return
        now = store.job(rec.id)
        if now is None:
            log.info("Job %s was deleted while training: its model is discarded.", rec.id)
            return
        state = STOP_STATES.get(history.stopped, now.stop_reason)
        self.evals = [[s, v] for s, v in history.evals if math.isfinite(v)]
        self.flush(state="saving", elapsed_s=history.elapsed_s, progress=self.progress())
        message, run_id = (history.message if history.diverged else ""), None
        if history.steps:
            meta = {"title": spec.title, "corpus": spec.corpus, "stopped": state, "elapsed_s": history.elapsed_s,
                    "train_settings": {k: getattr(spec, k) for k in ("lr", "batch", "seq_len", "clip", "steps",
                                                                     "seconds", "seed")}}
            try:
                saved = self.ex.saver(rec.owner_uid, cells_twin(model), data.vocab, train_text, val_text, history,
                                      meta, job_id=rec.id)
            except OSError as e:
                saved = False
                message = (message + " " if message else "") + (
                    f"The model could not be saved ({e}). Tell your instructor (the server's disk may be full), "
                    "then train again.")
            if saved is None:
                log.info("Job %s finished after its learner was deleted: nothing saved.", rec.id)
                return
            run_id = saved.run_id if saved else None
        else:
            message = message or "Stopped before the first step; nothing was trained."
        store.job_finish(rec.id, state, message, run_id, seconds_used=history.elapsed_s, step=self.train[-1][0]
                         if self.train else 0, progress=self.progress())
        log.info("Job %s of learner %s ended: %s after %d steps.", rec.id, rec.owner_uid, state,
                 self.train[-1][0] if self.train else 0)
