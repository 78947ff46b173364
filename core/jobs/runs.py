"""Models that learners train in the app: per run the weights, a record with the history, and the validation text
held out at training time. Kept in the cohort database once a store is bound (core.jobs.bound: the app and the
workers bind theirs), so every replica serves them; otherwise (command lines, tests without a database) in files under the state folder,
one folder per learner named by their uid.

Nothing here is shared between learners: every call names the learner, by their `uid` (a database id is accepted
from callers not yet moved to uids: neither ever comes back after a deletion), and a run id is checked against a
strict pattern before it is used, so another learner's runs (or any other path) cannot be named.
"""

from __future__ import annotations

import hashlib
import io
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

from core import logs, settings
from core.cohort.store import Store
from core.data.corpora import Vocab
from core.jobs import bound as bound_store
from core.models.charlm import CharLM, CharLMConfig, build

STATE_ENV = "RNN_COURSE_STATE_DIR"
MAX_RUNS_ENV = "RNN_COURSE_MAX_RUNS"
DEFAULT_MAX_RUNS = 5  # runs kept per learner; saving one more deletes the oldest
FORMAT = 1
STOPPED = ("finished", "stopped", "budget", "nan")
_RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{12}$")  # time stamp + 48 random bits: sortable, unguessable
_UID = re.compile(r"^[0-9a-f]{32}$")
_TRAIN_TAIL = 10  # the reported train loss is the mean of the last 10 training batches
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
log = logs.get("jobs")

Owner = str | int  # a learner's uid, or (callers not yet moved) their database id


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
    owner: str = ""  # the learner's uid


def bind(store: Store | None) -> None:
    """Keep runs in this database from now on (None: back to files); see core.jobs.bound."""
    bound_store.bind(store)


def bound() -> Store | None:
    return bound_store.store()


def state_dir() -> Path:
    """$RNN_COURSE_STATE_DIR, else the folder of the default SQLite database (.course-data/)."""
    return settings.get(STATE_ENV)


def max_runs() -> int:
    try:
        return settings.get(MAX_RUNS_ENV)
    except settings.SettingError:
        return DEFAULT_MAX_RUNS


def _owner(owner: Owner) -> str:
    """The folder name (and lock key) of a learner: their uid, or a non-negative database id."""
    if isinstance(owner, str) and _UID.match(owner):
        return owner
    if isinstance(owner, int) and not isinstance(owner, bool) and owner >= 0:
        return str(owner)
    raise ValueError(f"A learner is named by their uid (32 hex digits) or id, got {owner!r}.")


def _check_run_id(run_id: str) -> None:
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise KeyError(f"No run {run_id!r} for this learner.")


def _learner_dir(owner: Owner) -> Path:
    return state_dir() / "runs" / _owner(owner)


def _run_dir(owner: Owner, run_id: str) -> Path:
    _check_run_id(run_id)
    path = _learner_dir(owner) / run_id
    if not (path / "record.json").is_file():
        raise KeyError(f"No run {run_id!r} for this learner.")
    return path


def _lock(owner: Owner) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(_owner(owner), threading.Lock())


def _finite(x: float | None) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def _new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(6)


def _jsonable(d: dict) -> dict:
    try:
        json.dumps(d)
        return d
    except (TypeError, ValueError):
        return {k: v if isinstance(v, (str, int, float, bool, type(None))) else repr(v) for k, v in d.items()}


def _weights_bytes(model, vocab: Vocab) -> bytes:
    weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    buf = io.BytesIO()
    torch.save({"format": FORMAT, "config": model.cfg.to_dict(), "vocab": vocab.chars, "state_dict": weights}, buf)
    return buf.getvalue()


def save_run(owner: Owner, model, vocab: Vocab, train_text: str, val_text: str, history, meta: dict,
             job_id: str | None = None) -> RunRecord | None:
    """Store a trained model for one learner and return its record; None when it was thrown away because the
    learner (or, with `job_id`, the job that trained it) no longer exists. `history` is a
    core.training.loop.History (or None); `meta` holds "title", "corpus", "stopped" and any extra settings to keep."""
    stopped = meta.get("stopped", "finished")
    if stopped not in STOPPED:
        raise ValueError(f"stopped must be one of {STOPPED}, got {stopped!r}.")
    steps = int(history.steps[-1]) if history is not None and history.steps else int(meta.get("steps", 0))
    train_loss = val_loss = None
    hist_dict = None
    if history is not None:
        tail = history.train_loss[-_TRAIN_TAIL:]
        train_loss = _finite(sum(tail) / len(tail)) if tail else None
        val_loss = _finite(history.evals[-1][1]) if history.evals else None
        hist_dict = history.to_dict(with_snapshots=False)
    record = RunRecord(
        run_id=_new_run_id(), learner_id=owner if isinstance(owner, int) else 0,
        title=str(meta.get("title") or "My model")[:120], corpus=str(meta.get("corpus", "upload:text"))[:200],
        text_sha256=hashlib.sha256((train_text + val_text).encode("utf-8")).hexdigest(), config=model.cfg.to_dict(),
        steps=steps, train_loss=train_loss, val_loss=val_loss,
        created_at=datetime.now(UTC).isoformat(timespec="microseconds"), stopped=stopped,
        owner=owner if isinstance(owner, str) else "")
    extra = _jsonable({k: v for k, v in meta.items() if k not in ("title", "corpus", "stopped", "steps")})
    weights = _weights_bytes(model, vocab)
    store = bound()
    if store is not None:
        saved = store.save_model(owner, record.run_id, asdict(record), hist_dict, extra, val_text, weights,
                                  keep=max_runs(), job_id=job_id)
        return None if saved is None else RunRecord(**saved.record)
    return _save_files(owner, record, hist_dict, extra, val_text, weights)


def _save_files(owner: Owner, record: RunRecord, hist_dict: dict | None, extra: dict, val_text: str,
                weights: bytes) -> RunRecord:
    base = _learner_dir(owner)
    with _lock(owner):
        base.mkdir(parents=True, exist_ok=True)
        tmp = base / f".tmp-{record.run_id}"
        tmp.mkdir()
        (tmp / "model.pt").write_bytes(weights)
        (tmp / "val.txt").write_text(val_text, encoding="utf-8")
        payload = {"format": FORMAT, "record": asdict(record), "history": hist_dict, "extra": extra}
        (tmp / "record.json").write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, base / record.run_id)  # a run appears whole or not at all
        for old in _file_records(owner)[max_runs():]:
            shutil.rmtree(base / old.run_id, ignore_errors=True)
    return record


def _read(path: Path) -> dict:
    return json.loads((path / "record.json").read_text(encoding="utf-8"))


def _file_records(owner: Owner) -> list[RunRecord]:
    base = _learner_dir(owner)
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
        out.append(rec)
    return sorted(out, key=lambda r: (r.created_at, r.run_id), reverse=True)


def _import_legacy(store: Store, owner: Owner) -> None:
    """Runs saved as files before models moved into the database (runs/<learner id>/ or runs/<uid>/) are moved in.
    Only runs made after the learner signed up are taken: a folder named by an id that SQLite handed out again
    before ids became permanent may hold a deleted learner's runs, and those are deleted, never shown."""
    found = store.model_owner(owner)
    if found is None:
        return
    learner_id, uid, created = found
    for base in (state_dir() / "runs" / str(learner_id), state_dir() / "runs" / uid):
        if not base.is_dir():
            continue
        with _lock(uid):
            for path in sorted(p for p in base.iterdir() if _RUN_ID.match(p.name)):
                try:
                    payload = _read(path)
                    rec = RunRecord(**payload["record"])
                    if datetime.fromisoformat(rec.created_at).astimezone(UTC) >= created:
                        store.save_model(uid, rec.run_id, asdict(rec), payload.get("history"),
                                         payload.get("extra") or {}, (path / "val.txt").read_text(encoding="utf-8"),
                                         (path / "model.pt").read_bytes(), keep=max_runs())
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    log.warning("Skipped an unreadable saved run %s: %s", path.name, exc)
            shutil.rmtree(base, ignore_errors=True)
        log.info("Moved learner %s's saved runs from %s into the database.", learner_id, base)


def list_runs(owner: Owner) -> list[RunRecord]:
    """This learner's runs, newest first."""
    _owner(owner)
    store = bound()
    if store is None:
        return _file_records(owner)
    if (state_dir() / "runs").is_dir():
        _import_legacy(store, owner)
    return [RunRecord(**m.record) for m in store.model_records(owner)]


def _payload(owner: Owner, run_id: str) -> dict:
    """{"record", "history", "extra"} of one run; KeyError for a run this learner does not own."""
    _owner(owner)
    _check_run_id(run_id)
    store = bound()
    if store is None:
        return _read(_run_dir(owner, run_id))
    m = store.model(owner, run_id)
    return {"record": m.record, "history": m.history, "extra": m.extra}


def get_record(owner: Owner, run_id: str) -> RunRecord:
    return RunRecord(**_payload(owner, run_id)["record"])


def run_history(owner: Owner, run_id: str) -> dict | None:
    """The run's training history as a dict (steps, train_loss, evals, samples, ...), None if not stored."""
    return _payload(owner, run_id).get("history")


def run_extra(owner: Owner, run_id: str) -> dict:
    """The extra settings saved with the run (training config, budget, elapsed time)."""
    return _payload(owner, run_id).get("extra") or {}


def load_run(owner: Owner, run_id: str) -> tuple[CharLM, Vocab, RunRecord]:
    """(model in eval mode on the CPU, vocabulary, record); KeyError for an id this learner does not own."""
    rec = get_record(owner, run_id)
    store = bound()
    if store is None:
        blob = (_run_dir(owner, run_id) / "model.pt").read_bytes()
    else:
        blob = store.model_weights(owner, run_id)
    payload = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    model = build(CharLMConfig(**payload["config"]))
    model.load_state_dict(payload["state_dict"])
    model.eval()
    return model, Vocab(payload["vocab"]), rec


def held_out_text(owner: Owner, run_id: str) -> str:
    """The validation split stored when the run was trained."""
    _owner(owner)
    _check_run_id(run_id)
    store = bound()
    if store is None:
        return (_run_dir(owner, run_id) / "val.txt").read_text(encoding="utf-8")
    return store.model_held_out(owner, run_id)


def delete_run(owner: Owner, run_id: str) -> None:
    """Delete one run (with its leaderboard entry, in the database); KeyError if the learner has no such run."""
    _owner(owner)
    _check_run_id(run_id)
    store = bound()
    if store is None:
        path = _run_dir(owner, run_id)
        with _lock(owner):
            shutil.rmtree(path, ignore_errors=True)
    elif not store.delete_model(owner, run_id):
        raise KeyError(f"No run {run_id!r} for this learner.")


def delete_learner_runs(owner: Owner) -> None:
    """Remove every run of one learner (for 'delete my data'), wherever it is kept."""
    store = bound()
    if store is not None:
        found = store.model_owner(owner)
        store.delete_models(owner)
        if found is not None:  # files from before the database kept models, under either name
            for name in (str(found[0]), found[1]):
                shutil.rmtree(state_dir() / "runs" / name, ignore_errors=True)
    with _lock(owner):
        shutil.rmtree(_learner_dir(owner), ignore_errors=True)
