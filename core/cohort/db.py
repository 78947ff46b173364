"""The cohort database connection: URL resolution, engine creation with SQLite checks and pragmas, the
transaction helper every repository shares, StoreError with the mapping of driver errors to it, and UTC time.

Knows no table: `open_engine` creates whatever metadata it is given."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core import settings

URL_ENV = "RNN_COURSE_DATABASE_URL"
DEFAULT_DB = settings.REPO_ROOT / ".course-data" / "course.db"
SQLITE_MAGIC = b"SQLite format 3\x00"

P = ParamSpec("P")
R = TypeVar("R")


class StoreError(RuntimeError):
    """The course database cannot be used; the message says why and what to do."""


def db_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn driver errors into StoreError so pages can show a message instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise StoreError(f"The course database failed: {exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}") from exc

    return wrapper


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything this store writes is UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


class Repository:
    """What every repository shares: the engine and one transaction per call (`with self._tx() as s:`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    def _tx(self) -> AbstractContextManager[Session]:
        return self._session.begin()


def resolve_url(configured: str | None = None, env: dict[str, str] | None = None) -> str:
    """Database URL: the configured one (from secrets), else $RNN_COURSE_DATABASE_URL, else a local SQLite file."""
    url = (configured or settings.get(URL_ENV, env) or "").strip()
    return url or f"sqlite:///{DEFAULT_DB}"


def _check_sqlite_file(path: Path) -> None:
    """Refuse unusable SQLite locations with a clear reason; never overwrite an existing file."""
    hint = f"Set {URL_ENV} (or [database] url in .streamlit/secrets.toml) to a writable location."
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Cannot create the folder {path.parent} for the course database ({exc.strerror}). {hint}") from exc
    if path.is_dir():
        raise StoreError(f"The course database path {path} is a folder, not a file. {hint}")
    if path.exists():
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise StoreError(
                f"The file {path} is not an SQLite database (it may be corrupted). It was left untouched: "
                f"move it aside to start a fresh database, or restore a backup. {hint}"
            )
        if not os.access(path, os.W_OK):
            raise StoreError(f"The course database {path} is read-only for this server. {hint}")
    elif not os.access(path.parent, os.W_OK):
        raise StoreError(f"The folder {path.parent} is not writable, so the course database cannot be created. {hint}")


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 (DB-API connection)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    # WAL: readers never block the writer, and one fsync per checkpoint instead of per commit, which is what
    # a cohort of learners ticking sections at the same moment needs (measured in test_store's 50-writer test).
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def open_engine(url: str | None, metadata: MetaData) -> Engine:
    """Connect and create the missing tables of `metadata` (idempotent); raises StoreError with a reason."""
    url = resolve_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"The database URL is not valid: {exc}") from exc
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and parsed.database and parsed.database != ":memory:":
        _check_sqlite_file(Path(parsed.database))
    try:
        engine = create_engine(url, pool_pre_ping=not is_sqlite)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"Cannot open the course database ({parsed.get_backend_name()}): {exc}") from exc
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        metadata.create_all(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(
            f"The course database at {parsed.render_as_string(hide_password=True)} cannot be used "
            f"({getattr(exc, 'orig', exc)}). Nothing was changed."
        ) from exc
    return engine
