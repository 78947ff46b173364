"""Seq2seq with and without attention: weights that sum to 1, shapes, padding that changes nothing, a tiny model
that overfits, deterministic evaluation, bad learner input, checkpoint round trip, and the shipped targets."""

import json
import subprocess
import sys

import pytest
import torch

from core.data import tasks
from core.data.corpora import REPO_ROOT
from core.models.recall import RecallConfig, RecallNet
from core.models.seq2seq import Seq2Seq, reverse_padded
from core.training import checkpoints, seq2seq_eval, stress
from core.training import seq2seq as seq2seq_training

torch.set_num_threads(1)


def tiny(attention="additive", hidden=16, seed=0, coverage=False):
    torch.manual_seed(seed)
    cfg = seq2seq_training.dates_config(attention, hidden=hidden, embed=8, attn_dim=8, coverage=coverage)
    return Seq2Seq(cfg).eval()


def batch(n=4, seed=0):
    return tasks.encode_pairs(tasks.date_dataset(n, seed, "train", "long", (30, 90)))


@pytest.mark.parametrize("attention,coverage", [("additive", False), ("additive", True), ("dot", False)])
def test_attention_weights_sum_to_one_per_step_and_ignore_padding(attention, coverage):
    src, src_len, tgt = batch()
    logits, attn = tiny(attention, coverage=coverage)(src, src_len, tgt)
    assert logits.shape == (*tgt.shape, len(tasks.TGT_VOCAB))
    assert attn.shape == (src.shape[0], tgt.shape[1], src.shape[1])
    torch.testing.assert_close(attn.sum(-1), torch.ones(tgt.shape))
    for row, n in enumerate(src_len.tolist()):
        assert attn[row, :, n:].abs().sum() == 0


def test_plain_model_has_no_attention_and_fewer_parameters():
    src, src_len, tgt = batch()
    _, attn = tiny("none")(src, src_len, tgt)
    assert attn is None
    assert tiny("none").greedy(src, src_len).attention is None
    plain = sum(p.numel() for p in tiny("none").parameters())
    assert plain < sum(p.numel() for p in tiny("additive").parameters())


def test_reverse_padded_is_its_own_inverse_and_keeps_padding_in_place():
    x = torch.arange(10).view(2, 5)
    lengths = torch.tensor([3, 5])
    assert reverse_padded(x, lengths).tolist() == [[2, 1, 0, 3, 4], [9, 8, 7, 6, 5]]
    assert torch.equal(reverse_padded(reverse_padded(x, lengths), lengths), x)


@pytest.mark.parametrize("attention,coverage", [("none", False), ("additive", True)])
def test_padding_does_not_change_the_answer(attention, coverage):
    model = tiny(attention, coverage=coverage)
    pairs = tasks.date_dataset(2, 0, "train", "long", (30, 120))
    alone = [model.greedy(*tasks.encode_pairs([p])[:2]).tokens[0] for p in pairs]
    together = model.greedy(*tasks.encode_pairs(pairs)[:2])
    for i, tokens in enumerate(alone):
        assert torch.equal(together.tokens[i, : len(tokens)], tokens)


def test_greedy_decoding_shapes_and_attention_per_output_step():
    src, src_len, _ = batch(3)
    out = tiny(coverage=True).greedy(src, src_len, max_out=12)
    assert out.tokens.shape == (3, 12) and out.lengths.shape == (3,)
    assert out.attention.shape == (3, 12, src.shape[1])
    torch.testing.assert_close(out.attention.sum(-1), torch.ones(3, 12))


@pytest.mark.parametrize("attention", ["additive", "none"])
def test_tiny_model_overfits_a_tiny_batch(attention):
    pairs = tasks.date_dataset(8, 0, "train", "short")
    src, src_len, tgt = tasks.encode_pairs(pairs)
    model = tiny(attention, hidden=32, coverage=attention == "additive").train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        loss = model.loss(src, src_len, tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    assert seq2seq_training.accuracy(model, pairs) == 1.0


def test_evaluation_is_deterministic_with_a_seed():
    model = tiny()
    a = seq2seq_eval.evaluate(model, n=12, seed=5)
    assert a == seq2seq_eval.evaluate(model, n=12, seed=5)
    assert set(a) >= {"all_formats", "long_split", "by_length", "by_format", "by_n_dates"}
    assert sum(v["n"] for v in a["by_length"].values()) == 24


@pytest.mark.parametrize("text", ["", "   ", None, "🙂 March 3 🙂", "x" * 500, "20240314", "0000", "ÄÖÜ ßé 3/3/03"])
def test_translate_gives_a_result_or_a_message_for_any_learner_input(text):
    model = tiny(coverage=True)
    tr = seq2seq_training.translate(model, text)
    assert isinstance(tr.output, str)
    assert tr.output or tr.notes
    if tr.text:
        assert len(tr.source_tokens) == len(tr.text) <= tasks.MAX_SOURCE_LEN
        assert len(tr.attention) == len(tr.output_tokens)
        assert all(len(row) == len(tr.source_tokens) for row in tr.attention)
        assert all(abs(sum(row) - 1) < 1e-4 for row in tr.attention)


def test_checkpoint_round_trip_and_clear_errors(tmp_path):
    model = tiny("dot")
    facts = seq2seq_training.save_file(tmp_path / "d.pt", model)
    checkpoints.register("d", {**facts, "model_type": seq2seq_training.MODEL_TYPE, "config": model.cfg.to_dict()},
                         tmp_path)
    loaded, entry = seq2seq_training.load("d", directory=tmp_path)
    src, src_len, _ = batch(2)
    assert torch.equal(loaded.greedy(src, src_len).tokens, loaded.greedy(src, src_len).tokens)
    (tmp_path / "d.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(checkpoints.CheckpointError):
        seq2seq_training.load("d", directory=tmp_path)


@pytest.mark.parametrize("kind,attention", [("rnn", False), ("lstm", False), ("gru", True)])
def test_recall_models_classify_and_attend(kind, attention):
    model = RecallNet(RecallConfig(kind, attention, len(tasks.RECALL_VOCAB), len(tasks.CUES), 8, 4))
    x, _ = tasks.recall_batch(5, 7, torch.Generator().manual_seed(0))
    logits, alpha = model(x)
    assert logits.shape == (5, 4)
    assert (alpha is None) != attention
    if attention:
        torch.testing.assert_close(alpha.sum(-1), torch.ones(5))
    acc = stress.accuracy_vs_distance(model, distances=(1, 3), n=10, seed=0)
    assert acc == stress.accuracy_vs_distance(model, distances=(1, 3), n=10, seed=0)


DATES = checkpoints.names(model_type=seq2seq_training.MODEL_TYPE)
SHIPPED = [n for n in ("dates-attention", "dates-plain") if n in DATES]


@pytest.mark.slow
@pytest.mark.skipif(len(SHIPPED) < 2, reason="needs the shipped dates-attention and dates-plain checkpoints")
def test_shipped_attention_model_meets_the_targets_on_fresh_data():
    attention, _ = seq2seq_training.load("dates-attention")
    plain, _ = seq2seq_training.load("dates-plain")
    a = seq2seq_eval.evaluate(attention, n=1000, seed=2024)
    p = seq2seq_eval.evaluate(plain, n=1000, seed=2024)
    assert a["all_formats"]["exact_match"] >= 0.99
    assert a["long_split"]["exact_match"] - p["long_split"]["exact_match"] >= 0.15


@pytest.mark.slow
@pytest.mark.skipif("dates-attention" not in DATES, reason="needs the shipped checkpoint")
def test_evaluate_cli_prints_fresh_accuracy_by_length_as_json():
    out = subprocess.run([sys.executable, "-m", "core.evaluate", "dates-attention", "--n", "200", "--json"],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=True)
    result = json.loads(out.stdout)
    assert result["all_formats"]["n"] == 200 and result["by_length"]


@pytest.mark.slow
@pytest.mark.skipif(stress.RECIPE not in checkpoints.names(model_type=stress.MODEL_TYPE),
                    reason="needs the shipped stress-test models")
def test_shipped_stress_table_is_reproduced_from_its_models():
    models, entry = stress.load()
    mixed, fixed = stress.measure(models, entry["config"]["eval_n"], entry["config"]["eval_seed"])
    assert mixed == entry["metrics"]["accuracy_vs_distance"]
    assert fixed == entry["metrics"]["fixed_distance_accuracy"]
