"""The further-reading list (assets/reading.yaml): papers, posts and code in groups, each tied to a module."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from core import settings

READING_FILE = settings.ASSETS / "reading.yaml"
KINDS = ("post", "paper", "thesis", "code", "docs")


@dataclass(frozen=True)
class Reading:
    title: str
    authors: str
    url: str
    why_read: str
    module: str
    kind: str
    year: int | None = None
    start_here: bool = False

    @property
    def byline(self) -> str:
        return f"{self.authors} ({self.year})" if self.year else self.authors


@dataclass(frozen=True)
class ReadingGroup:
    id: str
    title: str
    blurb: str
    items: tuple[Reading, ...]


def _reading(raw: dict) -> Reading:
    kind = raw["kind"]
    if kind not in KINDS:
        raise ValueError(f"{raw['title']!r}: kind {kind!r} is not one of {KINDS}")
    return Reading(
        title=raw["title"].strip(),
        authors=raw["authors"].strip(),
        url=raw["url"].strip(),
        why_read=" ".join(raw["why_read"].split()),
        module=raw["module"],
        kind=kind,
        year=raw.get("year"),
        start_here=bool(raw.get("start_here", False)),
    )


@cache
def load(path: Path = READING_FILE) -> tuple[ReadingGroup, ...]:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return tuple(
        ReadingGroup(g["id"], g["title"], " ".join(g["blurb"].split()), tuple(_reading(r) for r in g["items"]))
        for g in raw
    )


def all_items(groups: tuple[ReadingGroup, ...]) -> list[Reading]:
    return [item for group in groups for item in group.items]


def start_here(groups: tuple[ReadingGroup, ...]) -> list[Reading]:
    """The few items marked as the place to begin, in list order."""
    return [item for item in all_items(groups) if item.start_here]


def for_modules(groups: tuple[ReadingGroup, ...], module_ids: set[str] | None) -> tuple[ReadingGroup, ...]:
    """The groups with only the items for `module_ids` (all items when None); empty groups are dropped."""
    if module_ids is None:
        return groups
    kept = (ReadingGroup(g.id, g.title, g.blurb, tuple(i for i in g.items if i.module in module_ids))
            for g in groups)
    return tuple(g for g in kept if g.items)
