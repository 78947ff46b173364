"""The synthetic tasks: dates in many formats with a held-out set, long memos, learner input, long-range recall."""

import datetime as dt
import random

import pytest
import torch

from core.data import tasks


def test_formats_render_the_examples_from_the_lab():
    d = dt.date(2024, 3, 14)
    assert tasks.render(d, "{Month} {d}, {Y}") == "March 14, 2024"
    assert tasks.render(d, "{d} {Mon} {Y}") == "14 Mar 2024"
    assert tasks.render(d, "{m}/{d}/{yy}") == "3/14/24"
    assert tasks.render(d, "{Weekday}, the {dth} of {Month} {Y}") == "Thursday, the 14th of March 2024"
    assert tasks.render(d, "{Y}{mm}{dd}", "upper") == "20240314"


@pytest.mark.parametrize("day,expected", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                          (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (31, "31st")])
def test_ordinals(day, expected):
    assert tasks.ordinal(day) == expected


def test_every_format_keeps_the_whole_date_and_only_uses_known_characters():
    d = dt.date(1999, 12, 31)
    for fmt in tasks.FORMATS:
        text = tasks.render(d, fmt)
        assert not tasks.SRC_VOCAB.unknown(text), fmt
        assert ("99" in text) and ("12" in text or "Dec" in text) and "31" in text, fmt


def test_datasets_are_deterministic_for_a_seed_and_fresh_for_another():
    a = tasks.date_dataset(50, seed=3, kind="long")
    assert a == tasks.date_dataset(50, seed=3, kind="long")
    assert a != tasks.date_dataset(50, seed=4, kind="long")
    assert tasks.training_batch(7, 8, 4, seed=0) == tasks.training_batch(7, 8, 4, seed=0)


def test_held_out_dates_never_appear_in_training():
    train_dates = {p.target for s in range(40) for p in tasks.training_batch(s, 16, 8, seed=0)}
    train_dates = {x for t in train_dates for x in t.split(" ")}
    assert not any(tasks.is_test_date(dt.date.fromisoformat(x)) for x in train_dates)
    test = tasks.date_dataset(200, seed=1, split="test", kind="short")
    assert all(tasks.is_test_date(dt.date.fromisoformat(p.target)) for p in test)


def test_long_memos_hold_several_dates_where_their_spans_say():
    rng = random.Random(0)
    for target_len in (40, 120, 250):
        pair = tasks.long_example(rng, target_len)
        assert len(pair.target.split(" ")) == pair.n_dates == len(pair.spans)
        assert len(pair.source) <= max(target_len + 20, 80 * pair.n_dates)
        for (a, b), iso in zip(pair.spans, pair.target.split(" "), strict=True):
            assert iso[2:4] in pair.source[a:b] or iso[:4] in pair.source[a:b]
    longs = tasks.date_dataset(300, seed=0, kind="long")
    assert max(len(p.source) for p in longs) > 240 and max(p.n_dates for p in longs) == tasks.MAX_DATES


def test_encode_pairs_pads_and_maps_unknown_characters_to_unk():
    pairs = [tasks.DatePair("3/14/24 🙂", "2024-03-14", 1), tasks.DatePair("x", "2024-03-14 2024-03-15", 2)]
    src, src_len, tgt = tasks.encode_pairs(pairs)
    assert src.shape == (2, 9) and src_len.tolist() == [9, 1]
    assert src[0, 8] == tasks.SRC_VOCAB.unk and src[1, 1:].eq(tasks.SRC_VOCAB.pad).all()
    assert tgt[0, 10] == tasks.TGT_VOCAB.eos and tgt[1, 21] == tasks.TGT_VOCAB.eos
    assert tasks.TGT_VOCAB.decode(tgt[1].tolist()) == "2024-03-14 2024-03-15"


@pytest.mark.parametrize("text", ["", "   ", None, 42, "🙂🙂🙂", "x" * 500, "20240314", "3", "\n\t"])
def test_learner_text_gives_text_or_a_message_never_an_exception(text):
    clean, notes = tasks.check_learner_text(text)
    assert len(clean) <= tasks.MAX_SOURCE_LEN
    assert clean or notes


def test_recall_batch_puts_the_cue_first_and_the_query_last():
    x, y = tasks.recall_batch(32, 10, torch.Generator().manual_seed(0))
    assert x.shape == (32, 12) and y.shape == (32,)
    assert [tasks.RECALL_VOCAB.tokens[i] for i in x[:, 0].tolist()] == [tasks.CUES[i] for i in y.tolist()]
    assert (x[:, -1] == tasks.RECALL_VOCAB.index["?"]).all()
    assert tasks.recall_text(x[0])[0] in tasks.CUES
    assert tasks.recall_batch(4, 0, torch.Generator())[0].shape == (4, 2)
    x, _ = tasks.recall_batch(64, 50, torch.Generator().manual_seed(1))
    assert 0.05 < float((x[:, 1:-1] < tasks.RECALL_VOCAB.index["a"]).float().mean()) < 0.15  # attractors
    with pytest.raises(ValueError):
        tasks.recall_batch(4, -1, torch.Generator())
