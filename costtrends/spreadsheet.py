"""Text the project exports for spreadsheets: a cell never starts a formula.

A spreadsheet opening a CSV runs a cell beginning with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula (`=HYPERLINK(...)`, `@SUM(...)`). Exported text cells that
begin so get a leading `'`, which spreadsheets show as text. The warehouse keeps values
as they arrived: this applies to exports only.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """`value` with a leading `'` when it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_row(values: tuple | list) -> list[object]:
    return [spreadsheet_safe(v) for v in values]
