"""Row by row through the gate: files with good and bad rows, two quarters, straight through the pipeline.

tests/data/validation holds a survey and a budget file for 2020Q4 (all rows good) and for
2021Q1 (good and bad rows). The steps run on a fresh warehouse, without Prefect. Expected
values are worked out by hand from those files and the register's populations on
1 January 2021 (Groningen 233,273, Vlieland 1,194, Zwolle 129,840; 2020: Groningen 232,874,
Zwolle 128,840).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from great_expectations import expectations as gxe

from expectations.suites import Bounds, Check, Suite
from flows import steps
from ingest.reference import Reference, read_reference
from sources import registry
from tests.conftest import DATA
from transforms.quarter import Quarter
from warehouse import validation_docs
from warehouse.db import connect
from warehouse.seeds import load_reference

pytestmark = pytest.mark.integration

BOUNDS = Bounds(
    amount_max_eur=5_000_000,
    amount_per_inhabitant_max_eur=250,
    fte_per_1000_min=1,
    fte_per_1000_max=60,
    drift_max_drop_share=0.5,
    drift_max_change_factor=10,
)
SURVEY_FILE, BUDGET_FILE = "enquete_2021Q1.csv", "iv3_2021Q1.csv"


@pytest.fixture(scope="module")
def ref() -> Reference:
    return read_reference()


def _run_quarter(con: duckdb.DuckDBPyConnection, home: Path, quarter: str, ref: Reference) -> str:
    run_id = f"{quarter}-test"
    for source in registry.SOURCES:
        batch = steps.ingest_batch(
            home / "landing", source, Quarter.parse(quarter), run_id, ref, workdir=home
        )
        steps.validate_batch(batch, ref, workdir=home, bounds=BOUNDS)
        core = steps.transform_batch(batch)
        steps.account_rows(batch, core)
        steps.load_batch(con, batch, core, bounds=BOUNDS)
    return run_id


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, ref: Reference) -> Iterator[Path]:
    """A home whose warehouse has 2020Q4 and then 2021Q1 loaded, and the 2021Q1 validation page."""
    home = tmp_path_factory.mktemp("validation") / "home"
    shutil.copytree(DATA / "validation", home / "landing")
    with connect(home / "warehouse" / "costtrends.duckdb") as con:
        load_reference(con, ref)
        _run_quarter(con, home, "2020Q4", ref)
        run_id = _run_quarter(con, home, "2021Q1", ref)
        validation_docs.write_validation_docs(con, home / "docs", run_id)
    yield home


def _rows(home: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse" / "costtrends.duckdb"), read_only=True) as con:
        return con.execute(query).fetchall()


def test_survey_rows_go_to_core_or_quarantine_with_exactly_their_reasons(home: Path) -> None:
    core = _rows(
        home, "select source_row, response_id from core.fct_survey_response where quarter = '2021Q1'"
    )
    quarantined = _rows(
        home,
        "select source_row, reasons, failed_values from quarantine.rejected_rows "
        "where quarter = '2021Q1' and source = 'survey' order by source_row",
    )

    # Groningen, and Zwolle with an implausible FTE (a warning: it loads).
    assert sorted(core) == [(2, "v1"), (6, "v5")]
    assert [row for row in quarantined if row[0] != 7] == [
        (3, ["amount_non_negative:hardware_eur"], ["hardware_eur=-500.00"]),
        # Vlieland: €400,000 for 1,194 inhabitants is €335 each.
        (4, ["amount_per_inhabitant_plausible:hardware_eur"], ["hardware_eur=400000.00", "population=1194"]),
        # Amersfoort: FTE "veel" as it arrived; 150% as standardized.
        (5, ["parse:fte", "pct_in_range:remote_share_now_pct"], ["remote_share_now_pct=150.0", "fte=veel"]),
        (8, ["not_a_test_response"], ["is_preview=true", "respondent_is_test=false"]),
        (9, ["period_matches_folder"], ["period_quarter=2020Q4"]),
    ]
    ((_, atlantis, atlantis_values),) = [row for row in quarantined if row[0] == 7]
    assert len(atlantis) == 1 and atlantis[0].startswith("municipality_known: ") and "Atlantis" in atlantis[0]
    assert atlantis_values == ["municipality=Atlantis"]


def test_budget_rows_go_to_core_or_quarantine_with_exactly_their_reasons(home: Path) -> None:
    core = _rows(home, "select source_row, lasten_eur from core.fct_budget where quarter = '2021Q1'")
    quarantined = _rows(
        home,
        "select source_row, reasons, failed_values from quarantine.rejected_rows "
        "where quarter = '2021Q1' and source = 'budget' order by source_row",
    )

    assert sorted((row, float(lasten)) for row, lasten in core) == [(2, 1000.0), (7, 2000.0)]
    assert quarantined == [
        (3, ["taakveld_known"], ["taakveld=9.99"]),
        (4, ["kind_known"], ["kind=prognose"]),
        # An empty cell is not a known categorie.
        (5, ["categorie_known"], ["categorie=(empty)"]),
        (6, ["amount_present:lasten_eur", "parse:lasten"], ["lasten_eur=(empty)", "lasten=abc"]),
    ]


def test_every_file_is_accounted_for(home: Path) -> None:
    assert _rows(
        home,
        "select file_name, status, rows_read, rows_loaded, rows_quarantined from meta.ingested_files "
        "where quarter = '2021Q1' order by file_name",
    ) == [
        (SURVEY_FILE, "partial", 8, 2, 6),
        (BUDGET_FILE, "partial", 6, 2, 4),
    ]


def test_a_row_with_a_warning_loads_and_is_listed(home: Path) -> None:
    assert _rows(home, "select * from meta.validation_warnings where quarter = '2021Q1'") == [
        ("2021Q1-test", "2021Q1", "survey", SURVEY_FILE, 6, ["fte_plausible"])
    ]
    # Zwolle: 5 FTE for 129,840 inhabitants is 0.04 per 1,000.
    assert _rows(
        home,
        "select severity, success, element_count, unexpected_count from meta.validation_results "
        "where run_id = '2021Q1-test' and expectation = 'fte_plausible'",
    ) == [("warning", False, 8, 1)]


def test_drift_against_the_previous_quarter_is_recorded_as_warnings(home: Path) -> None:
    rows = _rows(
        home,
        "select source, expectation, severity, success, element_count, unexpected_count, message "
        "from meta.validation_results where suite like '%drift' and quarter = '2021Q1' order by all",
    )

    assert rows == [
        (
            "budget",
            "budget_lines_drop",
            "warning",
            False,
            5,
            3,
            "2 budget lines in 2021Q1, 5 in 2020Q4 (-60%)",
        ),
        # Groningen: €1,000 for 232,874 inhabitants (€4.29 per 1,000), then €21,000 for
        # 233,273 (€90.02). Zwolle: €13,500 then €15,500, ×1.14.
        (
            "survey",
            "per_inhabitant_change",
            "warning",
            False,
            2,
            1,
            "1 of 2 municipalities changed by more than ×10 per inhabitant from 2020Q4 to 2021Q1 "
            "(figures per 1,000 inhabitants): GM0014 €4.29 → €90.02 (×21)",
        ),
        # Utrecht, Amersfoort and Delft responded in 2020Q4 but have no loaded response now.
        (
            "survey",
            "respondents_drop",
            "warning",
            False,
            5,
            3,
            "2 municipalities responded in 2021Q1, 5 in 2020Q4 (-60%); 3 of those 5 did not respond now",
        ),
    ]
    first = _rows(
        home,
        "select distinct message from meta.validation_results where suite like '%drift' and quarter = '2020Q4'",
    )
    assert first == [("no earlier quarter is loaded to compare with",)]


def test_resolved_responses_pass_the_one_current_response_guard(home: Path) -> None:
    assert _rows(
        home,
        "select success, element_count, unexpected_count from meta.validation_results "
        "where run_id = '2021Q1-test' and expectation = 'one_current_response_per_municipality_quarter'",
    ) == [(True, 2, 0)]


def test_validation_page_lists_every_check_and_needs_no_network(home: Path) -> None:
    page = (home / "docs" / "runs" / "2021Q1-test.html").read_text(encoding="utf-8")
    checks = _rows(
        home, "select distinct expectation from meta.validation_results where run_id = '2021Q1-test'"
    )

    assert len(checks) > 30
    for (name,) in checks:
        assert f">{name}</code>" in page
    assert not re.search(r"https?://", page)
    assert "hardware_eur=400000.00" in page
    assert 'href="runs/2021Q1-test.html"' in (home / "docs" / "index.html").read_text(encoding="utf-8")


def test_quarantine_command_lists_rows_with_reasons_and_values(home: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from costtrends.cli import app

    monkeypatch.setenv("COSTTRENDS_HOME", str(home))
    result = CliRunner().invoke(
        app, ["quarantine", "--quarter", "2021Q1", "--source", "budget", "--format", "json"]
    )

    assert result.exit_code == 0, result.output
    assert [(r["row"], r["reasons"], r["failed_values"]) for r in json.loads(result.output)] == [
        (3, ["taakveld_known"], ["taakveld=9.99"]),
        (4, ["kind_known"], ["kind=prognose"]),
        # An empty cell is not a known categorie.
        (5, ["categorie_known"], ["categorie=(empty)"]),
        (6, ["amount_present:lasten_eur", "parse:lasten"], ["lasten_eur=(empty)", "lasten=abc"]),
    ]


def test_status_command_shows_errors_and_warnings_per_quarter(home: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from costtrends.cli import app

    monkeypatch.setenv("COSTTRENDS_HOME", str(home))
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(app, ["status"])

    assert result.exit_code == 0, result.output
    errors, warnings = result.output.split("Warnings: rows loaded and reported")
    assert "amount_per_inhabitant_plausible:hardware_eur" in errors and "taakveld_known" in errors
    for name in ("fte_plausible", "budget_lines_drop", "respondents_drop", "per_inhabitant_change"):
        assert name in warnings and name not in errors


@pytest.mark.parametrize(
    ("source", "module", "builder", "file", "rows"),
    [
        ("survey", "sources.survey", "survey_suite", SURVEY_FILE, 8),
        ("budget", "sources.budget", "budget_suite", BUDGET_FILE, 6),
    ],
)
def test_batch_level_error_rejects_the_file_whole(
    source, module, builder, file, rows, tmp_path: Path, ref: Reference, monkeypatch
) -> None:
    import importlib

    target = importlib.import_module(module)
    built = getattr(target, builder)

    def with_a_row_count(**kwargs: object) -> Suite:
        suite = built(**kwargs)
        enough = Check(
            "enough_rows",
            "error",
            gxe.ExpectTableRowCountToBeBetween(min_value=1000),
            "a file has at least 1,000 rows",
        )
        return Suite(suite.name, (*suite.checks, enough))

    monkeypatch.setattr(target, builder, with_a_row_count)
    shutil.copytree(DATA / "validation", tmp_path / "landing")
    quarter = Quarter.parse("2021Q1")
    batch = steps.ingest_batch(tmp_path / "landing", source, quarter, "run", ref, workdir=tmp_path)

    steps.validate_batch(batch, ref, workdir=tmp_path, bounds=BOUNDS)
    core = steps.transform_batch(batch)
    (report,) = steps.account_rows(batch, core)

    assert (report.status, report.rows_read, report.rows_loaded, report.rows_quarantined) == (
        "rejected",
        0,
        0,
        0,
    )
    assert report.message == (
        f"{file}: rejected whole, {rows} rows not loaded: "
        f"enough_rows failed (a file has at least 1,000 rows): observed {rows}"
    )
    assert batch.quarantined.height == 0
    assert all(table.height == 0 for table in core.values())
    # The other checks ran and are recorded; the failure of the batch-level one decides.
    assert ("enough_rows", False) in [(o.expectation, o.success) for o in batch.outcomes]
    assert isinstance(batch.warnings, pl.DataFrame) and batch.warnings.is_empty()


def test_two_current_responses_after_resolution_stop_the_quarter(
    tmp_path: Path, ref: Reference, monkeypatch
) -> None:
    from transforms import survey as survey_tf

    resolve = survey_tf.resolve_resubmissions

    def resolve_wrongly(responses: pl.DataFrame) -> pl.DataFrame:
        # Every response current, and Zwolle's counted twice.
        resolved = resolve(responses).with_columns(pl.lit(False).alias("is_superseded"))
        return pl.concat([resolved, resolved.filter(pl.col("response_id") == "v5")])

    monkeypatch.setattr(survey_tf, "resolve_resubmissions", resolve_wrongly)
    shutil.copytree(DATA / "validation", tmp_path / "landing")
    batch = steps.ingest_batch(tmp_path / "landing", "survey", Quarter.parse("2021Q1"), "run", ref)
    steps.validate_batch(batch, ref, workdir=tmp_path, bounds=BOUNDS)

    with pytest.raises(RuntimeError) as raised:
        steps.transform_batch(batch)

    assert str(raised.value) == (
        "survey 2021Q1: more than one current response after resolving resubmissions for GM0193; "
        "nothing of the quarter is written"
    )


def test_bounds_come_from_the_settings(monkeypatch) -> None:
    monkeypatch.setenv("COSTTRENDS_AMOUNT_PER_INHABITANT_MAX_EUR", "100")
    monkeypatch.setenv("COSTTRENDS_DRIFT_MAX_CHANGE_FACTOR", "5")

    bounds = steps.validation_bounds()

    assert (bounds.amount_per_inhabitant_max_eur, bounds.drift_max_change_factor) == (100, 5)
    assert (bounds.amount_max_eur, bounds.fte_per_1000_min, bounds.fte_per_1000_max) == (5_000_000, 1, 60)
    assert bounds.drift_max_drop_share == 0.5
