"""Module 3's measurements: the rows the page charts match the analysis functions they wrap, on fresh cells and on a
small untrained char model standing in for the shipped ones."""

import pytest
import torch

from core.data.corpora import Vocab
from core.lessons import analysis, vanishing
from core.models.charlm import CharLM, CharLMConfig

VOCAB = Vocab.from_text(vanishing.PASSAGE)


def tiny_model(kind: str = "lstm") -> CharLM:
    torch.manual_seed(0)
    return CharLM(CharLMConfig(kind=kind, vocab_size=len(VOCAB), hidden=8, layers=1, embed=4)).eval()


def test_random_flow_rows_are_the_gradient_flow_from_distance_T_down_to_1():
    rows = vanishing.random_flow("rnn", 12, scale=1.5, forget_bias=1.0)
    cell = analysis.random_cell("rnn", hidden=32, input_size=16, recurrent_scale=1.5)
    assert [r["norm"] for r in rows] == analysis.gradient_flow(cell, analysis.random_inputs(12, 16))
    assert [r["distance"] for r in rows] == list(range(12, 0, -1))
    assert {r["model"] for r in rows} == {"vanilla RNN"}


def test_a_larger_forget_bias_keeps_more_lstm_gradient_over_distance():
    shut = vanishing.random_flow("lstm", 30, scale=1.0, forget_bias=-2.0)[0]["norm"]
    open_ = vanishing.random_flow("lstm", 30, scale=1.0, forget_bias=5.0)[0]["norm"]
    assert open_ > 100 * shut


def test_the_recurrent_scale_only_changes_the_vanilla_rnn():
    assert vanishing.random_flow("lstm", 8, 3.0, 1.0) == vanishing.random_flow("lstm", 8, 1.0, 1.0)
    assert vanishing.random_flow("rnn", 8, 3.0, 1.0) != vanishing.random_flow("rnn", 8, 1.0, 1.0)


def test_trained_flow_reads_the_passage_and_skips_characters_the_vocabulary_lacks():
    model = tiny_model()
    rows = vanishing.trained_flow(model, VOCAB, 20, "LSTM")
    assert [r["distance"] for r in rows] == list(range(20, 0, -1))
    assert all(r["norm"] > 0 for r in rows)
    partial = Vocab(sorted(set(vanishing.PASSAGE[:20]) - {"F"}))  # "First Citizen" loses both F's
    assert len(vanishing.trained_flow(model, partial, 20, "LSTM")) == 20 - vanishing.PASSAGE[:20].count("F")
    assert len(vanishing.trained_flow(model, Vocab(["~"]), 20, "LSTM")) == 20  # nothing known: id 0 stands in


def test_the_telephone_game_starts_with_a_difference_and_reports_every_step():
    rows = vanishing.random_telephone("rnn", 15)
    assert [r["t"] for r in rows] == list(range(1, 16)) and rows[0]["diff"] > 0
    trained = vanishing.trained_telephone(tiny_model("rnn"), VOCAB, 15, "rnn")
    assert len(trained) == 15 and trained[0]["diff"] > 0 and trained[0]["model"] == "vanilla RNN"


def test_power_table_multiplies_one_factor_twenty_times():
    rows = vanishing.power_table()
    assert [r["after 20 steps"] for r in rows] == [f"{0.5 ** 20:.3g}", "1", f"{2.0 ** 20:.3g}"]
    assert rows[0]["what the gradient does"].startswith("vanishes")


def test_average_gates_and_the_lowest_forget_gate():
    gates = {"f": [[0.9, 0.7], [0.1, 0.3], [0.1, 0.3]], "i": [[1.0, 0.0]] * 3, "o": [[0.5, 0.5]] * 3}
    means = vanishing.average_gates(gates)
    assert means["forget f"] == pytest.approx([0.8, 0.2, 0.2]) and means["input i"] == [0.5] * 3
    assert vanishing.lowest(means["forget f"]) == 1  # first of the tie


def test_debug_facts_of_a_model_with_a_manifest_entry():
    model = tiny_model()
    entry = {"vocab": VOCAB.chars, "metrics": {"val_loss_nats_per_char": 2.5}, "curve": [[0, 4.0], [10, 3.0]]}
    facts = vanishing.debug_facts(model, entry)
    assert facts.val == 2.5 and facts.curve == entry["curve"]
    assert len(facts.sample) == 160 and len(facts.flow) == 60
    assert 0 < facts.forget < 1
    assert vanishing.flow_ratio(facts, facts) == pytest.approx(1.0)


def test_gru_rows_are_labelled_and_ignore_the_rnn_and_lstm_knobs():
    rows = vanishing.random_flow("gru", 10, scale=1.0, forget_bias=1.0)
    assert {r["model"] for r in rows} == {"GRU"} and len(rows) == 10
    assert rows == vanishing.random_flow("gru", 10, scale=3.0, forget_bias=-2.0)
    cell = analysis.random_cell("gru", hidden=32, input_size=16)
    assert [r["norm"] for r in rows] == analysis.gradient_flow(cell, analysis.random_inputs(10, 16))


def test_trained_flow_works_on_a_gru_char_model():
    rows = vanishing.trained_flow(tiny_model("gru"), VOCAB, 15, "GRU")
    assert len(rows) == 15 and all(r["norm"] > 0 for r in rows) and rows[0]["model"] == "GRU"
