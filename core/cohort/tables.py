"""The cohort database's tables: one declarative Base and every table of learner data.

Only the repositories in core.cohort use these; code outside the package goes through core.cohort.store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.cohort import identity


class Base(DeclarativeBase):
    pass


class Learner(Base):
    """A learner. `id` never comes back after a deletion (AUTOINCREMENT on SQLite; a sequence on PostgreSQL), and
    `uid` is a random 32-hex-digit name, never reused, that files, jobs and caches of this learner are keyed by."""

    __tablename__ = "learners"
    __table_args__ = {"sqlite_autoincrement": True}
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, index=True, default=identity.new_uid)
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


# ---- learners' training runs (modules 5, 9, 10): the job engine's state and the trained models ------------------


class TrainingJob(Base):
    """One training run (or an inline training slot) of a learner, as every replica and worker sees it: its place in
    the queue, its state, its live progress and the stop flag. The rules hold in the database itself:
    `active_learner` (the learner's id while queued or running, NULL after) is UNIQUE, so a learner has at most one
    run at a time; `slot` (0 .. cap-1 while running, NULL otherwise) is UNIQUE, so no more than the cap train at
    once. Deleting the learner deletes the row, which a worker polling it takes as a stop whose model is thrown away."""

    __tablename__ = "training_jobs"
    __table_args__ = (UniqueConstraint("active_learner", name="uq_training_jobs_active_learner"),
                      UniqueConstraint("slot", name="uq_training_jobs_slot"))
    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # 12 random hex digits
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    owner_uid: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "run" (a worker trains it) | "inline" (a page trains it)
    state: Mapped[str] = mapped_column(String(16), index=True)  # queued|running|saving|finished|stopped|budget|nan|failed
    active_learner: Mapped[int | None] = mapped_column(Integer, nullable=True)
    slot: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(120))
    corpus: Mapped[str] = mapped_column(String(200))
    spec: Mapped[str] = mapped_column(Text)  # JSON: the run's settings (core.jobs JobSpec without the text)
    info: Mapped[str] = mapped_column(Text)  # JSON: parameters, vocabulary, split sizes, memory estimate
    text: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)  # the corpus until the run ends
    seconds_budget: Mapped[float] = mapped_column(Float)
    seconds_used: Mapped[float] = mapped_column(Float, default=0.0)  # counted against the daily allowance
    stop_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    stop_reason: Mapped[str] = mapped_column(String(16), default="stopped")
    worker: Mapped[str | None] = mapped_column(String(120), nullable=True)  # host:pid:thread holding it
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
    chars_per_s: Mapped[float] = mapped_column(Float, default=0.0)
    progress: Mapped[str] = mapped_column(Text, default="{}")  # JSON: loss curve, grad norms, evals, samples
    message: Mapped[str] = mapped_column(Text, default="")
    run_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LearnerModel(Base):
    """A model a learner trained in the app, stored whole in the database so that every replica serves it: the
    weights (torch.save bytes, ~2.4 MB at the 600k-parameter cap), the record, the history and the held-out text
    it was measured on. Deleting the learner deletes it."""

    __tablename__ = "learner_models"
    run_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    record: Mapped[str] = mapped_column(Text)  # JSON: core.jobs.runs.RunRecord
    history: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: the training history
    extra: Mapped[str] = mapped_column(Text, default="{}")  # JSON: training settings kept with the run
    val_text: Mapped[str] = mapped_column(Text, deferred=True)
    weights: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
