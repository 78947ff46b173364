"""Persistent learner records: identity, chosen path, section progress and quiz scores.

SQLAlchemy models and queries. SQLite file by default; any SQLAlchemy URL (e.g. PostgreSQL) for a hosted
cohort. Every query is scoped by the learner id resolved from that learner's own token.
"""

from __future__ import annotations

import functools
import json
import math
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

from core import settings
from core.cohort import identity
from core.metrics import PerCharLoss

URL_ENV = "RNN_COURSE_DATABASE_URL"
DEFAULT_DB = settings.REPO_ROOT / ".course-data" / "course.db"
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


# ---- capstone (module 10): server-measured results, gallery, blinded peer review, badges, votes ----------------


class CapstoneResult(Base):
    """The server's own measurement of one learner run on its held-out split; on the leaderboard once submitted.

    Only server code writes the numbers (core.capstone.projects.evaluate_run); no page lets a learner type one."""

    __tablename__ = "capstone_results"
    __table_args__ = (UniqueConstraint("learner_id", "run_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    corpus: Mapped[str] = mapped_column(String(200))
    config: Mapped[str] = mapped_column(Text)  # JSON: the model config
    loss: Mapped[float] = mapped_column(Float)  # nats/char on the held-out split
    chars: Mapped[int] = mapped_column(Integer)  # characters scored
    unigram_perplexity: Mapped[float] = mapped_column(Float)  # baseline on the same held-out text
    sample: Mapped[str] = mapped_column(Text)
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)  # None: not on the leaderboard
    track: Mapped[str | None] = mapped_column(String(16), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class GallerySample(Base):
    """A text a learner's own model generated (on the server) and the learner chose to share, anonymously."""

    __tablename__ = "gallery_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    settings: Mapped[str] = mapped_column(Text)  # JSON: temperature, seed, prime, model summary
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class SampleLike(Base):
    __tablename__ = "sample_likes"
    __table_args__ = (UniqueConstraint("learner_id", "sample_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("gallery_samples.id", ondelete="CASCADE"), index=True)


class ReviewAssignment(Base):
    """One blinded peer review: a reviewer rates one gallery sample; ratings stay empty until submitted."""

    __tablename__ = "review_assignments"
    __table_args__ = (UniqueConstraint("reviewer_id", "sample_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("gallery_samples.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    coherence: Mapped[int | None] = mapped_column(Integer, nullable=True)
    creativity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    style: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BadgeAward(Base):
    __tablename__ = "badge_awards"
    __table_args__ = (UniqueConstraint("learner_id", "badge_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    badge_id: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(Text)
    awarded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NeuronFinding(Base):
    """A neuron of a learner's own model and the input feature it tracks, with the correlation the server measured."""

    __tablename__ = "neuron_findings"
    __table_args__ = (UniqueConstraint("learner_id", "run_id", "layer", "neuron"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[str] = mapped_column(String(40))
    layer: Mapped[int] = mapped_column(Integer)
    neuron: Mapped[int] = mapped_column(Integer)
    feature: Mapped[str] = mapped_column(String(40))
    correlation: Mapped[float] = mapped_column(Float)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChallengeVote(Base):
    """The final-challenge vote: one per learner, for another learner's gallery sample (changeable)."""

    __tablename__ = "challenge_votes"
    voter_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("gallery_samples.id", ondelete="CASCADE"), index=True)
    voted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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


@dataclass(frozen=True)
class ResultRecord(PerCharLoss):
    """A learner's own server-measured result (with its leaderboard and moderation state)."""

    id: int
    run_id: str
    title: str
    corpus: str
    config: dict
    loss: float  # nats/char on the held-out split
    chars: int
    unigram_perplexity: float
    sample: str
    evaluated_at: datetime
    category: str | None
    track: str | None
    submitted_at: datetime | None
    hidden: bool
    hidden_reason: str | None


@dataclass(frozen=True)
class LeaderRow(PerCharLoss):
    rank: int
    name: str  # display name, as the learner chose it
    title: str
    corpus: str
    track: str | None
    loss: float
    chars: int
    unigram_perplexity: float
    sample: str
    config: dict
    is_you: bool


@dataclass(frozen=True)
class GalleryItem:
    """A shared sample as others see it: no author, no run id."""

    id: int
    text: str
    settings: dict
    likes: int
    liked: bool  # by the viewer
    mine: bool
    created_at: datetime


@dataclass(frozen=True)
class ReviewTask:
    """One sample to review, blinded: the reviewer sees the text and the sampling settings, never the author."""

    assignment_id: int
    text: str
    settings: dict
    coherence: int | None
    creativity: int | None
    style: int | None

    @property
    def done(self) -> bool:
        return self.coherence is not None


@dataclass(frozen=True)
class ReviewAggregate:
    """What an author sees of the reviews of one sample: how many and the mean ratings, never who."""

    reviews: int
    coherence: float
    creativity: float
    style: float


@dataclass(frozen=True)
class BadgeRecord:
    badge_id: str
    evidence: str
    awarded_at: datetime


@dataclass(frozen=True)
class FindingRecord:
    run_id: str
    layer: int
    neuron: int
    feature: str
    correlation: float
    label: str
    created_at: datetime


REVIEW_CRITERIA = ("coherence", "creativity", "style")


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
            **self._export_capstone(learner_id),
        }

    @_db_errors
    def delete_learner(self, learner_id: int) -> None:
        with self._tx() as s:
            s.execute(delete(LearnerLogin).where(LearnerLogin.learner_id == learner_id))
            s.execute(delete(SectionProgress).where(SectionProgress.learner_id == learner_id))
            s.execute(delete(QuizScore).where(QuizScore.learner_id == learner_id))
            for table in (QuizAnswer, Reflection, DeckCard, CardReview, LabAttempt):
                s.execute(delete(table).where(table.learner_id == learner_id))
            self._delete_capstone(s, learner_id)
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
    def reflection_times(self, learner_id: int, quiz_id: str | None = None) -> dict[tuple[str, str], datetime]:
        """(quiz id, question id) -> when this learner last saved that answer (UTC), for this learner only."""
        query = select(Reflection.quiz_id, Reflection.question_id, Reflection.updated_at).where(
            Reflection.learner_id == learner_id)
        if quiz_id is not None:
            query = query.where(Reflection.quiz_id == quiz_id)
        with self._tx() as s:
            return {(q, k): _aware(t) for q, k, t in s.execute(query)}

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

    # ---- capstone: server-measured results and the leaderboard -------------------------------------------------
    # Cohort features (leaderboard, gallery, peer review, vote) only ever show learners of the viewer's own cohort
    # (learners without a cohort code form one group). Others' rows carry no learner id.

    def _cohort_of(self, s: Session, learner_id: int) -> Any:
        """A select of the learner ids in `learner_id`'s cohort (empty when that learner does not exist)."""
        row = s.get(Learner, learner_id)
        if row is None:
            return select(Learner.id).where(Learner.id == -1)
        if row.cohort_code is None:
            return select(Learner.id).where(Learner.cohort_code.is_(None))
        return select(Learner.id).where(Learner.cohort_code == row.cohort_code)

    @staticmethod
    def _result(r: CapstoneResult) -> ResultRecord:
        return ResultRecord(r.id, r.run_id, r.title, r.corpus, json.loads(r.config), r.loss, r.chars,
                            r.unigram_perplexity, r.sample, _aware(r.evaluated_at), r.category, r.track,
                            _aware(r.submitted_at) if r.submitted_at else None, bool(r.hidden), r.hidden_reason)

    @_db_errors
    def save_evaluation(self, learner_id: int, run_id: str, title: str, corpus: str, config: dict, loss: float,
                        chars: int, unigram_perplexity: float, sample: str) -> ResultRecord:
        """Store the server's measurement of one of the learner's runs (re-measuring replaces the numbers and keeps
        the leaderboard and moderation state). Called only by core.capstone.projects.evaluate_run, never with typed input."""
        if not (math.isfinite(loss) and loss >= 0 and chars >= 1 and math.isfinite(unigram_perplexity)):
            raise ValueError(f"Not a valid measurement: loss {loss!r} over {chars!r} characters.")
        with self._tx() as s:
            row = s.scalar(select(CapstoneResult).where(CapstoneResult.learner_id == learner_id,
                                                        CapstoneResult.run_id == run_id))
            if row is None:
                row = CapstoneResult(learner_id=learner_id, run_id=run_id[:40], hidden=False)
                s.add(row)
            row.title, row.corpus, row.config = title[:120], corpus[:200], json.dumps(config)
            row.loss, row.chars, row.unigram_perplexity = float(loss), int(chars), float(unigram_perplexity)
            row.sample, row.evaluated_at = sample[:4000], _now()
            s.flush()
            return self._result(row)

    @_db_errors
    def my_results(self, learner_id: int) -> list[ResultRecord]:
        """This learner's measured runs, best (lowest loss) first, with leaderboard and moderation state."""
        with self._tx() as s:
            rows = s.scalars(select(CapstoneResult).where(CapstoneResult.learner_id == learner_id)
                             .order_by(CapstoneResult.loss, CapstoneResult.id))
            return [self._result(r) for r in rows]

    @_db_errors
    def submit_result(self, learner_id: int, run_id: str, category: str, track: str | None = None) -> None:
        """Put the learner's measured run on the leaderboard of `category`. Only a measured run can be submitted:
        the numbers on the board are the server's, never the learner's."""
        with self._tx() as s:
            row = s.scalar(select(CapstoneResult).where(CapstoneResult.learner_id == learner_id,
                                                        CapstoneResult.run_id == run_id))
            if row is None:
                raise StoreError("Measure this run on its held-out split first; only measured runs can be submitted.")
            row.category, row.track, row.submitted_at = category[:64], (track or None), _now()

    @_db_errors
    def withdraw_result(self, learner_id: int, run_id: str) -> None:
        with self._tx() as s:
            row = s.scalar(select(CapstoneResult).where(CapstoneResult.learner_id == learner_id,
                                                        CapstoneResult.run_id == run_id))
            if row is not None:
                row.category, row.track, row.submitted_at = None, None, None

    @_db_errors
    def leaderboard(self, viewer_id: int, category: str) -> list[LeaderRow]:
        """COHORT: the best visible submitted result per learner of the viewer's cohort in one category, ranked by
        the server-measured loss. Names are display names; no learner ids, hidden entries never appear."""
        with self._tx() as s:
            rows = s.execute(
                select(CapstoneResult, Learner.display_name)
                .join(Learner, Learner.id == CapstoneResult.learner_id)
                .where(CapstoneResult.learner_id.in_(self._cohort_of(s, viewer_id)),
                       CapstoneResult.category == category, CapstoneResult.hidden.is_(False))
                .order_by(CapstoneResult.loss, CapstoneResult.submitted_at, CapstoneResult.id)
            ).all()
            out: list[LeaderRow] = []
            seen: set[int] = set()
            for r, name in rows:
                if r.learner_id in seen:
                    continue
                seen.add(r.learner_id)
                out.append(LeaderRow(len(out) + 1, name, r.title, r.corpus, r.track, r.loss, r.chars,
                                     r.unigram_perplexity, r.sample, json.loads(r.config), r.learner_id == viewer_id))
            return out

    @_db_errors
    def leaderboard_categories(self, viewer_id: int) -> list[str]:
        """COHORT: categories with at least one visible entry in the viewer's cohort."""
        with self._tx() as s:
            return sorted(c for c in s.scalars(
                select(CapstoneResult.category).distinct()
                .where(CapstoneResult.learner_id.in_(self._cohort_of(s, viewer_id)),
                       CapstoneResult.category.is_not(None), CapstoneResult.hidden.is_(False))) if c)

    @_db_errors
    def moderation_entries(self, cohort_code: str | None = None) -> list[dict]:
        """INSTRUCTOR ONLY: every submitted leaderboard entry (hidden ones too) with its learner and state."""
        query = (select(CapstoneResult, Learner.display_name, Learner.cohort_code)
                 .join(Learner, Learner.id == CapstoneResult.learner_id)
                 .where(CapstoneResult.category.is_not(None))
                 .order_by(CapstoneResult.category, CapstoneResult.loss))
        if cohort_code:
            query = query.where(Learner.cohort_code == cohort_code)
        with self._tx() as s:
            return [{"entry": r.id, "learner": name, "cohort": cohort or "", "category": r.category,
                     "track": r.track or "", "title": r.title, "corpus": r.corpus,
                     "perplexity": math.exp(r.loss), "bits_per_char": r.loss / math.log(2), "chars": r.chars,
                     "submitted_at": _aware(r.submitted_at).isoformat() if r.submitted_at else "",
                     "hidden": bool(r.hidden), "reason": r.hidden_reason or "", "sample": r.sample}
                    for r, name, cohort in s.execute(query)]

    @_db_errors
    def moderate_result(self, entry_id: int, hidden: bool, reason: str) -> None:
        """INSTRUCTOR ONLY: hide (a reason is required) or restore a leaderboard entry."""
        reason = (reason or "").strip()
        if hidden and not reason:
            raise ValueError("Give a reason for hiding the entry; the learner sees it.")
        if len(reason) > 500:
            raise ValueError("Keep the reason under 500 characters.")
        with self._tx() as s:
            row = s.get(CapstoneResult, entry_id)
            if row is None:
                raise StoreError(f"There is no leaderboard entry {entry_id}.")
            row.hidden, row.hidden_reason, row.moderated_at = bool(hidden), reason or None, _now()

    # ---- capstone: sample gallery, likes and the final-challenge vote ------------------------------------------

    SAMPLE_MAX = 3000
    SAMPLES_PER_LEARNER = 20

    def _visible_sample(self, s: Session, viewer_id: int, sample_id: int) -> GallerySample:
        row = s.scalar(select(GallerySample).where(GallerySample.id == sample_id, GallerySample.hidden.is_(False),
                                                   GallerySample.learner_id.in_(self._cohort_of(s, viewer_id))))
        if row is None:
            raise StoreError("That sample is not in your cohort's gallery.")
        return row

    @_db_errors
    def share_sample(self, learner_id: int, run_id: str, text: str, settings: dict) -> int:
        """Share a sample the server generated from one of the learner's runs; returns its gallery id."""
        if not text.strip():
            raise ValueError("An empty sample cannot be shared.")
        with self._tx() as s:
            count = s.scalar(select(func.count()).select_from(GallerySample)
                             .where(GallerySample.learner_id == learner_id))
            if count >= self.SAMPLES_PER_LEARNER:
                raise ValueError(f"You have shared {count} samples, the most allowed; delete one first.")
            row = GallerySample(learner_id=learner_id, run_id=run_id[:40], text=text[: self.SAMPLE_MAX],
                                settings=json.dumps(settings), created_at=_now(), hidden=False)
            s.add(row)
            s.flush()
            return row.id

    @_db_errors
    def delete_sample(self, learner_id: int, sample_id: int) -> None:
        with self._tx() as s:
            row = s.scalar(select(GallerySample).where(GallerySample.id == sample_id,
                                                       GallerySample.learner_id == learner_id))
            if row is not None:
                for table in (SampleLike, ReviewAssignment, ChallengeVote):
                    s.execute(delete(table).where(table.sample_id == sample_id))
                s.delete(row)

    def _gallery(self, s: Session, viewer_id: int, where: Any) -> list[GalleryItem]:
        likes = dict(s.execute(select(SampleLike.sample_id, func.count()).group_by(SampleLike.sample_id)
                               .where(SampleLike.sample_id.in_(select(GallerySample.id).where(where)))).all())
        mine_liked = set(s.scalars(select(SampleLike.sample_id).where(SampleLike.learner_id == viewer_id)))
        rows = s.scalars(select(GallerySample).where(where)
                         .order_by(GallerySample.created_at.desc(), GallerySample.id.desc()))
        return [GalleryItem(r.id, r.text, json.loads(r.settings), int(likes.get(r.id, 0)), r.id in mine_liked,
                            r.learner_id == viewer_id, _aware(r.created_at)) for r in rows]

    @_db_errors
    def gallery(self, viewer_id: int) -> list[GalleryItem]:
        """COHORT: the visible shared samples of the viewer's cohort, newest first, anonymous."""
        with self._tx() as s:
            where = GallerySample.hidden.is_(False) & GallerySample.learner_id.in_(self._cohort_of(s, viewer_id))
            return self._gallery(s, viewer_id, where)

    @_db_errors
    def my_samples(self, learner_id: int) -> list[GalleryItem]:
        """This learner's own shared samples, with their like counts."""
        with self._tx() as s:
            return self._gallery(s, learner_id, GallerySample.learner_id == learner_id)

    @_db_errors
    def like_sample(self, learner_id: int, sample_id: int, liked: bool = True) -> None:
        """One like per learner per sample, never for one's own."""
        with self._tx() as s:
            row = self._visible_sample(s, learner_id, sample_id)
            if row.learner_id == learner_id:
                raise ValueError("You cannot like your own sample.")
            existing = s.scalar(select(SampleLike).where(SampleLike.learner_id == learner_id,
                                                         SampleLike.sample_id == sample_id))
            if liked and existing is None:
                s.add(SampleLike(learner_id=learner_id, sample_id=sample_id))
            elif not liked and existing is not None:
                s.delete(existing)

    @_db_errors
    def cast_vote(self, learner_id: int, sample_id: int) -> None:
        """The final-challenge vote: one per learner (a new vote replaces the old), never for one's own sample."""
        with self._tx() as s:
            row = self._visible_sample(s, learner_id, sample_id)
            if row.learner_id == learner_id:
                raise ValueError("You cannot vote for your own sample.")
            vote = s.get(ChallengeVote, learner_id)
            if vote is None:
                s.add(ChallengeVote(voter_id=learner_id, sample_id=sample_id, voted_at=_now()))
            else:
                vote.sample_id, vote.voted_at = sample_id, _now()

    @_db_errors
    def my_vote(self, learner_id: int) -> int | None:
        with self._tx() as s:
            vote = s.get(ChallengeVote, learner_id)
            return vote.sample_id if vote else None

    @_db_errors
    def vote_tally(self, viewer_id: int) -> dict[int, int]:
        """COHORT: sample id -> final-challenge votes, for the visible samples of the viewer's cohort."""
        with self._tx() as s:
            visible = select(GallerySample.id).where(GallerySample.hidden.is_(False),
                                                     GallerySample.learner_id.in_(self._cohort_of(s, viewer_id)))
            return {sid: int(n) for sid, n in s.execute(
                select(ChallengeVote.sample_id, func.count()).where(ChallengeVote.sample_id.in_(visible))
                .group_by(ChallengeVote.sample_id))}

    # ---- capstone: blinded peer review -------------------------------------------------------------------------

    REVIEWS_PER_LEARNER = 3

    @_db_errors
    def review_tasks(self, reviewer_id: int) -> list[ReviewTask]:
        """COHORT: the reviewer's (up to) three blinded reviews, assigning new ones from the cohort's gallery when
        fewer than three exist: never the reviewer's own samples, different authors first, then the samples with
        the fewest reviewers. The tasks carry the text and settings only, never the author."""
        with self._tx() as s:
            assigned = s.scalars(select(ReviewAssignment).where(ReviewAssignment.reviewer_id == reviewer_id)
                                 .order_by(ReviewAssignment.id)).all()
            missing = self.REVIEWS_PER_LEARNER - len(assigned)
            if missing > 0:
                taken = {a.sample_id for a in assigned}
                authors = set(s.scalars(select(GallerySample.learner_id)
                                        .where(GallerySample.id.in_(taken)))) if taken else set()
                load = dict(s.execute(select(ReviewAssignment.sample_id, func.count())
                                      .group_by(ReviewAssignment.sample_id)).all())
                pool = s.execute(select(GallerySample.id, GallerySample.learner_id).where(
                    GallerySample.hidden.is_(False), GallerySample.learner_id != reviewer_id,
                    GallerySample.learner_id.in_(self._cohort_of(s, reviewer_id)))).all()
                pool = [(sid, author) for sid, author in pool if sid not in taken]
                for _ in range(missing):
                    if not pool:
                        break
                    sid, author = min(pool, key=lambda p: (p[1] in authors, load.get(p[0], 0), p[0]))
                    s.add(ReviewAssignment(reviewer_id=reviewer_id, sample_id=sid, assigned_at=_now()))
                    authors.add(author)
                    pool = [p for p in pool if p[0] != sid]
                s.flush()
            rows = s.execute(select(ReviewAssignment, GallerySample.text, GallerySample.settings)
                             .join(GallerySample, GallerySample.id == ReviewAssignment.sample_id)
                             .where(ReviewAssignment.reviewer_id == reviewer_id)
                             .order_by(ReviewAssignment.id)).all()
            return [ReviewTask(a.id, text, json.loads(settings), a.coherence, a.creativity, a.style)
                    for a, text, settings in rows]

    @_db_errors
    def submit_review(self, reviewer_id: int, assignment_id: int, coherence: int, creativity: int,
                      style: int) -> None:
        """Rate an assigned sample 1-5 on each criterion (a later submission replaces the ratings)."""
        ratings = (coherence, creativity, style)
        if not all(isinstance(r, int) and 1 <= r <= 5 for r in ratings):
            raise ValueError("Each rating is a whole number from 1 to 5.")
        with self._tx() as s:
            row = s.scalar(select(ReviewAssignment).where(ReviewAssignment.id == assignment_id,
                                                          ReviewAssignment.reviewer_id == reviewer_id))
            if row is None:
                raise StoreError("That review is not assigned to you.")
            row.coherence, row.creativity, row.style, row.reviewed_at = *ratings, _now()

    @_db_errors
    def reviews_done(self, reviewer_id: int) -> int:
        with self._tx() as s:
            return int(s.scalar(select(func.count()).select_from(ReviewAssignment).where(
                ReviewAssignment.reviewer_id == reviewer_id, ReviewAssignment.reviewed_at.is_not(None))))

    @_db_errors
    def review_feedback(self, author_id: int) -> dict[int, ReviewAggregate]:
        """sample id -> the number of completed reviews and mean ratings, for the author's own samples only."""
        with self._tx() as s:
            rows = s.execute(
                select(ReviewAssignment.sample_id, func.count(), func.avg(ReviewAssignment.coherence),
                       func.avg(ReviewAssignment.creativity), func.avg(ReviewAssignment.style))
                .join(GallerySample, GallerySample.id == ReviewAssignment.sample_id)
                .where(GallerySample.learner_id == author_id, ReviewAssignment.reviewed_at.is_not(None))
                .group_by(ReviewAssignment.sample_id))
            return {sid: ReviewAggregate(int(n), float(c), float(cr), float(st)) for sid, n, c, cr, st in rows}

    # ---- capstone: badges and neuron findings ------------------------------------------------------------------

    @_db_errors
    def award_badges(self, learner_id: int, earned: dict[str, str]) -> list[str]:
        """Record badges (id -> evidence) the rules in core.capstone.projects found earned; returns the newly awarded ids.
        An award is kept once made."""
        with self._tx() as s:
            have = set(s.scalars(select(BadgeAward.badge_id).where(BadgeAward.learner_id == learner_id)))
            new = [b for b in earned if b not in have]
            for badge_id in new:
                s.add(BadgeAward(learner_id=learner_id, badge_id=badge_id[:32], evidence=earned[badge_id][:500],
                                 awarded_at=_now()))
            return new

    @_db_errors
    def badges(self, learner_id: int) -> dict[str, BadgeRecord]:
        with self._tx() as s:
            rows = s.scalars(select(BadgeAward).where(BadgeAward.learner_id == learner_id)
                             .order_by(BadgeAward.awarded_at, BadgeAward.id))
            return {r.badge_id: BadgeRecord(r.badge_id, r.evidence, _aware(r.awarded_at)) for r in rows}

    @_db_errors
    def save_neuron_finding(self, learner_id: int, run_id: str, layer: int, neuron: int, feature: str,
                            correlation: float, label: str) -> None:
        """Keep a neuron the learner identified, with the correlation the server measured (one entry per neuron)."""
        if not math.isfinite(correlation):
            raise ValueError("The correlation must be a number.")
        with self._tx() as s:
            row = s.scalar(select(NeuronFinding).where(
                NeuronFinding.learner_id == learner_id, NeuronFinding.run_id == run_id,
                NeuronFinding.layer == layer, NeuronFinding.neuron == neuron))
            if row is None:
                row = NeuronFinding(learner_id=learner_id, run_id=run_id[:40], layer=int(layer), neuron=int(neuron))
                s.add(row)
            row.feature, row.correlation, row.label = feature[:40], float(correlation), label.strip()[:200]
            row.created_at = _now()

    @_db_errors
    def neuron_findings(self, learner_id: int) -> list[FindingRecord]:
        with self._tx() as s:
            rows = s.scalars(select(NeuronFinding).where(NeuronFinding.learner_id == learner_id)
                             .order_by(NeuronFinding.created_at, NeuronFinding.id))
            return [FindingRecord(r.run_id, r.layer, r.neuron, r.feature, r.correlation, r.label,
                                  _aware(r.created_at)) for r in rows]

    @_db_errors
    def cohort_capstone_stats(self, viewer_id: int) -> dict[str, float]:
        """COHORT, aggregate only: learners in the viewer's cohort, badges per learner, and how many learners
        have reached each capstone step recorded in the store (counts, never who)."""
        with self._tx() as s:
            members = self._cohort_of(s, viewer_id)
            learners = int(s.scalar(select(func.count()).select_from(members.subquery())))
            per = s.execute(select(BadgeAward.learner_id, func.count()).where(BadgeAward.learner_id.in_(members))
                            .group_by(BadgeAward.learner_id)).all()
            total = sum(int(n) for _, n in per)

            def distinct(column: Any, *where: Any) -> int:
                return int(s.scalar(select(func.count(func.distinct(column))).where(column.in_(members), *where)))

            reviewed = s.execute(select(ReviewAssignment.reviewer_id).where(
                ReviewAssignment.reviewer_id.in_(members), ReviewAssignment.reviewed_at.is_not(None))
                .group_by(ReviewAssignment.reviewer_id)
                .having(func.count() >= self.REVIEWS_PER_LEARNER)).all()
            return {"learners": learners, "with_badges": len(per),
                    "badges_per_learner": total / learners if learners else 0.0,
                    "measured": distinct(CapstoneResult.learner_id),
                    "on_leaderboard": distinct(CapstoneResult.learner_id, CapstoneResult.category.is_not(None),
                                               CapstoneResult.hidden.is_(False)),
                    "shared_sample": distinct(GallerySample.learner_id),
                    "reviewed_three": len(reviewed)}

    def _export_capstone(self, learner_id: int) -> dict:
        return {
            "capstone_results": [
                {"run": r.run_id, "title": r.title, "corpus": r.corpus, "loss_nats_per_char": r.loss,
                 "perplexity": r.perplexity, "chars": r.chars, "category": r.category, "hidden": r.hidden,
                 "reason": r.hidden_reason, "at": r.evaluated_at.isoformat()} for r in self.my_results(learner_id)],
            "gallery_samples": [{"id": g.id, "text": g.text, "likes": g.likes, "at": g.created_at.isoformat()}
                                for g in self.my_samples(learner_id)],
            "badges": [{"badge": b.badge_id, "evidence": b.evidence, "at": b.awarded_at.isoformat()}
                       for b in self.badges(learner_id).values()],
            "neuron_findings": [{"run": f.run_id, "layer": f.layer, "neuron": f.neuron, "feature": f.feature,
                                 "correlation": f.correlation, "label": f.label} for f in self.neuron_findings(learner_id)],
            "peer_reviews_given": self.reviews_done(learner_id),
        }

    def _delete_capstone(self, s: Session, learner_id: int) -> None:
        own = select(GallerySample.id).where(GallerySample.learner_id == learner_id)
        for table in (SampleLike, ReviewAssignment, ChallengeVote):
            s.execute(delete(table).where(table.sample_id.in_(own)))
        s.execute(delete(SampleLike).where(SampleLike.learner_id == learner_id))
        s.execute(delete(ReviewAssignment).where(ReviewAssignment.reviewer_id == learner_id))
        s.execute(delete(ChallengeVote).where(ChallengeVote.voter_id == learner_id))
        for table in (GallerySample, CapstoneResult, BadgeAward, NeuronFinding):
            s.execute(delete(table).where(table.learner_id == learner_id))
