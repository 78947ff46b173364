"""The equal-budget experiment's rows against the manifest entries they are read from."""

import math

import pytest

from core.lessons import equal_budget
from core.training import checkpoints

RUNS = equal_budget.load()
pytestmark = pytest.mark.skipif(len(RUNS) < 3, reason="the equal-budget checkpoints are not all shipped")


def by_label():
    return {r.label: r for r in RUNS}


def test_the_three_runs_share_size_budget_and_recipe():
    assert [r.label for r in RUNS] == ["vanilla RNN", "GRU", "LSTM"]
    assert equal_budget.same_recipe(RUNS)
    assert {r.recipe["train_config"]["time_budget_s"] for r in RUNS} == {900}
    configs = [checkpoints.entry(r.name)["config"] for r in RUNS]
    assert {(c["hidden"], c["layers"], c["embed"], c["dropout"]) for c in configs} == {(256, 2, 64, 0.1)}
    assert all(895 <= r.cpu_s <= 910 for r in RUNS)


def test_summary_rows_are_the_manifest_numbers():
    rows = {row["model"]: row for row in equal_budget.summary_rows(RUNS)}
    for r in RUNS:
        e = checkpoints.entry(r.name)
        row = rows[r.label]
        assert row["validation loss (nats/char)"] == e["metrics"]["val_loss_nats_per_char"]
        assert row["perplexity"] == e["metrics"]["perplexity"]
        assert row["updates"] == e["training"]["steps"] and row["parameters"] == e["params"]
        assert math.isclose(math.exp(row["validation loss (nats/char)"]), row["perplexity"], rel_tol=1e-3)
    assert rows["vanilla RNN"]["perplexity vs RNN"] == "+0.0%"
    assert rows["GRU"]["perplexity vs RNN"] == "-4.1%"
    assert rows["LSTM"]["perplexity vs RNN"] == "+10.6%"


def test_the_lstm_got_about_three_times_fewer_updates_than_the_rnn():
    runs = by_label()
    assert equal_budget.update_ratio(runs["vanilla RNN"], runs["LSTM"]) == pytest.approx(4542 / 1362)
    assert runs["LSTM"].steps < runs["GRU"].steps < runs["vanilla RNN"].steps


def test_eval_rows_place_each_validation_point_on_three_axes():
    rows = equal_budget.eval_rows(RUNS)
    assert len(rows) == sum(len(r.evals) for r in RUNS)
    for r in RUNS:
        mine = [row for row in rows if row["model"] == r.label]
        last = mine[-1]
        assert last["updates"] == r.steps and last["characters read"] == r.chars_seen
        assert last["CPU seconds"] == pytest.approx(r.cpu_s, abs=0.1)
        assert [row["validation loss"] for row in mine] == [v for _, v in r.evals]


def test_log_rows_and_the_equal_updates_point():
    rows = equal_budget.log_rows(RUNS)
    assert len(rows) == sum(len(r.steps_logged) for r in RUNS)
    step = equal_budget.common_step(RUNS)
    assert step == 1250  # the LSTM's last regular evaluation
    runs = by_label()
    assert equal_budget.at_step(runs["GRU"], step) < equal_budget.at_step(runs["LSTM"], step)


def test_load_leaves_out_what_is_not_shipped():
    assert equal_budget.load(("no-such-model",)) == []
    assert equal_budget.common_step([]) is None
