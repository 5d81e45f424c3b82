"""Survey suite: for each check, a row that just passes it and a row that fails it."""

from __future__ import annotations

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
    ("fte_positive", {"fte": 0.5}, {"fte": 0.0}),
    ("fte_positive", {"fte": None}, {"fte": -3.0}),
    ("period_matches_folder", {"period_quarter": None}, {"period_quarter": "2020Q4"}),
    ("not_a_test_response", {"is_preview": None}, {"is_preview": True}),
    ("not_a_test_response", {"respondent_is_test": None}, {"respondent_is_test": True}),
]
WARNING_CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        f"amount_plausible:{column}",
        {column: Decimal("5000000.00")},
        {column: Decimal("5000000.01")},
    )
    for column in AMOUNTS
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


def test_every_survey_check_has_a_case(survey) -> None:
    covered = {name for name, _, _ in ERROR_CASES + WARNING_CASES}
    batch_level = {"columns_present", "row_count_positive"}
    assert {check.name for check in survey.checks} == covered | batch_level


def test_unanswered_amounts_percentages_and_fte_pass(survey, survey_frame, flagged) -> None:
    unanswered = dict.fromkeys((*AMOUNTS, "fte", "remote_share_now_pct"))
    result = validate_frame(survey_frame({}, unanswered), survey)

    assert result.row_failures.equals(flagged())
    assert result.row_warnings.equals(flagged())
    assert all(o.success for o in result.outcomes)


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
