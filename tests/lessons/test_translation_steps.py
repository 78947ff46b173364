"""The translation sandbox's step-by-step view agrees with the models' own greedy translation."""

import pytest
import torch

from core.data import tasks
from core.lessons import translation_steps
from core.models.seq2seq import Seq2Seq
from core.training import checkpoints
from core.training import seq2seq as seq2seq_training

torch.set_num_threads(1)
SHIPPED = checkpoints.names(model_type=seq2seq_training.MODEL_TYPE)


@pytest.mark.parametrize("name", ["dates-plain", "dates-attention"])
@pytest.mark.parametrize("text", ["Thursday, the 14th of March 2024", "The board met on 14 Feb 1987 and on 3/9/21.",
                                  "no dates here", "x" * 500])
def test_walkthrough_matches_translate(name, text):
    assert name in SHIPPED
    model, _ = seq2seq_training.load(name)
    walk = translation_steps.walkthrough(model, text)
    ref = seq2seq_training.translate(model, text)
    assert walk.output == ref.output
    assert [s.char for s in walk.steps] == ref.output_tokens
    assert len(walk.context) == 2 * model.cfg.hidden
    for step in walk.steps:
        assert step.top[0][0] == step.char
        assert step.top[0][1] >= step.top[1][1] >= step.top[2][1]
    if model.cfg.attention == "none":
        assert all(s.looked_at is None for s in walk.steps)
    else:
        assert [s.looked_at for s in walk.steps] == [max(range(len(r)), key=r.__getitem__) for r in ref.attention]


def test_walkthrough_of_nothing_explains_itself():
    model = Seq2Seq(seq2seq_training.dates_config("none", hidden=8, embed=4, attn_dim=4))
    walk = translation_steps.walkthrough(model, "   ")
    assert walk.steps == [] and walk.output == "" and walk.notes


def test_memo_is_held_out_and_about_the_asked_length():
    pair = translation_steps.memo(200, 3)
    assert abs(len(pair.source) - 200) <= 60
    assert pair == translation_steps.memo(200, 3)
    assert 1 <= pair.n_dates <= tasks.MAX_DATES


def test_exact_match_shares_count_whole_answers_only():
    correct = ["1987-02-14", "2021-09-03", "2024-03-14", "1999-12-25"]
    shares = translation_steps.exact_match_shares(correct, {
        "perfect": list(correct),
        "one digit off": ["1987-02-14", "2021-09-03", "2024-03-15", "1999-12-25"],
        "nothing": ["", "", "", ""]})
    assert shares == {"perfect": 1.0, "one digit off": 0.75, "nothing": 0.0}
    with pytest.raises(ValueError):
        translation_steps.exact_match_shares(correct, {"short": correct[:2]})
