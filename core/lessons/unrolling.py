"""Module 2's unrolled view, measured: a trained char model reads a few characters x_1..x_T, predicts y_t at every
step, and one backward pass from the prediction at the last step says how strongly it still depends on each earlier
state h_t and each input x_t (the "trace x_1 -> y_T" exercise). Read-only on the shared model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.data.corpora import Vocab
from core.models import charlm

MAX_STEPS = 8


@dataclass(frozen=True)
class Unrolled:
    chars: list[str]  # x_1..x_T, the characters read
    guesses: list[tuple[str, float]]  # y_t: the most likely next character after step t and its probability
    target: str  # the character whose log-probability at step T is traced back (the model's top guess)
    state_grad: list[float]  # ‖∂ log p_T(target) / ∂ s_t‖ for t = 1..T, s_t every layer's state handed to step t+1
    input_grad: list[float]  # ‖∂ log p_T(target) / ∂ x_t‖, x_t the embedding vector of character t


def trace_back(model: nn.Module, vocab: Vocab, text: str) -> Unrolled | None:
    """Run `text` (its first MAX_STEPS known characters) and back-propagate log p_T(top guess) once.

    Zero-valued probes are added to every state and autograd returns their gradients, which equal the gradients
    with respect to the states themselves; the model's own weights stay frozen and untouched. None if no character
    of `text` is in the vocabulary."""
    ids = vocab.encode(text, unknown="skip")[:MAX_STEPS]
    if not ids:
        return None
    model = charlm.cells_twin(model)  # our cells (a CharLM is used as it is; no weights change)
    device = next(model.parameters()).device
    with torch.enable_grad():
        xs = model.embed.weight.detach()[torch.tensor(ids, device=device)].clone().requires_grad_(True)  # (T, E)
        state = tuple(tuple(part.to(xs.dtype) for part in s) for s in model.init_state(1, device))
        probes: list[list[torch.Tensor]] = []
        logits = []
        for t in range(len(ids)):
            x = xs[t : t + 1]  # (1, E)
            new = []
            for cell, s in zip(model.cells, state, strict=True):
                s = cell(x, s)
                x = s[0]  # (1, H): feeds the next layer up at this same step
                new.append(s)
            # the state handed to step t+1 (every layer) gets a probe; the head reads the probed top layer
            eps_t = [torch.zeros_like(part, requires_grad=True) for s in new for part in s]
            it = iter(eps_t)
            state = tuple(tuple(part + next(it) for part in s) for s in new)
            probes.append(eps_t)
            logits.append(model.head(state[-1][0])[0])  # (V,)
        logp = torch.log_softmax(logits[-1], -1)  # (V,)
        target = int(logp.argmax())
        flat = [e for eps_t in probes for e in eps_t]
        # at the last step only the top layer's h feeds anything (the head): the other probes get no gradient
        grads = torch.autograd.grad(logp[target], flat + [xs], allow_unused=True)
    n = len(probes[0])
    state_grad = [float(torch.sqrt(sum(g.pow(2).sum() for g in grads[k * n:(k + 1) * n] if g is not None)))
                  for k in range(len(ids))]
    input_grad = [float(g) for g in grads[-1].norm(dim=1)]
    guesses = []
    for lg in logits:
        p = torch.softmax(lg.detach(), -1)
        q, i = p.max(-1)
        guesses.append((vocab.chars[int(i)], float(q)))
    return Unrolled([vocab.chars[i] for i in ids], guesses, vocab.chars[target], state_grad, input_grad)
