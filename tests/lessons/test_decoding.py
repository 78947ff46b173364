"""Greedy, beam and sampled decoding: beam search against brute force on short outputs, width 1 against a plain
argmax loop, and every reported log-probability against a separate scoring pass."""

import pytest
import torch

from core.data.corpora import Vocab
from core.lessons import decoding
from core.models.charlm import CharLM, CharLMConfig

VOCAB = Vocab(list("abc"))


def tiny(seed: int, kind: str = "lstm") -> CharLM:
    torch.manual_seed(seed)
    model = CharLM(CharLMConfig(kind=kind, vocab_size=3, hidden=5, layers=2, embed=3)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(4.0)  # sharper distributions, so greedy and the true best often differ
    return model


@pytest.mark.parametrize("seed", range(6))
def test_a_wide_enough_beam_finds_the_brute_force_best(seed):
    model = tiny(seed)
    best = decoding.brute_force(model, VOCAB, "ab", 4)
    found = decoding.beam(model, VOCAB, "ab", 4, width=3 ** 3)  # V^(L-1) beams keep every prefix
    assert found.text == best.text and found.logprob == pytest.approx(best.logprob, abs=1e-5)


def test_beam_never_scores_below_greedy_and_greedy_is_the_argmax_loop():
    for seed in range(8):
        model = tiny(seed, "gru")
        g = decoding.greedy(model, VOCAB, "a", 5)
        assert decoding.beam(model, VOCAB, "a", 5, 3).logprob >= g.logprob - 1e-6
        text, prime = "", "a"
        for _ in range(5):
            with torch.no_grad():
                logits, _, _ = model(torch.tensor([VOCAB.encode(prime + text)]))
            text += VOCAB.chars[int(logits[0, -1].argmax())]
        assert g.text == text and g.method == "greedy"


def test_reported_log_probabilities_match_a_separate_scoring_pass():
    model = tiny(3)
    for d in (decoding.greedy(model, VOCAB, "ca", 6), decoding.beam(model, VOCAB, "ca", 6, 4),
              decoding.sample(model, VOCAB, "ca", 6, tau=1.0, seed=0)):
        assert d.logprob == pytest.approx(decoding.score(model, VOCAB, "ca", d.text), abs=1e-5)
        assert d.per_char == pytest.approx(-d.logprob / 6)


def test_sampling_is_reproducible_by_seed_and_low_temperature_approaches_greedy():
    model = tiny(5)
    a = decoding.sample(model, VOCAB, "b", 8, tau=1.0, seed=7)
    assert a == decoding.sample(model, VOCAB, "b", 8, tau=1.0, seed=7)
    assert decoding.sample(model, VOCAB, "b", 8, tau=1e-3, seed=1).text == decoding.greedy(model, VOCAB, "b", 8).text
