"""Learners' trained models in the database, so that every replica serves them: weights, record, history and the
held-out text, one row per run, deleted with the learner.

A model is saved only while its learner exists and, when it comes from a training job, while that job exists: a
run that finishes after its learner pressed "Delete my data" is thrown away in the same transaction that would have
stored it. Deleting a model takes its server measurement (and so its leaderboard entry) with it, so no leaderboard
row ever points at a model that is gone; keeping only the newest models never deletes one on the leaderboard."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.cohort.db import Repository, as_utc, db_errors, utc_now
from core.cohort.jobs import owner_filter, serialise
from core.cohort.tables import CapstoneResult, Learner, LearnerModel, NeuronFinding, TrainingJob


@dataclass(frozen=True)
class StoredModel:
    run_id: str
    learner_id: int
    owner_uid: str
    record: dict
    history: dict | None
    extra: dict


def _drop_runs(s: Session, learner_id: int, run_ids: list[str]) -> None:
    """Delete models and what measured them (leaderboard entries, neuron findings)."""
    if not run_ids:
        return
    s.execute(delete(LearnerModel).where(LearnerModel.learner_id == learner_id, LearnerModel.run_id.in_(run_ids)))
    for table in (CapstoneResult, NeuronFinding):
        s.execute(delete(table).where(table.learner_id == learner_id, table.run_id.in_(run_ids)))


class ModelRepository(Repository):
    """Reads and writes of learners' trained models; every call names the learner (uid, or database id)."""

    @db_errors
    def save_model(self, owner: str | int, run_id: str, record: dict, history: dict | None, extra: dict,
                   val_text: str, weights: bytes, keep: int, job_id: str | None = None) -> StoredModel | None:
        """Store one run and keep only the learner's `keep` newest. None (nothing stored) when the learner, or the
        job that trained it, no longer exists."""
        with self._tx() as s:
            serialise(s)
            learner = s.scalar(select(Learner).where(owner_filter(owner)))
            job_gone = job_id is not None and s.scalar(select(TrainingJob.id).where(TrainingJob.id == job_id)) is None
            if learner is None or job_gone:
                return None
            record = {**record, "learner_id": learner.id, "owner": learner.uid}
            s.add(LearnerModel(run_id=run_id, learner_id=learner.id, created_at=utc_now(), record=json.dumps(record),
                               history=None if history is None else json.dumps(history), extra=json.dumps(extra),
                               val_text=val_text, weights=weights, size_bytes=len(weights)))
            s.flush()
            older = list(s.scalars(select(LearnerModel.run_id).where(LearnerModel.learner_id == learner.id)
                                   .order_by(LearnerModel.created_at.desc(), LearnerModel.run_id.desc())
                                   .offset(max(1, keep))))
            on_board = set(s.scalars(select(CapstoneResult.run_id).where(CapstoneResult.learner_id == learner.id,
                                                                         CapstoneResult.category.is_not(None))))
            _drop_runs(s, learner.id, [r for r in older if r not in on_board])  # a leaderboard entry keeps its model
            return StoredModel(run_id, learner.id, learner.uid, record, history, extra)

    @db_errors
    def model_owner(self, owner: str | int) -> tuple[int, str, datetime] | None:
        """(database id, uid, created_at) of the learner, or None when there is no such learner."""
        with self._tx() as s:
            row = s.execute(select(Learner.id, Learner.uid, Learner.created_at).where(owner_filter(owner))).first()
            return None if row is None else (row[0], row[1], as_utc(row[2]))

    @db_errors
    def model_count(self, owner: str | int) -> int:
        """How many models the learner has saved (one cheap query: a step of a path counts on it)."""
        with self._tx() as s:
            return s.scalar(select(func.count(LearnerModel.run_id))
                            .join(Learner, Learner.id == LearnerModel.learner_id).where(owner_filter(owner))) or 0

    @db_errors
    def model_records(self, owner: str | int) -> list[StoredModel]:
        """The learner's models, newest first (records only: no weights, no text)."""
        with self._tx() as s:
            rows = s.execute(select(LearnerModel.run_id, LearnerModel.learner_id, Learner.uid, LearnerModel.record,
                                    LearnerModel.extra)
                             .join(Learner, Learner.id == LearnerModel.learner_id).where(owner_filter(owner))
                             .order_by(LearnerModel.created_at.desc(), LearnerModel.run_id.desc()))
            return [StoredModel(r, i, u, json.loads(rec), None, json.loads(ex)) for r, i, u, rec, ex in rows]

    def _one(self, s: Session, owner: str | int, run_id: str, *columns):  # noqa: ANN202
        row = s.execute(select(*columns).join(Learner, Learner.id == LearnerModel.learner_id)
                        .where(owner_filter(owner), LearnerModel.run_id == run_id)).first()
        if row is None:
            raise KeyError(f"No run {run_id!r} for this learner.")
        return row

    @db_errors
    def model(self, owner: str | int, run_id: str) -> StoredModel:
        """One model's record, history and extra settings; KeyError if the learner has no such run."""
        with self._tx() as s:
            r = self._one(s, owner, run_id, LearnerModel.learner_id, Learner.uid, LearnerModel.record,
                          LearnerModel.history, LearnerModel.extra)
            return StoredModel(run_id, r[0], r[1], json.loads(r[2]), json.loads(r[3]) if r[3] else None,
                               json.loads(r[4]))

    @db_errors
    def model_weights(self, owner: str | int, run_id: str) -> bytes:
        with self._tx() as s:
            return bytes(self._one(s, owner, run_id, LearnerModel.weights)[0])

    @db_errors
    def model_held_out(self, owner: str | int, run_id: str) -> str:
        with self._tx() as s:
            return self._one(s, owner, run_id, LearnerModel.val_text)[0]

    @db_errors
    def delete_model(self, owner: str | int, run_id: str) -> bool:
        """Delete one of the learner's models (and its leaderboard entry); False if there was none."""
        with self._tx() as s:
            learner_id = s.scalar(select(Learner.id).where(owner_filter(owner)))
            if learner_id is None:
                return False
            owned = s.scalar(select(LearnerModel.run_id).where(LearnerModel.run_id == run_id,
                                                               LearnerModel.learner_id == learner_id))
            if owned is None:
                return False
            _drop_runs(s, learner_id, [run_id])
            return True

    @db_errors
    def delete_models(self, owner: str | int) -> int:
        """Delete all of the learner's models; returns how many there were."""
        with self._tx() as s:
            learner_id = s.scalar(select(Learner.id).where(owner_filter(owner)))
            if learner_id is None:
                return 0
            runs = list(s.scalars(select(LearnerModel.run_id).where(LearnerModel.learner_id == learner_id)))
            _drop_runs(s, learner_id, runs)
            return len(runs)

    def _export_models(self, learner_id: int) -> list[dict]:
        with self._tx() as s:
            rows = s.execute(select(LearnerModel.record, LearnerModel.size_bytes)
                             .where(LearnerModel.learner_id == learner_id).order_by(LearnerModel.created_at))
            return [{**json.loads(rec), "weights_bytes": size} for rec, size in rows]

    def _delete_models(self, s: Session, learner_id: int) -> None:
        s.execute(delete(LearnerModel).where(LearnerModel.learner_id == learner_id))
