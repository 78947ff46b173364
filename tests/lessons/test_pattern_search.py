"""Pattern search over hidden states: unit picking and match finding against brute-force references written with
plain loops, planted units found, the held-out pass against a per-piece reference, and its time on the largest
shipped model."""

import itertools
import time

import numpy as np
import pytest
import torch

from core.data import corpora as data
from core.lessons import analysis, neurons
from core.lessons import pattern_search as ps
from core.models.charlm import CharLM, CharLMConfig


def brute_pick(acts, start, end, k, rule, threshold=0.3, margin=3):
    """Every (unit, sign) judged with explicit loops over characters."""
    T, H = acts.shape
    out = []
    for u, sign in itertools.product(range(H), (1, -1)):
        col = [sign * float(acts[t, u]) for t in range(T)]
        inside = sum(col[start:end]) / (end - start)
        rest = col[:start] + col[end:]
        outside = sum(rest) / len(rest)
        if inside <= outside:
            continue
        if rule == "threshold":
            around = col[max(0, start - margin):start] + col[end:end + margin]
            if min(col[start:end]) < threshold or any(v >= threshold for v in around):
                continue
        out.append((inside - outside, u, sign, inside, outside,
                    threshold if rule == "threshold" else (inside + outside) / 2))
    out.sort(key=lambda x: (-x[0], x[1]))
    return out[:k]


def brute_matches(acts, picks, quorum, min_len, max_len):
    """Every interval [i, j) of every row checked one by one: all its characters have enough units on, it cannot be
    extended on either side, and its length is allowed; score and share by loops."""
    B, T, _ = acts.shape

    def share(b, t):
        return sum(p.sign * float(acts[b, t, p.unit]) >= p.threshold for p in picks) / len(picks)

    def good(b, t):
        return share(b, t) >= quorum - 1e-9

    found = []
    for b in range(B):
        for i in range(T):
            for j in range(i + 1, T + 1):
                if not all(good(b, t) for t in range(i, j)):
                    break
                if (i > 0 and good(b, i - 1)) or (j < T and good(b, j)):
                    continue
                if j - i < min_len or (max_len is not None and j - i > max_len):
                    continue
                strength = [sum(p.sign * float(acts[b, t, p.unit]) for p in picks) / len(picks) for t in range(i, j)]
                found.append((b, i, j, sum(strength) / len(strength), sum(share(b, t) for t in range(i, j)) / (j - i)))
    found.sort(key=lambda m: (-m[3], -(m[2] - m[1]), m[0], m[1]))
    return found


@pytest.mark.parametrize("rule", ["contrast", "threshold"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pick_units_matches_a_brute_force_reference(rule, seed):
    rng = np.random.default_rng(seed)
    acts = np.tanh(rng.normal(size=(40, 12)))
    start, end = 10, 18
    acts[start:end, 3] = 0.9  # on over the span, off around it
    acts[start - 3:start, 3] = acts[end:end + 3, 3] = -0.5
    acts[start:end, 7] = -0.8  # the same, with the sign flipped
    acts[start - 3:start, 7] = acts[end:end + 3, 7] = 0.4
    picks = ps.pick_units(acts, start, end, k=6, rule=rule)
    ref = brute_pick(acts, start, end, 6, rule)
    assert [(p.unit, p.sign) for p in picks] == [(u, s) for _, u, s, *_ in ref]
    for p, (c, _, _, inside, outside, thr) in zip(picks, ref, strict=True):
        assert (p.contrast, p.inside, p.outside, p.threshold) == pytest.approx((c, inside, outside, thr))
    assert {(3, 1), (7, -1)} <= {(p.unit, p.sign) for p in picks}


@pytest.mark.parametrize("seed", range(4))
def test_find_matches_matches_a_brute_force_reference(seed):
    rng = np.random.default_rng(seed)
    acts = np.tanh(rng.normal(size=(3, 30, 6)) * 1.5).astype(np.float32)
    picks = [ps.UnitPick(1, 1, 0.5, -0.5, 0.0), ps.UnitPick(4, -1, 0.5, -0.5, 0.2), ps.UnitPick(2, 1, 0.5, 0, 0.4)]
    for quorum, min_len, max_len in [(1.0, 1, None), (0.6, 2, None), (0.3, 1, 6)]:
        got, total = ps.find_matches(acts, picks, quorum, min_len, max_len, top=1000)
        ref = brute_matches(acts, picks, quorum, min_len, max_len)
        assert total == len(ref)
        assert [(m.piece, m.start, m.end) for m in got] == [r[:3] for r in ref]
        assert [v for m in got for v in (m.score, m.on_share)] == pytest.approx(
            [v for r in ref for v in r[3:]], abs=1e-6)
    assert ps.find_matches(acts, picks, 0.6, top=3)[0] == ps.find_matches(acts, picks, 0.6, top=1000)[0][:3]


def test_planted_units_pick_the_span_and_find_its_other_places_first():
    rng = np.random.default_rng(0)
    text = "ab [cd] ef [ghij] kl [m] no " * 4
    inside = neurons.feature_values(text, ["brackets"])["brackets"]
    acts = np.tanh(rng.normal(size=(len(text), 16)) * 0.3)
    acts[:, 5] = np.where(inside > 0, 0.8, -0.6)  # a bracket unit
    acts[:, 9] = np.where(inside > 0, -0.7, 0.5)  # the same, upside down
    start, end = ps.find_span(text, "[ghij")
    picks = ps.pick_units(acts, start, end, k=2)
    assert {(p.unit, p.sign) for p in picks} == {(5, 1), (9, -1)}
    matches, total = ps.find_matches(acts[None], picks, quorum=1.0, min_len=1)
    assert total == 12  # every bracketed stretch, and nothing else
    for m in matches:
        assert text[m.start] == "[" and text[m.end] == "]"


def test_a_span_that_covers_everything_or_nothing_is_refused():
    acts = np.zeros((5, 2))
    with pytest.raises(ValueError):
        ps.pick_units(acts, 0, 5)
    with pytest.raises(ValueError):
        ps.pick_units(acts, 3, 3)
    assert ps.find_matches(np.zeros((1, 5, 2)), []) == ([], 0)


def test_find_span_counts_occurrences_and_snippet_stays_on_nearby_lines():
    text = "one two one three one"
    assert ps.find_span(text, "one", 1) == (0, 3) and ps.find_span(text, "one", 3) == (18, 21)
    assert ps.find_span(text, "one", 4) is None and ps.find_span(text, "", 1) is None
    long = "first line is long enough\nsecond line here\nMATCH\nafter it comes more\nand more"
    s, e = ps.find_span(long, "MATCH")
    before, match, after = ps.snippet(long, s, e, context=30)
    assert match == "MATCH" and before == "second line here\n" and after == "\nafter it comes more"
    assert ps.default_min_len(1) == 1 and ps.default_min_len(24) == 12 and ps.default_min_len(100) == 20


def tiny_model(kind="lstm"):
    torch.manual_seed(0)
    vocab = data.Vocab.from_text("abc ()\n")
    return CharLM(CharLMConfig(kind=kind, vocab_size=len(vocab), hidden=8, layers=2, embed=4)).eval(), vocab


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_scan_equals_each_piece_run_on_its_own_after_its_burn_in(kind):
    model, vocab = tiny_model(kind)
    rng = np.random.default_rng(0)
    text = "".join(rng.choice(list("abc ()\n"), 2000)) + "xyz"  # x, y, z are not in the vocabulary: dropped
    scan = ps.scan(model, vocab, text, "test", chars=600, pieces=3, burn_in=50)
    clean = text[:-3]
    assert len(scan.pieces) == 3 and all(len(p) == 200 for p in scan.pieces)
    for b, (piece, at) in enumerate(zip(scan.pieces, scan.starts, strict=True)):
        assert clean[at:at + 200] == piece
        layers, _ = analysis.layer_states(model, torch.tensor([vocab.encode(clean[at - 50:at + 200])]))
        for layer, item in enumerate(layers):
            for signal, a in item.items():
                want = neurons.display_values(a[0, 50:], signal)
                np.testing.assert_allclose(scan.acts[f"L{layer}.{signal}"][b].astype(np.float32), want, atol=2e-3)
    assert scan.starts[-1] + 200 == len(clean)  # the pieces reach the end of the text


def test_a_short_text_is_scanned_whole_as_one_piece():
    model, vocab = tiny_model()
    scan = ps.scan(model, vocab, "abc (ab)\nca", "sample")
    assert scan.pieces == ["abc (ab)\nca"] and scan.starts == [0]
    assert scan.acts["L1.c"].shape == (1, 11, 8)
    with pytest.raises(ValueError):
        ps.scan(model, vocab, "xyz", "nothing known")


def test_held_out_pass_and_search_on_the_largest_shipped_model_are_bounded():
    from core.models import inference
    from core.training import checkpoints

    name = "shakespeare-lstm-best"  # 2 x 384, the largest shipped char model
    try:
        model, entry = checkpoints.load(name)
        text = ps.held_out_text(entry["data"]["corpus"])
    except (checkpoints.CheckpointError, data.CorpusError) as e:
        pytest.skip(f"{name} or its corpus is not here: {e}")
    inference.configure_threads()  # one torch thread, as the app runs
    vocab = checkpoints.vocab_of(entry)
    scan = ps.scan(model, vocab, text, "val")
    sample = "KING HENRY:\nWhat news, my lord?\n\nWARWICK:\nThe queen is come.\n"
    states = analysis.layer_states(model, torch.tensor([vocab.encode(sample)]))[0][1]
    picks = ps.pick_units(np.tanh(states["c"][0]), *ps.find_span(sample, "WARWICK:"), k=5)
    started = time.perf_counter()
    matches, total = ps.find_matches(scan.acts["L1.c"], picks, 0.8, 4)
    search = time.perf_counter() - started
    print(f"{name}: held-out pass over {sum(map(len, scan.pieces)):,} chars {scan.seconds:.2f} s, "
          f"search {search * 1000:.1f} ms, {total} matches")
    assert sum(map(len, scan.pieces)) == ps.SCAN_CHARS and total > 0
    assert scan.seconds < 60 and search < 1.0
    assert sum(a.nbytes for a in scan.acts.values()) < 70 * 2**20  # what the process keeps per model
