"""Text from the landing zone shows as it is and does nothing else: console, Markdown."""

from __future__ import annotations

import os
import re

from rich.console import Console

from flows.artifacts import summary_markdown
from flows.quarterly_refresh import RefreshSummary
from sources.base import FileReport
from transforms.safe_text import console, markdown, printable


def test_undecodable_bytes_and_control_characters_show_escaped() -> None:
    name = os.fsdecode(b"uitvraag \xff\xfe.csv")
    assert printable(name) == "uitvraag \\xff\\xfe.csv"
    assert printable("a\x1b[31mred\x07.csv") == "a\\x1b[31mred\\x07.csv"
    assert printable("Súdwest-Fryslân\tü\n") == "Súdwest-Fryslân\tü\n"


def test_console_markup_prints_literally() -> None:
    out = Console(width=200, record=True, force_terminal=False)
    out.print(f"x {console('[/bold][link=https://example.invalid]y[/link] [red]')}")
    assert out.export_text().strip() == "x [/bold][link=https://example.invalid]y[/link] [red]"


def test_markdown_escapes_tables_html_and_links() -> None:
    text = "a|b <script>alert(1)</script> [x](javascript:alert(1)) & *em*"
    escaped = markdown(text)
    assert "|" not in escaped.replace("\\|", "")
    assert "<" not in escaped and ">" not in escaped
    assert "](" not in escaped
    assert escaped == (
        "a\\|b &lt;script&gt;alert\\(1\\)&lt;/script&gt; \\[x\\]\\(javascript:alert\\(1\\)\\) &amp; \\*em\\*"
    )


def test_a_hostile_file_name_keeps_the_artifact_table_whole() -> None:
    report = FileReport(
        "survey",
        "2021Q1",
        "a|b<img src=x onerror=alert(1)>.csv",
        "0" * 64,
        10,
        "rejected",
        "[click](javascript:alert(1)) | <b>bold</b>",
        rows_read=0,
    )
    summary = RefreshSummary(
        "2021Q1",
        "run-1",
        files=[
            report,
            FileReport(
                "survey", "2021Q1", "good.csv", "1" * 64, 10, "loaded", None, rows_read=1, rows_loaded=1
            ),
        ],
    )
    text = summary_markdown("Quarterly refresh 2021Q1", [summary])
    (row,) = [line for line in text.splitlines() if line.startswith("| 2021Q1 | survey | a")]
    assert len(re.findall(r"(?<!\\)\|", row)) == 9  # eight cells
    assert "<img" not in text and "<b>" not in text
    assert "](javascript:" not in text
