"""Module 9's track comparison: line counts, measured speeds, and honest detection of Track C."""

import importlib.util

from core.lessons import bughunts, tracks

SNIPPET = '''"""Module docstring."""

import os  # a comment


def f(x):
    """Docstring."""
    # only a comment
    return (x +
            1)
'''


def test_code_lines_skips_blanks_comments_and_docstrings():
    assert tracks.code_lines(SNIPPET) == 4  # import, def, and the two lines of the return


def test_sources_are_the_running_code():
    src = tracks.sources()
    assert "def backward(p: Params, cache: dict)" in src["A"]
    assert "class TorchCharLM" in src["B"] and "def train(" in src["B"]
    assert "local_files_only=True" in src["C"]
    assert 80 <= tracks.code_lines(src["A"]) <= 110  # "about 100 lines"


def test_speeds_are_measured_and_positive():
    text = bughunts.BUILTIN_TEXT
    assert tracks.numpy_speed(text, hidden=16, steps=5) > 0
    assert tracks.torch_speed(text, hidden=16, steps=2, batch=4, seq_len=16) > 0


def test_track_c_is_detected_not_assumed(monkeypatch):
    ok, why = tracks.hf_status()
    if importlib.util.find_spec("transformers") is None:
        assert not ok and "not installed" in why
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    ok, why = tracks.hf_status()
    assert not ok and "not installed" in why


def test_track_a_live_run_records_every_step_and_samples_at_the_start_and_each_quarter():
    seen = []
    run = tracks.NumpyRun(hidden=8, steps=40, lr=0.1)
    out = tracks.train_numpy_live(bughunts.BUILTIN_TEXT, run, on_step=lambda r, i, loss, s: seen.append((i, s)))
    assert out is run and run.stopped == "finished" and len(run.losses) == 40
    assert [i for i, _ in run.samples] == [1, 10, 20, 30, 40]
    assert all(len(sample) == 160 for _, sample in run.samples) and len(run.final_sample) == 300
    assert [i for i, _ in seen] == list(range(1, 41)) and [i for i, s in seen if s] == [1, 10, 20, 30, 40]
    assert run.chars_per_s > 0
    assert run.tail_mean(50) == sum(run.losses) / 40 and run.tail_mean(5) == sum(run.losses[-5:]) / 5


def test_track_a_live_run_stops_at_its_time_limit_and_says_so():
    run = tracks.train_numpy_live(bughunts.BUILTIN_TEXT, tracks.NumpyRun(hidden=8, steps=1000, lr=0.1),
                                  max_seconds=0)
    assert len(run.losses) == 1 and run.stopped == "time limit (0 s)" and run.final_sample


def test_track_b_live_run_trains_the_lstm_and_reports_validation_speed_and_a_sample():
    steps = []
    cfg = tracks.LiveLSTM(hidden=16, batch=4, seq_len=16, eval_chars=500)
    run = tracks.train_torch_live(bughunts.BUILTIN_TEXT, 6, cfg, on_step=lambda info: steps.append(info.step))
    assert run.steps == 6 and len(run.losses) == 6 and steps == [1, 2, 3, 4, 5, 6]
    assert run.val is not None and run.val > 0 and run.chars_per_s > 0
    assert len(run.sample) >= 300
