"""Reference suites on the seed files: for each check, a row that passes it and one that fails it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from expectations.gate import validate_frame
from expectations.suites import reference_suites
from warehouse.db import SEEDS_DIR

REGISTER_CODES = ("GM0001", "GM0002", "GM0014", "GM1979")
SUITES = reference_suites(population_columns=("population_2020",), register_codes=REGISTER_CODES)


def _municipality(row_id: int) -> dict[str, Any]:
    return {
        "code": f"GM{row_id:04d}",
        "name": f"Gemeente {row_id}",
        "province": "Groningen",
        "valid_from": None,
        "valid_to": None,
        "population_2020": "11642",
    }


def _merger(row_id: int) -> dict[str, Any]:
    return {
        "old_code": f"GM{row_id + 100:04d}",
        "old_name": f"Oud {row_id}",
        "new_code": "GM1979",
        "new_name": "Eemsdelta",
        "effective_date": "2021-01-01",
        "share": None,
    }


def _code(prefix: str) -> Callable[[int], dict[str, Any]]:
    return lambda row_id: {"code": f"{prefix}.{row_id}", "name": f"Code {row_id}"}


ROWS = {
    "municipalities.csv": _municipality,
    "mergers.csv": _merger,
}


def _frame(seed: str, *changes: dict[str, Any]) -> pl.DataFrame:
    """One valid text row of the seed per argument (row_id 2, 3, ...: the file's lines)."""
    rows = [
        {"row_id": line, **ROWS[seed](line - 1), **change} for line, change in enumerate(changes, start=2)
    ]
    return pl.DataFrame(
        rows, schema={"row_id": pl.Int64, **dict.fromkeys(rows[0].keys() - {"row_id"}, pl.Utf8)}
    )


# (seed, check, changes that still pass, changes that fail): the second row alone fails.
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("municipalities.csv", "code_present", {"code": "GM0363"}, {"code": None}),
    ("municipalities.csv", "code_well_formed", {"code": "GM1979"}, {"code": "GM197"}),
    ("municipalities.csv", "code_well_formed", {"code": "GM0014"}, {"code": "gm0014"}),
    ("municipalities.csv", "name_present", {"name": "Eemsdelta"}, {"name": None}),
    (
        "municipalities.csv",
        "population_positive:population_2020",
        {"population_2020": "1"},
        {"population_2020": "0"},
    ),
    (
        "municipalities.csv",
        "population_positive:population_2020",
        {"population_2020": None},
        {"population_2020": "-5"},
    ),
    # Written with a thousands dot, 12.000 is not a number the register can read.
    (
        "municipalities.csv",
        "population_positive:population_2020",
        {"population_2020": "12000"},
        {"population_2020": "12.000"},
    ),
    (
        "municipalities.csv",
        "date_well_formed:valid_from",
        {"valid_from": "2021-01-01"},
        {"valid_from": "1-1-2021"},
    ),
    (
        "municipalities.csv",
        "date_well_formed:valid_to",
        {"valid_to": "2020-12-31"},
        {"valid_to": "31/12/2020"},
    ),
    ("mergers.csv", "code_well_formed:old_code", {"old_code": "GM0003"}, {"old_code": "GM03"}),
    ("mergers.csv", "successor_in_register", {"new_code": "GM0014"}, {"new_code": "GM0999"}),
    ("mergers.csv", "effective_date_present", {"effective_date": "2019-01-01"}, {"effective_date": None}),
    (
        "mergers.csv",
        "date_well_formed:effective_date",
        {"effective_date": "2019-01-01"},
        {"effective_date": "2019-1-1"},
    ),
    ("mergers.csv", "share_in_range", {"share": "1"}, {"share": "een half"}),
]


@pytest.mark.parametrize(
    ("seed", "check", "passing", "failing"),
    CASES,
    ids=[f"{seed}-{check}-{next(iter(failing.values()))}" for seed, check, _, failing in CASES],
)
def test_check_flags_only_the_failing_seed_row(seed, check, passing, failing, flagged) -> None:
    result = validate_frame(_frame(seed, passing, failing), SUITES[seed])

    assert result.row_failures.equals(flagged((3, [check])))
    assert result.batch_errors == []
    assert all(o.success for o in result.outcomes if o.expectation != check)


def test_malformed_successor_code_is_neither_well_formed_nor_in_the_register(flagged) -> None:
    result = validate_frame(
        _frame("mergers.csv", {"new_code": "GM0002"}, {"new_code": "1979"}), SUITES["mergers.csv"]
    )

    assert result.row_failures.equals(flagged((3, ["code_well_formed:new_code", "successor_in_register"])))


@pytest.mark.parametrize("seed", ["municipalities.csv"])
def test_a_code_given_twice_flags_both_rows(seed, flagged) -> None:
    first = ROWS[seed](1)["code"]
    result = validate_frame(_frame(seed, {}, {}, {"code": first}), SUITES[seed])

    assert result.row_failures.equals(flagged((2, ["code_unique"]), (4, ["code_unique"])))


def test_shares_of_a_split_municipality_must_sum_to_one(flagged) -> None:
    # GM0053 is split 0.5 / 0.5; GM0788's shares add up to 0.9, so both its rows fail.
    result = validate_frame(
        _frame(
            "mergers.csv",
            {"old_code": "GM0053", "new_code": "GM0001", "share": "0.5"},
            {"old_code": "GM0053", "new_code": "GM0002", "share": "0.5"},
            {"old_code": "GM0788", "new_code": "GM0001", "share": "0.6"},
            {"old_code": "GM0788", "new_code": "GM0002", "share": "0.3"},
        ),
        SUITES["mergers.csv"],
    )

    assert result.row_failures.equals(flagged((4, ["shares_sum_to_one"]), (5, ["shares_sum_to_one"])))


def test_a_share_above_one_fails_even_when_the_sum_is_one(flagged) -> None:
    result = validate_frame(
        _frame(
            "mergers.csv",
            {"old_code": "GM0053", "new_code": "GM0001", "share": "1.5"},
            {"old_code": "GM0053", "new_code": "GM0002", "share": "-0.5"},
        ),
        SUITES["mergers.csv"],
    )

    assert result.row_failures.equals(flagged((2, ["share_in_range"]), (3, ["share_in_range"])))


def test_a_seed_without_rows_or_a_column_is_a_batch_error() -> None:
    empty = validate_frame(_frame("municipalities.csv", {}).clear(), SUITES["municipalities.csv"])
    nameless = validate_frame(_frame("municipalities.csv", {}).drop("province"), SUITES["municipalities.csv"])

    assert empty.batch_errors == ["row_count_positive failed (the file has at least one row): observed 0"]
    assert nameless.batch_errors == [
        "columns_present failed (the table has every column the checks read): missing province"
    ]


def test_every_reference_check_has_a_case() -> None:
    covered = {(seed, check) for seed, check, _, _ in CASES} | {
        ("mergers.csv", "code_well_formed:new_code"),
        ("mergers.csv", "shares_sum_to_one"),
        *((seed, "code_unique") for seed in ("municipalities.csv",)),
        *((seed, check) for seed in ROWS for check in ("columns_present", "row_count_positive")),
    }
    assert {(seed, c.name) for seed, suite in SUITES.items() for c in suite.checks} == covered


def test_the_seeds_in_the_repository_pass_and_are_checked_once(monkeypatch) -> None:
    from warehouse import seeds as seed_checks

    monkeypatch.setattr(seed_checks, "_VALID_SEEDS", set())

    outcomes = seed_checks.validate_reference_seeds(SEEDS_DIR)
    again = seed_checks.validate_reference_seeds(SEEDS_DIR)

    assert {o.suite for o in outcomes} == {s.name for s in SUITES.values()}
    assert all(o.success for o in outcomes)
    assert again == []


def test_an_unreadable_seed_stops_the_run(tmp_path: Path) -> None:
    from warehouse.seeds import SeedsInvalid, validate_reference_seeds

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    (seeds / "mergers.csv").unlink()

    with pytest.raises(SeedsInvalid, match=r"cannot be read: .*mergers\.csv"):
        validate_reference_seeds(seeds, workdir=tmp_path)


def test_a_broken_seed_stops_the_run_naming_file_line_and_check(tmp_path: Path) -> None:
    from warehouse.seeds import SeedsInvalid, validate_reference_seeds

    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    register = (seeds / "municipalities.csv").read_text().splitlines()
    # Line 3 (the second municipality) loses a digit of its code.
    code = register[2].split(",")[0]
    register[2] = register[2].replace(code, code[:-1], 1)
    (seeds / "municipalities.csv").write_text("\n".join(register) + "\n")

    with pytest.raises(SeedsInvalid) as raised:
        validate_reference_seeds(seeds, workdir=tmp_path)

    assert str(raised.value) == (
        f"seed files in {seeds} break reference checks:\n"
        "  municipalities.csv: code_well_formed (code is a CBS municipality code (GM and four digits))"
        " fails on line(s) 3"
    )


def _copy_seeds(tmp_path: Path) -> Path:
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    return seeds


def test_seeds_that_passed_in_an_earlier_process_are_not_checked_again(tmp_path: Path, monkeypatch) -> None:
    from warehouse import seeds as seed_checks

    seeds, passed_dir = _copy_seeds(tmp_path), tmp_path / "work"
    monkeypatch.setattr(seed_checks, "_VALID_SEEDS", set())
    outcomes = seed_checks.validate_reference_seeds(seeds, workdir=tmp_path, passed_dir=passed_dir)
    assert {o.suite for o in outcomes} == {s.name for s in SUITES.values()}

    # A new process: nothing remembered in memory, and Great Expectations must not run.
    def gate_must_not_run(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("reference suites ran again")

    monkeypatch.setattr(seed_checks, "_VALID_SEEDS", set())
    monkeypatch.setattr(seed_checks, "validate_frame", gate_must_not_run)

    assert seed_checks.validate_reference_seeds(seeds, workdir=tmp_path, passed_dir=passed_dir) == []


def test_an_edited_seed_is_checked_again_and_its_failure_is_never_remembered(
    tmp_path: Path, monkeypatch
) -> None:
    from warehouse import seeds as seed_checks

    seeds, passed_dir = _copy_seeds(tmp_path), tmp_path / "work"
    monkeypatch.setattr(seed_checks, "_VALID_SEEDS", set())
    seed_checks.validate_reference_seeds(seeds, workdir=tmp_path, passed_dir=passed_dir)
    passed = (passed_dir / seed_checks.SEEDS_PASSED_FILE).read_text()
    register = (seeds / "municipalities.csv").read_text().splitlines()
    code = register[2].split(",")[0]
    register[2] = register[2].replace(code, code[:-1], 1)
    (seeds / "municipalities.csv").write_text("\n".join(register) + "\n")
    expected = (
        f"seed files in {seeds} break reference checks:\n"
        "  municipalities.csv: code_well_formed (code is a CBS municipality code (GM and four digits))"
        " fails on line(s) 3"
    )

    for _ in range(2):  # a new process each time: the failure is reported both times
        monkeypatch.setattr(seed_checks, "_VALID_SEEDS", set())
        with pytest.raises(seed_checks.SeedsInvalid) as raised:
            seed_checks.validate_reference_seeds(seeds, workdir=tmp_path, passed_dir=passed_dir)
        assert str(raised.value) == expected

    assert (passed_dir / seed_checks.SEEDS_PASSED_FILE).read_text() == passed
