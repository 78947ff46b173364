"""The explorer's unit ranking, the live pass on a learner's text and the shipped-analysis summary tables."""

import numpy as np
import pytest
import torch

from core.data import corpora as data
from core.lessons import analysis, neuron_views, neurons
from core.models.charlm import CharLM, CharLMConfig


def test_text_states_match_layer_states_on_the_encoded_text():
    torch.manual_seed(0)
    vocab = data.Vocab.from_text("ab \"()\n")
    model = CharLM(CharLMConfig(kind="lstm", vocab_size=len(vocab), hidden=6, layers=2, embed=4)).eval()
    text = 'a "b" (ab)\nba'
    states = neuron_views.text_states(model, vocab, text)
    ref, _ = analysis.layer_states(model, torch.tensor([vocab.encode(text)]))
    assert len(states) == 2 and set(states[0]) == {"h", "c"}
    for layer in range(2):
        for signal in ("h", "c"):
            assert states[layer][signal].shape == (len(text), 6)
            np.testing.assert_array_equal(states[layer][signal], ref[layer][signal][0])


def test_without_a_feature_the_units_that_vary_most_come_first_and_there_is_no_table():
    shown = np.zeros((10, 4))
    shown[:, 2] = np.linspace(-1, 1, 10)  # varies most
    shown[::2, 0] = 0.3  # varies a little
    order, rows = neuron_views.rank_units(shown, shown, "x" * 10, None, None, 2)
    assert order == [2, 0] and rows is None


def test_held_out_units_come_first_then_the_strongest_on_this_text():
    text = 'ab "cd" ef "gh" ij "kl" mn'
    quotes = neurons.feature_values(text, ["quotes"])["quotes"]
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(len(text), 5)) * 0.1
    acts[:, 3] = quotes  # unit 3 follows the quotes exactly on this text
    held = {"quotes": {"top": [[1, 0.8]]}}
    order, rows = neuron_views.rank_units(acts, acts, text, "quotes", held, 3)
    assert order[:2] == [1, 3] and len(order) == 3
    assert rows[0] == {"unit": 1, "r on held-out text": 0.8,
                       "r on your text": round(float(analysis.pearson_by_unit(acts, quotes)[1]), 3)}
    assert rows[1]["r on held-out text"] is None and rows[1]["r on your text"] == pytest.approx(1.0)


def test_a_feature_that_never_changes_on_the_text_gives_no_live_r():
    acts = np.random.default_rng(0).normal(size=(8, 3))
    order, rows = neuron_views.rank_units(acts, acts, "abcdefgh", "quotes", {"quotes": {"top": [[2, 0.6]]}}, 4)
    assert order == [2] and rows == [{"unit": 2, "r on held-out text": 0.6, "r on your text": None}]


def test_a_feature_is_scaled_to_reach_one_and_an_all_zero_feature_stays_zero():
    np.testing.assert_allclose(neuron_views.scaled_0_1([0, 1, 2, 4]), [0, 0.25, 0.5, 1])
    np.testing.assert_array_equal(neuron_views.scaled_0_1([0, 0]), [0, 0])


RESULTS = {"models": {"m": {
    "units": {"L0.h": {"quotes": {"top": [[4, 0.5]], "chance": 0.1, "active_share": 0.25},
                       "upper": {"top": [[7, 0.99]], "chance": 0.2, "active_share": 0.1}},
              "L1.c": {"quotes": {"top": [[2, -0.7]], "chance": 0.12, "active_share": 0.25}}},
    "memory_share": {"L0.h": {"r>=0.5": 0.125, "r>=0.3": 0.5}, "L1.c": {"r>=0.5": 0.0, "r>=0.3": 0.25}}}}}


def test_the_strongest_unit_per_memory_feature_is_picked_over_all_layers_by_absolute_r():
    assert neurons.FEATURES["quotes"].memory and not neurons.FEATURES["upper"].memory
    rows = neuron_views.strongest_units(RESULTS)
    assert rows == [{"model": "m", "feature": neurons.FEATURES["quotes"].label, "strongest unit": "layer 2 c · unit 2",
                     "Pearson r": -0.7, "chance |r|": 0.12, "feature non-zero on": "25%"}]


def test_memory_shares_list_every_layer_and_signal_as_percentages():
    rows = neuron_views.memory_shares(RESULTS)
    assert [(r["layer"], r["signal"]) for r in rows] == [(1, neurons.SIGNALS["h"]), (2, neurons.SIGNALS["c"])]
    assert rows[0]["units with |r| ≥ 0.5"] == "12.5%" and rows[1]["units with |r| ≥ 0.3"] == "25.0%"
