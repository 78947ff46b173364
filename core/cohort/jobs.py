"""Training jobs in the database: the state the job engine's workers and every replica share (queue, owner, status,
live progress, stop flag), and the rules that must hold across replicas and restarts, each decided in one
transaction: one active run per learner, at most `cap` runs at once (first come, first served), a daily allowance
of training seconds per learner, and a bounded queue.

Every admission or claim runs serialised (a PostgreSQL advisory lock; on SQLite the file's write lock, taken by
the transaction's first statement), and the UNIQUE columns `active_learner` and `slot` back the rules up. A learner
is named by their `uid` (or, for callers not yet moved to uids, their database id; neither ever comes back)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from core.cohort.db import Repository, as_utc, db_errors, utc_now
from core.cohort.tables import Learner, TrainingJob

ACTIVE = ("queued", "running", "saving")
JOBS_LOCK = 0x726E6E5F6A6F6273  # "rnn_jobs": the advisory lock of admissions and claims on PostgreSQL


class JobRefused(Exception):
    """A job cannot be admitted: `reason` is "gone" (no such learner), "active" (one is already queued or running),
    "allowance" (today's training time is used up) or "queue" (the queue is full)."""

    def __init__(self, reason: str, detail: float | int = 0) -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class JobRecord:
    id: str
    learner_id: int
    owner_uid: str
    kind: str
    state: str
    title: str
    corpus: str
    spec: dict
    info: dict
    seconds_budget: float
    seconds_used: float
    stop_requested: bool
    stop_reason: str
    step: int
    elapsed_s: float
    chars_per_s: float
    progress: dict
    message: str
    run_id: str | None
    attempts: int
    worker: str | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None

    @property
    def done(self) -> bool:
        return self.state not in ACTIVE


def _record(r: TrainingJob) -> JobRecord:
    return JobRecord(
        r.id, r.learner_id, r.owner_uid, r.kind, r.state, r.title, r.corpus, json.loads(r.spec), json.loads(r.info),
        r.seconds_budget, r.seconds_used, bool(r.stop_requested), r.stop_reason, r.step, r.elapsed_s, r.chars_per_s,
        json.loads(r.progress or "{}"), r.message or "", r.run_id, r.attempts, r.worker, as_utc(r.queued_at),
        *(as_utc(t) if t is not None else None for t in (r.started_at, r.finished_at, r.heartbeat_at)))


def owner_filter(owner: str | int):  # noqa: ANN201 (a SQLAlchemy condition on Learner)
    """The learner named by uid (a str) or by database id (an int)."""
    if isinstance(owner, bool) or not isinstance(owner, str | int):
        raise ValueError(f"A learner is named by their uid or id, got {owner!r}.")
    return Learner.uid == owner if isinstance(owner, str) else Learner.id == owner


def serialise(s: Session) -> None:
    """Make this transaction the only admission/claim running anywhere until it commits."""
    if s.bind.dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": JOBS_LOCK})
    else:  # SQLite: a write as the first statement takes the database's write lock (waits up to busy_timeout)
        s.execute(update(TrainingJob).where(TrainingJob.id == "").values(step=0))


def _used_today(s: Session, learner_id: int, day_s: float) -> float:
    since = utc_now() - timedelta(seconds=day_s)
    return float(s.scalar(select(func.coalesce(func.sum(TrainingJob.seconds_used), 0.0)).where(
        TrainingJob.learner_id == learner_id, TrainingJob.finished_at.is_not(None),
        TrainingJob.finished_at > since)) or 0.0)


class JobRepository(Repository):
    """Reads and writes of training jobs. Workers call the `job_*` methods that take a job id; pages call those that
    take the learner's uid."""

    @db_errors
    def job_submit(self, owner: str | int, *, job_id: str, kind: str, title: str, corpus: str, spec: dict,
                   info: dict, text: str | None, seconds: float, allowance_s: float, day_s: float,
                   queue_limit: int, min_left_s: float = 5.0) -> JobRecord:
        """Admit a job (queued) for the learner, or raise JobRefused. Its time budget is `seconds`, cut to what is
        left of the learner's allowance."""
        with self._tx() as s:
            serialise(s)
            learner = s.scalar(select(Learner).where(owner_filter(owner)))
            if learner is None:
                raise JobRefused("gone")
            s.execute(delete(TrainingJob).where(TrainingJob.learner_id == learner.id,
                                                TrainingJob.state.not_in(ACTIVE),
                                                TrainingJob.finished_at < utc_now() - timedelta(seconds=day_s)))
            if s.scalar(select(TrainingJob.id).where(TrainingJob.active_learner == learner.id)) is not None:
                raise JobRefused("active")
            left = allowance_s - _used_today(s, learner.id, day_s)
            if left < min_left_s:
                raise JobRefused("allowance", allowance_s)
            waiting = s.scalar(select(func.count()).select_from(TrainingJob).where(TrainingJob.state == "queued"))
            if waiting >= queue_limit:
                raise JobRefused("queue", waiting)
            row = TrainingJob(
                id=job_id, learner_id=learner.id, owner_uid=learner.uid, kind=kind, state="queued",
                active_learner=learner.id, slot=None, title=title[:120], corpus=corpus[:200], spec=json.dumps(spec),
                info=json.dumps(info), text=text, seconds_budget=float(min(seconds, left)), seconds_used=0.0,
                stop_requested=False, stop_reason="stopped", worker=None, attempts=0, step=0, elapsed_s=0.0,
                chars_per_s=0.0, progress="{}", message="", run_id=None, queued_at=utc_now())
            s.add(row)
            s.flush()
            return _record(row)

    @db_errors
    def job_claim(self, job_id: str, worker: str, cap: int, stale_s: float) -> str:
        """A worker's attempt to start a queued job: "claimed" (it holds a slot now: train), "wait" (older jobs or a
        full cap come first: try again soon), "stopped" (stopped while waiting: done), or "gone" (deleted, already
        handled, or held by another live worker: drop it)."""
        now = utc_now()
        with self._tx() as s:
            serialise(s)
            row = s.get(TrainingJob, job_id)
            if row is None or row.state != "queued":
                return "gone"
            fresh = row.heartbeat_at is not None and now - as_utc(row.heartbeat_at) < timedelta(seconds=stale_s)
            if row.worker not in (None, worker) and fresh:
                return "gone"  # a duplicate delivery: another worker is waiting with this job
            row.worker, row.heartbeat_at = worker, now
            if row.stop_requested:
                self._end(row, "stopped", "Stopped while waiting in the queue; nothing was trained.", now)
                return "stopped"
            ahead = s.scalar(select(func.count()).select_from(TrainingJob).where(
                TrainingJob.state == "queued", or_(TrainingJob.queued_at < row.queued_at,
                                                  (TrainingJob.queued_at == row.queued_at) & (TrainingJob.id < row.id))))
            held = set(s.scalars(select(TrainingJob.slot).where(TrainingJob.slot.is_not(None))))
            free = [k for k in range(max(1, cap)) if k not in held]
            if ahead >= len(free):
                return "wait"
            row.slot, row.state, row.started_at, row.attempts = free[0], "running", now, row.attempts + 1
            return "claimed"

    @db_errors
    def job_update(self, job_id: str, **changes) -> tuple[bool, bool]:
        """Write a worker's progress (step, elapsed_s, chars_per_s, progress dict, state, ...) and its heartbeat.
        Returns (the job still exists, a stop was asked for): a deleted job is a stop whose model is thrown away."""
        if "progress" in changes:
            changes["progress"] = json.dumps(changes["progress"])
        with self._tx() as s:
            row = s.get(TrainingJob, job_id)
            if row is None:
                return False, True
            for key, value in {"heartbeat_at": utc_now(), **changes}.items():
                setattr(row, key, value)
            return True, bool(row.stop_requested)

    @db_errors
    def job_finish(self, job_id: str, state: str, message: str = "", run_id: str | None = None,
                   seconds_used: float = 0.0, **changes) -> None:
        """End a job: its final state, the seconds it counts against the allowance, its slot and corpus released."""
        if "progress" in changes:
            changes["progress"] = json.dumps(changes["progress"])
        with self._tx() as s:
            row = s.get(TrainingJob, job_id)
            if row is not None:
                for key, value in changes.items():
                    setattr(row, key, value)
                row.run_id, row.seconds_used = run_id, float(seconds_used)
                self._end(row, state, message, utc_now())

    @staticmethod
    def _end(row: TrainingJob, state: str, message: str, now: datetime) -> None:
        row.state, row.message, row.finished_at, row.heartbeat_at = state, message, now, now
        row.active_learner = row.slot = row.text = None

    @db_errors
    def job_stop(self, job_id: str, reason: str = "stopped") -> bool:
        """Ask a job to stop (any replica); its worker sees the flag within a second. A job still waiting ends at
        once: no worker thread may be free to take its message for minutes (a worker runs as many threads as the cap,
        all of them may be training), and the learner must be able to start again now. False if it is not active."""
        with self._tx() as s:
            serialise(s)  # not while a worker is claiming it: that claim now finds it ended
            row = s.get(TrainingJob, job_id)
            if row is None or row.state not in ACTIVE:
                return False
            row.stop_requested, row.stop_reason = True, reason
            if row.state == "queued":
                self._end(row, "stopped", "Stopped while waiting in the queue; nothing was trained.", utc_now())
            return True

    @db_errors
    def job(self, job_id: str) -> JobRecord | None:
        with self._tx() as s:
            row = s.get(TrainingJob, job_id)
            return _record(row) if row is not None else None

    @db_errors
    def job_text(self, job_id: str) -> str | None:
        with self._tx() as s:
            return s.scalar(select(TrainingJob.text).where(TrainingJob.id == job_id))

    @db_errors
    def current_job(self, owner: str | int, keep_done_s: float) -> JobRecord | None:
        """The learner's active run, else their latest run finished within `keep_done_s` seconds, else None."""
        since = utc_now() - timedelta(seconds=keep_done_s)
        with self._tx() as s:
            row = s.scalar(select(TrainingJob).join(Learner, Learner.id == TrainingJob.learner_id)
                           .where(owner_filter(owner), TrainingJob.kind == "run",
                                  or_(TrainingJob.state.in_(ACTIVE), TrainingJob.finished_at > since))
                           .order_by(TrainingJob.queued_at.desc(), TrainingJob.id.desc()).limit(1))
            return _record(row) if row is not None else None

    @db_errors
    def job_queue_position(self, job_id: str) -> int:
        """1 = next to start; 0 when the job is not waiting."""
        with self._tx() as s:
            row = s.get(TrainingJob, job_id)
            if row is None or row.state != "queued":
                return 0
            return 1 + s.scalar(select(func.count()).select_from(TrainingJob).where(
                TrainingJob.state == "queued", or_(TrainingJob.queued_at < row.queued_at,
                                                  (TrainingJob.queued_at == row.queued_at) & (TrainingJob.id < row.id))))

    @db_errors
    def jobs_running(self) -> int:
        with self._tx() as s:
            return s.scalar(select(func.count()).select_from(TrainingJob).where(TrainingJob.slot.is_not(None)))

    @db_errors
    def training_seconds_left(self, owner: str | int, allowance_s: float, day_s: float) -> float:
        with self._tx() as s:
            learner_id = s.scalar(select(Learner.id).where(owner_filter(owner)))
            if learner_id is None:
                return 0.0
            return max(0.0, allowance_s - _used_today(s, learner_id, day_s))

    @db_errors
    def jobs_recover(self, stale_s: float, max_attempts: int = 2) -> list[str]:
        """Jobs whose worker died: a running one goes back to the queue (or fails after `max_attempts` starts), a
        waiting one is released for another worker; jobs ended more than two days ago are deleted. Returns the ids
        to hand to the job engine again."""
        cutoff = utc_now() - timedelta(seconds=stale_s)
        again: list[str] = []
        with self._tx() as s:
            serialise(s)
            rows = s.scalars(select(TrainingJob).where(TrainingJob.state.in_(ACTIVE), TrainingJob.kind == "run",
                                                       TrainingJob.heartbeat_at < cutoff))
            for row in rows:
                if row.state == "queued":
                    row.worker = None
                elif row.attempts >= max_attempts or row.stop_requested:
                    self._end(row, "failed", "The server training this run stopped twice; nothing was saved. "
                                             "Start the run again.", utc_now())
                    continue
                else:
                    row.state, row.slot, row.worker, row.step, row.elapsed_s, row.progress = (
                        "queued", None, None, 0, 0.0, "{}")
                    row.message = "The server training this run restarted; it starts again from the beginning."
                again.append(row.id)
            stale_inline = s.scalars(select(TrainingJob).where(TrainingJob.state.in_(ACTIVE),
                                                               TrainingJob.kind == "inline",
                                                               TrainingJob.heartbeat_at < cutoff))
            for row in stale_inline:  # a page that died mid-slot: its time so far is counted
                self._end(row, "failed", "", utc_now())
            s.execute(delete(TrainingJob).where(TrainingJob.state.not_in(ACTIVE),  # past the allowance's window
                                                TrainingJob.finished_at < utc_now() - timedelta(days=2)))
        return again

    @db_errors
    def jobs_queued(self) -> list[str]:
        """Every waiting run, oldest first (handed to the job engine again when a worker starts)."""
        with self._tx() as s:
            return list(s.scalars(select(TrainingJob.id).where(TrainingJob.state == "queued",
                                                               TrainingJob.kind == "run")
                                  .order_by(TrainingJob.queued_at, TrainingJob.id)))

    @db_errors
    def forget_jobs(self, owner: str | int) -> list[str]:
        """Delete every job of the learner (their data deletion); returns the ids that were still active, whose
        workers stop at their next poll and save nothing."""
        with self._tx() as s:
            learner_id = s.scalar(select(Learner.id).where(owner_filter(owner)))
            if learner_id is None:
                return []
            active = list(s.scalars(select(TrainingJob.id).where(TrainingJob.learner_id == learner_id,
                                                                 TrainingJob.state.in_(ACTIVE))))
            s.execute(delete(TrainingJob).where(TrainingJob.learner_id == learner_id))
            return active

    def _delete_jobs(self, s: Session, learner_id: int) -> None:
        s.execute(delete(TrainingJob).where(TrainingJob.learner_id == learner_id))
