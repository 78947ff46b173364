"""Parameter counts: the formulas on the Module 3 page against the weights of the real cells and the shipped
char models' manifest entries."""

import pytest
import torch

from core.lessons import cell_sizes
from core.models.charlm import CharLM, CharLMConfig
from core.training import checkpoints


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize(("X", "H"), [(1, 1), (3, 5), (64, 256), (256, 256), (17, 8)])
def test_formula_matches_the_weights_counted_in_the_cell(kind, X, H):
    assert cell_sizes.formula_params(kind, X, H) == cell_sizes.counted_params(kind, X, H)


@pytest.mark.parametrize(("kind", "torch_cell"), [("rnn", torch.nn.RNNCell), ("gru", torch.nn.GRUCell),
                                                  ("lstm", torch.nn.LSTMCell)])
def test_our_cells_have_as_many_weights_as_torchs(kind, torch_cell):
    assert cell_sizes.counted_params(kind, 10, 7) == sum(p.numel() for p in torch_cell(10, 7).parameters())


def test_the_textbook_formula_counts_one_bias_per_block_and_the_gru_is_three_quarters_of_the_lstm():
    X, H = 64, 256
    assert cell_sizes.textbook_params("lstm", X, H) == 4 * (H * (H + X) + H)
    assert cell_sizes.textbook_params("gru", X, H) == 3 * (H * (H + X) + H)
    for kind, k in cell_sizes.BLOCKS.items():
        assert cell_sizes.formula_params(kind, X, H) - cell_sizes.textbook_params(kind, X, H) == k * H
    assert cell_sizes.counted_params("gru", X, H) * 4 == cell_sizes.counted_params("lstm", X, H) * 3


def test_size_table_rows_agree_with_the_counts():
    rows = {r["cell"]: r for r in cell_sizes.size_table(64, 256)}
    assert rows["LSTM"]["counted in the cell"] == 4 * (256 * 320 + 512)
    assert rows["GRU"]["share of the LSTM"] == "75%" and rows["vanilla RNN"]["share of the LSTM"] == "25%"
    assert all(r["k(H(H+X)+2H), as built"] == r["counted in the cell"] for r in rows.values())


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_charlm_formula_matches_a_built_model(kind):
    cfg = CharLMConfig(kind=kind, vocab_size=11, hidden=9, layers=3, embed=5)
    assert cell_sizes.charlm_params(kind, 11, 5, 9, 3) == sum(p.numel() for p in CharLM(cfg).parameters())


@pytest.mark.parametrize("name", ["shakespeare-rnn", "shakespeare-gru", "shakespeare-lstm"])
def test_charlm_formula_reproduces_the_shipped_parameter_counts(name):
    e = checkpoints.entry(name)
    assert cell_sizes.charlm_params_of(e["config"]) == e["params"]
