"""The outputs that Modules 6 and 7 quote when they warn learners about their own text are what the shipped dates
attention model really writes (if the model is retrained and they change, the warning must be rewritten)."""

import pytest

from core.course import lessons
from core.lessons import translation_steps
from core.models import inference
from core.training import checkpoints
from core.training import seq2seq as seq2seq_training

CASES = {
    "Renewed 12 January 1998 and again 3 May 2005.": "1998-05-12",
    "Meeting moved from 3 Feb 2021 to the 7th of July 2022": "2022-07-07 2021-02-03",
    "Delivery window: 3 Mar 2022 - 10 Mar 2022": "2022-03-10 2022-03-13",
}


@pytest.fixture(scope="module")
def model():
    if "dates-attention" not in checkpoints.names(model_type=seq2seq_training.MODEL_TYPE):
        pytest.skip("dates-attention is not shipped")
    m, _ = seq2seq_training.load("dates-attention")
    return inference.prepare(m, device="cpu")


@pytest.mark.parametrize(("text", "expected"), CASES.items())
def test_the_quoted_failures_are_what_the_attention_model_writes(model, text, expected):
    with inference.inference():
        assert translation_steps.walkthrough(model, text).output == expected


def test_the_warnings_quote_those_cases_and_disclose_coverage():
    sandbox, heatmap = lessons.block("m06", "sandbox-intro"), lessons.block("m07", "heatmap-intro")
    assert "`1998-05-12`" in sandbox and "`2022-03-10 2022-03-13`" in sandbox and "reverse order" in sandbox
    assert "`1998-05-12`" in heatmap
    assert "coverage" in sandbox and "coverage" in lessons.block("m07", "bottleneck-measured")
    entry = checkpoints.entry("dates-attention")
    assert entry["config"]["coverage"] is True and entry["metrics"]["long_memos"]["exact_match"] >= 0.99
    assert "99.5% at step 500" in entry["recipe"]["notes"] and "26% exact match" in entry["recipe"]["notes"]
    assert "99.5%" in lessons.block("m07", "attention") and "26%" in lessons.block("m07", "attention")
