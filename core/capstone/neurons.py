"""Which hidden units of a character model track something nameable: per-character features of a text and the
Pearson correlation of every unit of one layer with each of them."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from core.models import inference

OPEN, CLOSE = "([{", ")]}"


def char_features(text: str) -> dict[str, list[float]]:
    """Per-character features of the text (the value after reading each character)."""
    feats: dict[str, list[float]] = {k: [] for k in (
        "space", "newline", "uppercase", "vowel", "digit", "punctuation", "inside quotes", "inside brackets",
        "position in line", "position in word")}
    quote, depth, col, word = False, 0, 0, 0
    for ch in text:
        if ch == '"':
            quote = not quote
        depth = depth + 1 if ch in OPEN else max(0, depth - 1) if ch in CLOSE else depth
        col = 0 if ch == "\n" else col + 1
        word = 0 if ch.isspace() else word + 1
        for name, value in (("space", ch == " "), ("newline", ch == "\n"), ("uppercase", ch.isupper()),
                            ("vowel", ch.lower() in "aeiou"), ("digit", ch.isdigit()),
                            ("punctuation", not ch.isalnum() and not ch.isspace()), ("inside quotes", quote),
                            ("inside brackets", depth > 0), ("position in line", col), ("position in word", word)):
            feats[name].append(float(value))
    return feats


@dataclass
class NeuronScan:
    chars: list[str]
    layer: int
    activations: torch.Tensor  # (T, H) hidden state of the layer after each character
    features: dict[str, list[float]]
    corr: dict[str, list[float]] = field(default_factory=dict)  # feature -> (H,) Pearson r (0 if constant)

    def best(self, top: int = 10) -> list[tuple[int, str, float]]:
        """(neuron, feature, r) with the largest |r|, one row per neuron."""
        rows = []
        for h in range(self.activations.shape[1]):
            name = max(self.corr, key=lambda f: abs(self.corr[f][h]))
            rows.append((h, name, self.corr[name][h]))
        return sorted(rows, key=lambda r: -abs(r[2]))[:top]


def pearson(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Correlation of every column of a (T, H) with b (T,); 0 where either side is constant."""
    a = a.double() - a.double().mean(0)
    b = b.double() - b.double().mean()
    denom = a.norm(dim=0) * b.norm()
    r = (a * b[:, None]).sum(0) / denom
    return torch.where(denom > 0, r, torch.zeros_like(r))


def neuron_scan(model, vocab, text: str, layer: int = -1, max_chars: int = 3_000) -> NeuronScan:
    """Run the model over `text` (unknown characters skipped) and correlate each neuron with each feature."""
    kept = "".join(ch for ch in text[:max_chars] if ch in vocab)
    if len(kept) < 20:
        raise ValueError("Need at least 20 characters the model knows to look at its neurons.")
    if not hasattr(model, "cells"):
        raise ValueError("This model was built on torch's fused layers, which do not expose per-step activations.")
    layer = layer % len(model.cells)
    with inference.inference():
        _, _, tr = model(torch.tensor([vocab.encode(kept)]), trace=True)
    acts = tr.hidden[layer][0].float().cpu()  # (T, H)
    feats = char_features(kept)
    corr = {name: pearson(acts, torch.tensor(values)).tolist() for name, values in feats.items()}
    return NeuronScan(list(kept), layer, acts, feats, corr)
