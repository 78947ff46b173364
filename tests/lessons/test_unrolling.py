"""The unrolled view's backward pass against gradients taken a second, independent way: re-running the model from
each intermediate state and differentiating with respect to that state (and to the input embeddings) directly."""

import numpy as np
import pytest
import torch

from core.data.corpora import Vocab
from core.lessons import unrolling
from core.models.charlm import CharLM, CharLMConfig

VOCAB = Vocab(list("ROMEabcdeo :"))


def tiny(kind: str, layers: int = 2) -> CharLM:
    torch.manual_seed(1)
    model = CharLM(CharLMConfig(kind=kind, vocab_size=len(VOCAB), hidden=6, layers=layers, embed=4)).double().eval()
    for p in model.parameters():
        p.requires_grad_(False)  # like a shared, frozen model
    return model


def log_p_last(model, xs, start_t, state, target):
    """log p_T(target) when the model is restarted at step start_t from `state`, reading xs[start_t:]."""
    for t in range(start_t, xs.shape[0]):
        x = xs[t:t + 1]
        new = []
        for cell, s in zip(model.cells, state, strict=True):
            s = cell(x, s)
            x = s[0]
            new.append(s)
        state = tuple(new)
    return torch.log_softmax(model.head(x)[0], -1)[target]


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_gradients_match_a_restart_from_every_state(kind):
    model = tiny(kind)
    text = "ROMEO"
    got = unrolling.trace_back(model, VOCAB, text)
    ids = VOCAB.encode(text)
    target = VOCAB.index[got.target]
    xs = model.embed.weight[torch.tensor(ids)].clone()
    # inputs: one direct backward pass with the embeddings as leaves
    leaf = xs.clone().requires_grad_(True)
    zero = tuple(tuple(p.double() for p in s) for s in model.init_state(1))
    (g,) = torch.autograd.grad(log_p_last(model, leaf, 0, zero, target), leaf)
    np.testing.assert_allclose(got.input_grad, g.norm(dim=1).numpy(), rtol=1e-9)
    # states: run to step t without gradients, then differentiate from there
    state, ref = zero, []
    for t in range(len(ids)):
        with torch.no_grad():
            x = xs[t:t + 1]
            new = []
            for cell, s in zip(model.cells, state, strict=True):
                s = cell(x, s)
                x = s[0]
                new.append(s)
            state = tuple(new)
        leaves = tuple(tuple(p.clone().requires_grad_(True) for p in s) for s in state)
        flat = [p for s in leaves for p in s]
        if t == len(ids) - 1:
            out = torch.log_softmax(model.head(leaves[-1][0])[0], -1)[target]
        else:
            out = log_p_last(model, xs, t + 1, leaves, target)
        grads = torch.autograd.grad(out, flat, allow_unused=True)
        ref.append(float(torch.sqrt(sum((gr ** 2).sum() for gr in grads if gr is not None))))
    np.testing.assert_allclose(got.state_grad, ref, rtol=1e-9)


def test_guesses_are_the_models_most_likely_next_characters_and_the_target_is_the_last():
    model = tiny("lstm").float()
    got = unrolling.trace_back(model, VOCAB, "abc")
    assert got.chars == ["a", "b", "c"] and len(got.guesses) == 3
    with torch.no_grad():
        logits, _, _ = model(torch.tensor([VOCAB.encode("abc")]))
    probs = torch.softmax(logits[0], -1)
    for (ch, p), row in zip(got.guesses, probs, strict=True):
        assert ch == VOCAB.chars[int(row.argmax())] and p == pytest.approx(float(row.max()))
    assert got.target == got.guesses[-1][0]


def test_unknown_characters_are_skipped_and_long_text_is_cut():
    model = tiny("rnn", layers=1)
    assert unrolling.trace_back(model, VOCAB, "xyz") is None
    got = unrolling.trace_back(model, VOCAB, "R?O!M" + "a" * 20)
    assert got.chars[:3] == ["R", "O", "M"] and len(got.chars) == unrolling.MAX_STEPS
    assert all(v > 0 for v in got.state_grad)


def test_the_shared_model_is_left_untouched():
    model = tiny("gru")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    unrolling.trace_back(model, VOCAB, "ROMEO")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None and not p.requires_grad for p in model.parameters())
