"""Exported text never starts a spreadsheet formula."""

from __future__ import annotations

import pytest

from costtrends.spreadsheet import spreadsheet_row, spreadsheet_safe


@pytest.mark.parametrize(
    ("value", "exported"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+31 20 123", "'+31 20 123"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Robert'); DROP TABLE core.fct_budget;--", "Robert'); DROP TABLE core.fct_budget;--"),
        ("Groningen", "Groningen"),
        ("", ""),
        (-3, -3),
        (None, None),
    ],
)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(value: object, exported: object) -> None:
    assert spreadsheet_safe(value) == exported


def test_a_row_is_made_safe_cell_by_cell() -> None:
    assert spreadsheet_row(("2021Q1", 4, "=1+1")) == ["2021Q1", 4, "'=1+1"]
