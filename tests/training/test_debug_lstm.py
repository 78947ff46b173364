"""The shipped debug pair differs only in the forget-gate bias, and the bad one's gates stay shut."""

import pytest
import torch

from core.lessons import analysis
from core.training import checkpoints, debug_lstm


def load(name):
    if name not in checkpoints.names(debug_lstm.DEBUG_DIR):
        pytest.skip("debug pair not shipped")
    return checkpoints.load(name, directory=debug_lstm.DEBUG_DIR)


def test_pair_has_same_config_but_the_forget_bias():
    (_, eg), (_, eb) = load("debug-lstm-good"), load("debug-lstm-bad")
    cg, cb = dict(eg["config"]), dict(eb["config"])
    assert cg.pop("forget_bias") == 1.0 and cb.pop("forget_bias") == -5.0 and cg == cb


def test_bad_model_keeps_its_forget_gates_shut():
    means = {}
    for name in debug_lstm.PAIR:
        model, entry = load(name)
        ids = checkpoints.vocab_of(entry).encode("First Citizen:\nBefore we proceed any further")
        tr = analysis.hidden_trace(model, ids, list("x" * len(ids)))
        means[name] = float(torch.tensor(tr.gates["f"]).mean())
    assert means["debug-lstm-bad"] < 0.5 < means["debug-lstm-good"]
