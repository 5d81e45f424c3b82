"""Row builders for the gate tests: a valid staged row per source, changed one field at a time."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from expectations.suites import Bounds, Suite, budget_suite, survey_suite  # noqa: E402
from transforms import iv3  # noqa: E402

AMOUNTS = (
    "hardware_eur",
    "software_licences_eur",
    "ict_support_eur",
    "security_eur",
    "other_eur",
    "office_savings_eur",
)
PERCENTS = ("remote_share_now_pct", "remote_share_expected_pct")
VALID_CODES = ("GM0363", "GM0014", "GM0599")
# A small boekjaar written by hand, so each budget case can be worked out from it: lasten
# 2.1 and baten 3.4.2 belong to one side, 6.71a and 4.5.1 to another boekjaar only,
# 0.4×5.1 (lasten) and 0.1×4.3.1 (baten) are grey, 4.3.9 falls under CBS's PF009.
YEAR_CODES = iv3.YearCodes(
    boekjaar=2021,
    taakvelden=("0.1", "0.4", "7.1"),
    taakvelden_other_years=("6.71a",),
    categorieen=("1.1", "2.1", "3.4.1", "3.4.2", "4.3.1", "4.3.9", "5.1"),
    categorieen_other_years=("4.5.1",),
    lasten=("1.1", "2.1", "3.4.1", "4.3.1", "4.3.9", "5.1"),
    baten=("3.4.1", "3.4.2", "4.3.1", "4.3.9", "5.1"),
    grey_lasten=("0.4×5.1",),
    grey_baten=("0.1×4.3.1",),
    pf009=("4.3.9",),
)
# Round figures so that each case's passing and failing values can be worked out by hand.
BOUNDS = Bounds(
    amount_max_eur=5_000_000,
    amount_per_inhabitant_max_eur=250,
    fte_per_1000_min=1,
    fte_per_1000_max=60,
    drift_max_drop_share=0.5,
    drift_max_change_factor=10,
)

SURVEY_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.Int64(),
    "source_file": pl.Utf8(),
    "source_row": pl.Int64(),
    "response_id": pl.Utf8(),
    "submitted_at": pl.Datetime("us"),
    "municipality": pl.Utf8(),
    "municipality_code": pl.Utf8(),
    "quarter": pl.Utf8(),
    "period_quarter": pl.Utf8(),
    "fte": pl.Float64(),
    **{column: pl.Float64() for column in PERCENTS},
    **{column: pl.Decimal(18, 2) for column in AMOUNTS},
    "is_preview": pl.Boolean(),
    "respondent_is_test": pl.Boolean(),
    "population": pl.Int64(),
}
BUDGET_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.Int64(),
    "source_file": pl.Utf8(),
    "source_row": pl.Int64(),
    "municipality": pl.Utf8(),
    "municipality_code": pl.Utf8(),
    "quarter": pl.Utf8(),
    "period_quarter": pl.Utf8(),
    "taakveld": pl.Utf8(),
    "categorie": pl.Utf8(),
    "kind": pl.Utf8(),
    "lasten_eur": pl.Decimal(18, 2),
    "baten_eur": pl.Decimal(18, 2),
}
BUDGET_CHECK_SCHEMA: dict[str, pl.DataType] = {**BUDGET_SCHEMA, **{c: pl.Utf8() for c in iv3.CHECK_COLUMNS}}


# The run's "now" in the survey suite's future-submission check.
SUBMITTED_BEFORE = dt.datetime(2021, 6, 30)


def _survey_row(row_id: int) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "source_file": "enquete_2021Q1.csv",
        "source_row": row_id + 1,
        "response_id": f"R{row_id:04d}",
        "submitted_at": dt.datetime(2021, 4, 12, 9, 30),
        "municipality": "Amsterdam",
        "municipality_code": "GM0363",
        "quarter": "2021Q1",
        "period_quarter": "2021Q1",
        "fte": 15_000.5,
        "remote_share_now_pct": 80.0,
        "remote_share_expected_pct": 50.0,
        **{column: Decimal("12345.67") for column in AMOUNTS},
        "is_preview": False,
        "respondent_is_test": False,
        # 15,000.5 FTE is 17.9 per 1,000; 12,345.67 is €0.015 per inhabitant.
        "population": 838_338,
    }


def _budget_row(row_id: int) -> dict[str, Any]:
    return {
        "row_id": row_id,
        "source_file": "iv3_2021Q1.csv",
        "source_row": row_id + 1,
        "municipality": "Amsterdam",
        "municipality_code": "GM0363",
        "quarter": "2021Q1",
        "period_quarter": "2021Q1",
        "taakveld": "0.4",
        "categorie": "4.3.1",
        "kind": "realisatie",
        "lasten_eur": Decimal("1500000.00"),
        "baten_eur": Decimal("0.00"),
    }


FrameBuilder = Callable[..., pl.DataFrame]


def _builder(row: Callable[[int], dict[str, Any]], schema: dict[str, pl.DataType]) -> FrameBuilder:
    def build(*changes: dict[str, Any]) -> pl.DataFrame:
        """One valid row per argument (row_id 1, 2, ...), each with its changes applied."""
        rows = [{**row(row_id), **change} for row_id, change in enumerate(changes, start=1)]
        return pl.DataFrame(rows, schema=schema)

    return build


@pytest.fixture
def survey_frame() -> FrameBuilder:
    return _builder(_survey_row, SURVEY_SCHEMA)


@pytest.fixture
def budget_frame() -> FrameBuilder:
    build = _builder(_budget_row, BUDGET_SCHEMA)

    def with_check_columns(*changes: dict[str, Any]) -> pl.DataFrame:
        # The staged table carries the columns the Iv3 checks read, derived as ingest does.
        frame = build(*changes).with_columns(iv3.check_columns())
        return frame.select(list(BUDGET_CHECK_SCHEMA))

    return with_check_columns


def _flagged(*rows: tuple[int, list[str]]) -> pl.DataFrame:
    """The expected row_failures / row_warnings frame: (row_id, reasons) per row."""
    return pl.DataFrame(
        {"row_id": [r[0] for r in rows], "reasons": [r[1] for r in rows]},
        schema={"row_id": pl.Int64(), "reasons": pl.List(pl.Utf8())},
    )


@pytest.fixture
def flagged() -> Callable[..., pl.DataFrame]:
    return _flagged


@pytest.fixture(scope="session")
def survey() -> Suite:
    return survey_suite(valid_codes=VALID_CODES, bounds=BOUNDS, submitted_before=SUBMITTED_BEFORE)


@pytest.fixture(scope="session")
def budget() -> Suite:
    return budget_suite(valid_codes=VALID_CODES, codes=YEAR_CODES)
