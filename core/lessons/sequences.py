"""Module 1: the five input/output patterns of sequence models as Graphviz diagrams, and the
"spot the sequence" game (scenarios in assets/spot_the_sequence.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from core import settings

SPOT_FILE = settings.ASSETS / "spot_the_sequence.yaml"


@dataclass(frozen=True)
class Pattern:
    id: str
    name: str
    inputs: int  # boxes fed in
    outputs: int  # boxes read out
    delayed: bool  # outputs start only after the whole input is read
    example: str


PATTERNS = (
    Pattern("one-to-one", "One to one", 1, 1, False, "Classify a single photo: no sequence at all (a plain network)."),
    Pattern("one-to-many", "One to many", 1, 3, False, "Write a caption (a sequence of words) for one photo."),
    Pattern("many-to-one", "Many to one", 3, 1, True, "Read a whole review and give one score: positive or negative."),
    Pattern("many-to-many-delayed", "Many to many, read then write", 3, 3, True,
            "Translate a sentence: read all of it, then write the translation."),
    Pattern("many-to-many-synced", "Many to many, in step", 3, 3, False,
            "Label every frame of a video, or tag each word with its part of speech, as it arrives."),
)


def dot(p: Pattern) -> str:
    """Graphviz source: inputs (blue) -> recurrent states (green, chained left to right) -> outputs (red)."""
    steps = p.inputs + p.outputs - 1 if p.delayed else max(p.inputs, p.outputs)
    first_out = steps - p.outputs
    lines = ["digraph {", "rankdir=BT; node [shape=box, style=filled, fontname=Helvetica];"]
    for t in range(steps):
        lines.append(f'h{t} [label="h{t + 1}", fillcolor="#c8e6c9"];')
        if t:
            lines.append(f"h{t - 1} -> h{t} [constraint=false];")
        if t < p.inputs:
            lines.append(f'x{t} [label="x{t + 1}", fillcolor="#bbdefb"]; x{t} -> h{t};')
        if t >= first_out:
            k = t - first_out
            lines.append(f'y{k} [label="y{k + 1}", fillcolor="#ffcdd2"]; h{t} -> y{k};')
    lines.append("}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Scenario:
    text: str
    sequence: bool  # does the order of the data matter?
    pattern: str  # id of the best-fitting Pattern
    why: str


@cache
def scenarios(path: Path = SPOT_FILE) -> tuple[Scenario, ...]:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    ids = {p.id for p in PATTERNS}
    out = []
    for r in raw:
        if r["pattern"] not in ids:
            raise ValueError(f"Unknown pattern {r['pattern']!r} in {path.name}.")
        out.append(Scenario(r["text"].strip(), bool(r["sequence"]), r["pattern"], r["why"].strip()))
    return tuple(out)


def score(s: Scenario, sequence: bool, pattern: str) -> int:
    """One point for spotting whether order matters, two more for the right input/output pattern."""
    return int(sequence == s.sequence) + 2 * int(pattern == s.pattern)
