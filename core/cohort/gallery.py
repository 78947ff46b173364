"""The capstone's cohort gallery: samples learners share anonymously, likes, the final-challenge vote and blinded
peer review. Only learners of the viewer's own cohort ever appear, and others' rows carry no learner id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.cohort.db import Repository, StoreError, as_utc, db_errors, utc_now
from core.cohort.learners import cohort_members
from core.cohort.tables import ChallengeVote, GallerySample, ReviewAssignment, SampleLike

REVIEW_CRITERIA = ("coherence", "creativity", "style")


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


class GalleryRepository(Repository):
    """Reads and writes of shared samples, likes, votes and peer reviews."""

    SAMPLE_MAX = 3000
    SAMPLES_PER_LEARNER = 20
    REVIEWS_PER_LEARNER = 3

    # ---- sample gallery, likes and the final-challenge vote ----------------------------------------------------

    def _visible_sample(self, s: Session, viewer_id: int, sample_id: int) -> GallerySample:
        row = s.scalar(select(GallerySample).where(GallerySample.id == sample_id, GallerySample.hidden.is_(False),
                                                   GallerySample.learner_id.in_(cohort_members(s, viewer_id))))
        if row is None:
            raise StoreError("That sample is not in your cohort's gallery.")
        return row

    @db_errors
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
                                settings=json.dumps(settings), created_at=utc_now(), hidden=False)
            s.add(row)
            s.flush()
            return row.id

    @db_errors
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
                            r.learner_id == viewer_id, as_utc(r.created_at)) for r in rows]

    @db_errors
    def gallery(self, viewer_id: int) -> list[GalleryItem]:
        """COHORT: the visible shared samples of the viewer's cohort, newest first, anonymous."""
        with self._tx() as s:
            where = GallerySample.hidden.is_(False) & GallerySample.learner_id.in_(cohort_members(s, viewer_id))
            return self._gallery(s, viewer_id, where)

    @db_errors
    def my_samples(self, learner_id: int) -> list[GalleryItem]:
        """This learner's own shared samples, with their like counts."""
        with self._tx() as s:
            return self._gallery(s, learner_id, GallerySample.learner_id == learner_id)

    @db_errors
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

    @db_errors
    def cast_vote(self, learner_id: int, sample_id: int) -> None:
        """The final-challenge vote: one per learner (a new vote replaces the old), never for one's own sample."""
        with self._tx() as s:
            row = self._visible_sample(s, learner_id, sample_id)
            if row.learner_id == learner_id:
                raise ValueError("You cannot vote for your own sample.")
            vote = s.get(ChallengeVote, learner_id)
            if vote is None:
                s.add(ChallengeVote(voter_id=learner_id, sample_id=sample_id, voted_at=utc_now()))
            else:
                vote.sample_id, vote.voted_at = sample_id, utc_now()

    @db_errors
    def my_vote(self, learner_id: int) -> int | None:
        with self._tx() as s:
            vote = s.get(ChallengeVote, learner_id)
            return vote.sample_id if vote else None

    @db_errors
    def vote_tally(self, viewer_id: int) -> dict[int, int]:
        """COHORT: sample id -> final-challenge votes, for the visible samples of the viewer's cohort."""
        with self._tx() as s:
            visible = select(GallerySample.id).where(GallerySample.hidden.is_(False),
                                                     GallerySample.learner_id.in_(cohort_members(s, viewer_id)))
            return {sid: int(n) for sid, n in s.execute(
                select(ChallengeVote.sample_id, func.count()).where(ChallengeVote.sample_id.in_(visible))
                .group_by(ChallengeVote.sample_id))}

    # ---- blinded peer review -----------------------------------------------------------------------------------

    @db_errors
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
                    GallerySample.learner_id.in_(cohort_members(s, reviewer_id)))).all()
                pool = [(sid, author) for sid, author in pool if sid not in taken]
                for _ in range(missing):
                    if not pool:
                        break
                    sid, author = min(pool, key=lambda p: (p[1] in authors, load.get(p[0], 0), p[0]))
                    s.add(ReviewAssignment(reviewer_id=reviewer_id, sample_id=sid, assigned_at=utc_now()))
                    authors.add(author)
                    pool = [p for p in pool if p[0] != sid]
                s.flush()
            rows = s.execute(select(ReviewAssignment, GallerySample.text, GallerySample.settings)
                             .join(GallerySample, GallerySample.id == ReviewAssignment.sample_id)
                             .where(ReviewAssignment.reviewer_id == reviewer_id)
                             .order_by(ReviewAssignment.id)).all()
            return [ReviewTask(a.id, text, json.loads(settings), a.coherence, a.creativity, a.style)
                    for a, text, settings in rows]

    @db_errors
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
            row.coherence, row.creativity, row.style, row.reviewed_at = *ratings, utc_now()

    @db_errors
    def reviews_done(self, reviewer_id: int) -> int:
        with self._tx() as s:
            return int(s.scalar(select(func.count()).select_from(ReviewAssignment).where(
                ReviewAssignment.reviewer_id == reviewer_id, ReviewAssignment.reviewed_at.is_not(None))))

    @db_errors
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
