"""Budget suite: for each check, a row that just passes it and a row that fails it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from expectations.gate import validate_frame
from expectations.suites import budget_suite

# (check, changes that still pass, changes that fail): applied to an otherwise valid row.
CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("municipality_known", {"municipality_code": "GM0014"}, {"municipality_code": None}),
    ("municipality_in_register", {"municipality_code": "GM0599"}, {"municipality_code": "GM0001"}),
    ("key_present:taakveld", {"taakveld": "7.1"}, {"taakveld": None}),
    ("key_present:categorie", {"categorie": "1.1"}, {"categorie": None}),
    ("key_present:kind", {"kind": "begroting"}, {"kind": None}),
    ("taakveld_known", {"taakveld": "0.1"}, {"taakveld": "9.9"}),
    ("taakveld_not_in_boekjaar", {"taakveld": "7.1"}, {"taakveld": "6.71a"}),
    ("categorie_known", {"categorie": "3.4.1"}, {"categorie": "3.4"}),
    ("categorie_not_in_boekjaar", {"categorie": "1.1"}, {"categorie": "4.5.1"}),
    ("categorie_wrong_side:lasten", {"categorie": "2.1"}, {"categorie": "3.4.2"}),
    (
        "categorie_wrong_side:baten",
        {"categorie": "3.4.2", "lasten_eur": Decimal("0.00"), "baten_eur": Decimal("5.00")},
        {"categorie": "2.1", "lasten_eur": Decimal("0.00"), "baten_eur": Decimal("5.00")},
    ),
    # A grey cell may be reported, as long as it stays 0.
    ("grey_cell:lasten", {"categorie": "5.1", "lasten_eur": Decimal("0.00")}, {"categorie": "5.1"}),
    (
        "grey_cell:baten",
        {"taakveld": "0.1", "categorie": "4.3.1"},
        {"taakveld": "0.1", "categorie": "4.3.1", "baten_eur": Decimal("3.00")},
    ),
    ("PF009", {"categorie": "4.3.9", "kind": "begroting"}, {"categorie": "4.3.9"}),
    ("kind_known", {"kind": "begroting"}, {"kind": "Begroting"}),
    ("amount_present:lasten_eur", {"lasten_eur": Decimal("0.00")}, {"lasten_eur": None}),
    ("amount_present:baten_eur", {"baten_eur": Decimal("-12.50")}, {"baten_eur": None}),
    ("period_matches_folder", {"period_quarter": None}, {"period_quarter": "2021Q2"}),
]


@pytest.mark.parametrize(("check", "passing", "failing"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_check_quarantines_only_the_failing_row(
    check, passing, failing, budget, budget_frame, flagged
) -> None:
    result = validate_frame(budget_frame(passing, failing), budget)

    assert result.row_failures.equals(flagged((2, [check])))
    assert result.row_warnings.equals(flagged())
    assert result.batch_errors == []
    outcome = next(o for o in result.outcomes if o.expectation == check)
    assert (outcome.success, outcome.element_count, outcome.unexpected_count) == (False, 2, 1)
    assert all(o.success for o in result.outcomes if o.expectation != check)


def test_every_budget_check_has_a_case(budget) -> None:
    covered = {name for name, _, _ in CASES}
    assert {check.name for check in budget.checks} == covered | {
        "columns_present",
        "row_count_positive",
    }


def test_code_lists_are_code_tables_beside_the_batch_not_in_the_expectations(budget) -> None:
    # GX serializes each expectation's configuration once per metric it asks for, so the
    # long lists (hundreds of grey cells) travel as tables the gate registers. Worked out
    # from YEAR_CODES: categorie 3.4.2 is baten only, 1.1 and 2.1 lasten only.
    assert budget.code_tables() == {
        "code_set__municipality_in_register": ("GM0014", "GM0363", "GM0599"),
        "code_set__taakveld_known": ("0.1", "0.4", "6.71a", "7.1"),
        "code_set__taakveld_not_in_boekjaar": ("6.71a",),
        "code_set__categorie_known": ("1.1", "2.1", "3.4.1", "3.4.2", "4.3.1", "4.3.9", "4.5.1", "5.1"),
        "code_set__categorie_not_in_boekjaar": ("4.5.1",),
        "code_set__categorie_wrong_side_lasten": ("3.4.2",),
        "code_set__categorie_wrong_side_baten": ("1.1", "2.1"),
        "code_set__grey_cell_lasten": ("0.4×5.1",),
        "code_set__grey_cell_baten": ("0.1×4.3.1",),
        "code_set__PF009": ("4.3.9",),
    }
    lists = [
        (check.name, key)
        for check in budget.checks
        for key, value in check.expectation.configuration.kwargs.items()
        if isinstance(value, list)
    ]
    assert lists == [("columns_present", "column_set"), ("kind_known", "value_set")]


def test_outcomes_list_every_check_once_in_suite_order(budget, budget_frame) -> None:
    result = validate_frame(budget_frame({}, {"kind": "prognose"}), budget)

    assert [o.expectation for o in result.outcomes] == [c.name for c in budget.checks]
    assert {o.suite for o in result.outcomes} == {"budget"}
    assert [o.expectation for o in result.outcomes if not o.success] == ["kind_known"]


def test_empty_code_list_is_refused() -> None:
    from dataclasses import replace

    from tests.expectations.conftest import YEAR_CODES

    with pytest.raises(ValueError, match="taakveld codes is empty"):
        budget_suite(
            valid_codes=["GM0363"], codes=replace(YEAR_CODES, taakvelden=(), taakvelden_other_years=())
        )
