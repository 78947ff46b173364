"""Pattern search over hidden states (after LSTMVis): pick a span of a text, find the units that are on over it and
off around it, then find the other places in held-out text where the same units are on together, ranked.

Activations are display values (h, or tanh(c) for the cell state), so every unit lives in -1..1. A unit can match a
span by being high there or by being low there: each picked unit carries a sign, and the search works on the
"aligned" activation sign * value, so "on" always means aligned activation >= threshold.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from torch import nn

from core.data import corpora as data
from core.lessons import neurons

SCAN_CHARS = 20_000  # held-out characters scanned per model (kept in memory once per model per process)
PIECES = 10  # scanned as this many evenly spread pieces, run as one batch
BURN_IN = 100  # characters read before each piece to settle the state, not searched
RULES = ("contrast", "threshold")


@dataclass(frozen=True)
class UnitPick:
    unit: int
    sign: int  # +1: the unit is high over the span; -1: low (its negative is what we search for)
    inside: float  # mean aligned activation over the span
    outside: float  # mean aligned activation over the rest of the text
    threshold: float  # the unit counts as "on" where its aligned activation is >= this

    @property
    def contrast(self) -> float:
        return self.inside - self.outside


def pick_units(acts: np.ndarray, start: int, end: int, k: int = 5, rule: str = "contrast", threshold: float = 0.3,
               margin: int = 3) -> list[UnitPick]:
    """The (up to) k units that mark acts[start:end] (acts: (T, H) display values), strongest contrast first.

    "contrast": every unit, in the direction where its mean inside the span exceeds its mean outside; ranked by
    that difference; such a unit is "on" where it is nearer its inside mean than its outside mean (the midpoint is
    its threshold). "threshold" (LSTMVis's rule): only units whose aligned activation stays >= `threshold` at every
    character of the span and is < `threshold` at every one of the `margin` characters just before and just after
    it (where the text has them); ranked by contrast as well, "on" above `threshold`.
    """
    T = acts.shape[0]
    if not 0 <= start < end <= T:
        raise ValueError(f"span {start}:{end} is not inside a text of {T} characters")
    if end - start == T:
        raise ValueError("the span covers the whole text: nothing is left to compare it with")
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
    a = np.asarray(acts, dtype=np.float64)
    inside = a[start:end].mean(0)  # (H,)
    outside = np.concatenate([a[:start], a[end:]]).mean(0)  # (H,)
    picks = []
    for sign in (1, -1):
        b = sign * a  # (T, H) aligned
        diff = sign * (inside - outside)
        ok = diff > 0
        if rule == "threshold":
            around = np.concatenate([b[max(0, start - margin):start], b[end:end + margin]])  # (<= 2 margin, H)
            ok &= (b[start:end] >= threshold).all(0)
            if around.size:
                ok &= (around < threshold).all(0)
        for u in np.flatnonzero(ok):
            i, o = float(sign * inside[u]), float(sign * outside[u])
            picks.append(UnitPick(int(u), sign, i, o, threshold if rule == "threshold" else (i + o) / 2))
    picks.sort(key=lambda p: (-p.contrast, p.unit))
    return picks[:k]


@dataclass(frozen=True)
class Match:
    piece: int
    start: int  # in the piece's text
    end: int
    score: float  # mean aligned activation of the picked units over the match
    on_share: float  # mean share of picked units that are on over the match

    @property
    def length(self) -> int:
        return self.end - self.start


def aligned(acts: np.ndarray, picks: list[UnitPick]) -> np.ndarray:
    """(..., T, H) activations -> (..., T, K) sign-aligned activations of the picked units."""
    units = [p.unit for p in picks]
    signs = np.array([p.sign for p in picks], dtype=np.float32)
    return np.asarray(acts[..., units], dtype=np.float32) * signs


def find_matches(acts: np.ndarray, picks: list[UnitPick], quorum: float = 1.0,
                 min_len: int = 1, max_len: int | None = None, top: int = 20) -> tuple[list[Match], int]:
    """(best `top` matches, how many matches there are in all) in acts (B, T, H), one row per text piece.

    A match is a maximal run of characters where at least `quorum` (a share, 0..1) of the picked units are on
    (aligned activation >= the unit's threshold), with min_len <= length <= max_len. Ranked by score (how strongly
    the picked units fire over the run, on average), then by length, then by position.
    """
    if not picks:
        return [], 0
    b = aligned(acts, picks)  # (B, T, K)
    on = (b >= np.array([p.threshold for p in picks], dtype=np.float32)).mean(-1)  # (B, T)
    strength = b.mean(-1)  # (B, T)
    ok = on >= quorum - 1e-9
    found = []
    for row in range(ok.shape[0]):
        edges = np.diff(np.concatenate([[0], ok[row].astype(np.int8), [0]]))
        for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if e - s >= min_len and (max_len is None or e - s <= max_len):
                found.append(Match(row, int(s), int(e), float(strength[row, s:e].mean()), float(on[row, s:e].mean())))
    found.sort(key=lambda m: (-m.score, -m.length, m.piece, m.start))
    return found[:top], len(found)


def default_min_len(span_len: int) -> int:
    """Matches at least half as long as the span (a 1-character blip is rarely the same pattern), at most 20."""
    return max(1, min(20, span_len // 2))


def snippet(text: str, start: int, end: int, context: int = 40) -> tuple[str, str, str]:
    """(before, match, after): the match with up to `context` characters on each side, cut at line breaks that are
    more than a few characters away so a snippet stays one or two lines."""
    before, after = text[max(0, start - context):start], text[end:end + context]
    cut = before.rfind("\n", 0, max(0, len(before) - 8))
    before = before[cut + 1:] if cut >= 0 else before
    cut = after.find("\n", 8)
    after = after[:cut] if cut >= 0 else after
    return before, text[start:end], after


def find_span(text: str, needle: str, occurrence: int = 1) -> tuple[int, int] | None:
    """(start, end) of the occurrence-th (from 1) appearance of `needle` in `text`, or None."""
    if not needle:
        return None
    at = -1
    for _ in range(max(1, occurrence)):
        at = text.find(needle, at + 1)
        if at < 0:
            return None
    return at, at + len(needle)


@dataclass
class Scan:
    """Held-out text run through a model once: the searched pieces and every layer's display values on them."""
    pieces: list[str]  # (B,) searched text, burn-in left out
    starts: list[int]  # where each piece starts in the source text
    acts: dict[str, np.ndarray]  # "L1.c" -> (B, T, H) float16 display values (h, or tanh(c))
    source: str  # what was scanned, for the page
    seconds: float  # how long the pass took


def scan(model: nn.Module, vocab: data.Vocab, text: str, source: str, chars: int = SCAN_CHARS,
         pieces: int = PIECES, burn_in: int = BURN_IN) -> Scan:
    """Run up to `chars` characters of `text` (evenly spread pieces, each after `burn_in` characters that settle the
    state) through the model as one batch. Characters outside the vocabulary are dropped first."""
    text = "".join(ch for ch in text if ch in vocab)
    if not text:
        raise ValueError("the text has no character this model knows")
    started = time.perf_counter()
    per = max(1, chars // pieces)
    if len(text) < pieces * (per + burn_in):  # a short text: fewer pieces, or all of it as one without burn-in
        pieces = len(text) // (per + burn_in)
    if pieces == 0:
        pieces, per, burn_in = 1, min(len(text), chars), 0
    span = per + burn_in
    step = (len(text) - span) // (pieces - 1) if pieces > 1 else 0
    offsets = [b * step for b in range(pieces)]
    raw = neurons.run_model(model, vocab, [text[o:o + span] for o in offsets])
    acts = {key: neurons.display_values(a[:, burn_in:], key[3:]).astype(np.float16) for key, a in raw.items()}
    return Scan([text[o + burn_in:o + span] for o in offsets], [o + burn_in for o in offsets], acts, source,
                time.perf_counter() - started)


def held_out_text(corpus: str) -> str:
    """The validation split (last 10%) of a registered corpus on this server; CorpusError when it is not here
    (never downloads: a page must not wait on the network)."""
    text = data.corpus_path(corpus, download=False).read_text(encoding="utf-8")
    return data.split_text(text)[1]
