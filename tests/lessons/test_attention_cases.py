"""The debugging challenge's diagnoses: measured from the attention matrix, and the shipped cases are real."""

import json

import pytest
import torch

from core.data import tasks
from core.lessons import attention_cases
from core.training import checkpoints
from core.training import seq2seq as seq2seq_training

SOURCE = "Paid on 3/9/21 in room 12. Due 14 Feb 1987."
PAIR = tasks.DatePair(SOURCE, "2021-03-09 1987-02-14", 2, "", ((8, 14), (31, 42)))


def _attn(rows: int, where: dict[int, float]) -> torch.Tensor:
    a = torch.zeros(rows, len(SOURCE))
    for pos, w in where.items():
        a[:, pos] = w
    return a


def test_first_wrong_character():
    assert attention_cases.first_wrong("2021-03-09", "2021-08-09") == 6
    assert attention_cases.first_wrong("2021-03-09", "2021-03-09 1999-01-01") == 10
    assert attention_cases.first_wrong("2021-03-09 1987-02-14", "2021-03-09") == 10


@pytest.mark.parametrize("where, expected", [
    ({9: 0.9, 35: 0.1}, "misread"),  # the first date's text
    ({35: 0.8, 0: 0.2}, "other_date"),  # the second date's text
    ({23: 0.7, 9: 0.3}, "distractor"),  # "12" of the room number
    ({9: 0.4, 35: 0.35, 23: 0.25}, "spread"),
    ({9: 0.55, 35: 0.45}, "spread"),  # the right date, but not clearly
])
def test_diagnosis_follows_where_the_attention_went(where, expected):
    predicted = "2021-08-09 1987-02-14"
    step, k, masses, diagnosis = attention_cases.diagnose(PAIR, predicted, _attn(22, where))
    assert (step, k) == (6, 0)
    assert diagnosis == expected
    assert sum(masses.values()) == pytest.approx(1.0)


def test_extra_and_missing_dates():
    assert attention_cases.diagnose(PAIR, "2021-03-09 1987-02-14 1912-01-01", _attn(33, {23: 1.0}))[3] == "extra"
    assert attention_cases.diagnose(PAIR, "2021-03-09", _attn(11, {9: 1.0}))[3] == "missing"


CASES = json.loads(attention_cases.OUT.read_text()) if attention_cases.OUT.exists() else None


@pytest.mark.skipif(CASES is None or "dates-attention" not in checkpoints.names(model_type="seq2seq-dates"),
                    reason="cases or model missing")
def test_shipped_cases_are_real_mistakes_of_the_model():
    torch.set_num_threads(1)
    model, _ = seq2seq_training.load("dates-attention")
    assert {c["diagnosis"] for c in CASES["cases"]} <= set(attention_cases.DIAGNOSES)
    for case in CASES["cases"][:4]:
        tr = seq2seq_training.translate(model, case["source"])
        assert tr.output == case["predicted"] != case["target"]
        pair = tasks.DatePair(case["source"], case["target"], len(case["target"].split(" ")), "",
                              tuple(tuple(s) for s in case["spans"]))
        step, _, masses, diagnosis = attention_cases.diagnose(pair, tr.output, torch.tensor(tr.attention))
        assert (step, diagnosis) == (case["step"], case["diagnosis"])
        assert masses["right"] == pytest.approx(case["mass_right"], abs=2e-3)
