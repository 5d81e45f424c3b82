"""Survey transforms on inline frames: standardize, resolve resubmissions, go long."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.quarter import Quarter
from transforms.schema import AMOUNT_COLUMNS
from transforms.survey import costs_to_long, resolve_resubmissions, standardize_survey

D = Decimal
Q = Quarter.parse("2021Q1")
REGISTER = pl.DataFrame(
    {
        "municipality_code": ["GM0344", "GM0599", "GM0153"],
        "municipality_name": ["Utrecht", "Rotterdam", "Enschede"],
    }
)
MERGERS = pl.DataFrame(schema={"old_code": pl.Utf8, "old_name": pl.Utf8})


def raw(columns: dict[str, list[str | None]], *, files: list[str] | None = None) -> pl.DataFrame:
    """Landed rows as the readers give them: all text, plus lineage."""
    height = len(next(iter(columns.values())))
    frame = pl.DataFrame({k: pl.Series(k, v, dtype=pl.Utf8) for k, v in columns.items()})
    if "municipality" not in frame.columns:
        frame = frame.with_columns(pl.lit("Utrecht").alias("municipality"))
    return frame.with_columns(
        pl.Series("row_id", range(height), dtype=pl.Int64),
        pl.Series("source_file", files or ["a.csv"] * height, dtype=pl.Utf8),
        pl.Series("source_row", range(2, height + 2), dtype=pl.Int64),
        pl.lit("run").alias("run_id"),
    )


def standardize(frame: pl.DataFrame) -> pl.DataFrame:
    return standardize_survey(frame, quarter=Q, municipalities=REGISTER, mergers=MERGERS)


AMOUNT_CASES: list[tuple[str | None, Decimal | None, str]] = [
    ("€ 12.500,00", D("12500.00"), "ok"),
    ("12500", D("12500.00"), "ok"),
    ("12.500", D("12500.00"), "ok"),
    ("12,5", D("12.50"), "ok"),
    ("1.234.567", D("1234567.00"), "ok"),
    ("EUR 300", D("300.00"), "ok"),
    ("€300,-", D("300.00"), "ok"),
    ("4.000,-", D("4000.00"), "ok"),
    ("1 500", D("1500.00"), "ok"),
    ("120,000.50", D("120000.50"), "ok"),
    ("1234.5", D("1234.50"), "ok"),
    ("350.1250", D("350.13"), "ok"),  # a spreadsheet number 350.125, rounded half away from zero
    ("-250", D("-250.00"), "ok"),  # the parser never judges; the suite rejects negatives
    ("-", None, "not_answered"),
    ("—", None, "not_answered"),
    ("", None, "not_answered"),
    (None, None, "not_answered"),
    ("n.v.t.", None, "not_applicable"),
    ("nvt", None, "not_applicable"),
    ("weet niet", None, "unknown"),
    ("onbekend", None, "unknown"),
    ("10.000 - 20.000", D("15000.00"), "range"),
    ("€ 10.000 tot € 20.000", D("15000.00"), "range"),
    ("tussen 1.000 en 2.000", D("1500.00"), "range"),
    ("veel", None, "invalid"),
]


def test_every_amount_pattern_gives_a_value_or_the_reason_it_has_none() -> None:
    out = standardize(raw({"hardware_eur": [c[0] for c in AMOUNT_CASES]}))
    assert out.select("hardware_eur", "hardware_eur_status").rows() == [(v, s) for _, v, s in AMOUNT_CASES]
    assert out.filter(pl.col("parse_issues").list.len() > 0).select("source_row", "parse_issues").rows() == [
        (len(AMOUNT_CASES) + 1, ["parse:hardware_eur"])
    ]


def test_percentages_come_onto_one_0_to_100_scale_file_by_file() -> None:
    # a.csv writes % signs somewhere, so only values strictly between 0 and 1 are fractions;
    # b.csv writes every share as a fraction, so 1 is 100% and 1,5 is 150%.
    frame = raw(
        {
            "remote_share_now_pct": [
                "45%",
                "45",
                "0,45",
                "45,5 %",
                "150%",
                "n.v.t.",
                "1",
                "0,8",
                "1",
                "0.5",
                "1,5",
            ],
        },
        files=["a.csv"] * 7 + ["b.csv"] * 4,
    )
    assert standardize(frame)["remote_share_now_pct"].to_list() == [
        45.0,
        45.0,
        45.0,
        45.5,
        150.0,
        None,
        1.0,
        80.0,
        100.0,
        50.0,
        150.0,
    ]


def test_submission_times_read_dutch_iso_and_excel_serial_forms() -> None:
    frame = raw(
        {
            "submitted_at": [
                "44301.5",
                "2021-04-15 09:30:00",
                "05-04-2021 09:15",
                "2021-04-08T14:03:00",
                "2021-04-17 08:00:00.000000",
                "12345",  # a number, but no date this survey could have been sent
                "gisteren",
            ]
        }
    )
    assert standardize(frame)["submitted_at"].to_list() == [
        dt.datetime(2021, 4, 15, 12, 0),
        dt.datetime(2021, 4, 15, 9, 30),
        dt.datetime(2021, 4, 5, 9, 15),
        dt.datetime(2021, 4, 8, 14, 3),
        dt.datetime(2021, 4, 17, 8, 0),
        None,
        None,
    ]


def test_preview_flags_and_tool_statuses_mark_a_preview() -> None:
    values = ["Survey Preview", "Survey Test", "Voorbeeldweergave", "ja", "1", "IP Address", "nee", "", None]
    assert standardize(raw({"is_preview": values}))["is_preview"].to_list() == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_municipality_codes_from_spreadsheet_numbers_match() -> None:
    frame = raw({"municipality": ["599", "0153", "344.0", "GM 0344"]})
    assert standardize(frame)["municipality_code"].to_list() == ["GM0599", "GM0153", "GM0344", "GM0344"]


def test_periods_that_are_no_quarter_and_fte_that_is_no_number_are_parse_issues() -> None:
    frame = raw(
        {
            "period": ["eerste kwartaal", "2020Q4", "1e kwartaal 2021", "", None],
            "fte": ["veel", "n.v.t.", "812.3750", "1.250,75", None],
        }
    )
    out = standardize(frame)
    assert out.select("period_quarter", "fte", "parse_issues").rows() == [
        (None, None, ["parse:period", "parse:fte"]),
        ("2020Q4", None, []),
        ("2021Q1", 812.375, []),
        (None, 1250.75, []),
        (None, None, []),
    ]


def test_missing_response_id_falls_back_to_file_and_row() -> None:
    out = standardize(raw({"response_id": ["r1", "", None]}))
    assert out["response_id"].to_list() == ["r1", "a.csv:3", "a.csv:4"]


def _responses(rows: list[tuple[str, dt.datetime | None, str, int, bool]]) -> pl.DataFrame:
    """municipality_code, submitted_at, source_file, source_row, complete → a typed response frame."""
    frame = pl.DataFrame(
        {
            "quarter": ["2021Q1"] * len(rows),
            "municipality_code": [r[0] for r in rows],
            "submitted_at": pl.Series([r[1] for r in rows], dtype=pl.Datetime("us")),
            "source_file": [r[2] for r in rows],
            "source_row": [r[3] for r in rows],
            "response_id": [f"{r[2]}:{r[3]}" for r in rows],
        }
    )
    statuses = {
        f"{c}_status": ["ok" if r[4] or c != "hardware_eur" else "not_answered" for r in rows]
        for c in AMOUNT_COLUMNS
    }
    return frame.with_columns(pl.DataFrame(statuses))


def test_the_latest_complete_response_wins_and_the_others_are_kept_superseded() -> None:
    t = dt.datetime
    responses = _responses(
        [
            ("GM0001", t(2021, 4, 2), "a.csv", 2, True),  # complete, earlier: wins
            ("GM0001", t(2021, 4, 25), "b.csv", 2, False),  # later but incomplete
            ("GM0002", t(2021, 4, 2), "a.csv", 3, True),
            ("GM0002", t(2021, 4, 20), "b.csv", 3, True),  # later and complete: wins
            ("GM0003", t(2021, 4, 4), "a.csv", 4, True),
            ("GM0003", t(2021, 4, 4), "c.csv", 4, True),  # the same answer re-exported: later file wins
            ("GM0004", None, "a.csv", 5, True),
            ("GM0004", t(2021, 4, 1), "a.csv", 6, True),  # a time beats no time
            ("GM0005", t(2021, 4, 1), "a.csv", 7, False),
            ("GM0005", t(2021, 4, 9), "a.csv", 8, False),  # none complete: the latest
        ]
    )
    out = resolve_resubmissions(responses)
    assert out.select(
        "municipality_code", "source_file", "source_row", "is_complete", "is_superseded"
    ).rows() == [
        ("GM0001", "a.csv", 2, True, False),
        ("GM0001", "b.csv", 2, False, True),
        ("GM0002", "a.csv", 3, True, True),
        ("GM0002", "b.csv", 3, True, False),
        ("GM0003", "a.csv", 4, True, True),
        ("GM0003", "c.csv", 4, True, False),
        ("GM0004", "a.csv", 5, True, True),
        ("GM0004", "a.csv", 6, True, False),
        ("GM0005", "a.csv", 7, False, True),
        ("GM0005", "a.csv", 8, False, False),
    ]


def test_the_winner_does_not_depend_on_row_order() -> None:
    t = dt.datetime
    responses = _responses(
        [("GM0003", t(2021, 4, 4), "a.csv", 4, True), ("GM0003", t(2021, 4, 4), "c.csv", 4, True)]
    )
    forward = resolve_resubmissions(responses).sort("source_file")
    backward = resolve_resubmissions(responses.reverse()).sort("source_file")
    assert_frame_equal(forward, backward)


def test_costs_go_long_per_current_response_even_when_files_reuse_response_ids() -> None:
    # A late batch numbers its responses from 1 again: two current responses share id "1".
    responses = pl.DataFrame(
        {
            "quarter": ["2021Q1"] * 3,
            "municipality_code": ["GM0439", "GM0622", "GM0439"],
            "response_id": ["1", "1", "1"],
            "is_superseded": [False, False, True],
            **{c: pl.Series([D("10"), D("20"), D("99")], dtype=pl.Decimal(18, 2)) for c in AMOUNT_COLUMNS},
            **{f"{c}_status": ["ok", "ok", "ok"] for c in AMOUNT_COLUMNS},
        }
    ).with_columns(
        pl.lit(None, dtype=pl.Decimal(18, 2)).alias("other_eur"),
        pl.Series("other_eur_status", ["not_applicable", "unknown", "ok"]),
    )
    categories = ["hardware", "software_licences", "ict_support", "security", "other", "office_savings"]
    expected = pl.DataFrame(
        {
            "quarter": ["2021Q1"] * 12,
            "municipality_code": ["GM0439"] * 6 + ["GM0622"] * 6,
            "cost_category": categories * 2,
            "amount_eur": pl.Series(
                [
                    D("10"),
                    D("10"),
                    D("10"),
                    D("10"),
                    None,
                    D("10"),
                    D("20"),
                    D("20"),
                    D("20"),
                    D("20"),
                    None,
                    D("20"),
                ],
                dtype=pl.Decimal(18, 2),
            ),
            "answer_status": ["ok"] * 4 + ["not_applicable", "ok"] + ["ok"] * 4 + ["unknown", "ok"],
            "response_id": ["1"] * 12,
        }
    )
    assert_frame_equal(costs_to_long(responses), expected)


@pytest.mark.parametrize("column", AMOUNT_COLUMNS)
def test_amount_statuses_sit_next_to_their_values(column: str) -> None:
    out = standardize(raw({column: ["n.v.t.", "1.000"]}))
    assert out.select(column, f"{column}_status").rows() == [(None, "not_applicable"), (D("1000.00"), "ok")]
