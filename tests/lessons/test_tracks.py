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
