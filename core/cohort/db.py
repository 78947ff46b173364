"""The cohort database connection: URL resolution, SQLite checks and pragmas, opening (with the schema brought up to
date by a `prepare` step the store passes in: core.cohort.migrate.upgrade), the transaction helper every repository
shares (which first checks that an SQLite file is still there and sound: core.cohort.health), the mapping of driver
errors to StoreError, and UTC time.

Knows no table."""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core import logs, settings
from core.cohort import health
from core.cohort.errors import StoreError
from core.cohort.health import SQLITE_MAGIC, SqliteWatch

__all__ = ["DEFAULT_DB", "DEFAULT_SQLITE_NOTICE", "SQLITE_MAGIC", "URL_ENV", "Database", "Repository", "StoreError",
           "as_utc", "db_errors", "open_database", "resolve_url", "secrets_url", "utc_now"]

URL_ENV = "RNN_COURSE_DATABASE_URL"
DEFAULT_DB = settings.REPO_ROOT / ".course-data" / "course.db"
SECRETS_FILE = settings.REPO_ROOT / ".streamlit" / "secrets.toml"
DEFAULT_SQLITE_NOTICE = (
    f"No database is configured ({URL_ENV}, or [database] url in the secrets), so learners' records are kept in "
    "the local SQLite file .course-data/course.db. That is fine on one laptop; a hosted cohort needs PostgreSQL: "
    "Community Cloud may delete local files, and several replicas would not share one file."
)

P = ParamSpec("P")
R = TypeVar("R")

log = logs.get("store")
_default_warned = False  # the default-SQLite warning is logged once per process


def db_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn driver errors into StoreError so pages can show a message instead of a traceback, and log them."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            watch = getattr(args[0], "watch", None) if args else None
            if watch is not None:
                watch.check()  # a deleted or corrupted file explains the failure better than the driver does
            log.error("%s failed: %s", fn.__qualname__, exc.__class__.__name__, exc_info=exc)
            raise StoreError(f"The course database failed: {exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}") from exc

    return wrapper


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything this store writes is UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Database:
    """An open cohort database: its engine, and what the instructor page and the log should know about it."""

    engine: Engine
    watch: SqliteWatch | None  # the SQLite file being watched (None for a database server)
    created_new: bool  # this open created the SQLite file
    uses_default_sqlite: bool  # nothing configured: the local default file


class Repository:
    """What every repository shares: the engine and one transaction per call (`with self._tx() as s:`)."""

    def __init__(self, database: Database) -> None:
        self.engine = database.engine
        self.watch = database.watch
        self.created_new = database.created_new
        self.uses_default_sqlite = database.uses_default_sqlite
        self._session = sessionmaker(database.engine, expire_on_commit=False)

    def _tx(self) -> AbstractContextManager[Session]:
        if self.watch is not None:
            self.watch.check()
        return self._session.begin()


def resolve_url(configured: str | None = None, env: dict[str, str] | None = None) -> str:
    """Database URL: the configured one (from secrets), else $RNN_COURSE_DATABASE_URL, else a local SQLite file."""
    url = (configured or settings.get(URL_ENV, env) or "").strip()
    return url or f"sqlite:///{DEFAULT_DB}"


def secrets_url(path: Path | None = None) -> str | None:
    """`[database] url` from .streamlit/secrets.toml, for command lines that run without Streamlit."""
    try:
        with (path or SECRETS_FILE).open("rb") as fh:
            url = tomllib.load(fh).get("database", {}).get("url")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return str(url).strip() or None if url else None


def _check_sqlite_file(path: Path) -> bool:
    """Refuse unusable SQLite locations with a clear reason; never overwrite an existing file, and never create one
    this process had open before (it was deleted under us). Returns whether the file exists already."""
    hint = f"Set {URL_ENV} (or [database] url in .streamlit/secrets.toml) to a writable location."
    if not path.exists() and health.was_opened(path):
        log.error("The course database %s was deleted after this server opened it; not creating a new one.", path)
        raise StoreError(
            f"The course database {path} was deleted while the app was running. It was not created again, so "
            "that nobody's progress silently starts over: restore it from a backup, or restart the app to start "
            "with an empty database."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Cannot create the folder {path.parent} for the course database ({exc.strerror}). {hint}") from exc
    if path.is_dir():
        raise StoreError(f"The course database path {path} is a folder, not a file. {hint}")
    if path.exists():
        with path.open("rb") as fh:
            head = fh.read(health.HEADER)
        if head and health.header_problem(head):
            raise StoreError(
                f"The file {path} is not an SQLite database (it may be corrupted). It was left untouched: "
                f"move it aside to start a fresh database, or restore a backup. {hint}"
            )
        if not os.access(path, os.W_OK):
            raise StoreError(f"The course database {path} is read-only for this server. {hint}")
        return True
    if not os.access(path.parent, os.W_OK):
        raise StoreError(f"The folder {path.parent} is not writable, so the course database cannot be created. {hint}")
    return False


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 (DB-API connection)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    # WAL: readers never block the writer, and one fsync per checkpoint instead of per commit, which is what
    # a cohort of learners ticking sections at the same moment needs (measured in test_store's 50-writer test).
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _warn_default_sqlite() -> None:
    global _default_warned
    if not _default_warned:
        _default_warned = True
        log.warning("%s (%s)", DEFAULT_SQLITE_NOTICE, DEFAULT_DB)


def open_database(url: str | None, prepare: Callable[[str], None]) -> Database:
    """Check the location, run `prepare(url)` (the schema migrations), connect; raises StoreError with a reason."""
    url = resolve_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"The database URL is not valid: {exc}") from exc
    shown = parsed.render_as_string(hide_password=True)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    path = Path(parsed.database) if is_sqlite and parsed.database and parsed.database != ":memory:" else None
    if is_sqlite and path is None:
        raise StoreError("An in-memory SQLite database cannot be shared by the app's connections: give a file.")
    existed = _check_sqlite_file(path) if path is not None else True
    try:
        prepare(url)
        engine = create_engine(url, pool_pre_ping=not is_sqlite)
    except StoreError as exc:
        log.error("Cannot open the course database %s: %s", shown, exc)
        raise
    except (SQLAlchemyError, ImportError) as exc:
        log.error("Cannot open the course database %s", shown, exc_info=exc)
        raise StoreError(
            f"The course database at {shown} cannot be used ({getattr(exc, 'orig', exc)}). Nothing was changed."
        ) from exc
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    if not existed:
        log.warning("Created a new, empty course database at %s.", path)
    uses_default = url == f"sqlite:///{DEFAULT_DB}"
    if uses_default:
        _warn_default_sqlite()
    watch = SqliteWatch(path) if path is not None else None
    return Database(engine, watch, created_new=not existed, uses_default_sqlite=uses_default)
