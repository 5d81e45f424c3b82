"""The static validation page: every check listed, values escaped, nothing loaded from the network."""

from __future__ import annotations

import re

import polars as pl

from expectations.docs import ROWS_SHOWN, render_index, render_run_page

RESULTS = pl.DataFrame(
    {
        "source": ["survey", "survey", "survey", "budget"],
        "suite": ["survey", "survey", "survey_drift", "budget"],
        "expectation": [
            "amount_non_negative:hardware_eur",
            "fte_plausible",
            "respondents_drop",
            "taakveld_known",
        ],
        "severity": ["error", "warning", "warning", "error"],
        "success": [False, False, True, True],
        "element_count": [5, 5, 4, 6],
        "unexpected_count": [1, 1, 0, 0],
        "description": [
            "hardware_eur is not negative",
            "fte per 1,000",
            "not down by more than 50%",
            "known",
        ],
        "message": [None, None, "4 municipalities responded in 2021Q1, 4 in 2020Q4 (+0%)", None],
    }
)
FILES = pl.DataFrame(
    {
        "source": ["survey", "budget"],
        "file_name": ["survey_2021Q1.csv", "iv3_2021Q1.csv"],
        "status": ["partial", "loaded"],
        "message": ["1 of 5 rows quarantined", None],
        "rows_read": [5, 6],
        "rows_loaded": [4, 6],
        "rows_quarantined": [1, 0],
    }
)


def _quarantined(rows: int, total: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source": ["survey"] * rows,
            "source_file": ["survey_2021Q1.csv"] * rows,
            "source_row": list(range(2, rows + 2)),
            "reasons": [["amount_non_negative:hardware_eur"]] * rows,
            "failed_values": [["hardware_eur=-500.00 <script>"]] * rows,
            "total": [total] * rows,
        },
        schema_overrides={"source_row": pl.Int64, "total": pl.Int64},
    )


WARNINGS = pl.DataFrame(
    {
        "source": ["survey"],
        "source_file": ["survey_2021Q1.csv"],
        "source_row": [4],
        "warnings": [["fte_plausible"]],
        "total": [1],
    }
)


def _page(quarantined: pl.DataFrame) -> str:
    return render_run_page(
        run_id="2021Q1-run",
        quarter="2021Q1",
        results=RESULTS,
        files=FILES,
        quarantined=quarantined,
        warnings=WARNINGS,
    )


def test_page_lists_every_check_with_its_severity_and_result() -> None:
    page = _page(_quarantined(1, 1))

    for name in RESULTS["expectation"]:
        assert f">{name}</code>" in page
    assert '<span class="failed">failed</span>' in page and '<span class="warned">warning</span>' in page
    assert "4 municipalities responded in 2021Q1, 4 in 2020Q4 (+0%)" in page
    # Flagged counts link to the rows below.
    assert '<a href="#survey-quarantine">1</a>' in page and '<a href="#survey-warnings">1</a>' in page
    assert 'id="survey-quarantine"' in page and 'id="survey-warnings"' in page


def test_page_escapes_values_and_references_nothing_outside() -> None:
    page = _page(_quarantined(1, 1))

    assert "hardware_eur=-500.00 &lt;script&gt;" in page and "<script" not in page
    assert not re.search(r"https?://", page)
    assert not re.search(r"""(src|href)=["'](?!#)""", page)


def test_long_quarantine_listing_stops_and_gives_the_command_for_the_rest() -> None:
    page = _page(_quarantined(ROWS_SHOWN, ROWS_SHOWN + 5))

    assert page.count("amount_non_negative:hardware_eur</td>") == ROWS_SHOWN
    assert "5 more: <code>costtrends quarantine --quarter 2021Q1 --source survey</code>" in page


def test_index_links_run_pages_newest_first() -> None:
    runs = pl.DataFrame(
        {
            "run_id": ["2020Q4-a", "2021Q1-b", "2021Q1-c"],
            "quarter": ["2020Q4", "2021Q1", "2021Q1"],
            "is_current": [True, False, True],
            "page": ["runs/2020Q4-a.html", "runs/2021Q1-b.html", "runs/2021Q1-c.html"],
        }
    )

    index = render_index(runs)

    assert re.findall(r'href="([^"]+)"', index) == [
        "runs/2021Q1-c.html",
        "runs/2021Q1-b.html",
        "runs/2020Q4-a.html",
    ]
    assert index.count("loaded now") == 2
