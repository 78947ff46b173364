"""The dates attention model on sentences written by hand the way a learner types them (assets/dates_handwritten.yaml,
never used in training): exact match above a threshold set from the measured figure, the figure the pages quote
equal to the manifest's, and the unsure-check flagging most of the wrong answers while passing most right ones."""

import datetime as dt

import pytest

from core.models import inference
from core.training import checkpoints, seq2seq_eval
from core.training import seq2seq as seq2seq_training

# Measured on the shipped checkpoint (the manifest's metrics.handwritten); the threshold leaves a small margin.
THRESHOLD = 0.875  # measured 0.9167 (44 of 48); the margin allows two more misses


@pytest.fixture(scope="module")
def model():
    if "dates-attention" not in checkpoints.names(model_type=seq2seq_training.MODEL_TYPE):
        pytest.skip("dates-attention is not shipped")
    m, _ = seq2seq_training.load("dates-attention")
    return inference.prepare(m, device="cpu")


def test_the_set_is_hand_written_and_its_answers_are_real_dates():
    pairs = seq2seq_eval.handwritten_set()
    assert len(pairs) >= 40 and len({p.source for p in pairs}) == len(pairs)
    for p in pairs:
        dates = [dt.date.fromisoformat(x) for x in p.target.split(" ")]
        assert all(dt.date(1950, 1, 1) <= d <= dt.date(2049, 12, 31) for d in dates)


def test_attention_model_reads_hand_written_sentences(model):
    with inference.inference():
        score = seq2seq_eval.handwritten_score(model)
    assert score["exact_match"] >= THRESHOLD, [r for r in score["rows"] if not r["correct"]]
    assert score["exact_match"] == checkpoints.entry("dates-attention")["metrics"]["handwritten"]["exact_match"]
    # the check is a warning, not an oracle: it must catch most wrong answers and rarely doubt right ones
    assert score["wrong_flagged"] >= score["wrong"] / 2
    assert score["right_flagged"] <= 0.1 * (score["n"] - score["wrong"])
