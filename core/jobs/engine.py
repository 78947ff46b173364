"""The job engine under learners' training runs: Huey, chosen by one setting, one code path either way.

- Embedded (RNN_COURSE_JOB_BROKER empty, the default: a laptop, Community Cloud): a SqliteHuey queue file in the state
  folder and a Huey consumer running as threads inside the web process; no extra service.
- Hosted (RNN_COURSE_JOB_BROKER=redis://..., postgresql://... or sqlite:///shared/file): web replicas only enqueue;
  `python -m core.jobs.worker` processes consume. PostgreSQL can be the cohort database itself (Huey keeps its
  queue in tables of its own), so a hosted cohort needs no Redis.
- `memory://`: an in-process memory queue (tests, one process).

Huey only carries "train job <id>" messages and runs the periodic recovery; what a job is, its state, the cap, the
allowance and the progress live in the cohort database (core.cohort.jobs), so a lost or repeated message costs
nothing: a worker claims a job in the database before training it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from pathlib import Path

from huey import Huey, MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer, ConsumerStopped

from core import settings

BROKER_ENV = "RNN_COURSE_JOB_BROKER"
QUEUE = "rnn-course-training"
QUEUE_FILE = "job-queue.db"  # the embedded queue, in the state folder (job-queue-<cohort>.db with a cohort database)
PG_QUEUE_LOCK = 0x726E6E5F68756579  # "rnn_huey": the advisory lock around creating Huey's tables on PostgreSQL


def broker_url(env: Mapping[str, str] | None = None) -> str:
    """$RNN_COURSE_JOB_BROKER: empty for the embedded engine, else the broker's URL."""
    if BROKER_ENV in settings.SETTINGS:
        return str(settings.get(BROKER_ENV, env) or "").strip()
    return (os.environ if env is None else env).get(BROKER_ENV, "").strip()


def embedded(url: str) -> bool:
    """Whether the web process consumes its own queue (no separate worker processes)."""
    return url in ("", "memory", "memory://")


def shown(url: str) -> str:
    """The broker URL without a password, for logs and pages."""
    if "@" not in url or "://" not in url:
        return url or "embedded"
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


def queue_file(cohort: str = "") -> str:
    """The embedded queue's file name for a cohort database URL. One file per database: two servers started from one
    checkout for different cohorts (or test servers side by side) shared job-queue.db, and one server's consumer
    took the other's messages, found no such job in its own database and dropped them: those runs stayed queued."""
    if not cohort:
        return QUEUE_FILE
    return f"job-queue-{hashlib.sha256(cohort.encode()).hexdigest()[:12]}.db"


def make_huey(url: str, state_dir: Path, cohort: str = "") -> Huey:
    """The Huey instance for a broker URL (results are not kept: the database has everything a page reads).
    `cohort` (the cohort database's URL) names the embedded queue's file, so each database has its own queue."""
    options = {"results": False, "utc": True}
    if url in ("memory", "memory://"):
        return MemoryHuey(QUEUE, **options)
    if url == "":
        state_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(QUEUE, filename=str(state_dir / queue_file(cohort)), **options)
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme == "sqlite":
        return SqliteHuey(QUEUE, filename=url.split(":///", 1)[1], **options)
    if scheme in ("redis", "rediss", "unix"):
        return RedisHuey(QUEUE, url=url, **options)
    if scheme in ("postgresql", "postgres"):
        dsn = "postgresql://" + url.split("://", 1)[1]
        huey = PostgresHuey(QUEUE, dsn=dsn, create_tables=False, **options)
        _create_pg_queue(dsn, huey.storage.ddl)
        return huey
    raise ValueError(f"{BROKER_ENV} must be empty, memory://, sqlite:///<file>, redis://... or postgresql://..., "
                     f"got {shown(url)!r}.")


def _create_pg_queue(dsn: str, ddl: list[str]) -> None:
    """Huey's `create table if not exists` statements, one process at a time: replicas and workers starting together
    would otherwise race in PostgreSQL's catalog ("duplicate key value violates unique constraint
    pg_type_typname_nsp_index") and one of them would fail to start."""
    import psycopg  # only a PostgreSQL broker needs it

    with psycopg.connect(dsn) as conn:  # one transaction, committed on leaving
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_QUEUE_LOCK,))
        for statement in ddl:
            conn.execute(statement)


class EmbeddedConsumer(Consumer):
    """A Huey consumer that lives inside the web server: threads only, and the server keeps its own signal
    handlers (Consumer.start would install Huey's, which only the main thread may do)."""

    def _set_signal_handlers(self) -> None:
        pass


def consumer(huey: Huey, workers: int, embedded_mode: bool, poll_s: float = 0.25) -> Consumer:
    """`workers` threads taking tasks; a queue that cannot block (SQLite, memory) is polled every `poll_s`."""
    cls = EmbeddedConsumer if embedded_mode else Consumer
    return cls(huey, workers=max(1, workers), periodic=True, initial_delay=min(0.1, poll_s), backoff=1.15,
               max_delay=poll_s, worker_type="thread", check_worker_health=True)


def supervise(consumer: Consumer) -> None:
    """What Consumer.run does after starting: restart dead worker threads until the consumer is stopped."""
    health = time.monotonic()
    while True:
        try:
            health = consumer.loop(health)
        except ConsumerStopped:
            return
