import dataclasses
import json
import math
from collections import Counter

import numpy as np
import pytest

from core.course import content, modern_ai
from core.lessons import lm_challenges
from core.models import inference


def test_unigram_perplexity_matches_a_hand_computation():
    train, val, vocab = "aab", "ab", ["a", "b"]
    # add-one: p(a) = (2 + 1) / (3 + 2), p(b) = (1 + 1) / 5; the first validation character is context
    expected = math.exp(-math.log(2 / 5))
    assert lm_challenges.ngram_perplexity(train, val, 1, vocab) == pytest.approx(expected)


def test_bigram_perplexity_matches_a_count_matrix():
    rng = np.random.default_rng(0)
    vocab = list("abcd")
    train = "".join(rng.choice(vocab, 500, p=[0.4, 0.3, 0.2, 0.1]))
    val = "".join(rng.choice(vocab, 100))
    idx = {c: i for i, c in enumerate(vocab)}
    counts = np.ones((4, 4))  # add-one
    for a, b in zip(train, train[1:], strict=False):
        counts[idx[a], idx[b]] += 1
    probs = counts / counts.sum(axis=1, keepdims=True)
    nll = -np.mean([np.log(probs[idx[a], idx[b]]) for a, b in zip(val, val[1:], strict=False)])
    assert lm_challenges.ngram_perplexity(train, val, 2, vocab) == pytest.approx(math.exp(nll))


def test_heavy_smoothing_tends_to_a_uniform_guess():
    assert lm_challenges.ngram_perplexity("aaaa", "abcd", 1, list("abcd"), alpha=1e9) == pytest.approx(4.0)
    with pytest.raises(ValueError):
        lm_challenges.ngram_perplexity("ab", "a", 1, ["a", "b"])


def test_word_check_counts_real_and_distinct_words():
    words = {"the", "king", "is", "dead"}
    sample = " ".join(["the king is dead"] * 30)
    r = lm_challenges.word_check(sample, words)
    assert (r["words"], r["real"], r["distinct"]) == (100, 100, 4) and not r["passed"]  # too repetitive
    varied = " ".join(f"w{i}" for i in range(100))  # 100 distinct non-words
    r = lm_challenges.word_check(varied, words)
    assert r["real"] == 0 and not r["passed"]
    vocab = {f"word{chr(97 + i)}{chr(97 + j)}" for i in range(10) for j in range(10)}
    r = lm_challenges.word_check(" ".join(sorted(vocab)), vocab)
    assert r["passed"] and r["real"] == 100


def test_settings_refuse_nan_and_out_of_range_values():
    lv = lm_challenges.level(1)
    lm_challenges.Settings().check(lv)
    for bad in (dict(lr=float("nan")), dict(lr=0.0), dict(seconds=lv.max_seconds + 1), dict(kind="mlp"),
                dict(hidden=4), dict(temperature=float("inf"))):
        with pytest.raises(ValueError):
            dataclasses.replace(lm_challenges.Settings(), **bad).check(lv)
    with pytest.raises(ValueError):
        lm_challenges.level(9)
    with pytest.raises(ValueError):
        lm_challenges.level_text("short", lv)


def _result(passed: bool) -> lm_challenges.Result:
    return lm_challenges.Result(1, lm_challenges.Settings(), 10, 2.0, 1.5, math.exp(1.5), 5.0, "abc", None, passed,
                                "verdict")


def test_a_level_once_passed_stays_passed_in_the_stored_record():
    assert lm_challenges.attempt_record(_result(True), None)["ever_passed"] is True
    assert lm_challenges.attempt_record(_result(False), None)["ever_passed"] is False
    assert lm_challenges.attempt_record(_result(False), {"ever_passed": True})["ever_passed"] is True
    record = lm_challenges.attempt_record(_result(False), {"ever_passed": False})
    assert record == {**_result(False).to_dict(), "ever_passed": False}


def test_saved_attempts_are_read_by_level_and_unreadable_rows_skipped():
    rows = {("q", "level-1"): json.dumps({"ever_passed": True}), ("q", "level-3"): json.dumps({"passed": False}),
            ("q", "level-x"): "{}", ("q", "level"): "{}", ("q", "level-2"): "not json"}
    assert lm_challenges.saved_attempts(rows) == {1: {"ever_passed": True}, 3: {"passed": False}}


def test_a_short_training_run_beats_the_frequency_baseline_on_repetitive_text():
    inference.configure_threads()  # one intra-op thread, as the page does: two are far slower on a busy 2-core box
    text = "the cat sat on the mat. " * 200  # 4,800 characters
    lv = lm_challenges.Level(1, "", 4000, 30, "test")
    result = lm_challenges.run(lv, text, lm_challenges.Settings(hidden=32, lr=1e-2, seconds=30,
                                                                               max_steps=12))
    assert 0 < result.steps <= 12
    counts = Counter(text[:3600])
    assert result.baseline == pytest.approx(
        lm_challenges.ngram_perplexity(text[:3600], text[3600:4000], 1, sorted(set(text[:4000]))))
    assert result.steps > 0 and math.isfinite(result.perplexity) and len(counts) == 11
    assert result.passed == (result.perplexity < result.baseline)
    assert result.passed, result.verdict
    assert result.to_dict()["level"] == 1


def test_modern_ai_table_rows_are_complete():
    data = modern_ai.load()
    assert data["title"] and len(data["rows"]) >= 4
    assert all(set(modern_ai.FIELDS) <= set(row) for row in data["rows"])


def test_modern_ai_table_reports_a_missing_field_with_its_line(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("title: t\nintro: i\nrows:\n  - you_see: a\n    concept: b\n")
    with pytest.raises(content.ContentError, match=r"t.yaml:4: row lacks what_it_does, where"):
        modern_ai.load(path)
