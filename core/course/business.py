"""The manager's view of a module (assets/business.yaml): three concrete lines on what it means for an organisation
and, for some modules, a compact business table. Checked on load; a malformed entry names its file and line."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core import settings
from core.course.content import LINE, ContentError, read_yaml
from core.course.curriculum import load_course

BUSINESS_FILE = settings.ASSETS / "business.yaml"
LINES = 3  # "what this means for your organisation": exactly three lines per module


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""

    def markdown(self) -> str:
        """A Markdown table (pipes in cells escaped), which wraps its cells on a narrow screen."""
        def row(cells: tuple[str, ...]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
        return "\n".join([row(self.columns), "|" + "---|" * len(self.columns), *map(row, self.rows)])


@dataclass(frozen=True)
class BusinessView:
    module: str
    organisation: tuple[str, ...]
    table: Table | None = None


def _texts(value: object, where: str, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ContentError(f"{where}: '{what}' must be a list of non-empty texts")
    return tuple(v.strip() for v in value)


def _table(raw: object, where: str) -> Table:
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: 'table' must be a mapping with 'title', 'columns' and 'rows'")
    where = f"{where.rsplit(':', 1)[0]}:{raw.get(LINE, '?')}"
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ContentError(f"{where}: the table needs a 'title'")
    columns = _texts(raw.get("columns"), where, "columns")
    rows_raw = raw.get("rows")
    if not isinstance(rows_raw, list) or not rows_raw:
        raise ContentError(f"{where}: 'rows' must be a non-empty list of rows")
    rows = tuple(_texts(r, where, "rows") for r in rows_raw)
    bad = [i for i, r in enumerate(rows, 1) if len(r) != len(columns)]
    if bad:
        raise ContentError(f"{where}: rows {bad} do not have {len(columns)} cells, one per column")
    note = raw.get("note") or ""
    return Table(title.strip(), columns, rows, str(note).strip())


def parse(data: object, source: Path | str, modules: set[str] | None = None) -> dict[str, BusinessView]:
    if not isinstance(data, dict) or not isinstance(data.get("modules"), dict):
        raise ContentError(f"{source}:1: the file must hold a 'modules' mapping")
    out: dict[str, BusinessView] = {}
    for module_id, raw in data["modules"].items():
        if module_id == LINE:
            continue
        where = f"{source}:{raw.get(LINE, '?') if isinstance(raw, dict) else '?'}"
        if modules is not None and module_id not in modules:
            raise ContentError(f"{where}: unknown module {module_id!r}")
        if not isinstance(raw, dict):
            raise ContentError(f"{where}: {module_id}: expected 'organisation' (and optionally 'table')")
        lines = _texts(raw.get("organisation"), where, "organisation")
        if len(lines) != LINES:
            raise ContentError(f"{where}: {module_id}: 'organisation' has {len(lines)} lines; give exactly {LINES}")
        table = _table(raw["table"], where) if raw.get("table") is not None else None
        out[str(module_id)] = BusinessView(str(module_id), lines, table)
    return out


@cache
def load(path: Path = BUSINESS_FILE) -> dict[str, BusinessView]:
    """Module id -> its manager's view; raises ContentError (file and line) when the file is malformed."""
    return parse(read_yaml(path), path, set(load_course().modules))


def for_module(module_id: str) -> BusinessView | None:
    return load().get(module_id)
