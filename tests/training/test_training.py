"""The training loop on a tiny model and a tiny made-up text."""

import math

import pytest
import torch

from core.data.corpora import TextData
from core.models.charlm import CharLMConfig, build
from core.training.loop import TrainConfig, TrainingDiverged, evaluate_loss, lr_at, train

torch.set_num_threads(1)
TEXT = "the cat sat on the mat. the dog sat on the log. " * 40


def _setup(kind="lstm"):
    torch.manual_seed(0)
    data = TextData.from_text(TEXT)
    model = build(CharLMConfig(kind=kind, vocab_size=len(data.vocab), hidden=32, layers=1, embed=8))
    return model, data


def test_tiny_run_lowers_the_loss_and_records_everything():
    model, data = _setup()
    before = evaluate_loss(model, data.val)[0]
    cfg = TrainConfig(batch=4, seq_len=16, lr=1e-2, max_steps=60, warmup_steps=5, eval_every=20,
                      sample_every=30, sample_len=20, snapshot_steps=(0, 10, 60))
    seen = []
    h = train(model, data, cfg, on_step=seen.append)
    assert h.stopped == "max_steps" and h.steps[-1] == 60
    assert len(h.train_loss) == len(h.grad_norm) == len(h.lr) == 60
    assert all(g > 0 and math.isfinite(g) for g in h.grad_norm)
    assert [s for s, _ in h.evals] == [20, 40, 60]
    assert h.evals[-1][1] < before - 0.5
    assert [s for s, _ in h.samples] == [30, 60] and all(len(t) == 20 for _, t in h.samples)
    assert sorted(h.snapshots) == [0, 10, 60]
    assert h.snapshots[0]["val_loss"] > h.snapshots[60]["val_loss"]
    assert len(seen) == 60 and seen[19].val_loss is not None and seen[18].val_loss is None
    assert h.chars_seen == 60 * 4 * 16


def test_should_stop_stops_the_loop():
    model, data = _setup()
    calls: list[int] = []
    h = train(model, data, TrainConfig(batch=4, seq_len=16, max_steps=1000, eval_every=0),
              should_stop=lambda: len(calls) >= 5, on_step=lambda info: calls.append(info.step))
    assert h.stopped == "should_stop" and len(h.steps) == 5


def test_absurd_learning_rate_is_detected_with_a_clear_message():
    model, data = _setup("rnn")
    cfg = TrainConfig(batch=4, seq_len=16, lr=1e5, clip=0, warmup_steps=0, max_steps=50, eval_every=0)
    with pytest.raises(TrainingDiverged, match="diverged at step .*learning rate"):
        train(model, data, cfg)
    model, data = _setup("rnn")
    h = train(model, data, TrainConfig(**{**cfg.__dict__, "on_nan": "stop"}))
    assert h.diverged and h.stopped == "diverged" and "Lower the learning rate" in h.message


def test_resume_continues_where_it_stopped():
    model, data = _setup("gru")
    cfg = TrainConfig(batch=4, seq_len=16, max_steps=20, warmup_steps=2, eval_every=0)
    saved, saved_steps = [], []
    straight = train(model, data, cfg)
    model, _ = _setup("gru")
    train(model, data, cfg, should_stop=lambda: len(saved_steps) >= 8,
          on_step=lambda i: saved_steps.append(i.step), on_checkpoint=saved.append)
    model, _ = _setup("gru")
    resumed = train(model, data, cfg, resume=saved[-1])
    assert resumed.steps == straight.steps
    assert resumed.train_loss == pytest.approx(straight.train_loss, rel=1e-4)


def test_learning_rate_warms_up_then_decays():
    cfg = TrainConfig(lr=1.0, warmup_steps=10, max_steps=110, min_lr_fraction=0.1)
    assert lr_at(cfg, 0, 0) == pytest.approx(0.1)
    assert lr_at(cfg, 10, 0) == pytest.approx(1.0, rel=0.03)
    assert lr_at(cfg, 110, 0) == pytest.approx(0.1)


def test_learning_rate_must_be_positive_and_finite():
    for bad in (0, -1.0, float("nan"), float("inf"), 1e30):
        with pytest.raises(ValueError, match="Learning rate"):
            TrainConfig(lr=bad)
