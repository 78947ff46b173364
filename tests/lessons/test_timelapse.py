import json
import math

import pytest

from core.data import corpora as data
from core.lessons import timelapse

WORDS = frozenset({"the", "cat", "sat", "on", "mat", "and", "dog", "ran", "he", "said"})
RATES = {"space_share": 0.17, "newline_share": 0.02, "quotes_per_1k": 40.0, "mean_word_len": 3.0,
         "real_word_share": 1.0, "capitalised_share": 0.9}
PROSE = ('"The cat sat on the mat," he said. The dog ran on.\n"And the cat sat," he said. The mat ran.\n' * 4)
NOISE = "xq zv,kw jjq\tpf9 wq;xz vvb kqj zzx qwp jxv bkz" * 4


def ref(rates=RATES, words=WORDS) -> timelapse.Reference:
    return timelapse.Reference("test", "", dict(rates), frozenset(words))


def test_text_stats_counts_match_a_hand_count():
    text = 'He said "the cat." The dog ran\nOn a mat. x'
    s = timelapse.text_stats(text, WORDS)
    assert s.chars == len(text) == 42
    assert s.space_share == pytest.approx(text.count(" ") / 42)
    assert s.newline_share == pytest.approx(1 / 42)
    assert s.quotes_per_1k == pytest.approx(1000 * 2 / 42)
    tokens = ["He", "said", "the", "cat", "The", "dog", "ran", "On", "a", "mat", "x"]
    assert s.words == len(tokens)
    assert s.mean_word_len == pytest.approx(sum(map(len, tokens)) / len(tokens))
    long = [t for t in tokens if len(t) >= 2]  # single letters are not judged
    assert s.real_word_share == pytest.approx(sum(t.lower() in WORDS for t in long) / len(long))
    assert s.sentence_starts == 2 and s.capitalised_share == pytest.approx(1 / 2)  # '." The' and '. x'; no '.' before On


def test_quote_pairs_need_an_opening_before_a_capital_and_a_closing_after_a_letter():
    assert timelapse.text_stats('He said "Go now," and left.', WORDS).quote_pairs == 1
    assert timelapse.text_stats('a"b "c" d', WORDS).quote_pairs == 0


def test_reference_keeps_words_seen_at_least_twice():
    r = timelapse.build_reference("The cat and the dog. A cat! zebra", min_count=2)
    assert r["words"] == ["cat", "the"]
    assert set(r["rates"]) == set(RATES)


def test_milestones_are_found_at_the_first_snapshot_whose_sample_passes():
    entry = {"snapshots": [{"iteration": 300, "samples": {"0.8": PROSE}},
                           {"iteration": 0, "samples": {"0.8": NOISE}},
                           {"iteration": 100, "samples": {"0.8": NOISE}}]}
    snaps = timelapse.snapshots_of(entry)
    assert [s.iteration for s in snaps] == [0, 100, 300]
    first = timelapse.first_reached(snaps, ref(), "0.8")
    assert first["real_words"] == 300 and first["fluent_words"] == 300
    assert first["capitals"] == 300 and first["quotes"] == 300
    table = timelapse.milestone_table(snaps, ref(), "0.8")
    assert not any(table[0]["passed"][k] for k in ("real_words", "capitals", "quotes", "fluent_words"))


def test_new_at_names_the_milestones_a_snapshot_passes_first():
    rows = [{"passed": {m.key: False for m in timelapse.MILESTONES}} for _ in range(3)]
    first, second = timelapse.MILESTONES[0], timelapse.MILESTONES[1]
    rows[0]["passed"][first.key] = True
    rows[1]["passed"].update({first.key: True, second.key: True})
    assert timelapse.new_at(rows, 0) == [first.label]
    assert timelapse.new_at(rows, 1) == [second.label]  # the first one was passed already
    assert timelapse.new_at(rows, 2) == []


def test_a_milestone_never_passed_is_reported_as_none():
    snaps = timelapse.snapshots_of({"snapshots": [{"iteration": 0, "samples": {"1.0": NOISE}}]})
    assert timelapse.first_reached(snaps, ref(), "1.0")["real_words"] is None


def test_snapshot_list_comes_from_the_entry_so_later_snapshots_appear():
    entry = {"snapshots": [{"iteration": i, "samples": {"0.5": "a", "0.8": "b"},
                            "val_loss_first_50k_nats_per_char": 2.0} for i in (0, 1200, 2000, 2400)]}
    snaps = timelapse.snapshots_of(entry)
    assert [s.iteration for s in snaps] == [0, 1200, 2000, 2400]
    assert timelapse.temperatures(snaps) == ["0.5", "0.8"]
    assert timelapse.snapshots_of({}) == [] and timelapse.temperatures([]) == []


def test_loss_curve_rows_cover_training_validation_and_snapshots():
    entry = {"curve": {"step": [3, 6], "train_loss": [4.0, 3.5], "evals": [[250, 2.0]]},
             "snapshots": [{"iteration": 100, "samples": {}, "val_loss_first_50k_nats_per_char": 2.4}]}
    rows = timelapse.loss_curve(entry)
    assert {(r["series"], r["step"]) for r in rows} == {
        ("training loss (smoothed)", 3), ("training loss (smoothed)", 6), ("validation loss", 250),
        ("validation loss at a snapshot", 100)}


def test_shipped_reference_is_readable_and_sane():
    r = timelapse.load_reference()
    assert len(r.words) > 5000 and {"the", "and", "prince", "natasha"} <= r.words
    assert 0.1 < r.rates["space_share"] < 0.25 and math.isfinite(r.rates["quotes_per_1k"])


def test_shipped_reference_matches_the_war_and_peace_training_split():
    try:
        text = data.load_text("warpeace")
    except data.CorpusError:
        pytest.skip("warpeace.txt is not in the data folder")
    train, _ = data.split_text(text)
    built = timelapse.build_reference(train)
    shipped = json.loads(timelapse.REFERENCE_PATH.read_text(encoding="utf-8"))
    assert built["words"] == shipped["words"] and built["rates"] == shipped["rates"]
