"""Persistent learner records: identity, chosen path, section progress and quiz scores.

SQLAlchemy models and queries. SQLite file by default; any SQLAlchemy URL (e.g. PostgreSQL) for a hosted
cohort. Every query is scoped by the learner id resolved from that learner's own token.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from core import identity

URL_ENV = "RNN_COURSE_DATABASE_URL"
DEFAULT_DB = Path(__file__).resolve().parent.parent / ".course-data" / "course.db"
SQLITE_MAGIC = b"SQLite format 3\x00"

P = ParamSpec("P")
R = TypeVar("R")


class StoreError(RuntimeError):
    """The course database cannot be used; the message says why and what to do."""


class Base(DeclarativeBase):
    pass


class Learner(Base):
    __tablename__ = "learners"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(identity.NAME_MAX))
    cohort_code: Mapped[str | None] = mapped_column(String(identity.COHORT_MAX), index=True)
    path: Mapped[str | None] = mapped_column(String(1))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SectionProgress(Base):
    __tablename__ = "section_progress"
    __table_args__ = (UniqueConstraint("learner_id", "module_id", "section_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[str] = mapped_column(String(16))
    section_id: Mapped[str] = mapped_column(String(16))
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class QuizScore(Base):
    __tablename__ = "quiz_scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LearnerLogin(Base):
    """A single-sign-on account (hashed issuer + subject) linked to its learner."""

    __tablename__ = "learner_logins"
    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)


@dataclass(frozen=True)
class LearnerRecord:
    id: int
    display_name: str
    cohort_code: str | None
    path: str | None
    created_at: datetime


def _record(row: Learner) -> LearnerRecord:
    return LearnerRecord(row.id, row.display_name, row.cohort_code, row.path, row.created_at)


def _now() -> datetime:
    return datetime.now(UTC)


def _db_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn driver errors into StoreError so pages can show a message instead of a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise StoreError(f"The course database failed: {exc.__class__.__name__}: {exc.orig if hasattr(exc, 'orig') else exc}") from exc

    return wrapper


def resolve_url(configured: str | None = None, env: dict[str, str] | None = None) -> str:
    """Database URL: the configured one (from secrets), else $RNN_COURSE_DATABASE_URL, else a local SQLite file."""
    env = os.environ if env is None else env
    url = (configured or env.get(URL_ENV) or "").strip()
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


def open_store(url: str | None = None) -> Store:
    """Connect, create missing tables (idempotent) and return the store; raises StoreError with a reason."""
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
        Base.metadata.create_all(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(
            f"The course database at {parsed.render_as_string(hide_password=True)} cannot be used "
            f"({getattr(exc, 'orig', exc)}). Nothing was changed."
        ) from exc
    return Store(engine)


class Store:
    """All reads and writes of learner data. Methods take the learner id of the *resolved* learner."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    def _tx(self) -> Session:
        return self._session.begin()

    @_db_errors
    def create_learner(self, display_name: str, cohort_code: str | None = None) -> tuple[LearnerRecord, str]:
        """Register a learner; returns the record and the resume token (shown to the learner, stored hashed)."""
        name = identity.clean_display_name(display_name)
        cohort = identity.clean_cohort_code(cohort_code)
        token = identity.new_token()
        with self._tx() as s:
            row = Learner(token_hash=identity.token_hash(token), display_name=name, cohort_code=cohort,
                          created_at=_now())
            s.add(row)
            s.flush()
            return _record(row), token

    @_db_errors
    def learner_for_login(self, subject: str, display_name: str) -> LearnerRecord:
        """The learner behind a signed-in account, created (with a random, never-shown token) on first login."""
        key = identity.token_hash(subject)
        with self._tx() as s:
            link = s.get(LearnerLogin, key)
            if link is not None and (row := s.get(Learner, link.learner_id)) is not None:
                return _record(row)
            row = Learner(token_hash=identity.token_hash(identity.new_token()),
                          display_name=identity.clean_display_name(display_name), cohort_code=None,
                          created_at=_now())
            s.add(row)
            s.flush()
            if link is None:
                s.add(LearnerLogin(subject_hash=key, learner_id=row.id))
            else:
                link.learner_id = row.id
            return _record(row)

    @_db_errors
    def cohort_overview(self, cohort_code: str | None = None) -> tuple[list[LearnerRecord], dict[int, dict[str, set[str]]]]:
        """INSTRUCTOR ONLY (pages guard it): every learner (of one cohort, or all) and their completed sections."""
        with self._tx() as s:
            query = select(Learner).order_by(Learner.created_at)
            if cohort_code:
                query = query.where(Learner.cohort_code == cohort_code)
            learners = [_record(r) for r in s.scalars(query)]
            ids = [r.id for r in learners]
            done: dict[int, dict[str, set[str]]] = {i: {} for i in ids}
            if ids:
                rows = s.execute(
                    select(SectionProgress.learner_id, SectionProgress.module_id, SectionProgress.section_id)
                    .where(SectionProgress.learner_id.in_(ids))
                )
                for learner_id, module_id, section_id in rows:
                    done[learner_id].setdefault(module_id, set()).add(section_id)
            return learners, done

    @_db_errors
    def cohort_codes(self) -> list[str]:
        """INSTRUCTOR ONLY: the cohort codes in use."""
        with self._tx() as s:
            return [c for c in s.scalars(select(Learner.cohort_code).distinct()) if c]

    @_db_errors
    def find_learner(self, token: str | None) -> LearnerRecord | None:
        if not identity.looks_like_token(token):
            return None
        with self._tx() as s:
            row = s.scalar(select(Learner).where(Learner.token_hash == identity.token_hash(token)))
            return _record(row) if row else None

    @_db_errors
    def learner(self, learner_id: int) -> LearnerRecord | None:
        with self._tx() as s:
            row = s.get(Learner, learner_id)
            return _record(row) if row else None

    @_db_errors
    def set_path(self, learner_id: int, path: str | None) -> None:
        with self._tx() as s:
            row = s.get(Learner, learner_id)
            if row is None:
                raise StoreError("This learner no longer exists.")
            row.path = path

    @_db_errors
    def set_cohort(self, learner_id: int, cohort_code: str | None) -> None:
        cohort = identity.clean_cohort_code(cohort_code)
        with self._tx() as s:
            row = s.get(Learner, learner_id)
            if row is None:
                raise StoreError("This learner no longer exists.")
            row.cohort_code = cohort

    @_db_errors
    def set_section_done(self, learner_id: int, module_id: str, section_id: str, done: bool = True) -> None:
        with self._tx() as s:
            where = (
                SectionProgress.learner_id == learner_id,
                SectionProgress.module_id == module_id,
                SectionProgress.section_id == section_id,
            )
            existing = s.scalar(select(SectionProgress).where(*where))
            if done and existing is None:
                s.add(SectionProgress(learner_id=learner_id, module_id=module_id, section_id=section_id,
                                      completed_at=_now()))
            elif not done and existing is not None:
                s.delete(existing)

    @_db_errors
    def completed_sections(self, learner_id: int) -> dict[str, set[str]]:
        with self._tx() as s:
            rows = s.execute(
                select(SectionProgress.module_id, SectionProgress.section_id).where(
                    SectionProgress.learner_id == learner_id
                )
            )
            done: dict[str, set[str]] = {}
            for module_id, section_id in rows:
                done.setdefault(module_id, set()).add(section_id)
            return done

    @_db_errors
    def record_quiz_score(self, learner_id: int, quiz_id: str, score: float, max_score: float) -> None:
        if not 0 <= score <= max_score or max_score <= 0:
            raise ValueError(f"A quiz score must lie in [0, max_score], got {score}/{max_score}.")
        with self._tx() as s:
            s.add(QuizScore(learner_id=learner_id, quiz_id=quiz_id, score=score, max_score=max_score,
                            taken_at=_now()))

    @_db_errors
    def best_quiz_scores(self, learner_id: int) -> dict[str, float]:
        """Best share correct (0..1) per quiz for this learner."""
        with self._tx() as s:
            rows = s.execute(
                select(QuizScore.quiz_id, func.max(QuizScore.score / QuizScore.max_score))
                .where(QuizScore.learner_id == learner_id)
                .group_by(QuizScore.quiz_id)
            )
            return {quiz_id: float(best) for quiz_id, best in rows}

    @_db_errors
    def cohort_size(self, cohort_code: str) -> int:
        """How many learners share a cohort code (a count only: no names, no records)."""
        with self._tx() as s:
            return int(s.scalar(select(func.count()).select_from(Learner).where(Learner.cohort_code == cohort_code)))

    @_db_errors
    def export_learner(self, learner_id: int) -> dict:
        """Everything stored about this learner, as JSON-ready data (their own 'download my data')."""
        record = self.learner(learner_id)
        if record is None:
            return {}
        with self._tx() as s:
            scores = s.execute(
                select(QuizScore.quiz_id, QuizScore.score, QuizScore.max_score, QuizScore.taken_at)
                .where(QuizScore.learner_id == learner_id)
                .order_by(QuizScore.taken_at)
            ).all()
            sections = s.execute(
                select(SectionProgress.module_id, SectionProgress.section_id, SectionProgress.completed_at)
                .where(SectionProgress.learner_id == learner_id)
                .order_by(SectionProgress.completed_at)
            ).all()
        return {
            "display_name": record.display_name,
            "cohort_code": record.cohort_code,
            "path": record.path,
            "created_at": record.created_at.isoformat(),
            "sections_completed": [
                {"module": m, "section": sec, "at": at.isoformat()} for m, sec, at in sections
            ],
            "quiz_scores": [
                {"quiz": q, "score": sc, "max_score": mx, "at": at.isoformat()} for q, sc, mx, at in scores
            ],
        }

    @_db_errors
    def delete_learner(self, learner_id: int) -> None:
        with self._tx() as s:
            s.execute(delete(LearnerLogin).where(LearnerLogin.learner_id == learner_id))
            s.execute(delete(SectionProgress).where(SectionProgress.learner_id == learner_id))
            s.execute(delete(QuizScore).where(QuizScore.learner_id == learner_id))
            s.execute(delete(Learner).where(Learner.id == learner_id))
