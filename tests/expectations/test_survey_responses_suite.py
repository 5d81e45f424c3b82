"""The guard on survey responses after resubmissions are resolved: one current response each."""

from __future__ import annotations

import polars as pl

from expectations.gate import validate_frame
from expectations.suites import survey_responses_suite


def _responses(*rows: tuple[str, str, bool]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "row_id": list(range(1, len(rows) + 1)),
            "municipality_code": [r[0] for r in rows],
            "quarter": [r[1] for r in rows],
            "is_superseded": [r[2] for r in rows],
        },
        schema={
            "row_id": pl.Int64,
            "municipality_code": pl.Utf8,
            "quarter": pl.Utf8,
            "is_superseded": pl.Boolean,
        },
    )


def test_one_current_response_per_municipality_and_quarter_passes(flagged) -> None:
    # GM0014 resubmitted: one current, one superseded; GM0014 in another quarter is its own.
    result = validate_frame(
        _responses(("GM0014", "2021Q1", True), ("GM0014", "2021Q1", False), ("GM0014", "2020Q4", False)),
        survey_responses_suite(),
    )

    assert result.row_failures.equals(flagged())
    assert all(o.success for o in result.outcomes)


def test_two_current_responses_of_one_municipality_fail_both(flagged) -> None:
    result = validate_frame(
        _responses(("GM0014", "2021Q1", False), ("GM0344", "2021Q1", False), ("GM0014", "2021Q1", False)),
        survey_responses_suite(),
    )

    assert result.row_failures.equals(
        flagged(
            (1, ["one_current_response_per_municipality_quarter"]),
            (3, ["one_current_response_per_municipality_quarter"]),
        )
    )
