"""Course content files: YAML read with the line of every mapping recorded, so that a malformed quiz, card or
survey is reported as 'file:line: what is wrong' (by a test, never as a page crash)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LINE = "__line__"  # key added to every parsed mapping: its 1-based line in the file


class ContentError(ValueError):
    """Malformed course content; the message starts with 'file:line:'."""


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records the 1-based line of every mapping under LINE, for error messages."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    data = loader.construct_mapping(node, deep=True)
    data[LINE] = node.start_mark.line + 1
    return data


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; syntax errors become ContentError('file:line: ...')."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ContentError(f"{path}:{line}: not valid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: not valid YAML: {exc}") from exc


def strip_lines(value: Any) -> Any:
    """The same data without the LINE bookkeeping keys."""
    if isinstance(value, dict):
        return {k: strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [strip_lines(v) for v in value]
    return value
