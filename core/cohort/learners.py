"""Learners and their progress: identity (resume token, single-sign-on login), chosen path, cohort, completed
sections and quiz scores; the instructor's view of who is in a cohort; and who counts as one's cohort.

Every learner-scoped query takes the id of the learner resolved from that learner's own token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core import logs
from core.cohort import identity
from core.cohort.db import Repository, StoreError, db_errors, utc_now
from core.cohort.tables import Learner, LearnerLogin, QuizScore, SectionProgress

log = logs.get("store")


@dataclass(frozen=True)
class LearnerRecord:
    """A learner. `id` scopes database queries; `uid` (32 random hex digits) names everything kept outside the
    database for this learner: files, training jobs, caches. Neither ever comes back after a deletion. Neither is
    a credential (the resume token is): never accept one from a link or form as proof of who someone is."""

    id: int
    display_name: str
    cohort_code: str | None
    path: str | None
    created_at: datetime
    uid: str


def _record(row: Learner) -> LearnerRecord:
    return LearnerRecord(row.id, row.display_name, row.cohort_code, row.path, row.created_at, row.uid)


def cohort_members(s: Session, learner_id: int) -> Any:
    """A select of the learner ids in `learner_id`'s cohort (empty when that learner does not exist).

    Cohort features only ever show learners of the viewer's own cohort; learners without a cohort code form one
    group."""
    row = s.get(Learner, learner_id)
    if row is None:
        return select(Learner.id).where(Learner.id == -1)
    if row.cohort_code is None:
        return select(Learner.id).where(Learner.cohort_code.is_(None))
    return select(Learner.id).where(Learner.cohort_code == row.cohort_code)


class LearnerRepository(Repository):
    """Reads and writes of learners, their sections and quiz scores."""

    @db_errors
    def create_learner(self, display_name: str, cohort_code: str | None = None) -> tuple[LearnerRecord, str]:
        """Register a learner; returns the record and the resume token (shown to the learner, stored hashed)."""
        name = identity.clean_display_name(display_name)
        cohort = identity.clean_cohort_code(cohort_code)
        token = identity.new_token()
        with self._tx() as s:
            row = Learner(uid=identity.new_uid(), token_hash=identity.token_hash(token), display_name=name,
                          cohort_code=cohort, created_at=utc_now())
            s.add(row)
            s.flush()
            record = _record(row)
        log.info("Learner %s (uid %s) created with a resume code.", record.id, record.uid)
        return record, token

    @db_errors
    def learner_for_login(self, subject: str, display_name: str) -> LearnerRecord:
        """The learner behind a signed-in account, created (with a random, never-shown token) on first login."""
        key = identity.token_hash(subject)
        with self._tx() as s:
            link = s.get(LearnerLogin, key)
            if link is not None and (row := s.get(Learner, link.learner_id)) is not None:
                return _record(row)
            row = Learner(uid=identity.new_uid(), token_hash=identity.token_hash(identity.new_token()),
                          display_name=identity.clean_display_name(display_name), cohort_code=None,
                          created_at=utc_now())
            s.add(row)
            s.flush()
            if link is None:
                s.add(LearnerLogin(subject_hash=key, learner_id=row.id))
            else:
                link.learner_id = row.id
            record = _record(row)
        log.info("Learner %s (uid %s) created at a first single-sign-on sign-in.", record.id, record.uid)
        return record

    @db_errors
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

    @db_errors
    def cohort_codes(self) -> list[str]:
        """INSTRUCTOR ONLY: the cohort codes in use."""
        with self._tx() as s:
            return [c for c in s.scalars(select(Learner.cohort_code).distinct()) if c]

    @db_errors
    def find_learner(self, token: str | None) -> LearnerRecord | None:
        if not identity.looks_like_token(token):
            return None
        with self._tx() as s:
            row = s.scalar(select(Learner).where(Learner.token_hash == identity.token_hash(token)))
            return _record(row) if row else None

    @db_errors
    def learner(self, learner_id: int) -> LearnerRecord | None:
        with self._tx() as s:
            row = s.get(Learner, learner_id)
            return _record(row) if row else None

    @db_errors
    def set_path(self, learner_id: int, path: str | None) -> None:
        with self._tx() as s:
            row = s.get(Learner, learner_id)
            if row is None:
                raise StoreError("This learner no longer exists.")
            row.path = path

    @db_errors
    def set_cohort(self, learner_id: int, cohort_code: str | None) -> None:
        cohort = identity.clean_cohort_code(cohort_code)
        with self._tx() as s:
            row = s.get(Learner, learner_id)
            if row is None:
                raise StoreError("This learner no longer exists.")
            row.cohort_code = cohort

    @db_errors
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
                                      completed_at=utc_now()))
            elif not done and existing is not None:
                s.delete(existing)

    @db_errors
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

    @db_errors
    def record_quiz_score(self, learner_id: int, quiz_id: str, score: float, max_score: float) -> None:
        if not 0 <= score <= max_score or max_score <= 0:
            raise ValueError(f"A quiz score must lie in [0, max_score], got {score}/{max_score}.")
        with self._tx() as s:
            s.add(QuizScore(learner_id=learner_id, quiz_id=quiz_id, score=score, max_score=max_score,
                            taken_at=utc_now()))

    @db_errors
    def best_quiz_scores(self, learner_id: int) -> dict[str, float]:
        """Best share correct (0..1) per quiz for this learner."""
        with self._tx() as s:
            rows = s.execute(
                select(QuizScore.quiz_id, func.max(QuizScore.score / QuizScore.max_score))
                .where(QuizScore.learner_id == learner_id)
                .group_by(QuizScore.quiz_id)
            )
            return {quiz_id: float(best) for quiz_id, best in rows}

    @db_errors
    def cohort_size(self, cohort_code: str) -> int:
        """How many learners share a cohort code (a count only: no names, no records)."""
        with self._tx() as s:
            return int(s.scalar(select(func.count()).select_from(Learner).where(Learner.cohort_code == cohort_code)))

    def _export_progress(self, record: LearnerRecord) -> dict:
        """The learner's own part of 'download my data': who they are, their sections and quiz scores."""
        with self._tx() as s:
            scores = s.execute(
                select(QuizScore.quiz_id, QuizScore.score, QuizScore.max_score, QuizScore.taken_at)
                .where(QuizScore.learner_id == record.id)
                .order_by(QuizScore.taken_at)
            ).all()
            sections = s.execute(
                select(SectionProgress.module_id, SectionProgress.section_id, SectionProgress.completed_at)
                .where(SectionProgress.learner_id == record.id)
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

    def _delete_progress(self, s: Session, learner_id: int) -> None:
        """Delete the learner's logins, sections and quiz scores (the learner row itself goes last, elsewhere)."""
        s.execute(delete(LearnerLogin).where(LearnerLogin.learner_id == learner_id))
        s.execute(delete(SectionProgress).where(SectionProgress.learner_id == learner_id))
        s.execute(delete(QuizScore).where(QuizScore.learner_id == learner_id))
