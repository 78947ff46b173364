"""Module 8's long-range numbers: seeds that learned, mean accuracy per distance, example sentences, attention."""

import pandas as pd
import pytest

from core.lessons import longrange
from core.training import stress

FIXED = {"rnn": {"5": [0.95, 0.3, 0.91], "50": [0.25, 0.26, 0.24]}, "lstm": {"5": 0.99, "50": [0.9, 0.5]}}


def test_seeds_learned_counts_seeds_at_or_above_ninety_percent():
    assert longrange.seeds_learned(FIXED) == {"rnn": {5: (2, 3), 50: (0, 3)}, "lstm": {5: (1, 1), 50: (1, 2)}}


def test_seeds_learned_agrees_with_the_training_modules_share():
    share = stress.learned_share(FIXED)
    for name, per in longrange.seeds_learned(FIXED).items():
        for d, (learned, seeds) in per.items():
            assert learned / seeds == pytest.approx(share[name][str(d)])


def test_mean_accuracy_matches_a_pandas_groupby_mean():
    rows = stress.fixed_rows(FIXED)
    expected = pd.DataFrame(rows).groupby(["model", "distance"], as_index=False)["accuracy"].mean()
    got = pd.DataFrame(longrange.mean_accuracy(rows))
    assert got[["model", "distance"]].values.tolist() == expected[["model", "distance"]].values.tolist()
    assert got["accuracy"].tolist() == pytest.approx(expected["accuracy"].tolist())


def test_examples_are_fixed_and_all_have_a_misleading_nearest_noun():
    first, again = longrange.examples(), longrange.examples()
    assert first == again and len(first) == 6
    assert all(s.nearest_noun_disagrees for s in first)
    assert [s.modifiers for s in first] == [1, 2, 3, 1, 2, 3]


def test_attention_on_reads_the_last_query_row_of_every_head():
    # maps[layer][head][query][key]: 2 layers, 2 heads, 3 positions
    maps = [[[[1, 0, 0], [0.5, 0.5, 0], [0.1, 0.2, 0.7]], [[1, 0, 0], [0.3, 0.7, 0], [0.6, 0.3, 0.1]]],
            [[[1, 0, 0], [0.9, 0.1, 0], [0.25, 0.25, 0.5]], [[1, 0, 0], [0.2, 0.8, 0], [0.0, 1.0, 0.0]]]]
    assert longrange.attention_on(maps, 1) == [0.2, 0.3, 0.25, 1.0]
