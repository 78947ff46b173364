"""The capstone (module 10): server-measured results and the cohort leaderboard with its moderation, badges,
neuron findings, cohort statistics, and the learner's own capstone export and deletion.

Builds on the gallery repository (samples, likes, votes, peer review), whose rows the statistics, export and
deletion cover too."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.cohort.db import StoreError, as_utc, db_errors, utc_now
from core.cohort.gallery import GalleryRepository
from core.cohort.learners import cohort_members
from core.cohort.tables import (
    BadgeAward,
    CapstoneResult,
    ChallengeVote,
    GallerySample,
    Learner,
    NeuronFinding,
    ReviewAssignment,
    SampleLike,
)
from core.metrics import PerCharLoss


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


def _result(r: CapstoneResult) -> ResultRecord:
    return ResultRecord(r.id, r.run_id, r.title, r.corpus, json.loads(r.config), r.loss, r.chars,
                        r.unigram_perplexity, r.sample, as_utc(r.evaluated_at), r.category, r.track,
                        as_utc(r.submitted_at) if r.submitted_at else None, bool(r.hidden), r.hidden_reason)


class CapstoneRepository(GalleryRepository):
    """Reads and writes of capstone results, the leaderboard, badges and neuron findings (and the gallery)."""

    # ---- server-measured results and the leaderboard -----------------------------------------------------------

    @db_errors
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
            row.sample, row.evaluated_at = sample[:4000], utc_now()
            s.flush()
            return _result(row)

    @db_errors
    def my_results(self, learner_id: int) -> list[ResultRecord]:
        """This learner's measured runs, best (lowest loss) first, with leaderboard and moderation state."""
        with self._tx() as s:
            rows = s.scalars(select(CapstoneResult).where(CapstoneResult.learner_id == learner_id)
                             .order_by(CapstoneResult.loss, CapstoneResult.id))
            return [_result(r) for r in rows]

    @db_errors
    def submit_result(self, learner_id: int, run_id: str, category: str, track: str | None = None) -> None:
        """Put the learner's measured run on the leaderboard of `category`. Only a measured run can be submitted:
        the numbers on the board are the server's, never the learner's."""
        with self._tx() as s:
            row = s.scalar(select(CapstoneResult).where(CapstoneResult.learner_id == learner_id,
                                                        CapstoneResult.run_id == run_id))
            if row is None:
                raise StoreError("Measure this run on its held-out split first; only measured runs can be submitted.")
            row.category, row.track, row.submitted_at = category[:64], (track or None), utc_now()

    @db_errors
    def withdraw_result(self, learner_id: int, run_id: str) -> None:
        with self._tx() as s:
            row = s.scalar(select(CapstoneResult).where(CapstoneResult.learner_id == learner_id,
                                                        CapstoneResult.run_id == run_id))
            if row is not None:
                row.category, row.track, row.submitted_at = None, None, None

    @db_errors
    def leaderboard(self, viewer_id: int, category: str) -> list[LeaderRow]:
        """COHORT: the best visible submitted result per learner of the viewer's cohort in one category, ranked by
        the server-measured loss. Names are display names; no learner ids, hidden entries never appear."""
        with self._tx() as s:
            rows = s.execute(
                select(CapstoneResult, Learner.display_name)
                .join(Learner, Learner.id == CapstoneResult.learner_id)
                .where(CapstoneResult.learner_id.in_(cohort_members(s, viewer_id)),
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

    @db_errors
    def leaderboard_categories(self, viewer_id: int) -> list[str]:
        """COHORT: categories with at least one visible entry in the viewer's cohort."""
        with self._tx() as s:
            return sorted(c for c in s.scalars(
                select(CapstoneResult.category).distinct()
                .where(CapstoneResult.learner_id.in_(cohort_members(s, viewer_id)),
                       CapstoneResult.category.is_not(None), CapstoneResult.hidden.is_(False))) if c)

    @db_errors
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
                     "submitted_at": as_utc(r.submitted_at).isoformat() if r.submitted_at else "",
                     "hidden": bool(r.hidden), "reason": r.hidden_reason or "", "sample": r.sample}
                    for r, name, cohort in s.execute(query)]

    @db_errors
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
            row.hidden, row.hidden_reason, row.moderated_at = bool(hidden), reason or None, utc_now()

    # ---- badges and neuron findings ----------------------------------------------------------------------------

    @db_errors
    def award_badges(self, learner_id: int, earned: dict[str, str]) -> list[str]:
        """Record badges (id -> evidence) the rules in core.capstone.projects found earned; returns the newly awarded ids.
        An award is kept once made."""
        with self._tx() as s:
            have = set(s.scalars(select(BadgeAward.badge_id).where(BadgeAward.learner_id == learner_id)))
            new = [b for b in earned if b not in have]
            for badge_id in new:
                s.add(BadgeAward(learner_id=learner_id, badge_id=badge_id[:32], evidence=earned[badge_id][:500],
                                 awarded_at=utc_now()))
            return new

    @db_errors
    def badges(self, learner_id: int) -> dict[str, BadgeRecord]:
        with self._tx() as s:
            rows = s.scalars(select(BadgeAward).where(BadgeAward.learner_id == learner_id)
                             .order_by(BadgeAward.awarded_at, BadgeAward.id))
            return {r.badge_id: BadgeRecord(r.badge_id, r.evidence, as_utc(r.awarded_at)) for r in rows}

    @db_errors
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
            row.created_at = utc_now()

    @db_errors
    def neuron_findings(self, learner_id: int) -> list[FindingRecord]:
        with self._tx() as s:
            rows = s.scalars(select(NeuronFinding).where(NeuronFinding.learner_id == learner_id)
                             .order_by(NeuronFinding.created_at, NeuronFinding.id))
            return [FindingRecord(r.run_id, r.layer, r.neuron, r.feature, r.correlation, r.label,
                                  as_utc(r.created_at)) for r in rows]

    @db_errors
    def cohort_capstone_stats(self, viewer_id: int) -> dict[str, float]:
        """COHORT, aggregate only: learners in the viewer's cohort, badges per learner, and how many learners
        have reached each capstone step recorded in the store (counts, never who)."""
        with self._tx() as s:
            members = cohort_members(s, viewer_id)
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

    # ---- the learner's own export and deletion -----------------------------------------------------------------

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
