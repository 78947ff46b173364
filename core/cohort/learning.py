"""Learning records: quiz answers (attempt history), reflections, the flashcard deck and its reviews, graded
code-lab attempts; and the instructor's view of how a cohort does on them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from core.cohort.db import Repository, StoreError, as_utc, db_errors, utc_now
from core.cohort.tables import (
    CardReview,
    DeckCard,
    LabAttempt,
    Learner,
    LearnerModel,
    QuizAnswer,
    QuizScore,
    Reflection,
)


@dataclass(frozen=True)
class LabSummary:
    lab_id: str
    attempts: int
    best_passed: int
    total: int
    solved: bool
    last_at: datetime


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
                        as_utc(row.answered_at))


def _deck_card(row: DeckCard) -> DeckCardRecord:
    return DeckCardRecord(row.card_id, row.module_id, row.source, row.fsrs, as_utc(row.due), as_utc(row.added_at))


class LearningRepository(Repository):
    """Reads and writes of a learner's quiz answers, reflections, flashcards and code-lab attempts."""

    LAB_CODE_MAX = 20_000

    @db_errors
    def cohort_activity(self, cohort_code: str | None = None, since: datetime | None = None) -> dict[str, list[dict]]:
        """INSTRUCTOR ONLY: quiz item statistics, code-lab pass rates and flashcard activity of a cohort."""
        members = select(Learner.id)
        if cohort_code:
            members = members.where(Learner.cohort_code == cohort_code)
        since = since or utc_now() - timedelta(days=7)
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

    # ---- quiz answers and reflections --------------------------------------------------------------------------

    @db_errors
    def record_quiz_attempt(self, learner_id: int, quiz_id: str,
                            answers: list[tuple[str, Any, bool | None, float]]) -> int:
        """Store one attempt: (question id, response (JSON-able), correct or None, score 0..1) per question.

        Returns the attempt number (1 for the first attempt at this quiz)."""
        now = utc_now()
        with self._tx() as s:
            last = s.scalar(select(func.max(QuizAnswer.attempt))
                            .where(QuizAnswer.learner_id == learner_id, QuizAnswer.quiz_id == quiz_id))
            attempt = (last or 0) + 1
            for question_id, response, correct, score in answers:
                s.add(QuizAnswer(learner_id=learner_id, quiz_id=quiz_id, attempt=attempt, question_id=question_id,
                                 response=json.dumps(response), correct=correct, score=float(score),
                                 answered_at=now))
            return attempt

    @db_errors
    def quiz_answers(self, learner_id: int, quiz_id: str | None = None) -> list[AnswerRecord]:
        """This learner's answers (one quiz or all), oldest attempt first."""
        query = select(QuizAnswer).where(QuizAnswer.learner_id == learner_id)
        if quiz_id is not None:
            query = query.where(QuizAnswer.quiz_id == quiz_id)
        with self._tx() as s:
            rows = s.scalars(query.order_by(QuizAnswer.quiz_id, QuizAnswer.attempt, QuizAnswer.id)).all()
            return [_answer(r) for r in rows]

    @db_errors
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
                                 updated_at=utc_now()))
            else:
                row.text, row.updated_at = text, utc_now()

    @db_errors
    def reflections(self, learner_id: int, quiz_id: str | None = None) -> dict[tuple[str, str], str]:
        """(quiz id, question id) -> text, for this learner."""
        query = select(Reflection).where(Reflection.learner_id == learner_id)
        if quiz_id is not None:
            query = query.where(Reflection.quiz_id == quiz_id)
        with self._tx() as s:
            return {(r.quiz_id, r.question_id): r.text for r in s.scalars(query)}

    @db_errors
    def reflection_times(self, learner_id: int, quiz_id: str | None = None) -> dict[tuple[str, str], datetime]:
        """(quiz id, question id) -> when this learner last saved that answer (UTC), for this learner only."""
        query = select(Reflection.quiz_id, Reflection.question_id, Reflection.updated_at).where(
            Reflection.learner_id == learner_id)
        if quiz_id is not None:
            query = query.where(Reflection.quiz_id == quiz_id)
        with self._tx() as s:
            return {(q, k): as_utc(t) for q, k, t in s.execute(query)}

    # ---- flashcard deck and reviews ----------------------------------------------------------------------------

    @db_errors
    def add_to_deck(self, learner_id: int, card_id: str, fsrs: str, due: datetime, source: str,
                    module_id: str | None = None) -> bool:
        """Put a card in the learner's deck; False (and nothing changes) when it is already there."""
        with self._tx() as s:
            exists = s.scalar(select(DeckCard.id).where(DeckCard.learner_id == learner_id,
                                                        DeckCard.card_id == card_id))
            if exists is not None:
                return False
            s.add(DeckCard(learner_id=learner_id, card_id=card_id, module_id=module_id, source=source[:128],
                           fsrs=fsrs, due=due, added_at=utc_now()))
            return True

    @db_errors
    def remove_from_deck(self, learner_id: int, card_id: str) -> None:
        with self._tx() as s:
            s.execute(delete(DeckCard).where(DeckCard.learner_id == learner_id, DeckCard.card_id == card_id))

    @db_errors
    def deck(self, learner_id: int) -> dict[str, DeckCardRecord]:
        """card id -> scheduling state, for every card in this learner's deck."""
        with self._tx() as s:
            rows = s.scalars(select(DeckCard).where(DeckCard.learner_id == learner_id).order_by(DeckCard.due))
            return {r.card_id: _deck_card(r) for r in rows}

    @db_errors
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

    @db_errors
    def reviews(self, learner_id: int) -> list[ReviewRecord]:
        with self._tx() as s:
            rows = s.scalars(select(CardReview).where(CardReview.learner_id == learner_id)
                             .order_by(CardReview.reviewed_at, CardReview.id))
            return [ReviewRecord(r.card_id, r.rating, as_utc(r.reviewed_at), as_utc(r.due)) for r in rows]

    # ---- code labs: graded attempts ----------------------------------------------------------------------------

    @db_errors
    def save_lab_attempt(self, learner_id: int, lab_id: str, code: str, passed: int, total: int,
                         results_json: str) -> None:
        if not 0 <= passed <= total:
            raise ValueError(f"passed must lie in [0, total], got {passed}/{total}.")
        with self._tx() as s:
            s.add(LabAttempt(learner_id=learner_id, lab_id=lab_id[:64], code=code[: self.LAB_CODE_MAX],
                             passed=passed, total=total, results=results_json, created_at=utc_now()))

    @db_errors
    def latest_lab_code(self, learner_id: int, lab_id: str) -> str | None:
        """The code of this learner's most recent graded attempt at a lab, if any."""
        with self._tx() as s:
            return s.scalar(select(LabAttempt.code)
                            .where(LabAttempt.learner_id == learner_id, LabAttempt.lab_id == lab_id)
                            .order_by(LabAttempt.created_at.desc(), LabAttempt.id.desc()).limit(1))

    @db_errors
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
            return {lab: LabSummary(lab, int(n), int(best), int(total), bool(solved), as_utc(last))
                    for lab, n, best, total, last, solved in rows}

    @db_errors
    def cohort_evidence(self, learner_ids: list[int]) -> dict[int, tuple[dict[str, float], dict[str, bool], int]]:
        """For the instructor's dashboard, in three queries whatever the cohort's size: per learner, the best share
        correct per quiz, whether each attempted lab was solved, and how many models they keep."""
        found: dict[int, tuple[dict[str, float], dict[str, bool], int]] = {i: ({}, {}, 0) for i in learner_ids}
        if not learner_ids:
            return found
        with self._tx() as s:
            for who, quiz, best in s.execute(
                    select(QuizScore.learner_id, QuizScore.quiz_id, func.max(QuizScore.score / QuizScore.max_score))
                    .where(QuizScore.learner_id.in_(learner_ids)).group_by(QuizScore.learner_id, QuizScore.quiz_id)):
                found[who][0][quiz] = float(best)
            for who, lab, solved in s.execute(
                    select(LabAttempt.learner_id, LabAttempt.lab_id,
                           func.max(case((LabAttempt.passed == LabAttempt.total, 1), else_=0)))
                    .where(LabAttempt.learner_id.in_(learner_ids), LabAttempt.total > 0)
                    .group_by(LabAttempt.learner_id, LabAttempt.lab_id)):
                found[who][1][lab] = bool(solved)
            for who, n in s.execute(select(LearnerModel.learner_id, func.count(LearnerModel.run_id))
                                    .where(LearnerModel.learner_id.in_(learner_ids))
                                    .group_by(LearnerModel.learner_id)):
                found[who] = (found[who][0], found[who][1], int(n))
        return found

    # ---- the learner's own export and deletion -----------------------------------------------------------------

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

    def _export_labs(self, learner_id: int) -> list[dict]:
        with self._tx() as s:
            rows = s.execute(select(LabAttempt.lab_id, LabAttempt.passed, LabAttempt.total, LabAttempt.code,
                                    LabAttempt.created_at)
                             .where(LabAttempt.learner_id == learner_id).order_by(LabAttempt.id)).all()
        return [{"lab": lab, "passed": p, "total": t, "code": code, "at": as_utc(at).isoformat()}
                for lab, p, t, code, at in rows]

    def _delete_learning(self, s: Session, learner_id: int) -> None:
        for table in (QuizAnswer, Reflection, DeckCard, CardReview, LabAttempt):
            s.execute(delete(table).where(table.learner_id == learner_id))
