"""Learners' own trained models: saved per learner, listed newest first, isolated, capped, path-safe."""

import pytest
import torch

from core.data.corpora import TextData, split_text
from core.jobs import runs as learner_runs
from core.models.charlm import CharLMConfig, build
from core.training.loop import TrainConfig, evaluate_loss, train

torch.set_num_threads(1)
TEXT = "the cat sat on the mat. the dog sat on the log. " * 30


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv(learner_runs.STATE_ENV, str(tmp_path))
    monkeypatch.delenv(learner_runs.MAX_RUNS_ENV, raising=False)
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
    rec = _save(7, model, data, h, train_config={"lr": 0.002})
    assert rec.learner_id == 7 and rec.steps == 20 and rec.stopped == "finished"
    assert rec.val_loss == pytest.approx(h.evals[-1][1])
    assert rec.train_loss == pytest.approx(sum(h.train_loss[-10:]) / 10)
    loaded, vocab, rec2 = learner_runs.load_run(7, rec.run_id)
    assert rec2 == rec and vocab == data.vocab and not loaded.training
    assert evaluate_loss(loaded, data.val)[0] == pytest.approx(rec.val_loss, abs=1e-5)
    assert learner_runs.held_out_text(7, rec.run_id) == split_text(TEXT)[1]
    assert learner_runs.run_history(7, rec.run_id)["steps"][-1] == 20
    assert learner_runs.run_extra(7, rec.run_id) == {"train_config": {"lr": 0.002}}


def test_runs_are_listed_newest_first_and_only_for_their_learner():
    model, data, h = _trained(5)
    a = _save(1, model, data, h, title="first")
    b = _save(1, model, data, h, title="second")
    c = _save(2, model, data, h, title="other")
    assert [r.run_id for r in learner_runs.list_runs(1)] == [b.run_id, a.run_id]
    assert [r.run_id for r in learner_runs.list_runs(2)] == [c.run_id]
    assert learner_runs.list_runs(3) == []
    with pytest.raises(LookupError):
        learner_runs.load_run(1, c.run_id)
    with pytest.raises(KeyError):
        learner_runs.held_out_text(2, a.run_id)


def test_path_like_or_malformed_run_ids_are_refused(state):
    model, data, h = _trained(5)
    rec = _save(1, model, data, h)
    for bad in ["../2/" + rec.run_id, "..", "/etc/passwd", rec.run_id + "/../x", "", "*", rec.run_id.upper()]:
        with pytest.raises(KeyError):
            learner_runs.load_run(1, bad)
    with pytest.raises(ValueError):
        learner_runs.list_runs(-1)
    with pytest.raises(ValueError):
        learner_runs.list_runs("1/../2")  # type: ignore[arg-type]


def test_only_the_newest_runs_are_kept(monkeypatch):
    monkeypatch.setenv(learner_runs.MAX_RUNS_ENV, "2")
    model, data, h = _trained(5)
    ids = [_save(4, model, data, h, title=str(i)).run_id for i in range(4)]
    assert [r.run_id for r in learner_runs.list_runs(4)] == ids[:1:-1]


def test_nan_run_records_no_loss_and_unknown_stop_reason_is_refused():
    model, data, h = _trained(5)
    h.train_loss[-1] = float("nan")
    h.evals[-1] = (5, float("inf"))
    rec = _save(1, model, data, h, stopped="nan")
    assert rec.train_loss is None and rec.val_loss is None and rec.stopped == "nan"
    with pytest.raises(ValueError):
        _save(1, model, data, h, stopped="exploded")


def test_a_damaged_run_is_skipped_and_delete_removes_runs(state):
    model, data, h = _trained(5)
    a = _save(1, model, data, h)
    b = _save(1, model, data, h)
    (state / "runs" / "1" / a.run_id / "record.json").write_text("{not json")
    assert [r.run_id for r in learner_runs.list_runs(1)] == [b.run_id]
    learner_runs.delete_run(1, b.run_id)
    assert learner_runs.list_runs(1) == []
    learner_runs.delete_learner_runs(1)
    assert not (state / "runs" / "1").exists()


def test_default_state_dir_is_next_to_the_default_database(monkeypatch):
    from core.cohort.store import DEFAULT_DB

    monkeypatch.delenv(learner_runs.STATE_ENV)
    assert learner_runs.state_dir() == DEFAULT_DB.parent
