"""Lesson text as data: `assets/lessons/<page id>.md`, one file per page, cut into named blocks.

A block starts with a line `<!-- block: NAME -->` and runs to the next marker; its body is Markdown with LaTeX
(`$...$` inline, `$$...$$` display), rendered by `core.ui.lesson.text(page, NAME)`. A course author edits prose
and formulas here without touching Python; `tests/course/test_lessons.py` parses every formula and rejects
control characters.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from core import settings
from core.course.content import ContentError

LESSONS_DIR = settings.ASSETS / "lessons"
MARKER = re.compile(r"^<!--\s*block:\s*([a-z0-9][a-z0-9_.-]*)\s*-->\s*$", re.M)
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<![\\$])\$(?!\$)")


def parse(text: str, source: str = "<text>") -> dict[str, str]:
    """{block name: Markdown body} in file order; text before the first marker is a comment for authors."""
    blocks: dict[str, str] = {}
    marks = list(MARKER.finditer(text))
    for i, m in enumerate(marks):
        name = m.group(1)
        if name in blocks:
            line = text.count("\n", 0, m.start()) + 1
            raise ContentError(f"{source}:{line}: block {name!r} appears twice")
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        blocks[name] = text[m.end() : end].strip("\n")
    return blocks


def path_of(page_id: str) -> Path:
    return LESSONS_DIR / f"{page_id}.md"


@cache
def _load(path: Path, mtime_ns: int) -> dict[str, str]:
    return parse(path.read_text(encoding="utf-8"), str(path))


def blocks(page_id: str) -> dict[str, str]:
    path = path_of(page_id)
    try:
        return _load(path, path.stat().st_mtime_ns)
    except OSError as exc:
        raise ContentError(f"{path}: cannot be read ({exc.strerror})") from exc


def block(page_id: str, name: str) -> str:
    found = blocks(page_id)
    if name not in found:
        raise ContentError(f"{path_of(page_id)}: no block {name!r} (has: {', '.join(found) or 'none'})")
    return found[name]


def formulas(markdown: str) -> list[tuple[str, bool]]:
    """Every LaTeX formula in a Markdown text as (latex, is_display), display blocks first."""
    display = [(m.group(1), True) for m in DISPLAY_MATH.finditer(markdown)]
    rest = DISPLAY_MATH.sub(" ", markdown)
    rest = re.sub(r"`[^`\n]*`", " ", rest)  # code spans hold dollars that are not math
    return display + [(m.group(1), False) for m in INLINE_MATH.finditer(rest)]
