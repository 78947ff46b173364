"""Module 8's long-range demos, the numbers behind the page: which stress-test seeds learned the dependency, the
mean accuracy the chart's lines join, and the tiny transformer's example sentences and attention on the subject."""

from __future__ import annotations

import random

from core.training import agreement, stress

LEARNED = 0.9  # a seed "learned the dependency" at this accuracy or above


def seeds_learned(fixed: dict, threshold: float = LEARNED) -> dict[str, dict[int, tuple[int, int]]]:
    """{model: {training distance: (seeds at or above `threshold`, seeds trained)}} of the fixed-distance runs."""
    return {name: {int(d): (sum(a >= threshold for a in stress.seed_values(accs)), len(stress.seed_values(accs)))
                   for d, accs in per.items()}
            for name, per in fixed.items()}


def mean_accuracy(rows: list[dict]) -> list[dict]:
    """One row per (model, distance), sorted by both, with the mean accuracy over the seeds of `rows`."""
    groups: dict[tuple[str, int], list[float]] = {}
    for r in rows:
        groups.setdefault((r["model"], r["distance"]), []).append(r["accuracy"])
    return [{"model": m, "distance": d, "accuracy": sum(accs) / len(accs)} for (m, d), accs in sorted(groups.items())]


def examples(n: int = 6) -> list[agreement.Sentence]:
    """Fixed example sentences where the nearest noun has the other number (the instructive case)."""
    rng, out = random.Random("m08-examples"), []
    while len(out) < n:
        s = agreement.make_sentence(rng, 1 + len(out) % 3)
        if s.nearest_noun_disagrees:
            out.append(s)
    return out


def attention_on(maps: list, position: int) -> list[float]:
    """The verb slot's (last query's) attention weight on `position`, per layer and head in order."""
    return [layer[h][-1][position] for layer in maps for h in range(len(layer))]
