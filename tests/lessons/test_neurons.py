"""The neuron analysis: text features, per-layer activations, Pearson r per unit, and planted units being found."""

import json
import random

import numpy as np
import pytest
import torch

from core.data import corpora as data
from core.lessons import analysis, neurons
from core.models.charlm import CharLM, CharLMConfig, torch_twin


def test_pearson_by_unit_matches_numpy_corrcoef_and_is_zero_for_a_constant_unit():
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(500, 6))
    acts[:, 3] = 2.0
    f = rng.normal(size=500) + acts[:, 1]
    r = analysis.pearson_by_unit(acts, f)
    for u in (0, 1, 2, 4, 5):
        assert r[u] == pytest.approx(np.corrcoef(acts[:, u], f)[0, 1], abs=1e-12)
    assert r[3] == 0.0
    assert analysis.top_units(r, 2)[0][0] == 1


def test_features_on_a_hand_made_text():
    text = 'ab "cd" (e[f]) {g{h}}\n  x /* y */ z // w\n$m$ \\begin{p}q\\end{p}'
    f = neurons.feature_values(text)
    expect_quotes = [0, 0, 0, 1, 1, 1, 0]
    assert f["quotes"][:7].tolist() == expect_quotes
    i = text.index("(")
    assert f["parens"][i:i + 6].tolist() == [1, 1, 1, 1, 1, 0]
    assert f["brackets"][text.index("["):text.index("]") + 1].tolist() == [1, 1, 0]
    assert f["braces"][text.index("{"):text.index("}}") + 2].tolist() == [1, 1, 2, 2, 1, 0]
    assert f["line_position"][text.index("\n")] == 0 and f["line_position"][text.index("\n") + 1] == 1
    assert f["indent"][text.index("x")] == 2 and f["indent"][text.index("z")] == 2
    c = text.index("/*")
    assert f["comment"][c:c + 2].tolist() == [0, 1]
    assert f["comment"][text.index("*/") + 1] == 0 and f["comment"][text.index("z")] == 0
    assert f["comment"][text.index("w")] == 1 and f["comment"][text.rindex("\n")] == 0
    assert f["math"][text.index("m")] == 1 and f["math"][text.index("m") + 2] == 0
    assert f["env"][text.index("q")] == 1 and f["env"][-1] == 0
    assert f["word_position"][text.index("b")] == 2
    assert f["newline"].sum() == 2 and f["upper"].sum() == 0


def test_a_blank_line_closes_an_unfinished_quote():
    f = neurons.feature_values('"open\n\nnext', ["quotes"])["quotes"]
    assert f[:5].tolist() == [1] * 5 and f[-4:].tolist() == [0] * 4


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_layer_states_match_the_step_by_step_trace_across_chunks(kind):
    torch.manual_seed(0)
    model = CharLM(CharLMConfig(kind=kind, vocab_size=10, hidden=8, layers=2, embed=4)).eval()
    idx = torch.randint(0, 10, (3, 20))
    with torch.no_grad():
        _, _, tr = model(idx, trace=True)
    first, state = analysis.layer_states(model, idx[:, :12])
    second, _ = analysis.layer_states(model, idx[:, 12:], state)
    for layer in range(2):
        h = np.concatenate([first[layer]["h"], second[layer]["h"]], 1)
        np.testing.assert_allclose(h, tr.hidden[layer].numpy(), atol=1e-5)
        if kind == "lstm":
            c = np.concatenate([first[layer]["c"], second[layer]["c"]], 1)
            np.testing.assert_allclose(c, tr.cell[layer].numpy(), atol=1e-5)
    twin, _ = analysis.layer_states(torch_twin(model), idx)
    np.testing.assert_allclose(twin[1]["h"], tr.hidden[1].numpy(), atol=1e-5)


def quoted_text(n_chars: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    parts = []
    while sum(map(len, parts)) < n_chars:
        words = " ".join("".join(rng.choice("ab") for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(2, 9)))
        parts.append(f'"{words}" ' if rng.random() < 0.5 else words + " ")
    return "".join(parts)[:n_chars]


def test_the_analysis_finds_a_unit_planted_among_random_units():
    text = quoted_text(6000)
    quotes = neurons.feature_values(text, ["quotes"])["quotes"]
    rng = np.random.default_rng(1)
    acts = rng.normal(size=(len(text), 64))
    acts[:, 37] = quotes + 0.5 * rng.normal(size=len(text))
    found = neurons.correlate(acts, {"quotes": quotes})["quotes"]
    unit, r = found["top"][0]
    assert unit == 37 and r > 0.6
    assert abs(found["top"][1][1]) < 0.1 and found["chance"] < 0.2


def quote_tracking_lstm(planted: int = 1, hidden: int = 4) -> tuple[CharLM, data.Vocab]:
    """A one-layer LSTM whose unit `planted` flips its cell state at every '"', set by hand; the others random.
    A flip-flop cannot resync once it starts mid-quote, so tests run it as one stream from the start of the text."""
    vocab = data.Vocab(' "ab')
    model = CharLM(CharLMConfig(kind="lstm", vocab_size=4, hidden=hidden, layers=1, embed=4)).eval()
    cell, H, q = model.cells[0], hidden, vocab.index['"']
    torch.manual_seed(3)
    with torch.no_grad():
        model.embed.weight.copy_(torch.eye(4))
        for lin in (cell.W_xh, cell.W_hh):
            lin.weight.normal_(0, 0.5)
            lin.bias.zero_()
        rows = [planted + k * H for k in range(4)]  # the i, f, g, o rows of the planted unit
        cell.W_xh.weight[rows] = 0.0
        cell.W_hh.weight[rows] = 0.0
        cell.W_hh.weight[:, planted] = 0.0  # no other unit reads it
        i, f, g, o = rows
        cell.W_xh.weight[i, q], cell.W_xh.bias[i] = 20.0, -10.0  # write only at a quote mark
        cell.W_xh.weight[f, q], cell.W_xh.bias[f] = -20.0, 10.0  # forget only at a quote mark
        cell.W_hh.weight[g, planted], cell.W_xh.bias[g] = -10.0, 2.0  # write the opposite of the current sign
        cell.W_xh.bias[o] = 10.0
    return model, vocab


def test_the_analysis_finds_a_hand_set_quote_unit_in_a_real_model_run():
    model, vocab = quote_tracking_lstm(planted=1)
    text = quoted_text(3000, seed=2)
    pieces, starts, feats = neurons.spread_pieces(text, 1, len(text))
    acts = neurons.run_model(model, vocab, pieces, chunk=100)
    flat = {n: v[:, 50:].reshape(-1) for n, v in feats.items()}
    for key in ("L0.c", "L0.h"):
        a = acts[key][:, 50:].reshape(-1, 4)
        unit, r = neurons.correlate(a, flat)["quotes"]["top"][0]
        assert unit == 1 and r > 0.95, (key, unit, r)


def test_pieces_spread_over_the_text_carry_feature_context_from_before_them():
    text = 'x "' + "a" * 100 + '" ' + "b" * 20
    pieces, starts, feats = neurons.spread_pieces(text, 3, 20)
    assert starts == [0, (len(text) - 20) // 2, 2 * ((len(text) - 20) // 2)]
    assert all(len(p) == 20 for p in pieces) and pieces[1] == text[starts[1]:starts[1] + 20]
    assert feats["quotes"][1].tolist() == [1.0] * 20  # the middle piece lies inside the quote opened before it
    assert feats["quotes"][2].sum() == 0


def test_puzzles_have_their_answer_among_the_choices_and_a_quiet_control():
    model, vocab = quote_tracking_lstm(planted=2)
    text = quoted_text(3000, seed=4)
    pieces, _, feats = neurons.spread_pieces(text, 1, len(text))
    acts = neurons.run_model(model, vocab, pieces, chunk=100)
    flat_feats = {n: v[:, 50:].reshape(-1) for n, v in feats.items()}
    units = {k: neurons.correlate(a[:, 50:].reshape(-1, 4), flat_feats) for k, a in acts.items()}
    raw = {"toy": {"acts": acts, "feats": feats, "pieces": pieces, "burn_in": 50}}
    puzzles = neurons.order_puzzles(neurons.model_puzzles("toy", {"units": units}, raw["toy"], width=40))
    quote = [p for p in puzzles if p["answer"] == "quotes"]
    assert quote and quote[0]["unit"] == 2 and quote[0]["r"] > 0.95
    control = [p for p in puzzles if p["answer"] is None]
    assert len(control) == 1 and control[0]["unit"] != 2
    for p in puzzles:
        assert p["answer"] in p["choices"] and None in p["choices"]
        ex = p["excerpt"]
        assert len(ex["text"]) == len(ex["activation"]) == 40
        assert all(-1 <= v <= 1 for v in ex["activation"])


def test_shipped_results_are_small_consistent_and_describe_how_they_were_made():
    if not neurons.RESULTS_PATH.exists():
        pytest.skip("checkpoints/neurons.json not produced yet")
    assert neurons.RESULTS_PATH.stat().st_size < 300_000
    res = json.loads(neurons.RESULTS_PATH.read_text())
    assert res["command"].startswith("python -m core.lessons.neurons") and res["produced_at"]
    assert res["models"] and res["puzzles"]
    for m in res["models"].values():
        assert m["span"]["used_chars"] > 10_000
        for per in m["units"].values():
            for feat, v in per.items():
                assert feat in neurons.FEATURES
                rs = [abs(r) for _, r in v["top"]]
                assert rs == sorted(rs, reverse=True) and rs[0] <= 1
    for p in res["puzzles"]:
        assert p["model"] in res["models"] and p["answer"] in p["choices"]
        if p["answer"]:
            top = res["models"][p["model"]]["units"][f"L{p['layer']}.{p['signal']}"][p["answer"]]["top"][0]
            assert top == [p["unit"], p["r"]]
