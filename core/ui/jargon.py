"""The jargon translator in running text: a glossary term's plain-English line as a widget tooltip."""

from __future__ import annotations

from core.course import glossary


def tip(*terms: str) -> str | None:
    """Plain-English explanations of `terms` from assets/glossary.yaml, for a `help=` tooltip (None if none known)."""
    known = {t.term: t for t in glossary.load()}
    lines = [f"**{name}:** {known[name].plain}" for name in terms if name in known]
    return "\n\n".join(lines) or None
