"""Persistent learner records: identity, chosen path, section progress and quiz scores.

SQLAlchemy models and queries. SQLite file by default; any SQLAlchemy URL (e.g. PostgreSQL) for a hosted
cohort. Every query is scoped by the learner id resolved from that learner's own token.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
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


class QuizAnswer(Base):
    """One answer to one quiz question within one attempt: the learner's attempt history."""

    __tablename__ = "quiz_answers"
    __table_args__ = (Index("ix_quiz_answers_learner_quiz", "learner_id", "quiz_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    quiz_id: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Text)  # JSON
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # None: not graded
    score: Mapped[float] = mapped_column(Float)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Reflection(Base):
    """A learner's free-text reflection on a quiz prompt (one per prompt, overwritten on save)."""

    __tablename__ = "reflections"
    __table_args__ = (UniqueConstraint("learner_id", "quiz_id", "question_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeckCard(Base):
    """A flashcard in a learner's deck with its FSRS scheduling state."""

    __tablename__ = "deck_cards"
    __table_args__ = (UniqueConstraint("learner_id", "card_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[str] = mapped_column(String(96))
    module_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    source: Mapped[str] = mapped_column(String(128))  # e.g. "quiz:m03:gate-matching", "browse", "lab:m02"
    fsrs: Mapped[str] = mapped_column(Text)  # fsrs.Card.to_json()
    due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CardReview(Base):
    """One flashcard review: the rating given and the next due date it produced."""

    __tablename__ = "card_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[str] = mapped_column(String(96))
    rating: Mapped[int] = mapped_column(Integer)  # fsrs.Rating: 1 Again, 2 Hard, 3 Good, 4 Easy
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LabAttempt(Base):
    """One graded run of a code lab: the code as submitted and how many hidden tests it passed."""

    __tablename__ = "lab_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    lab_id: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(Text)
    passed: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    results: Mapped[str] = mapped_column(Text)  # JSON: status, message, [{name, passed, message}]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class LabSummary:
    lab_id: str
    attempts: int
    best_passed: int
    total: int
    solved: bool
    last_at: datetime


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


def _aware(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything this store writes is UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AnswerRecord:
    quiz_id: str
    attempt: int
    question_id: str
    response: Any
    correct: bool | None
    score: float
    answered_at: datetime


@dataclass(frozen=True)
class DeckCardRecord:
    card_id: str
    module_id: str | None
    source: str
    fsrs: str
    due: datetime
    added_at: datetime


@dataclass(frozen=True)
class ReviewRecord:
    card_id: str
    rating: int
    reviewed_at: datetime
    due: datetime


def _answer(row: QuizAnswer) -> AnswerRecord:
    return AnswerRecord(row.quiz_id, row.attempt, row.question_id, json.loads(row.response), row.correct, row.score,
                        _aware(row.answered_at))


def _deck_card(row: DeckCard) -> DeckCardRecord:
    return DeckCardRecord(row.card_id, row.module_id, row.source, row.fsrs, _aware(row.due), _aware(row.added_at))


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
    def cohort_activity(self, cohort_code: str | None = None, since: datetime | None = None) -> dict[str, list[dict]]:
        """INSTRUCTOR ONLY: quiz item statistics, code-lab pass rates and flashcard activity of a cohort."""
        members = select(Learner.id)
        if cohort_code:
            members = members.where(Learner.cohort_code == cohort_code)
        since = since or _now() - timedelta(days=7)
        with self._tx() as s:
            items = s.execute(
                select(QuizAnswer.quiz_id, QuizAnswer.question_id, func.count(),
                       func.sum(case((QuizAnswer.correct.is_(True), 1), else_=0)))
                .where(QuizAnswer.learner_id.in_(members), QuizAnswer.correct.is_not(None))
                .group_by(QuizAnswer.quiz_id, QuizAnswer.question_id)
            ).all()
            best = (
                select(LabAttempt.learner_id, LabAttempt.lab_id, func.max(LabAttempt.passed).label("best"),
                       func.max(LabAttempt.total).label("total"))
                .where(LabAttempt.learner_id.in_(members))
                .group_by(LabAttempt.learner_id, LabAttempt.lab_id)
                .subquery()
            )
            labs = s.execute(
                select(best.c.lab_id, func.count(), func.sum(case((best.c.best >= best.c.total, 1), else_=0)))
                .group_by(best.c.lab_id)
            ).all()
            deck = dict(s.execute(select(DeckCard.learner_id, func.count()).where(DeckCard.learner_id.in_(members))
                                  .group_by(DeckCard.learner_id)).all())
            recent = dict(s.execute(select(CardReview.learner_id, func.count())
                                    .where(CardReview.learner_id.in_(members), CardReview.reviewed_at >= since)
                                    .group_by(CardReview.learner_id)).all())
            names = dict(s.execute(select(Learner.id, Learner.display_name).where(Learner.id.in_(members))).all())
        return {
            "quiz_items": [{"quiz": q, "question": qid, "answers": n, "share_correct": (ok or 0) / n}
                           for q, qid, n, ok in items],
            "labs": [{"lab": lab, "learners": n, "solved": int(ok or 0), "pass_rate": (ok or 0) / n}
                     for lab, n, ok in labs],
            "flashcards": [{"learner": names[i], "cards_in_deck": deck.get(i, 0), "reviews_7d": recent.get(i, 0)}
                           for i in names if deck.get(i) or recent.get(i)],
        }

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
            **self._export_assessment(learner_id),
            "lab_attempts": self._export_labs(learner_id),
        }

    @_db_errors
    def delete_learner(self, learner_id: int) -> None:
        with self._tx() as s:
            s.execute(delete(LearnerLogin).where(LearnerLogin.learner_id == learner_id))
            s.execute(delete(SectionProgress).where(SectionProgress.learner_id == learner_id))
            s.execute(delete(QuizScore).where(QuizScore.learner_id == learner_id))
            for table in (QuizAnswer, Reflection, DeckCard, CardReview, LabAttempt):
                s.execute(delete(table).where(table.learner_id == learner_id))
            s.execute(delete(Learner).where(Learner.id == learner_id))

    # ---- assessment: quiz answers, reflections, flashcard deck and reviews -------------------------------------

    @_db_errors
    def record_quiz_attempt(self, learner_id: int, quiz_id: str,
                            answers: list[tuple[str, Any, bool | None, float]]) -> int:
        """Store one attempt: (question id, response (JSON-able), correct or None, score 0..1) per question.

        Returns the attempt number (1 for the first attempt at this quiz)."""
        now = _now()
        with self._tx() as s:
            last = s.scalar(select(func.max(QuizAnswer.attempt))
                            .where(QuizAnswer.learner_id == learner_id, QuizAnswer.quiz_id == quiz_id))
            attempt = (last or 0) + 1
            for question_id, response, correct, score in answers:
                s.add(QuizAnswer(learner_id=learner_id, quiz_id=quiz_id, attempt=attempt, question_id=question_id,
                                 response=json.dumps(response), correct=correct, score=float(score),
                                 answered_at=now))
            return attempt

    @_db_errors
    def quiz_answers(self, learner_id: int, quiz_id: str | None = None) -> list[AnswerRecord]:
        """This learner's answers (one quiz or all), oldest attempt first."""
        query = select(QuizAnswer).where(QuizAnswer.learner_id == learner_id)
        if quiz_id is not None:
            query = query.where(QuizAnswer.quiz_id == quiz_id)
        with self._tx() as s:
            rows = s.scalars(query.order_by(QuizAnswer.quiz_id, QuizAnswer.attempt, QuizAnswer.id)).all()
            return [_answer(r) for r in rows]

    @_db_errors
    def save_reflection(self, learner_id: int, quiz_id: str, question_id: str, text: str) -> None:
        text = text.strip()
        if len(text) > 10_000:
            raise ValueError("A reflection can be at most 10,000 characters long.")
        with self._tx() as s:
            row = s.scalar(select(Reflection).where(Reflection.learner_id == learner_id,
                                                    Reflection.quiz_id == quiz_id,
                                                    Reflection.question_id == question_id))
            if row is None:
                s.add(Reflection(learner_id=learner_id, quiz_id=quiz_id, question_id=question_id, text=text,
                                 updated_at=_now()))
            else:
                row.text, row.updated_at = text, _now()

    @_db_errors
    def reflections(self, learner_id: int, quiz_id: str | None = None) -> dict[tuple[str, str], str]:
        """(quiz id, question id) -> text, for this learner."""
        query = select(Reflection).where(Reflection.learner_id == learner_id)
        if quiz_id is not None:
            query = query.where(Reflection.quiz_id == quiz_id)
        with self._tx() as s:
            return {(r.quiz_id, r.question_id): r.text for r in s.scalars(query)}

    @_db_errors
    def add_to_deck(self, learner_id: int, card_id: str, fsrs: str, due: datetime, source: str,
                    module_id: str | None = None) -> bool:
        """Put a card in the learner's deck; False (and nothing changes) when it is already there."""
        with self._tx() as s:
            exists = s.scalar(select(DeckCard.id).where(DeckCard.learner_id == learner_id,
                                                        DeckCard.card_id == card_id))
            if exists is not None:
                return False
            s.add(DeckCard(learner_id=learner_id, card_id=card_id, module_id=module_id, source=source[:128],
                           fsrs=fsrs, due=due, added_at=_now()))
            return True

    @_db_errors
    def remove_from_deck(self, learner_id: int, card_id: str) -> None:
        with self._tx() as s:
            s.execute(delete(DeckCard).where(DeckCard.learner_id == learner_id, DeckCard.card_id == card_id))

    @_db_errors
    def deck(self, learner_id: int) -> dict[str, DeckCardRecord]:
        """card id -> scheduling state, for every card in this learner's deck."""
        with self._tx() as s:
            rows = s.scalars(select(DeckCard).where(DeckCard.learner_id == learner_id).order_by(DeckCard.due))
            return {r.card_id: _deck_card(r) for r in rows}

    @_db_errors
    def record_review(self, learner_id: int, card_id: str, rating: int, fsrs: str, due: datetime,
                      reviewed_at: datetime) -> None:
        """Save the card's new FSRS state and log the review, in one transaction."""
        with self._tx() as s:
            row = s.scalar(select(DeckCard).where(DeckCard.learner_id == learner_id, DeckCard.card_id == card_id))
            if row is None:
                raise StoreError(f"The card {card_id!r} is not in this learner's deck.")
            row.fsrs, row.due = fsrs, due
            s.add(CardReview(learner_id=learner_id, card_id=card_id, rating=int(rating), reviewed_at=reviewed_at,
                             due=due))

    @_db_errors
    def reviews(self, learner_id: int) -> list[ReviewRecord]:
        with self._tx() as s:
            rows = s.scalars(select(CardReview).where(CardReview.learner_id == learner_id)
                             .order_by(CardReview.reviewed_at, CardReview.id))
            return [ReviewRecord(r.card_id, r.rating, _aware(r.reviewed_at), _aware(r.due)) for r in rows]

    def _export_assessment(self, learner_id: int) -> dict:
        return {
            "quiz_answers": [
                {"quiz": a.quiz_id, "attempt": a.attempt, "question": a.question_id, "response": a.response,
                 "correct": a.correct, "score": a.score, "at": a.answered_at.isoformat()}
                for a in self.quiz_answers(learner_id)
            ],
            "reflections": [
                {"quiz": q, "question": qu, "text": t} for (q, qu), t in sorted(self.reflections(learner_id).items())
            ],
            "flashcards": [
                {"card": c.card_id, "module": c.module_id, "source": c.source, "due": c.due.isoformat(),
                 "added_at": c.added_at.isoformat()}
                for c in self.deck(learner_id).values()
            ],
            "flashcard_reviews": [
                {"card": r.card_id, "rating": r.rating, "at": r.reviewed_at.isoformat(), "due": r.due.isoformat()}
                for r in self.reviews(learner_id)
            ],
        }

    # ---- code labs: graded attempts ----------------------------------------------------------------------------

    LAB_CODE_MAX = 20_000

    @_db_errors
    def save_lab_attempt(self, learner_id: int, lab_id: str, code: str, passed: int, total: int,
                         results_json: str) -> None:
        if not 0 <= passed <= total:
            raise ValueError(f"passed must lie in [0, total], got {passed}/{total}.")
        with self._tx() as s:
            s.add(LabAttempt(learner_id=learner_id, lab_id=lab_id[:64], code=code[: self.LAB_CODE_MAX],
                             passed=passed, total=total, results=results_json, created_at=_now()))

    @_db_errors
    def latest_lab_code(self, learner_id: int, lab_id: str) -> str | None:
        """The code of this learner's most recent graded attempt at a lab, if any."""
        with self._tx() as s:
            return s.scalar(select(LabAttempt.code)
                            .where(LabAttempt.learner_id == learner_id, LabAttempt.lab_id == lab_id)
                            .order_by(LabAttempt.created_at.desc(), LabAttempt.id.desc()).limit(1))

    @_db_errors
    def lab_summary(self, learner_id: int) -> dict[str, LabSummary]:
        """Per lab: attempts, best number of tests passed, and whether every test passed once."""
        with self._tx() as s:
            rows = s.execute(
                select(LabAttempt.lab_id, func.count(), func.max(LabAttempt.passed), func.max(LabAttempt.total),
                       func.max(LabAttempt.created_at),
                       func.max(case((LabAttempt.passed == LabAttempt.total, 1), else_=0)))
                .where(LabAttempt.learner_id == learner_id, LabAttempt.total > 0)
                .group_by(LabAttempt.lab_id)
            )
            return {lab: LabSummary(lab, int(n), int(best), int(total), bool(solved), _aware(last))
                    for lab, n, best, total, last, solved in rows}

    def _export_labs(self, learner_id: int) -> list[dict]:
        with self._tx() as s:
            rows = s.execute(select(LabAttempt.lab_id, LabAttempt.passed, LabAttempt.total, LabAttempt.code,
                                    LabAttempt.created_at)
                             .where(LabAttempt.learner_id == learner_id).order_by(LabAttempt.id)).all()
        return [{"lab": lab, "passed": p, "total": t, "code": code, "at": _aware(at).isoformat()}
                for lab, p, t, code, at in rows]
