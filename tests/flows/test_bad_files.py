"""Bad files among good ones: each is reported naming it and why, the others still load.

The corpus tests/data/bad goes into one quarter's landing folder with a good export
(tests/data/landing_small), a file whose name has spaces and accents, a symlink leading
out of the landing zone, and a file still being written. docs/operations.md lists the
behaviour chosen for each.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows import steps
from ingest import readers
from ingest.landing import check_landing_path
from ingest.reference import read_reference
from sources import base
from tests.conftest import DATA
from transforms.quarter import Quarter

pytestmark = pytest.mark.integration

BAD = DATA / "bad"
Q = Quarter.parse("2021Q1")
GOOD = DATA / "landing_small" / "survey" / "2021Q1" / "survey_2021Q1.csv"
UNICODE_NAME = "uitvraag Súdwest-Fryslân ü (kopie).csv"


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    folder = landing / "survey" / str(Q)
    shutil.copytree(BAD, folder, ignore=shutil.ignore_patterns("*.py"))
    shutil.copy2(GOOD, folder / GOOD.name)
    shutil.copy2(BAD / "05_mixed_line_endings.csv", folder / UNICODE_NAME)
    outside = tmp_path / "outside.csv"
    shutil.copy2(GOOD, outside)
    (folder / "escape.csv").symlink_to(outside)
    return landing


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> base.Batch:
    tmp = tmp_path_factory.mktemp("bad")
    ref = read_reference()
    ingested = steps.ingest_batch(_landing(tmp), "survey", Q, "run-bad", ref)
    validated = steps.validate_batch(ingested, ref, workdir=tmp_path_factory.mktemp("work"))
    steps.account_rows(validated, steps.transform_batch(validated))
    return validated


def _reports(batch: base.Batch) -> dict[str, tuple[str, str | None]]:
    return {f.file_name: (f.status, f.message) for f in batch.files}


def test_every_unreadable_file_is_rejected_with_a_message_naming_it(batch: base.Batch) -> None:
    reports = _reports(batch)
    assert reports["01_binary_garbage.csv"] == (
        "rejected",
        "01_binary_garbage.csv: binary data, not a text export",
    )
    assert reports["02_empty.csv"] == ("rejected", "02_empty.csv: empty file")
    assert reports["03_header_only.csv"] == ("rejected", "03_header_only.csv: header only, no data rows")
    assert reports["06_nul_bytes.csv"] == (
        "rejected",
        "06_nul_bytes.csv: contains NUL bytes; not a text export",
    )
    assert reports["07_password_protected.xlsx"][0] == "rejected"
    assert reports["07_password_protected.xlsx"][1].startswith(
        "07_password_protected.xlsx: is a password-protected or legacy (.xls) workbook"
    )
    assert reports["08_really_csv.xlsx"] == (
        "rejected",
        "08_really_csv.xlsx: not a readable XLSX workbook (it holds text, CSV?): name it .csv",
    )


def test_a_symlink_out_of_the_landing_zone_is_refused(batch: base.Batch) -> None:
    status, message = _reports(batch)["escape.csv"]
    assert status == "rejected"
    assert message.startswith("escape.csv: resolves outside the landing zone ")


def test_the_readable_files_load_beside_the_bad_ones(batch: base.Batch) -> None:
    counts = {f.file_name: (f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in batch.files}
    # Súdwest-Fryslân (GM1900) in the cp1252 file; Groningen, Utrecht, Leiden in both mixed-ending copies.
    assert counts["04_wrong_encoding.csv"] == ("loaded", 1, 1, 0)
    assert counts["05_mixed_line_endings.csv"] == ("loaded", 3, 3, 0)
    assert counts[UNICODE_NAME] == ("loaded", 3, 3, 0)
    # The formula and SQL texts name no municipality, `-1+2` is no amount: quarantined; Utrecht loads.
    assert counts["09_formula_injection.csv"] == ("partial", 5, 1, 4)
    for report in batch.files:
        assert report.rows_read == report.rows_loaded + report.rows_quarantined + report.rows_superseded


def test_hostile_text_is_quarantined_intact(batch: base.Batch) -> None:
    rows = batch.quarantined.filter(pl.col("source_file") == "09_formula_injection.csv").sort("source_row")
    assert rows["source_row"].to_list() == [2, 3, 4, 5]
    names = [json.loads(v)["municipality"] for v in rows["row_values"]]
    assert names == [
        '=HYPERLINK("http://x")',
        "Robert'); DROP TABLE core.fct_budget;--",
        "@SUM(A1)",
        "Groningen",
    ]
    assert json.loads(rows["row_values"][3])["hardware_eur"] == "-1+2"


def test_a_file_still_being_written_is_deferred_and_the_others_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "landing" / "survey" / str(Q)
    folder.mkdir(parents=True)
    shutil.copy2(GOOD, folder / GOOD.name)
    growing = folder / "growing.csv"
    growing.write_text((BAD / "03_header_only.csv").read_text())
    stop = threading.Event()

    def append() -> None:
        with growing.open("a") as fh:
            while not stop.is_set():
                fh.write("g1,2021-04-05 09:00,Groningen,2021Q1,900,60%,40%,1,0,0,0,0,0\n")
                fh.flush()
                time.sleep(0.02)

    monkeypatch.setenv("COSTTRENDS_LANDING_SETTLE_SECONDS", "0.5")
    writer = threading.Thread(target=append)
    writer.start()
    try:
        batch = steps.ingest_batch(tmp_path / "landing", "survey", Q, "run-growing", read_reference())
    finally:
        stop.set()
        writer.join()
    reports = {f.file_name: f for f in batch.files}
    assert reports["growing.csv"].status == "deferred"
    assert reports["growing.csv"].message.startswith("growing.csv: still being written (size ")
    assert reports["growing.csv"].rows_read == 0
    assert reports[GOOD.name].status == "loaded"
    assert reports[GOOD.name].rows_read == 5


def test_a_settled_file_is_read_after_the_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "landing" / "survey" / str(Q)
    folder.mkdir(parents=True)
    (folder / "fresh.csv").write_bytes(GOOD.read_bytes())  # modified just now, then left alone
    monkeypatch.setenv("COSTTRENDS_LANDING_SETTLE_SECONDS", "0.2")
    batch = steps.ingest_batch(tmp_path / "landing", "survey", Q, "run-fresh", read_reference())
    assert [(f.file_name, f.status, f.rows_read) for f in batch.files] == [("fresh.csv", "loaded", 5)]


def test_hostile_text_survives_a_full_refresh_and_no_table_is_dropped(
    prefect_harness: None, home: Path
) -> None:
    from flows.quarterly_refresh import quarterly_refresh

    folder = home / "landing" / "survey" / str(Q)
    folder.mkdir(parents=True)
    shutil.copy2(GOOD, folder / GOOD.name)
    shutil.copy2(BAD / "09_formula_injection.csv", folder / "09_formula_injection.csv")
    summary = quarterly_refresh(str(Q))
    assert summary.status == "partial"
    with duckdb.connect(str(home / "warehouse" / "costtrends.duckdb"), read_only=True) as con:
        tables = {
            r[0]
            for r in con.execute("select schema_name || '.' || table_name from duckdb_tables()").fetchall()
        }
        names = [
            json.loads(r[0])["municipality"]
            for r in con.execute(
                "select row_values from quarantine.rejected_rows where source_file = ? order by source_row",
                ["09_formula_injection.csv"],
            ).fetchall()
        ]
    assert {"core.fct_budget", "core.fct_survey_response", "quarantine.rejected_rows"} <= tables
    assert names[:3] == ['=HYPERLINK("http://x")', "Robert'); DROP TABLE core.fct_budget;--", "@SUM(A1)"]

    from typer.testing import CliRunner

    from costtrends.cli import app

    result = CliRunner().invoke(app, ["quarantine", "--format", "csv", "--file", "09_formula_injection.csv"])
    assert result.exit_code == 0, result.output
    exported = list(csv.reader(io.StringIO(result.output)))
    assert exported[0] == ["quarter", "source", "file", "row", "reasons", "failed_values", "row_values"]
    # No cell of the export starts a formula; the JSON of the row keeps the text as it came.
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in exported for cell in row)
    assert json.loads(exported[1][6])["municipality"] == '=HYPERLINK("http://x")'


def test_a_path_climbing_out_of_the_landing_zone_with_dot_dot_is_refused(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "survey" / str(Q)).mkdir(parents=True)
    secret = tmp_path / "secret.csv"
    secret.write_text("x")
    inside = landing / "survey" / str(Q) / "a..b.csv"
    inside.write_text("x")
    check_landing_path(inside, landing)  # `..` inside a name is just a name
    with pytest.raises(readers.FileRejected, match=r"^secret\.csv: resolves outside the landing zone "):
        check_landing_path(landing / "survey" / str(Q) / ".." / ".." / ".." / "secret.csv", landing)


def test_bad_budget_files_are_rejected_and_the_good_one_loads(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    folder = landing / "budget" / str(Q)
    folder.mkdir(parents=True)
    good = DATA / "landing_small" / "budget" / str(Q) / "iv3_2021Q1.csv"
    shutil.copy2(good, folder / good.name)
    shutil.copy2(BAD / "01_binary_garbage.csv", folder / "01_binary_garbage.csv")
    shutil.copy2(BAD / "06_nul_bytes.csv", folder / "06_nul_bytes.csv")
    header = good.read_text().splitlines()[0]
    (folder / "huge.csv").write_text(header + "\n" + "x" * 2_000_000 + "\n")
    batch = steps.ingest_batch(
        landing, "budget", Q, "run-budget", read_reference(), workdir=tmp_path / "work"
    )
    try:
        reports = {f.file_name: (f.status, f.rows_read, f.message) for f in batch.files}
    finally:
        batch.discard()
    assert reports == {
        "01_binary_garbage.csv": ("rejected", 0, "01_binary_garbage.csv: binary data, not a text export"),
        "06_nul_bytes.csv": ("rejected", 0, "06_nul_bytes.csv: contains NUL bytes; not a text export"),
        "huge.csv": ("rejected", 0, "huge.csv: not a readable CSV (field larger than field limit (131072))"),
        # The six lines of the hand-made Iv3 file.
        "iv3_2021Q1.csv": ("loaded", 6, None),
    }
