"""Generating text from a char model: temperature, top-k, greedy (tau -> 0), priming, a seed per call,
and the next-character distribution. Safe on a shared model: no grad, no global RNG, state passed explicitly.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from core.data.corpora import Vocab
from core.models import fastgen, inference
from core.models.charlm import CharLM

MAX_LENGTH = 20_000  # characters generated per call
MAX_PRIME = 20_000  # only the last MAX_PRIME characters of a longer prime are read
GREEDY_BELOW = 1e-4  # temperatures below this are greedy (argmax)
MAX_TEMPERATURE = 100.0  # hotter is clamped: at 100 the distribution is already almost uniform


def check_temperature(temperature: float) -> float:
    """Validate tau: a ValueError for negative or NaN, a clamp to MAX_TEMPERATURE for huge values."""
    try:
        tau = float(temperature)
    except (TypeError, ValueError):
        raise ValueError(f"Temperature must be a number, got {temperature!r}.") from None
    if math.isnan(tau) or tau < 0:
        raise ValueError(f"Temperature must be zero or positive, got {temperature!r}.")
    return min(tau, MAX_TEMPERATURE)


def check_length(length: int) -> int:
    if not isinstance(length, int) or isinstance(length, bool):
        raise ValueError(f"Length must be a whole number of characters, got {length!r}.")
    if length < 0:
        raise ValueError(f"Length must be zero or positive, got {length}.")
    if length > MAX_LENGTH:
        raise ValueError(f"Length must be at most {MAX_LENGTH:,} characters, got {length:,}.")
    return length


def check_top_k(top_k: int | None, vocab_size: int) -> int | None:
    if top_k is None or top_k == 0:
        return None
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 0:
        raise ValueError(f"top_k must be a positive whole number (or None / 0 for off), got {top_k!r}.")
    return None if top_k >= vocab_size else top_k


def prime_ids(vocab: Vocab, prime: str) -> tuple[list[int], list[str]]:
    """The ids of the prime's known characters and the distinct unknown ones that were left out. An empty prime
    (or one with no known character) starts from a newline, or the first character of the vocabulary."""
    prime = prime[-MAX_PRIME:]
    ids = vocab.encode(prime, unknown="skip")
    if not ids:
        ids = [vocab.index.get("\n", 0)]
    return ids, vocab.unknown(prime)


def _warm_up(model: nn.Module, ids: list[int]) -> tuple[Tensor, tuple]:
    """Run the prime through the model: the logits (1, V) after its last character, and the state."""
    device = next(model.parameters()).device
    x = torch.tensor([ids], dtype=torch.long, device=device)  # (1, T)
    logits, state, _ = model(x)
    return logits[:, -1], state


def next_char_distribution(
    model: nn.Module, vocab: Vocab, prime: str, temperature: float = 1.0, top_k: int | None = None
) -> Tensor:
    """P(next char | prime) as a (V,) tensor aligned with vocab.chars; tau -> 0 puts all mass on the argmax."""
    tau = check_temperature(temperature)
    k = check_top_k(top_k, len(vocab))
    ids, _ = prime_ids(vocab, prime)
    with inference.inference():
        logits, _ = _warm_up(model, ids)
        return _probs(logits[0].float(), tau, k).cpu()


def _probs(logits: Tensor, tau: float, k: int | None) -> Tensor:
    if k is not None:
        logits = _mask_top_k(logits, k)
    if tau < GREEDY_BELOW:
        return torch.nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).float()
    return torch.softmax(logits / tau, dim=-1)


def _mask_top_k(logits: Tensor, k: int) -> Tensor:
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


def sample(
    model: nn.Module,
    vocab: Vocab,
    length: int = 500,
    temperature: float = 1.0,
    top_k: int | None = None,
    prime: str = "",
    seed: int | None = 0,
) -> str:
    """Generate `length` characters after `prime` (not included in the result). Same seed, same text.

    Draws use the Gumbel-max trick, argmax(logits / tau + G) with G ~ Gumbel(0, 1), which samples exactly from
    softmax(logits / tau); the noise for every step comes from this call's own generator, in one draw.
    """
    length = check_length(length)
    tau = check_temperature(temperature)
    k = check_top_k(top_k, len(vocab))
    if length == 0:
        return ""
    ids, _ = prime_ids(vocab, prime)
    device = next(model.parameters()).device
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(int(seed))
    greedy = tau < GREEDY_BELOW
    with inference.inference():
        u = torch.rand(length, len(vocab), generator=generator, device=device)
        gumbel = -torch.log(-torch.log(u.clamp_(1e-20, 1.0 - 1e-7)))  # (length, V)
        inv_tau = 0.0 if greedy else 1.0 / tau
        logits, state = _warm_up(model, ids)  # (1, V)
        if isinstance(model, CharLM) and device.type == "cpu":
            out = fastgen.cpu_generator(model).generate(logits[0].float().numpy(), state, gumbel.numpy(), inv_tau,
                                                        greedy, k)
        else:
            out = _generate_torch(model, logits.float(), state, gumbel, inv_tau, k, greedy)
    return vocab.decode(out)


def _generate_torch(model, logits: Tensor, state, gumbel: Tensor, inv_tau: float, k, greedy: bool) -> list[int]:
    step = fastgen.FastStepper(model) if isinstance(model, CharLM) else model.step
    out: list[Tensor] = []
    for t in range(len(gumbel)):
        scores = _mask_top_k(logits, k) if k is not None else logits
        idx = scores.argmax(-1) if greedy else torch.add(gumbel[t], scores, alpha=inv_tau).argmax(-1)  # (1,)
        out.append(idx)
        if t + 1 < len(gumbel):
            logits, state = step(idx, state)
            logits = logits.float()
    return torch.cat(out).tolist()

