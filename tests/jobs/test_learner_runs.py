"""Learners' own trained models: saved per learner, listed newest first, isolated, capped, path-safe; in files when
no database is bound (the functions below), in the cohort database when one is (the tests at the end)."""

import json
from datetime import timedelta

import pytest
import torch

from core.cohort.store import open_store
from core.data.corpora import TextData, split_text
from core.jobs import runs as learner_runs
from core.models.charlm import CharLMConfig, build
from core.training.loop import TrainConfig, evaluate_loss, train

torch.set_num_threads(1)
TEXT = "the cat sat on the mat. the dog sat on the log. " * 30


A, B, C, D = ("a" * 32, "b" * 32, "c" * 32, "d" * 32)  # learner uids


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path))
    monkeypatch.delenv(learner_runs.MAX_RUNS_ENV, raising=False)
    learner_runs.bind(None)
    return tmp_path


def _trained(steps=20):
    torch.manual_seed(0)
    data = TextData.from_text(TEXT)
    model = build(CharLMConfig(kind="gru", vocab_size=len(data.vocab), hidden=16, layers=1, embed=8))
    h = train(model, data, TrainConfig(batch=4, seq_len=16, max_steps=steps, eval_every=10, warmup_steps=2))
    return model, data, h


def _save(learner, model, data, h, **meta):
    tr, va = split_text(TEXT)
    meta = {"title": "cats", "corpus": "upload:cats.txt", "stopped": "finished", **meta}
    return learner_runs.save_run(learner, model, data.vocab, tr, va, h, meta)


def test_saved_run_loads_back_with_the_same_weights_and_loss():
    model, data, h = _trained()
    rec = _save(A, model, data, h, train_config={"lr": 0.002})
    assert rec.owner == A and rec.steps == 20 and rec.stopped == "finished"
    assert rec.val_loss == pytest.approx(h.evals[-1][1])
    assert rec.train_loss == pytest.approx(sum(h.train_loss[-10:]) / 10)
    loaded, vocab, rec2 = learner_runs.load_run(A, rec.run_id)
    assert rec2 == rec and vocab == data.vocab and not loaded.training
    assert evaluate_loss(loaded, data.val)[0] == pytest.approx(rec.val_loss, abs=1e-5)
    assert learner_runs.held_out_text(A, rec.run_id) == split_text(TEXT)[1]
    assert learner_runs.run_history(A, rec.run_id)["steps"][-1] == 20
    assert learner_runs.run_extra(A, rec.run_id) == {"train_config": {"lr": 0.002}}


def test_runs_are_listed_newest_first_and_only_for_their_learner():
    model, data, h = _trained(5)
    a = _save(A, model, data, h, title="first")
    b = _save(A, model, data, h, title="second")
    c = _save(B, model, data, h, title="other")
    assert [r.run_id for r in learner_runs.list_runs(A)] == [b.run_id, a.run_id]
    assert [r.run_id for r in learner_runs.list_runs(B)] == [c.run_id]
    assert learner_runs.list_runs(C) == []
    with pytest.raises(LookupError):
        learner_runs.load_run(A, c.run_id)
    with pytest.raises(KeyError):
        learner_runs.held_out_text(B, a.run_id)


def test_path_like_or_malformed_run_ids_are_refused(state):
    model, data, h = _trained(5)
    rec = _save(A, model, data, h)
    for bad in ["../2/" + rec.run_id, "..", "/etc/passwd", rec.run_id + "/../x", "", "*", rec.run_id.upper()]:
        with pytest.raises(KeyError):
            learner_runs.load_run(A, bad)
    for owner in (-1, "1/../2", "../" + A, A.upper(), A[:-1], True, None):
        with pytest.raises(ValueError):
            learner_runs.list_runs(owner)  # type: ignore[arg-type]


def test_only_the_newest_runs_are_kept(monkeypatch):
    monkeypatch.setenv(learner_runs.MAX_RUNS_ENV, "2")
    model, data, h = _trained(5)
    ids = [_save(D, model, data, h, title=str(i)).run_id for i in range(4)]
    assert [r.run_id for r in learner_runs.list_runs(D)] == ids[:1:-1]


def test_nan_run_records_no_loss_and_unknown_stop_reason_is_refused():
    model, data, h = _trained(5)
    h.train_loss[-1] = float("nan")
    h.evals[-1] = (5, float("inf"))
    rec = _save(A, model, data, h, stopped="nan")
    assert rec.train_loss is None and rec.val_loss is None and rec.stopped == "nan"
    with pytest.raises(ValueError):
        _save(A, model, data, h, stopped="exploded")


def test_a_damaged_run_is_skipped_and_delete_removes_runs(state):
    model, data, h = _trained(5)
    a = _save(A, model, data, h)
    b = _save(A, model, data, h)
    (state / "runs" / A / a.run_id / "record.json").write_text("{not json")
    assert [r.run_id for r in learner_runs.list_runs(A)] == [b.run_id]
    learner_runs.delete_run(A, b.run_id)
    assert learner_runs.list_runs(A) == []
    learner_runs.delete_learner_runs(A)
    assert not (state / "runs" / A).exists()


def test_default_state_dir_is_next_to_the_default_database(monkeypatch):
    from core.cohort.store import DEFAULT_DB

    monkeypatch.delenv(learner_runs.STATE_ENV)
    assert learner_runs.state_dir() == DEFAULT_DB.parent


# ---- in the cohort database -----------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'course.db'}")
    learner_runs.bind(s)
    yield s
    learner_runs.bind(None)
    s.engine.dispose()


def test_with_a_database_bound_runs_live_in_it_and_no_file_is_written(db, state):
    ada, bob = db.create_learner("Ada")[0], db.create_learner("Bob")[0]
    model, data, h = _trained(5)
    rec = _save(ada.uid, model, data, h, train_config={"lr": 0.002})
    assert rec.owner == ada.uid and rec.learner_id == ada.id
    assert not (state / "runs").exists()
    assert [r.run_id for r in learner_runs.list_runs(ada.uid)] == [rec.run_id]
    assert [r.run_id for r in learner_runs.list_runs(ada.id)] == [rec.run_id]  # callers still passing the id
    loaded, vocab, rec2 = learner_runs.load_run(ada.uid, rec.run_id)
    assert rec2 == rec and evaluate_loss(loaded, data.val)[0] == pytest.approx(rec.val_loss, abs=1e-5)
    assert learner_runs.held_out_text(ada.uid, rec.run_id) == split_text(TEXT)[1]
    assert learner_runs.run_extra(ada.uid, rec.run_id) == {"train_config": {"lr": 0.002}}
    assert learner_runs.list_runs(bob.uid) == []
    for call in (learner_runs.load_run, learner_runs.held_out_text, learner_runs.get_record, learner_runs.delete_run):
        with pytest.raises(KeyError):
            call(bob.uid, rec.run_id)
    learner_runs.delete_run(ada.uid, rec.run_id)
    assert learner_runs.list_runs(ada.uid) == []


def test_a_save_for_a_learner_that_no_longer_exists_is_discarded(db):
    ada = db.create_learner("Ada")[0]
    db.delete_learner(ada.id)
    model, data, h = _trained(5)
    assert _save(ada.uid, model, data, h) is None
    assert db.model_records(ada.uid) == []


def test_runs_saved_as_files_before_are_moved_into_the_database_but_never_a_predecessors(db, state):
    model, data, h = _trained(5)
    learner_runs.bind(None)
    old = _save(1, model, data, h, title="a deleted learner's run, saved under a reused id")
    learner_runs.bind(db)
    ada = db.create_learner("Ada")[0]
    assert ada.id == 1
    learner_runs.bind(None)
    mine = _save(1, model, data, h, title="Ada's own run from before the database kept models")
    learner_runs.bind(db)
    path = state / "runs" / "1" / old.run_id / "record.json"
    payload = json.loads(path.read_text())
    payload["record"]["created_at"] = (ada.created_at - timedelta(days=1)).isoformat()
    path.write_text(json.dumps(payload))
    assert [r.title for r in learner_runs.list_runs(ada.uid)] == [mine.title]
    assert learner_runs.held_out_text(ada.uid, mine.run_id) == split_text(TEXT)[1]
    assert not (state / "runs" / "1").exists()
