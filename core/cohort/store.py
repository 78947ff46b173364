"""Persistent learner records, the public face of core.cohort: `open_store()` returns one `Store` with every read
and write of learner data, composed from the repositories of each aggregate.

SQLite file by default; any SQLAlchemy URL (e.g. PostgreSQL) for a hosted cohort. Opening runs the Alembic
migrations (core.cohort.migrate) under a lock, so replicas starting at once never race; a database at the newest
revision already costs one query, and Alembic is not imported. Every query is scoped by
the learner id resolved from that learner's own token; files, jobs and caches of a learner are keyed by its `uid`,
which, like its id, never comes back after a deletion. The names callers use are re-exported here, so nothing
outside core.cohort imports its tables or repositories directly.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from core import logs
from core.cohort import db, migrate
from core.cohort.capstone import BadgeRecord, CapstoneRepository, FindingRecord, LeaderRow, ResultRecord
from core.cohort.db import (
    DEFAULT_DB,
    DEFAULT_SQLITE_NOTICE,
    SQLITE_MAGIC,
    URL_ENV,
    StoreError,
    db_errors,
    open_database,
    resolve_url,
)
from core.cohort.export import safe_csv
from core.cohort.gallery import REVIEW_CRITERIA, GalleryItem, ReviewAggregate, ReviewTask
from core.cohort.jobs import JobRecord, JobRefused, JobRepository
from core.cohort.learners import LearnerRecord, LearnerRepository
from core.cohort.learning import AnswerRecord, DeckCardRecord, LabSummary, LearningRepository, ReviewRecord
from core.cohort.models_store import ModelRepository, StoredModel
from core.cohort.tables import Base, Learner

__all__ = [
    "DEFAULT_DB", "DEFAULT_SQLITE_NOTICE", "REVIEW_CRITERIA", "SQLITE_MAGIC", "URL_ENV", "AnswerRecord",
    "BadgeRecord", "Base", "DeckCardRecord", "FindingRecord", "GalleryItem", "JobRecord", "JobRefused", "LabSummary",
    "LeaderRow", "LearnerRecord", "ResultRecord", "ReviewAggregate", "ReviewRecord", "ReviewTask", "Store",
    "StoreError", "StoredModel", "db", "open_store", "resolve_url", "safe_csv",
]

log = logs.get("store")


class Store(LearnerRepository, LearningRepository, CapstoneRepository, JobRepository, ModelRepository):
    """All reads and writes of learner data. Methods take the learner id of the *resolved* learner.

    The repositories share one engine and session factory (core.cohort.db.Repository); what spans them all, the
    learner's own export and deletion, is here. `uses_default_sqlite` (nothing configured) and `created_new` (this
    open created the SQLite file) are for the instructor page."""

    @db_errors
    def export_learner(self, learner_id: int) -> dict:
        """Everything stored about this learner, as JSON-ready data (their own 'download my data')."""
        record = self.learner(learner_id)
        if record is None:
            return {}
        return {
            **self._export_progress(record),
            **self._export_assessment(learner_id),
            "lab_attempts": self._export_labs(learner_id),
            **self._export_capstone(learner_id),
            "trained_models": self._export_models(learner_id),
        }

    @db_errors
    def delete_learner(self, learner_id: int) -> None:
        with self._tx() as s:
            uid = s.scalar(select(Learner.uid).where(Learner.id == learner_id))
            self._delete_progress(s, learner_id)
            self._delete_learning(s, learner_id)
            self._delete_capstone(s, learner_id)
            self._delete_jobs(s, learner_id)  # a worker still training finds its job gone: it stops, saves nothing
            self._delete_models(s, learner_id)
            s.execute(delete(Learner).where(Learner.id == learner_id))
        if uid is not None:
            log.info("Learner %s (uid %s) deleted with all their records.", learner_id, uid)


def open_store(url: str | None = None) -> Store:
    """Connect, migrate the schema to the newest revision and return the store; raises StoreError with a reason."""
    return Store(open_database(url, prepare=migrate.upgrade))
