"""The Module 4 table linking its ideas to the settings and numbers of today's LLM tools (assets/modern_ai.yaml)."""

from __future__ import annotations

from pathlib import Path

from core.course import content
from core.data.corpora import REPO_ROOT

PATH = REPO_ROOT / "assets" / "modern_ai.yaml"
FIELDS = ("you_see", "concept", "what_it_does", "where")


def load(path: Path | str = PATH) -> dict:
    """{'title', 'intro', 'rows': [{you_see, concept, what_it_does, where}]}; ContentError('file:line: ...') when a
    row lacks a field."""
    raw = content.read_yaml(Path(path))
    if not isinstance(raw, dict) or not raw.get("rows"):
        raise content.ContentError(f"{path}: needs 'title', 'intro' and a non-empty 'rows' list")
    for row in raw["rows"]:
        missing = [f for f in FIELDS if not str(row.get(f, "")).strip()]
        if missing:
            raise content.ContentError(f"{path}:{row.get(content.LINE, 0)}: row lacks {', '.join(missing)}")
    return content.strip_lines(raw)
