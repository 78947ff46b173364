"""Models that learners train in the app: one folder per learner under the state directory, one sub-folder per
run (weights, a JSON record with the history, and the validation text held out at training time).

Nothing here is shared between learners: every call takes the learner's id, and a run id is checked against a
strict pattern before it touches the file system, so another learner's runs (or any other path) cannot be named.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import shutil
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import torch

from core import settings
from core.data.corpora import Vocab
from core.models.charlm import CharLM, CharLMConfig, build

STATE_ENV = "RNN_COURSE_STATE_DIR"
MAX_RUNS_ENV = "RNN_COURSE_MAX_RUNS"
DEFAULT_MAX_RUNS = 5  # runs kept per learner; saving one more deletes the oldest
FORMAT = 1
STOPPED = ("finished", "stopped", "budget", "nan")
_RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{12}$")  # time stamp + 48 random bits: sortable, unguessable
_TRAIN_TAIL = 10  # the reported train loss is the mean of the last 10 training batches
_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    learner_id: int
    title: str
    corpus: str  # built-in corpus name or "upload:<filename>"
    text_sha256: str  # of train_text + val_text
    config: dict  # CharLMConfig as dict
    steps: int
    train_loss: float | None  # nats/char at the end of training (mean of the last training batches)
    val_loss: float | None  # nats/char on the held-out text at the end of training
    created_at: str  # ISO UTC
    stopped: str  # "finished" | "stopped" | "budget" | "nan"


def state_dir() -> Path:
    """$RNN_COURSE_STATE_DIR, else the folder of the default SQLite database (.course-data/)."""
    return settings.get(STATE_ENV)


def max_runs() -> int:
    try:
        return settings.get(MAX_RUNS_ENV)
    except settings.SettingError:
        return DEFAULT_MAX_RUNS


def _learner_dir(learner_id: int) -> Path:
    if not isinstance(learner_id, int) or isinstance(learner_id, bool) or learner_id < 0:
        raise ValueError(f"learner_id must be a non-negative integer, got {learner_id!r}.")
    return state_dir() / "runs" / str(learner_id)


def _run_dir(learner_id: int, run_id: str) -> Path:
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise KeyError(f"No run {run_id!r} for this learner.")
    path = _learner_dir(learner_id) / run_id
    if not (path / "record.json").is_file():
        raise KeyError(f"No run {run_id!r} for this learner.")
    return path


def _lock(learner_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(learner_id, threading.Lock())


def _finite(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def _new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(6)


def save_run(
    learner_id: int, model, vocab: Vocab, train_text: str, val_text: str, history, meta: dict
) -> RunRecord:
    """Store a trained model for one learner and return its record. `history` is a core.training.loop.History (or
    None); `meta` holds "title", "corpus", "stopped" and any extra settings to keep (e.g. the TrainConfig)."""
    stopped = meta.get("stopped", "finished")
    if stopped not in STOPPED:
        raise ValueError(f"stopped must be one of {STOPPED}, got {stopped!r}.")
    cfg: CharLMConfig = model.cfg
    steps = int(history.steps[-1]) if history is not None and history.steps else int(meta.get("steps", 0))
    train_loss = val_loss = None
    hist_dict = None
    if history is not None:
        tail = history.train_loss[-_TRAIN_TAIL:]
        train_loss = _finite(sum(tail) / len(tail)) if tail else None
        val_loss = _finite(history.evals[-1][1]) if history.evals else None
        hist_dict = history.to_dict(with_snapshots=False)
    record = RunRecord(
        run_id=_new_run_id(),
        learner_id=learner_id,
        title=str(meta.get("title") or "My model")[:120],
        corpus=str(meta.get("corpus", "upload:text"))[:200],
        text_sha256=hashlib.sha256((train_text + val_text).encode("utf-8")).hexdigest(),
        config=cfg.to_dict(),
        steps=steps,
        train_loss=train_loss,
        val_loss=val_loss,
        created_at=datetime.now(UTC).isoformat(timespec="microseconds"),
        stopped=stopped,
    )
    extra = {k: v for k, v in meta.items() if k not in ("title", "corpus", "stopped", "steps")}
    base = _learner_dir(learner_id)
    with _lock(learner_id):
        base.mkdir(parents=True, exist_ok=True)
        tmp = base / f".tmp-{record.run_id}"
        tmp.mkdir()
        weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        torch.save({"format": FORMAT, "config": cfg.to_dict(), "vocab": vocab.chars, "state_dict": weights},
                   tmp / "model.pt")
        (tmp / "val.txt").write_text(val_text, encoding="utf-8")
        payload = {"format": FORMAT, "record": asdict(record), "history": hist_dict, "extra": _jsonable(extra)}
        (tmp / "record.json").write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, base / record.run_id)  # a run appears whole or not at all
        for old in _records(learner_id)[max_runs():]:
            shutil.rmtree(base / old.run_id, ignore_errors=True)
    return record


def _jsonable(d: dict) -> dict:
    try:
        json.dumps(d)
        return d
    except (TypeError, ValueError):
        return {k: v if isinstance(v, (str, int, float, bool, type(None))) else repr(v) for k, v in d.items()}


def _read(path: Path) -> dict:
    return json.loads((path / "record.json").read_text(encoding="utf-8"))


def _records(learner_id: int) -> list[RunRecord]:
    base = _learner_dir(learner_id)
    if not base.is_dir():
        return []
    out = []
    for path in base.iterdir():
        if not _RUN_ID.match(path.name):
            continue
        try:
            rec = RunRecord(**_read(path)["record"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a damaged run is skipped, never shown half-read
        if rec.learner_id == learner_id:
            out.append(rec)
    return sorted(out, key=lambda r: (r.created_at, r.run_id), reverse=True)


def list_runs(learner_id: int) -> list[RunRecord]:
    """This learner's runs, newest first."""
    return _records(learner_id)


def get_record(learner_id: int, run_id: str) -> RunRecord:
    rec = RunRecord(**_read(_run_dir(learner_id, run_id))["record"])
    if rec.learner_id != learner_id:
        raise KeyError(f"No run {run_id!r} for this learner.")
    return rec


def run_history(learner_id: int, run_id: str) -> dict | None:
    """The run's training history as a dict (steps, train_loss, evals, samples, ...), None if not stored."""
    return _read(_run_dir(learner_id, run_id)).get("history")


def run_extra(learner_id: int, run_id: str) -> dict:
    """The extra settings saved with the run (training config, budget, elapsed time)."""
    return _read(_run_dir(learner_id, run_id)).get("extra") or {}


def load_run(learner_id: int, run_id: str) -> tuple[CharLM, Vocab, RunRecord]:
    """(model in eval mode on the CPU, vocabulary, record); KeyError for an id this learner does not own."""
    rec = get_record(learner_id, run_id)
    payload = torch.load(_run_dir(learner_id, run_id) / "model.pt", map_location="cpu", weights_only=True)
    cfg = CharLMConfig(**payload["config"])
    vocab = Vocab(payload["vocab"])
    model = build(cfg)
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, vocab, rec


def held_out_text(learner_id: int, run_id: str) -> str:
    """The validation split stored when the run was trained."""
    return (_run_dir(learner_id, run_id) / "val.txt").read_text(encoding="utf-8")


def delete_run(learner_id: int, run_id: str) -> None:
    path = _run_dir(learner_id, run_id)
    with _lock(learner_id):
        shutil.rmtree(path, ignore_errors=True)


def delete_learner_runs(learner_id: int) -> None:
    """Remove every run of one learner (for 'delete my data')."""
    with _lock(learner_id):
        shutil.rmtree(_learner_dir(learner_id), ignore_errors=True)
