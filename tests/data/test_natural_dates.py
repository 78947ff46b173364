"""The natural-phrasing generator (ranges, lists, notes, numbers nearby): targets match the text, the held-out split
holds, the old training stream is unchanged, and the hand-written evaluation set never appears in training."""

import datetime as dt
import random
import re

import pytest

from core.data import tasks
from core.training import seq2seq as seq2seq_training
from core.training import seq2seq_eval

PAIRS = tasks.date_dataset(400, 3, "train", "natural") + tasks.date_dataset(400, 3, "test", "natural")


def _mentions(text: str, d: dt.date) -> bool:
    """The date's day and year (2 or 4 digits, or inside YYYYMMDD) appear as numbers in the text."""
    if d.strftime("%Y%m%d") in text:
        return True
    nums = {int(n) for n in re.findall(r"\d+", text)}
    return d.day in nums and (d.year in nums or d.year % 100 in nums)


@pytest.mark.parametrize("pair", PAIRS[::7], ids=lambda p: p.source[:40])
def test_every_target_date_is_written_in_the_text(pair):
    dates = [dt.date.fromisoformat(x) for x in pair.target.split(" ")]
    assert 1 <= len(dates) == pair.n_dates <= tasks.MAX_DATES
    assert all(_mentions(pair.source, d) for d in dates)
    assert len(tasks.encode_pairs([pair])[2][0]) <= tasks.MAX_TARGET_LEN + 1


def test_natural_text_keeps_the_held_out_split_and_varies():
    for pair in PAIRS:
        split_is_test = pair in PAIRS[400:]
        assert all(tasks.is_test_date(dt.date.fromisoformat(x)) == split_is_test for x in pair.target.split(" "))
    sources = [p.source for p in PAIRS]
    assert len(set(sources)) == len(sources)
    assert any(" - " in s for s in sources) and any(" to " in s for s in sources)
    assert any(re.search(r"\d(st|nd|rd|th) of", s) for s in sources)
    assert any("$" in s for s in sources) and any(re.search(r"\d:\d\d", s) for s in sources)
    assert {p.n_dates for p in PAIRS} == {1, 2, 3, 4, 5}


def test_a_compact_range_gives_both_ends():
    rng = random.Random(0)
    a, b = dt.date(2022, 3, 3), dt.date(2022, 3, 10)
    text = tasks._compact_range(rng, a, b, "as is")
    assert "2022" in text and text.count("2022") == 1 and re.search(r"\b3\D", text) and "10" in text


def _first_stream_batch(step: int, batch: int, long_batch: int, seed: int, long_fraction: float):
    """The training stream the first checkpoints were trained on, written out again."""
    rng = random.Random(f"dates-train-{seed}-{step}")
    if rng.random() < long_fraction:
        lo = rng.randint(*tasks.LONG_LEN)
        hi = min(tasks.LONG_LEN[1], lo + 30)
        return [tasks.long_example(rng, rng.randint(lo, hi), "train") for _ in range(long_batch)]
    return [tasks.short_example(rng, "train") for _ in range(batch)]


def test_without_natural_batches_the_first_training_stream_is_unchanged():
    for step in range(8):
        assert tasks.training_batch(step, 4, 3, 0, 0.5) == _first_stream_batch(step, 4, 3, 0, 0.5)


def test_natural_batches_come_at_their_share():
    kinds = [tasks.training_batch(step, 4, 3, 1, 0.4, 0.5, 5) for step in range(400)]
    share = sum(len(b) == 5 for b in kinds) / len(kinds)
    assert 0.42 <= share <= 0.58


def test_the_handwritten_set_is_never_in_the_training_stream():
    hand = {p.source for p in seq2seq_eval.handwritten_set()}
    assert len(hand) >= 40
    recipe = seq2seq_training.RECIPES["dates-attention"].train
    for step in range(0, 300):
        batch = tasks.training_batch(step, recipe.batch, recipe.long_batch, recipe.seed, recipe.long_fraction,
                                     recipe.natural_fraction, recipe.natural_batch)
        assert not hand & {p.source for p in batch}
