"""The hyperparameter grid: the runner, the best-cell pick and export, the loader, and the shipped results."""

import json
import math
from dataclasses import asdict

import pytest

from core.data import corpora as data
from core.lessons import bughunts
from core.models.charlm import CharLMConfig
from core.training import hparams
from core.training import loop as training

TINY = hparams.GridConfig(lrs=(1e-4, 3e-2), hiddens=(8,), chars=10_000, steps=6, batch=4, seq_len=16,
                          warmup_steps=1, eval_every=3)


@pytest.fixture(scope="module")
def tiny_results():
    return hparams.run_grid(TINY, bughunts.BUILTIN_TEXT)


def test_grid_runs_every_cell_with_curves(tiny_results):
    cells = tiny_results["cells"]
    assert [(c["lr"], c["hidden"]) for c in cells] == [(1e-4, 8), (3e-2, 8)]
    for c in cells:
        assert len(c["curve"]["train_loss"]) == 6 and c["curve"]["evals"][-1][0] == 6
        assert c["final_val_loss"] == c["curve"]["evals"][-1][1]
    assert cells[1]["final_val_loss"] < cells[0]["final_val_loss"]  # 6 steps at 1e-4 barely move


def test_best_skips_diverged_cells_and_exports_a_usable_config(tiny_results):
    results = json.loads(json.dumps(tiny_results))
    results["cells"][1]["final_val_loss"] = None  # as if it had diverged
    assert hparams.best(results)["lr"] == 1e-4
    exported = hparams.best_config(tiny_results)
    assert CharLMConfig(**exported["model"]).hidden == 8
    cfg = training.TrainConfig(**exported["train"])
    assert cfg.lr == 3e-2 and cfg.max_steps == 6
    results["cells"][0]["final_val_loss"] = None
    with pytest.raises(ValueError):
        hparams.best(results)


def test_load_rejects_a_grid_with_a_missing_cell(tmp_path, tiny_results):
    assert hparams.load(tmp_path / "absent.json") is None
    broken = {**tiny_results, "cells": tiny_results["cells"][:1]}
    path = tmp_path / "hparams.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(ValueError, match="one cell per"):
        hparams.load(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        hparams.load(path)


shipped = pytest.mark.skipif(not hparams.RESULTS_FILE.exists(), reason="checkpoints/hparams.json not produced yet")


@shipped
def test_shipped_results_match_the_command_that_produces_them():
    results = hparams.load()
    assert results["config"] == json.loads(json.dumps(asdict(hparams.GridConfig())))
    assert results["command"] == hparams.COMMAND and results["produced_at"]
    assert results["total_cpu_s"] <= 600  # the 10 CPU-minute budget
    for c in results["cells"]:
        assert c["diverged"] or math.isfinite(c["final_val_loss"])
        assert len(c["curve"]["train_loss"]) == results["config"]["steps"] or c["diverged"]


@shipped
def test_one_shipped_cell_reproduces():
    try:
        text = data.load_text("tinyshakespeare")
    except data.CorpusError:
        pytest.skip("Tiny Shakespeare absent")
    results = hparams.load()
    cfg = hparams.GridConfig()
    cell = next(c for c in results["cells"] if c["hidden"] == min(cfg.hiddens) and c["lr"] == 1e-2)
    again = hparams.run_grid(hparams.GridConfig(lrs=(1e-2,), hiddens=(cell["hidden"],)), text)["cells"][0]
    assert again["final_val_loss"] == pytest.approx(cell["final_val_loss"], abs=2e-3)
