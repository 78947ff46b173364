"""The cohort database's schema, owned by Alembic (core/cohort/migrations): `upgrade(url)` brings any database to
the newest revision, under a lock so that replicas starting together migrate once, and is what the store runs on
opening. `alembic upgrade head` from the repository root does the same (alembic.ini).

The lock: a PostgreSQL advisory lock held by the migrating transaction; on SQLite the database file's own write
lock (BEGIN IMMEDIATE; SQLite's DDL is transactional). A database made by `create_all` before migrations existed
(course tables, no alembic_version) is stamped at the initial revision, then upgraded.

A database already at the newest revision (every start but the first after a release) is recognised with one plain
SQL query against the revisions read from the migration files themselves, so Alembic is not even imported: that
saves about 0.1 s of the first page after a server start (issue 19)."""

from __future__ import annotations

import ast
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from core import logs
from core.cohort import db
from core.cohort.errors import StoreError
from core.cohort.tables import Base

MIGRATIONS = Path(__file__).with_name("migrations")
INITIAL = "0001"
PG_LOCK_KEY = 0x726E6E5F6D696772  # "rnn_migr": the one advisory lock id of this app's migrations
INITIAL_TABLES = frozenset({  # what revision 0001 creates (the whole create_all schema of release ca656b1)
    "learners", "section_progress", "quiz_scores", "learner_logins", "quiz_answers", "reflections", "deck_cards",
    "card_reviews", "lab_attempts", "capstone_results", "gallery_samples", "sample_likes", "review_assignments",
    "badge_awards", "neuron_findings", "challenge_votes",
})
SQLITE_WAIT_MS = 120_000  # how long a second replica waits for the first one's migration

log = logs.get("store")

if TYPE_CHECKING:
    from alembic.config import Config


def config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision, as Alembic reads it."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head()


@cache
def script_heads() -> frozenset[str]:
    """The newest revision(s), read from the migration files without Alembic: every `revision` that no other
    file names as its `down_revision` (tests/cohort/test_migrate_fast_path.py checks this against head())."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            elif isinstance(node, ast.AnnAssign) and node.value is not None:  # `revision: str = "0004"`
                target = node.target
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                value = ast.literal_eval(node.value)  # a string, None, or a tuple of strings (a merge)
                names = {value} if isinstance(value, str) else set(value or ())
                (revisions if target.id == "revision" else parents).update(names)
    return frozenset(revisions - parents)


def stored_heads(url: str) -> frozenset[str] | None:
    """The revision(s) the database at `url` records, by plain SQL; None when it records none or cannot be read
    (a new or pre-migration database, or one that is unreachable: the Alembic path then says why)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return frozenset(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def up_to_date(url: str) -> bool:
    """Whether the database at `url` is at the newest revision already (nothing to migrate, nothing to lock)."""
    return stored_heads(url) == script_heads()


def migration_engine(url: str) -> Engine:
    """An engine for migrating only: no pool; on SQLite foreign keys off (rebuilding a table must not cascade into
    its children) and every transaction BEGIN IMMEDIATE (the file's write lock, held to the end)."""
    engine = create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # the driver leaves transactions to the BEGIN below
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={SQLITE_WAIT_MS}")
            _wal(cur)
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _wal(cur: Any) -> None:
    """Switch a new SQLite file to WAL. The switch needs the file to itself and, unlike a write, fails at once
    ("database is locked") while another replica reads it, busy_timeout or not: retried until SQLITE_WAIT_MS."""
    deadline = time.monotonic() + SQLITE_WAIT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def locked(engine: Engine) -> Iterator[Connection]:
    """One transaction holding the migration lock; everything in it commits (or rolls back) together."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        yield conn
        if conn.dialect.name == "sqlite" and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
            raise StoreError("Migrating the course database would break links between learners and their data; "
                             "nothing was changed. Restore a backup or report this.")


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (default: the newest), creating it when empty."""
    if revision == "head" and up_to_date(url):
        return
    from alembic import command
    from alembic.util import CommandError

    engine = migration_engine(url)
    try:
        with locked(engine) as conn:
            command.upgrade(config(conn), revision)
    except CommandError as exc:
        raise StoreError(f"The course database could not be migrated ({exc}). Nothing was changed.") from exc
    finally:
        engine.dispose()


def _adopt_legacy(context: Any, conn: Connection) -> None:
    """A database from before migrations: stamp it at the initial revision when it has every initial table
    (an older release may have made fewer: then the initial revision runs and creates only the missing ones)."""
    found = set(inspect(conn).get_table_names())
    if "alembic_version" in found or "learners" not in found:
        return
    missing = INITIAL_TABLES - found
    if missing:
        log.warning("The course database predates migrations and lacks %s: creating them.", ", ".join(sorted(missing)))
        return
    context.get_context().stamp(context.script, INITIAL)
    log.info("The course database predates migrations: stamped at revision %s.", INITIAL)


def _refuse_unknown(context: Any) -> None:
    from alembic.util import CommandError

    script = context.script
    for rev in context.get_context().get_current_heads():
        try:
            script.get_revision(rev)
        except CommandError as exc:
            raise StoreError(
                f"The course database was made by a newer release of the course (schema revision {rev}; this "
                f"release knows up to {script.get_current_head()}). It was left untouched: run the newer release, "
                "or restore a backup made for this one."
            ) from exc


def ours(name: str | None, type_: str, _parent: Any) -> bool:
    """Autogenerate compares only the course's own tables: the job engine's queue tables (huey_*) share a
    PostgreSQL database with them when it is the broker, and are the engine's to create."""
    return type_ != "table" or name in Base.metadata.tables


def _run(context: Any, conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True, include_name=ours)
    _adopt_legacy(context, conn)
    _refuse_unknown(context)
    before = context.get_context().get_current_heads()
    with context.begin_transaction():
        context.run_migrations()
    after = context.get_context().get_current_heads()
    if after != before:
        log.info("Migrated the course database from %s to %s.", ",".join(before) or "empty", ",".join(after))


def cli_url(context: Any) -> str:
    """The command line's database: `-x url=...`, else what the app would use (environment, then default)."""
    return context.get_x_argument(as_dictionary=True).get("url") or db.resolve_url(db.secrets_url())


def run_env(context: Any) -> None:
    """The body of migrations/env.py: offline (SQL script) or online, with the caller's connection or our own."""
    if context.is_offline_mode():
        context.configure(url=cli_url(context), target_metadata=Base.metadata, literal_binds=True,
                          render_as_batch=True, include_name=ours)
        with context.begin_transaction():
            context.run_migrations()
        return
    conn = context.config.attributes.get("connection")
    if conn is not None:  # the app: upgrade() already holds the lock
        _run(context, conn)
        return
    logs.configure()  # the alembic command line: say what was done
    engine = migration_engine(cli_url(context))
    try:
        with locked(engine) as conn:
            _run(context, conn)
    finally:
        engine.dispose()
