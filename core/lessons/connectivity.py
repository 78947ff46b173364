"""The connectivity view (Module 3): how strongly one prediction of a char model depends on each earlier character.

For a text x_0 .. x_{T-1} and a target position p, the model predicts x_p from x_0 .. x_{p-1}. We take the
log-probability it gives the real character, log P(x_p | x_<p), and back-propagate it with autograd to the input
vector of every earlier step: the character's embedding e_t (what the first recurrent layer reads) or, with
wrt="onehot", the one-hot vector that selects it (∂/∂onehot_t = E · ∂/∂e_t for the embedding matrix E). The norm of
that gradient per position is the "connectivity" of Distill's "Memorization in RNNs" (Madsen, 2019), computed live.
Positions from p on cannot influence the prediction, so they get 0 and are excluded from the distances.

Plain torch + NumPy; works on CharLM (our cells) and TorchCharLM (nn.LSTM/GRU/RNN), shipped or a learner's own,
read-only (only the input gets a gradient, the shared weights stay frozen).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from core.data.corpora import Vocab

MAX_CHARS = 300  # the trio at 300 characters: 0.3-0.6 s per model on the 2-core CPU at load ~15 (7 Dec 2026)
WRT = ("embedding", "onehot")


@dataclass(frozen=True)
class Connectivity:
    text: str  # the characters the model read (characters outside its vocabulary already removed)
    target: int  # index into `text` of the predicted character (>= 1)
    norms: np.ndarray  # (len(text),) gradient norm per input position; exactly 0 from `target` on
    log_prob: float  # log P(text[target] | text[:target])
    top: list[tuple[str, float]]  # the model's most likely characters at that position, with probabilities
    seconds: float  # wall time of the forward and backward pass
    wrt: str  # "embedding" or "onehot"

    @property
    def distances(self) -> np.ndarray:
        """Distance target - t of every position that can influence the prediction (t = 0 .. target-1)."""
        return self.target - np.arange(self.target)

    def by_distance(self) -> np.ndarray:
        """Norms of positions target-1, target-2, ..., 0: item k is at distance k + 1."""
        return self.norms[: self.target][::-1].copy()


def clean_text(text: str, vocab: Vocab) -> tuple[str, list[str]]:
    """(`text` without the characters the vocabulary lacks, those characters in order of appearance)."""
    missing = vocab.unknown(text)
    return "".join(ch for ch in text if ch in vocab), missing


def _layer_weights(model: nn.Module, layer: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(W_ih, b_ih, W_hh, b_hh) of one layer in torch's gate order, from a CharLM (our cells) or a TorchCharLM."""
    if hasattr(model, "cells"):
        cell = model.cells[layer]
        return cell.W_xh.weight, cell.W_xh.bias, cell.W_hh.weight, cell.W_hh.bias
    return tuple(getattr(model.rnn, f"{name}_l{layer}") for name in ("weight_ih", "bias_ih", "weight_hh", "bias_hh"))


def logits_from_embeddings(model: nn.Module, x: Tensor) -> Tensor:
    """The model's logits (B, T, V) for input vectors x (B, T, E) instead of character ids, in eval mode (no
    dropout), from a zero state. Each layer runs as torch's fused nn.RNN/LSTM/GRU holding a frozen copy of its
    weights: forward and backward over 300 characters are 1.3-2.5x faster than stepping our cells in Python, and
    the cells share torch's equations and gate order (tests/models checks them against each other)."""
    kind, H = model.cfg.kind, model.cfg.hidden
    for layer in range(model.cfg.layers):
        rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](x.shape[-1], H, batch_first=True)
        rnn = rnn.to(device=x.device, dtype=x.dtype).requires_grad_(False)
        with torch.no_grad():
            for name, w in zip(("weight_ih_l0", "bias_ih_l0", "weight_hh_l0", "bias_hh_l0"),
                               _layer_weights(model, layer), strict=True):
                getattr(rnn, name).copy_(w)
        x, _ = rnn(x)  # (B, T, H)
    return model.head(x)


def connectivity(model: nn.Module, vocab: Vocab, text: str, target: int | None = None, wrt: str = "embedding",
                 max_chars: int = MAX_CHARS, top_k: int = 3) -> Connectivity:
    """‖∂ log P(text[target] | text[:target]) / ∂ input_t‖ for every position t of `text` (0 for t >= target).

    `target` defaults to the last character; negative values count from the end like a Python index. Raises
    ValueError for a text longer than `max_chars`, shorter than 2 characters, with characters outside the
    vocabulary (see clean_text), or a target that has no character before it.
    """
    if wrt not in WRT:
        raise ValueError(f"wrt must be one of {WRT}, got {wrt!r}.")
    if len(text) > max_chars:
        raise ValueError(f"The text has {len(text)} characters; the connectivity view takes at most {max_chars}.")
    if len(text) < 2:
        raise ValueError("The text needs at least 2 characters: one to predict and one before it.")
    ids = vocab.encode(text)  # ValueError naming the unknown characters
    T = len(ids)
    p = T - 1 if target is None else (target + T if target < 0 else target)
    if not 1 <= p < T:
        raise ValueError(f"The target must be a position from 1 to {T - 1} (0-based), got {target}.")
    start = time.perf_counter()
    E = model.embed.weight  # (V, D), frozen
    with torch.inference_mode(False), torch.enable_grad():
        idx = torch.tensor(ids[:p], device=E.device)
        x = E[idx].detach().clone()[None].requires_grad_(True)  # (1, p, D): only the text before the target
        logits = logits_from_embeddings(model, x)[0, -1]  # (V,) the prediction of text[p]
        logp = torch.log_softmax(logits.to(torch.promote_types(logits.dtype, torch.float32)), -1)
        (grad,) = torch.autograd.grad(logp[ids[p]], x)
    g = grad[0].detach()  # (p, D)
    if wrt == "onehot":
        g = g @ E.detach().T  # (p, V): the derivative along each one-hot direction
    norms = np.zeros(T)
    norms[:p] = g.double().norm(dim=-1).cpu().numpy()
    probs = logp.detach().exp().cpu()
    best = torch.topk(probs, min(top_k, probs.numel()))
    top = [(vocab.chars[int(i)], float(v)) for v, i in zip(best.values, best.indices, strict=True)]
    return Connectivity(text, p, norms, float(logp[ids[p]].detach()), top, time.perf_counter() - start, wrt)


def reach(result: Connectivity, fraction: float = 0.01) -> int:
    """The largest distance at which the gradient norm is still at least `fraction` of its maximum (0 if none)."""
    by_d = result.by_distance()
    if by_d.size == 0 or by_d.max() <= 0:
        return 0
    return int(np.nonzero(by_d >= fraction * by_d.max())[0].max()) + 1


def share_beyond(result: Connectivity, distance: int) -> float:
    """Fraction of the summed gradient norm that comes from characters more than `distance` steps back."""
    by_d = result.by_distance()
    total = by_d.sum()
    return float(by_d[distance:].sum() / total) if total > 0 else 0.0


def heat(result: Connectivity, decades: float = 4.0) -> np.ndarray:
    """Per position a shade in [0, 1] on a log scale relative to the largest norm: 1 at the maximum, 0 at
    `decades` powers of ten below it or less (and at the target and after it)."""
    n = result.norms
    top = n.max() if n.size else 0.0
    if top <= 0:
        return np.zeros_like(n)
    with np.errstate(divide="ignore"):
        level = np.log10(np.where(n > 0, n / top, 0.0))
    return np.clip(1.0 + level / decades, 0.0, 1.0)


def rows(result: Connectivity, label: str) -> list[dict]:
    """Chart rows (model, distance, position, char, norm) for every position before the target."""
    return [{"model": label, "distance": int(result.target - t), "position": t + 1, "char": result.text[t],
             "norm": float(result.norms[t])} for t in range(result.target)]


SURVEY_DISTANCES = (1, 5, 10, 20, 40, 80, 160)


def survey(model: nn.Module, vocab: Vocab, passages: list[str], targets: range = range(200, 300, 5)) -> dict:
    """Medians over every (passage, target) of: the 1% and 0.1% reach, the norm relative to its peak at
    SURVEY_DISTANCES, and the mean share of the summed norm from more than 10 and 30 characters back (the figures
    quoted in Module 3's lesson text)."""
    results = [connectivity(model, vocab, clean_text(p, vocab)[0], t) for p in passages for t in targets]
    relative = np.array([r.by_distance()[: max(SURVEY_DISTANCES)] / r.by_distance().max() for r in results
                         if r.target >= max(SURVEY_DISTANCES)])
    return {"predictions": len(results),
            "reach_1pct": float(np.median([reach(r, 0.01) for r in results])),
            "reach_0.1pct": float(np.median([reach(r, 1e-3) for r in results])),
            "relative_at": {d: float(np.median(relative[:, d - 1])) for d in SURVEY_DISTANCES} if len(relative) else {},
            "share_beyond_10": float(np.mean([share_beyond(r, 10) for r in results])),
            "share_beyond_30": float(np.mean([share_beyond(r, 30) for r in results])),
            "seconds": float(sum(r.seconds for r in results))}


def main(argv: list[str] | None = None) -> int:
    """Print survey() for shipped char models on six 300-character passages of held-out Tiny Shakespeare."""
    import argparse
    import json

    from core.data import corpora
    from core.models import inference
    from core.training import checkpoints

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("models", nargs="*", default=["shakespeare-rnn", "shakespeare-lstm", "shakespeare-gru"])
    parser.add_argument("--passages", type=int, default=6)
    args = parser.parse_args(argv)
    inference.configure_threads()
    text = corpora.load_text("tinyshakespeare")
    start = int(len(text) * 0.95)  # inside the held-out last tenth
    passages = [text[start + 1000 * k: start + 1000 * k + MAX_CHARS] for k in range(args.passages)]
    for name in args.models:
        model, entry = checkpoints.load(name)
        print(json.dumps({"model": name, **survey(inference.prepare(model), checkpoints.vocab_of(entry), passages)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
