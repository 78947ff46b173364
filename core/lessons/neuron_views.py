"""The numbers behind Module 5's neuron widgets: one live pass over a learner's text, which units the explorer shows
first, a feature scaled for a chart, and the two summary tables of the shipped analysis (checkpoints/neurons.json)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from core.data.corpora import Vocab
from core.lessons import analysis, neurons


def text_states(model: nn.Module, vocab: Vocab, text: str) -> list[dict[str, np.ndarray]]:
    """Every layer's activations after each character of `text`: per layer {"h": (T, H)[, "c": (T, H)]}."""
    device = next(model.parameters()).device
    layers, _ = analysis.layer_states(model, torch.tensor([vocab.encode(text)], device=device))  # (1, T)
    return [{signal: a[0] for signal, a in item.items()} for item in layers]


def rank_units(acts: np.ndarray, shown: np.ndarray, text: str, feature: str | None, held_out: dict | None,
               n: int) -> tuple[list[int], list[dict] | None]:
    """(units in display order, table rows or None) for the explorer.

    With a feature: the units the held-out analysis found first (`held_out` is one layer's entry of neurons.json),
    then the strongest by |Pearson r| on this text; each row gives both r values (None where unknown). Without a
    feature: the units whose displayed value `shown` (T, H) varies most over the text, and no table.
    """
    if feature is None:
        return [int(u) for u in np.argsort(-shown.std(0), kind="stable")[:n]], None
    f = neurons.feature_values(text, [feature])[feature]
    live = analysis.pearson_by_unit(acts, f) if neurons.usable(f, min_active=2) else None
    known = {u: r for u, r in (held_out or {}).get(feature, {}).get("top", [])}
    order = list(known)
    if live is not None:
        order += [u for u, _ in analysis.top_units(live, n + len(order)) if u not in known]
    order = order[:n]
    rows = [{"unit": u, "r on held-out text": known.get(u),
             "r on your text": None if live is None else round(float(live[u]), 3)} for u in order]
    return order, rows


def scaled_0_1(values: np.ndarray | list[float]) -> np.ndarray:
    """A non-negative feature divided by its maximum, so it shares a chart axis with activations (all-zero stays 0)."""
    f = np.asarray(values, dtype=float)
    return f / f.max() if f.size and f.max() > 0 else f


def _layer_name(key: str) -> tuple[int, str]:
    """"L1.c" -> (2, "c"): the layer counted from 1, and the signal."""
    return int(key[1]) + 1, key[3:]


def strongest_units(results: dict) -> list[dict]:
    """Per model, each memory feature's strongest unit over all layers and signals, strongest |r| first."""
    rows = []
    for name, m in results["models"].items():
        best: dict[str, tuple] = {}
        for key, per in m["units"].items():
            for feat, v in per.items():
                unit, r = v["top"][0]
                if neurons.FEATURES[feat].memory and abs(r) > abs(best.get(feat, (0, 0, 0, 0))[1]):
                    layer, signal = _layer_name(key)
                    best[feat] = (f"layer {layer} {signal} · unit {unit}", r, v["chance"], v["active_share"])
        for feat, (unit, r, chance, active) in sorted(best.items(), key=lambda kv: -abs(kv[1][1])):
            rows.append({"model": name, "feature": neurons.FEATURES[feat].label, "strongest unit": unit,
                         "Pearson r": r, "chance |r|": chance, "feature non-zero on": f"{active:.0%}"})
    return rows


def memory_shares(results: dict) -> list[dict]:
    """Per model, layer and signal: the share of units clearly linked (|r| >= 0.5, >= 0.3) to some memory feature."""
    rows = []
    for name, m in results["models"].items():
        for key, share in m["memory_share"].items():
            layer, signal = _layer_name(key)
            rows.append({"model": name, "layer": layer, "signal": neurons.SIGNALS[signal],
                         "units with |r| ≥ 0.5": f"{share['r>=0.5']:.1%}",
                         "units with |r| ≥ 0.3": f"{share['r>=0.3']:.1%}"})
    return rows
