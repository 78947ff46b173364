"""The course glossary (assets/glossary.yaml): plain-English and technical definitions of every term."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from core import settings

GLOSSARY_FILE = settings.ASSETS / "glossary.yaml"


@dataclass(frozen=True)
class Term:
    term: str
    plain: str
    technical: str
    module: str
    aliases: tuple[str, ...] = ()


@cache
def load(path: Path = GLOSSARY_FILE) -> tuple[Term, ...]:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    terms = (
        Term(r["term"], r["plain"].strip(), r["technical"].strip(), r["module"], tuple(r.get("aliases") or ()))
        for r in raw
    )
    return tuple(sorted(terms, key=lambda t: t.term.lower()))


def search(terms: tuple[Term, ...], query: str) -> list[Term]:
    """Terms whose name, aliases or definitions contain every word of `query` (case-insensitive)."""
    words = query.lower().split()
    if not words:
        return list(terms)

    def haystack(t: Term) -> str:
        return " ".join((t.term, *t.aliases, t.plain, t.technical)).lower()

    return [t for t in terms if all(w in haystack(t) for w in words)]


def glossary_csv(terms: tuple[Term, ...] | None = None) -> bytes:
    """The glossary as UTF-8 CSV (with a byte-order mark so spreadsheet programs read accents correctly)."""
    terms = load() if terms is None else terms
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["term", "aliases", "plain_english", "technical", "module"])
    for t in terms:
        writer.writerow([t.term, "; ".join(t.aliases), t.plain, t.technical, t.module])
    return buf.getvalue().encode("utf-8-sig")
