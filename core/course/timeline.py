"""The AI timeline of Module 0 (assets/timeline.yaml): milestones with what happened and why it matters."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from core import settings

TIMELINE_FILE = settings.ASSETS / "timeline.yaml"
ERAS = ("recurrent", "attention")
FIELDS = ("id", "year", "era", "title", "source", "what", "why")


@dataclass(frozen=True)
class Milestone:
    id: str
    year: int
    era: str
    title: str
    source: str
    what: str
    why: str


@cache
def load(path: Path = TIMELINE_FILE) -> tuple[Milestone, ...]:
    """Milestones sorted by year; a missing field, an unknown era or a repeated id is a clear error."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    out, seen = [], set()
    for item in raw:
        missing = [f for f in FIELDS if not str(item.get(f, "")).strip()]
        if missing:
            raise ValueError(f"Timeline entry {item.get('id', '?')!r} lacks {missing}.")
        if item["era"] not in ERAS:
            raise ValueError(f"Timeline entry {item['id']!r}: era must be one of {ERAS}.")
        if item["id"] in seen:
            raise ValueError(f"Timeline id {item['id']!r} is repeated.")
        seen.add(item["id"])
        out.append(Milestone(**{f: (int(item[f]) if f == "year" else str(item[f]).strip()) for f in FIELDS}))
    return tuple(sorted(out, key=lambda m: m.year))
