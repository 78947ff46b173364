"""Karpathy's cells against ours: the two features added for the comparison, the verdict rule, the comparison rows
against the shipped analysis read independently, and checkpoints/cells.json made on the shipped checkpoint."""

import numpy as np
import pytest

from core.data import corpora as data
from core.lessons import cells, neurons
from core.training import checkpoints


def test_url_feature_marks_a_url_from_its_scheme_to_its_end():
    text = "see http://a.b/c?d=1 or www.x.org) now"
    f = cells.EXTRA["url"].fn(text)
    on = "".join(ch for ch, v in zip(text, f, strict=True) if v)
    assert on == "/a.b/c?d=1" + ".x.org"  # from the character that completes :// or www.
    assert f[text.index("now")] == 0 and f[text.index(")")] == 0


def test_if_condition_feature_covers_the_condition_and_its_nested_parentheses_only():
    text = "x = f(a);\nif (a && (b || c)) {\n\tendif(q); elif (z)\n}"
    f = cells.EXTRA["if_condition"].fn(text)
    on = "".join(ch for ch, v in zip(text, f, strict=True) if v)
    assert on == "(a && (b || c)"  # the opening "(" on, the closing ")" off; endif( and elif ( are not if
    assert not f[:text.index("\n")].any()


@pytest.mark.parametrize(("r", "chance", "want"), [
    (0.97, 0.08, "reproduced"), (-0.62, 0.04, "reproduced"), (0.62, 0.25, "partly"), (0.39, 0.09, "partly"),
    (0.39, 0.25, "not reproduced"), (0.12, 0.06, "not reproduced")])
def test_verdict_follows_the_stated_thresholds(r, chance, want):
    assert cells.verdict({"r": r, "chance": chance}) == want
    assert cells.verdict(None) == "not measurable here"


def fake_results(r_by_key):
    return {"models": {"linux-lstm": {"units": {
        key: {"comment": {"top": [[u, r]], "chance": 0.05, "active_share": 0.3}} for key, (u, r) in r_by_key.items()}}}}


def test_comparison_takes_the_strongest_layer_and_marks_missing_models_and_features():
    res = fake_results({"L0.h": (3, 0.4), "L1.c": (9, -0.8), "L1.h": (1, 0.7)})
    rows = {(r["cell"], r["our model"], r["our feature"]): r for r in cells.comparison(res, None)}
    comment = rows[("comments", "linux-lstm", "inside a C comment")]
    assert comment["closest unit"] == "layer 2 c · unit 9" and comment["Pearson r"] == -0.8
    assert comment["verdict"] == "reproduced"
    assert rows[("quotes", "warpeace-lstm", neurons.FEATURES["quotes"].label)]["verdict"] == "not analysed"
    assert rows[("url", "linux-lstm", "inside a URL")]["verdict"] == "not analysed"  # no cells.json
    assert rows[("depth", "linux-lstm", neurons.FEATURES["braces"].label)]["verdict"] == "not measurable here"


def test_comparison_on_the_shipped_analysis_agrees_with_a_direct_read_of_neurons_json():
    res = neurons.load_results()
    if not res:
        pytest.skip("checkpoints/neurons.json not produced yet")
    pairs = [(model, feature) for c in cells.POST_CELLS for model, feature in c.ours]
    for row, (model, feature) in zip(cells.comparison(res, cells.load_results()), pairs, strict=True):
        if feature in cells.EXTRA or model not in res["models"]:
            continue
        tops = [(abs(per[feature]["top"][0][1]), per[feature]["top"][0][1], per[feature]["chance"])
                for per in res["models"][model]["units"].values() if feature in per]
        if not tops:
            assert row["Pearson r"] is None
            continue
        _, r, chance = max(tops)
        assert (row["Pearson r"], row["chance |r|"]) == (r, chance)
    low, high = cells.interpretable_share(res)
    shares = [s["r>=0.5"] for m in res["models"].values() for s in m["memory_share"].values()]
    assert (low, high) == (min(shares), max(shares))


def test_shipped_cells_json_was_made_on_the_shipped_linux_checkpoint():
    extra = cells.load_results()
    if not extra:
        pytest.skip("checkpoints/cells.json not produced yet")
    entry = extra["models"]["linux-lstm"]
    assert entry["checkpoint_sha256"] == checkpoints.entry("linux-lstm")["sha256"]
    assert entry["active_chars"]["if_condition"] > 1000
    assert "if_condition" in entry["units"]["L1.c"] and extra["url_counts"]["linux_c"]["train"] >= 1


def test_analyse_measures_a_planted_if_unit_on_evenly_spread_pieces(monkeypatch):
    """The CLI's analysis on a tiny model whose hidden state is replaced by the feature itself: r = 1."""
    text = ("x = 1;\nif (a > b)\n\ty++;\n" * 60)
    vocab = data.Vocab.from_text(text)
    monkeypatch.setattr(data, "load_text", lambda name: text * 10)
    monkeypatch.setattr(checkpoints, "load", lambda name: (None, {"data": {"corpus": "fake"}, "sha256": "s"}))
    monkeypatch.setattr(checkpoints, "vocab_of", lambda entry: vocab)

    def planted(model, vocab, pieces, chunk=500):
        f = np.stack([cells.EXTRA["if_condition"].fn(p) for p in pieces])  # (B, T)
        rng = np.random.default_rng(0)
        a = rng.normal(size=f.shape + (4,)).astype(np.float32)
        a[..., 2] = f
        return {"L0.h": a}

    monkeypatch.setattr(neurons, "run_model", planted)
    out = cells.analyse("fake", ["if_condition"], chars=2000, streams=4, burn_in=10)
    top = out["units"]["L0.h"]["if_condition"]["top"][0]
    assert top[0] == 2 and top[1] == pytest.approx(1.0) and out["span"]["used_chars"] == 4 * 490
