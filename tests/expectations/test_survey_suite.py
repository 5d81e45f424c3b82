"""Survey suite: for each check, a row that just passes it and a row that fails it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from expectations.gate import validate_frame

AMOUNTS = (
    "hardware_eur",
    "software_licences_eur",
    "ict_support_eur",
    "security_eur",
    "other_eur",
    "office_savings_eur",
)

# (check, changes that still pass, changes that fail): applied to an otherwise valid row.
ERROR_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("municipality_known", {"municipality_code": "GM0599"}, {"municipality_code": None}),
    (
        "municipality_in_register",
        {"municipality_code": "GM0014"},
        {"municipality_code": "GM9999"},
    ),
    *(
        (f"amount_non_negative:{column}", {column: Decimal("0.00")}, {column: Decimal("-0.01")})
        for column in AMOUNTS
    ),
    (
        "pct_in_range:remote_share_now_pct",
        {"remote_share_now_pct": 100.0},
        {"remote_share_now_pct": 100.5},
    ),
    (
        "pct_in_range:remote_share_now_pct",
        {"remote_share_now_pct": 0.0},
        {"remote_share_now_pct": -1.0},
    ),
    (
        "pct_in_range:remote_share_expected_pct",
        {"remote_share_expected_pct": 100.0},
        {"remote_share_expected_pct": 250.0},
    ),
    # Without a population, fte_plausible (a warning) stays out of these.
    ("fte_positive", {"fte": 0.5, "population": None}, {"fte": 0.0, "population": None}),
    ("fte_positive", {"fte": None, "population": None}, {"fte": -3.0, "population": None}),
    ("period_matches_folder", {"period_quarter": None}, {"period_quarter": "2020Q4"}),
    ("not_a_test_response", {"is_preview": None}, {"is_preview": True}),
    ("not_a_test_response", {"respondent_is_test": None}, {"respondent_is_test": True}),
    # Submitted at most at the run's time plus the tolerance (the suite's submitted_before).
    (
        "submitted_not_in_future",
        {"submitted_at": dt.datetime(2021, 6, 30, 0, 0, 0)},
        {"submitted_at": dt.datetime(2021, 6, 30, 0, 0, 1)},
    ),
    # At most €250 per inhabitant: 1,000 inhabitants allow €250,000.00 (with 10 FTE, a
    # plausible 10 per 1,000).
    *(
        (
            f"amount_per_inhabitant_plausible:{column}",
            {column: Decimal("250000.00"), "population": 1000, "fte": 10.0},
            {column: Decimal("250000.01"), "population": 1000, "fte": 10.0},
        )
        for column in AMOUNTS
    ),
]
WARNING_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    *(
        (
            f"amount_plausible:{column}",
            {column: Decimal("5000000.00")},
            {column: Decimal("5000000.01")},
        )
        for column in AMOUNTS
    ),
    # 1 to 60 FTE per 1,000 inhabitants: 10,000 inhabitants allow 10 to 600 FTE.
    ("fte_plausible", {"fte": 10.0, "population": 10_000}, {"fte": 9.99, "population": 10_000}),
    ("fte_plausible", {"fte": 600.0, "population": 10_000}, {"fte": 600.5, "population": 10_000}),
]


def _ids(cases: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[str]:
    return [f"{name}-{next(iter(failing.values()))}" for name, _, failing in cases]


@pytest.mark.parametrize(("check", "passing", "failing"), ERROR_CASES, ids=_ids(ERROR_CASES))
def test_error_check_quarantines_only_the_failing_row(
    check, passing, failing, survey, survey_frame, flagged
) -> None:
    result = validate_frame(survey_frame(passing, failing), survey)

    assert result.row_failures.equals(flagged((2, [check])))
    assert result.row_warnings.equals(flagged())
    assert result.batch_errors == []
    outcome = next(o for o in result.outcomes if o.expectation == check)
    assert (outcome.success, outcome.element_count, outcome.unexpected_count) == (False, 2, 1)
    assert outcome.severity == "error"
    assert all(o.success for o in result.outcomes if o.expectation != check)


@pytest.mark.parametrize(("check", "passing", "failing"), WARNING_CASES, ids=_ids(WARNING_CASES))
def test_warning_check_flags_the_row_without_quarantining_it(
    check, passing, failing, survey, survey_frame, flagged
) -> None:
    result = validate_frame(survey_frame(passing, failing), survey)

    assert result.row_failures.equals(flagged())
    assert result.row_warnings.equals(flagged((2, [check])))
    outcome = next(o for o in result.outcomes if o.expectation == check)
    assert (outcome.success, outcome.unexpected_count, outcome.severity) == (False, 1, "warning")


def test_one_response_id_for_two_municipalities_flags_both_rows(survey, survey_frame, flagged) -> None:
    # Rows 1 and 2 share R0001 across GM0363 and GM0014; row 3 (R0003) is alone.
    frame = survey_frame({}, {"response_id": "R0001", "municipality_code": "GM0014"}, {})
    result = validate_frame(frame, survey)

    assert result.row_failures.equals(flagged())
    assert result.row_warnings.equals(
        flagged((1, ["response_id_one_municipality"]), (2, ["response_id_one_municipality"]))
    )


def test_one_response_id_resubmitted_by_one_municipality_passes(survey, survey_frame, flagged) -> None:
    frame = survey_frame({}, {"response_id": "R0001"})
    result = validate_frame(frame, survey)

    assert result.row_warnings.equals(flagged())


def test_every_survey_check_has_a_case(survey) -> None:
    covered = {name for name, _, _ in ERROR_CASES + WARNING_CASES} | {"response_id_one_municipality"}
    batch_level = {"columns_present", "row_count_positive"}
    assert {check.name for check in survey.checks} == covered | batch_level


def test_unanswered_amounts_percentages_and_fte_pass(survey, survey_frame, flagged) -> None:
    unanswered = dict.fromkeys((*AMOUNTS, "fte", "remote_share_now_pct"))
    result = validate_frame(survey_frame({}, unanswered), survey)

    assert result.row_failures.equals(flagged())
    assert result.row_warnings.equals(flagged())
    assert all(o.success for o in result.outcomes)


def test_size_relative_checks_skip_a_row_without_population(survey, survey_frame, flagged) -> None:
    # With 1,000 inhabitants the same row would be €4,000 per inhabitant and 1 FTE per 1,000.
    result = validate_frame(
        survey_frame({"hardware_eur": Decimal("4000000.00"), "fte": 1.0, "population": None}),
        survey,
    )

    assert result.row_failures.equals(flagged())
    assert result.row_warnings.equals(flagged())


def test_check_names_the_columns_that_explain_its_failure(survey) -> None:
    columns = survey.failure_columns()

    assert columns["amount_per_inhabitant_plausible:hardware_eur"] == ("hardware_eur", "population")
    assert columns["fte_plausible"] == ("fte", "population")
    assert columns["municipality_in_register"] == ("municipality", "municipality_code")
    assert "row_count_positive" not in columns


def test_row_failing_two_checks_carries_both_reasons_sorted(survey, survey_frame, flagged) -> None:
    result = validate_frame(
        survey_frame(
            {"period_quarter": "2021Q2", "municipality_code": None},
            {},
            {"hardware_eur": Decimal("-5.00"), "security_eur": Decimal("7000000.00")},
        ),
        survey,
    )

    assert result.row_failures.equals(
        flagged(
            (1, ["municipality_known", "period_matches_folder"]),
            (3, ["amount_non_negative:hardware_eur"]),
        )
    )
    assert result.row_warnings.equals(flagged((3, ["amount_plausible:security_eur"])))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount_per_inhabitant_max_eur": float("inf")}, "must be a finite number"),
        ({"fte_per_1000_min": -1}, "must not be negative"),
        ({"fte_per_1000_min": 70}, "fte_per_1000_min is above fte_per_1000_max"),
        ({"drift_max_drop_share": 1.0}, "between 0 and 1"),
        ({"drift_max_change_factor": 1}, "above 1"),
    ],
)
def test_bounds_that_make_no_sense_are_refused(changes, message) -> None:
    from dataclasses import replace

    from tests.expectations.conftest import BOUNDS

    with pytest.raises(ValueError, match=message):
        replace(BOUNDS, **changes)
