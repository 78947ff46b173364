"""Three ways to turn a char model's next-character probabilities into text: greedy (always the most likely),
sampling (draw from the distribution, here at temperature tau) and beam search (keep the `width` most likely
continuations so far). Each result carries its log-probability under the model, so the page can compare them.
Read-only on a shared model: state is passed explicitly and everything runs under inference mode.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from core.data.corpora import Vocab


@dataclass(frozen=True)
class Decoded:
    method: str
    text: str  # the continuation only, without the prime
    logprob: float  # log p(text | prime) under the model at temperature 1, in nats

    @property
    def per_char(self) -> float:
        """Average nats per character (the loss a learner knows from Module 4)."""
        return -self.logprob / max(1, len(self.text))


def _start(model: nn.Module, vocab: Vocab, prime: str) -> tuple[Tensor, tuple]:
    """Feed `prime` (unknown characters skipped; an empty prime starts from the first vocabulary entry) and return
    the log-probabilities of the next character (V,) and the state after it."""
    ids = vocab.encode(prime, unknown="skip") or [0]
    device = next(model.parameters()).device
    state = model.init_state(1, device)
    for i in ids:
        logits, state = model.step(torch.tensor([i], device=device), state)
    return torch.log_softmax(logits[0].float(), -1), state


def _select(state: tuple, index: Tensor) -> tuple:
    """Pick rows `index` of every tensor in a per-layer model state."""
    return tuple(tuple(part[index] for part in layer) for layer in state)


def _advance(model: nn.Module, ids: Tensor, state: tuple) -> tuple[Tensor, tuple]:
    logits, state = model.step(ids, state)  # (B, V)
    return torch.log_softmax(logits.float(), -1), state


def beam(model: nn.Module, vocab: Vocab, prime: str, length: int, width: int) -> Decoded:
    """Beam search over `length` characters: after each step keep the `width` best partial continuations by total
    log-probability. Width 1 is greedy decoding."""
    with torch.inference_mode():
        logp, state = _start(model, vocab, prime)
        device = logp.device
        scores = torch.zeros(1, device=device)  # (K,) total log-probability of each kept continuation
        seqs: list[list[int]] = [[]]
        for step in range(length):
            total = scores[:, None] + logp.reshape(len(seqs), -1)  # (K, V)
            best, flat = total.reshape(-1).topk(min(width, total.numel()))
            V = total.shape[1]
            parent, char = flat // V, flat % V
            seqs = [seqs[int(p)] + [int(c)] for p, c in zip(parent, char, strict=True)]
            scores = best
            if step + 1 < length:
                logp, state = _advance(model, char, _select(state, parent))
    method = "greedy" if width == 1 else f"beam search, width {width}"
    return Decoded(method, vocab.decode(seqs[0]), float(scores[0]))


def greedy(model: nn.Module, vocab: Vocab, prime: str, length: int) -> Decoded:
    return beam(model, vocab, prime, length, 1)


def sample(model: nn.Module, vocab: Vocab, prime: str, length: int, tau: float, seed: int) -> Decoded:
    """Draw each character from softmax(logits / tau) with a private generator; score it at tau 1."""
    gen = torch.Generator().manual_seed(seed)
    out, total = [], 0.0
    with torch.inference_mode():
        logp, state = _start(model, vocab, prime)
        for _ in range(length):
            probs = torch.softmax(logp.reshape(-1) / tau, -1).cpu()
            i = int(torch.multinomial(probs, 1, generator=gen))
            total += float(logp.reshape(-1)[i])
            out.append(i)
            logp, state = _advance(model, torch.tensor([i], device=logp.device), state)
    return Decoded(f"sampling at τ = {tau:g}", vocab.decode(out), total)


def score(model: nn.Module, vocab: Vocab, prime: str, text: str) -> float:
    """log p(text | prime) under the model, in nats (every character of `text` must be in the vocabulary)."""
    ids = vocab.encode(text)
    total = 0.0
    with torch.inference_mode():
        logp, state = _start(model, vocab, prime)
        for i in ids:
            total += float(logp.reshape(-1)[i])
            logp, state = _advance(model, torch.tensor([i], device=logp.device), state)
    return total


def brute_force(model: nn.Module, vocab: Vocab, prime: str, length: int) -> Decoded:
    """The most likely continuation found by scoring every one of V^length strings (tiny vocabularies only)."""
    best = max(("".join(chars) for chars in itertools.product(vocab.chars, repeat=length)),
               key=lambda text: score(model, vocab, prime, text))
    return Decoded("every string scored", best, score(model, vocab, prime, best))
