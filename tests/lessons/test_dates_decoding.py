"""Teacher forcing vs free running and beam search on the dates decoder: beam search against brute force on a tiny
random model, width 1 against greedy decoding, and the stored asset (the exposure-bias example and the accuracy
per beam width) against a recomputation from the shipped checkpoints."""

import itertools

import pytest
import torch

from core.data import tasks
from core.lessons import dates_decoding as dd
from core.models.seq2seq import Seq2Seq, Seq2SeqConfig
from core.training import checkpoints
from core.training import seq2seq as seq2seq_training

TEXTS = ("5/1/10", "Paid 3 Mar 2021", "x")


def tiny_model(attention: str, seed: int, max_out: int = 4) -> Seq2Seq:
    """Random weights, a 5-token output vocabulary (<pad> <sos> <eos> '0' '1'): every output can be listed."""
    torch.manual_seed(seed)
    cfg = Seq2SeqConfig(src_vocab_size=len(tasks.SRC_VOCAB), tgt_vocab_size=5, attention=attention, hidden=8,
                        embed=4, attn_dim=4, coverage=attention == "additive", max_out=max_out,
                        pad_id=tasks.TGT_VOCAB.pad, sos_id=tasks.TGT_VOCAB.sos, eos_id=tasks.TGT_VOCAB.eos)
    model = Seq2Seq(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(4.0)  # sharper distributions, so greedy and the best answer often differ
    return model


def brute_force(model: Seq2Seq, text: str, max_len: int) -> tuple[tuple[int, ...], float]:
    """The most likely finished output of at most `max_len` tokens (<eos> included), every one scored by the
    model's teacher-forcing forward pass."""
    eos = tasks.TGT_VOCAB.eos
    others = [i for i in range(model.cfg.tgt_vocab_size) if i != eos]
    best = max((tuple(body) + (eos,) for n in range(max_len) for body in itertools.product(others, repeat=n)),
               key=lambda ids: dd.sequence_logprob(model, text, list(ids)))
    return best, dd.sequence_logprob(model, text, list(best))


@pytest.mark.parametrize("attention", ["none", "additive", "dot"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wide_beam_search_finds_the_brute_force_argmax(attention, seed):
    model = tiny_model(attention, seed)
    for text in TEXTS:
        ids, logp = brute_force(model, text, 4)
        best = dd.beam_search(model, text, 256, max_len=4)[0]  # 256 > every prefix there is (4^3)
        assert best.finished and best.ids == ids
        assert best.logprob == pytest.approx(logp, abs=1e-4)


def test_beam_scores_are_the_models_log_probabilities_and_sorted():
    model = tiny_model("additive", 3)
    beams = dd.beam_search(model, "Paid 3 Mar 2021", 8, max_len=4)
    finished = [b for b in beams if b.finished]
    assert finished and [b.logprob for b in finished] == sorted((b.logprob for b in finished), reverse=True)
    for b in finished:
        assert b.logprob == pytest.approx(dd.sequence_logprob(model, "Paid 3 Mar 2021", list(b.ids)), abs=1e-4)


def test_width_one_is_greedy_decoding_on_random_models():
    for attention, seed in itertools.product(["none", "additive", "dot"], range(4)):
        model = tiny_model(attention, seed, max_out=6)
        for text in TEXTS:
            ids = tasks.SRC_VOCAB.encode(text)
            out = model.greedy(torch.tensor([ids]), torch.tensor([len(ids)]))
            n = min(int(out.lengths[0]) + 1, out.tokens.shape[1])
            assert dd.beam_search(model, text, 1)[0].ids == tuple(out.tokens[0, :n].tolist())


# ---------------------------------------------------------------- the shipped checkpoints and the asset
@pytest.fixture(scope="module")
def asset():
    data = dd.load_asset()
    if data is None:
        pytest.skip("assets/m06_exposure_bias.json is missing (python -m core.lessons.dates_decoding --find)")
    return data


def _load(name):
    if name not in checkpoints.names(model_type=seq2seq_training.MODEL_TYPE):
        pytest.skip(f"{name} is not shipped")
    return seq2seq_training.load(name)[0]


def test_the_stored_exposure_bias_example_is_reproduced_by_the_checkpoint(asset):
    ex = asset["exposure_bias"]
    c = dd.compare(_load(ex["model"]), ex["text"], ex["target"])
    first = c.first_free_error
    # Both runs share the first mistake (same inputs so far); teacher forcing makes no other.
    assert first == ex["first_error_step"] and c.forced_wrong == [first]
    assert c.free[first].char == c.forced[first].char
    assert c.compounded == ex["compounded_steps"] and len(c.compounded) >= 1
    assert c.free_output == ex["free_output"] != ex["target"]
    assert len(ex["text"]) <= dd.SHOWN_MAX_CHARS
    stored = ex["forced"] + ex["free"]
    for s, t in zip(stored, [*c.forced, *c.free], strict=True):
        assert (s["fed"], s["char"]) == (t.fed, t.char) and s["prob"] == pytest.approx(t.prob, abs=1e-4)


def test_teacher_forced_steps_match_the_models_training_forward_pass(asset):
    ex = asset["exposure_bias"]
    model = _load(ex["model"])
    c = dd.compare(model, ex["text"], ex["target"])
    src, src_len, tgt = tasks.encode_pairs([tasks.DatePair(ex["text"], ex["target"], 1)])
    with torch.inference_mode():
        probs = torch.softmax(model(src, src_len, tgt)[0][0], -1)  # (T, V)
    assert [s.prob for s in c.forced] == pytest.approx(probs.max(-1).values.tolist(), abs=1e-5)
    assert c.forced_true_prob == pytest.approx(probs.gather(1, tgt[0][:, None]).squeeze(1).tolist(), abs=1e-5)


def test_beam_width_one_matches_greedy_on_the_real_model(asset):
    model = _load(asset["exposure_bias"]["model"])
    for pair in dd.eval_set(5):
        beam = dd.beam_search(model, pair.source, 1)[0]
        assert beam.output == seq2seq_training.translate(model, pair.source).output
        assert beam.logprob == pytest.approx(dd.sequence_logprob(model, pair.source, list(beam.ids)), abs=1e-3)


def test_stored_width_one_accuracy_equals_batched_greedy_decoding(asset):
    pairs = dd.eval_set()
    assert len(pairs) == asset["beam"]["n"] == 300
    for name, row in asset["beam"]["exact_match"].items():
        preds, _ = seq2seq_training.decode(_load(name), pairs)
        greedy = sum(p == q.target for p, q in zip(preds, pairs, strict=True)) / len(pairs)
        assert row["1"] == pytest.approx(greedy, abs=1 / len(pairs) + 1e-9)


def test_the_pages_claims_about_beam_width_hold_in_the_asset(asset):
    table = asset["beam"]["exact_match"]
    assert set(table) == set(dd.BEAM_MODELS) and all(set(r) == {str(w) for w in dd.WIDTHS} for r in table.values())
    for row in table.values():  # "on this task wider beams change little"
        assert max(row.values()) - min(row.values()) <= 0.03
    assert table["dates-attention"]["1"] > table["dates-plain"]["8"]  # no width rescues the misreading model
