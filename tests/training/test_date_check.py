"""The unsure-check that Modules 6 and 7 show instead of a wrong answer: each rule on hand-made cases, and the
sequence probability against a brute-force product of the model's step probabilities."""

import math

import pytest
import torch

from core.data import tasks
from core.models.seq2seq import Seq2Seq
from core.training import seq2seq as seq2seq_training
from core.training.date_check import check_answer, date_like_spans


@pytest.mark.parametrize(("text", "wrong"), [
    ("Renewed 12 January 1998 and again 3 May 2005.", "1998-05-12"),  # one date stitched from two
    ("Meeting moved from 3 Feb 2021 to the 7th of July 2022", "2022-07-07"),  # a date left out
    ("Delivery window: 3 Mar 2022 - 10 Mar 2022", "2022-03-10 2022-03-13"),  # 13 is nowhere in the text
    ("Paid on 11/30/2016", "2016-11-31"),  # not a calendar date
    ("Warranty (bought 20170815) ends 08/15/2020.", "2020-08-15"),  # the YYYYMMDD date left out
    ("First visit 2 March 1965; second visit 9 March 1965.", "1965-03-02"),  # same month, second day missing
])
def test_wrong_answers_are_flagged_even_when_the_model_is_confident(text, wrong):
    check = check_answer(text, wrong, probability=0.99)
    assert check.unsure and check.reasons


@pytest.mark.parametrize(("text", "right"), [
    ("Renewed 12 January 1998 and again 3 May 2005.", "1998-01-12 2005-05-03"),
    ("Meeting moved from 3 Feb 2021 to the 7th of July 2022", "2021-02-03 2022-07-07"),
    ("Delivery window: 3 Mar 2022 - 10 Mar 2022", "2022-03-03 2022-03-10"),
    ("Born 5/17/84", "1984-05-17"),
    ("Conference: 10-12 October 2019", "2019-10-10 2019-10-12"),
    ("Photos from 12.12.12 and 1.1.13", "2012-12-12 2013-01-01"),
    ("Warranty (bought 20170815) ends 08/15/2020.", "2017-08-15 2020-08-15"),
    ("Thursday, the 14th of March 2024", "2024-03-14"),
    ("Score was 3-1 on 22 June 1986, room 214.", "1986-06-22"),
])
def test_right_answers_with_a_high_probability_pass(text, right):
    check = check_answer(text, right, probability=0.9)
    assert not check.unsure, check.reasons


def test_low_probability_and_no_output_are_flagged():
    assert check_answer("Born 5/17/84", "1984-05-17", 0.2).unsure
    assert check_answer("see you soon", "", 0.9).unsure
    assert check_answer("Paid 3/9/21", "2021-02-30", 0.9).invalid == ["2021-02-30"]


def test_date_like_spans_find_each_written_date_and_skip_other_numbers():
    assert date_like_spans("Invoice #2291 dated 14.02.2019, total $1,240 at 9:30") == ["14.02.2019"]
    assert date_like_spans("Closed: 30-Jun-2010. Reopened 1-Aug-2010.") == ["30-Jun-2010", "1-Aug-2010"]
    assert len(date_like_spans("Flight on Jul 4 2019 at 6am, return Jul 19 2019.")) == 2
    assert date_like_spans("version 2.4 of 3 apps, 1999 units") == []


def test_sequence_probability_is_the_product_of_the_greedy_step_probabilities():
    torch.manual_seed(0)
    model = Seq2Seq(seq2seq_training.dates_config("additive", 16, 8, 8, coverage=True)).eval()
    text = "Paid 3/9/21 and 4/1/22."
    ids = tasks.SRC_VOCAB.encode(text)
    src, src_len = torch.tensor([ids]), torch.tensor([len(ids)])
    out = model.greedy(src, src_len)
    n = min(int(out.lengths[0]) + 1, out.tokens.shape[1])
    out_ids = out.tokens[0, :n].tolist()
    # brute force: step the decoder by hand and multiply the chosen characters' probabilities
    with torch.no_grad():
        annotations, summary, mask, keys, s = model._start(src, src_len)
        y, cov, prob = torch.tensor([model.cfg.sos_id]), torch.zeros(src.shape), 1.0
        for target in out_ids:
            logits, s, _, cov = model._step(y, s, (annotations, summary, mask, keys), cov)
            prob *= float(torch.softmax(logits[0], -1)[target])
            y = torch.tensor([target])
    got = seq2seq_training.sequence_probability(model, src, src_len, out_ids)
    assert math.isclose(got, prob, rel_tol=1e-4)
    assert math.isclose(seq2seq_training.translate(model, text).check.probability, prob, rel_tol=1e-3)
