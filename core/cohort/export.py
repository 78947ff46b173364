"""CSV downloads of cohort data, safe to open in a spreadsheet: a cell that starts with = + - @ (or a tab, carriage
return or newline, or their full-width forms) would run as a formula, e.g. a display name `=HYPERLINK(...)`, so such
text cells get a leading apostrophe, which spreadsheets show as text (OWASP's advice on CSV injection).

Every CSV the course offers goes through `safe_csv` (tests/cohort/test_export.py checks that no other code writes one)."""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula, made inert; numbers and everything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_csv(table: Any) -> str:
    """A pandas DataFrame as CSV text (no index), with every formula-like text cell and header neutralised.

    Rows end in CRLF (RFC 4180), so a cell holding a bare carriage return or newline is quoted and cannot start a
    row of its own (where `x<CR>=cmd...` would be a formula again)."""
    return table.map(safe_cell).rename(columns=safe_cell).to_csv(index=False, lineterminator="\r\n")
