"""Personal data never gets past the readers: a real refresh, then a search of everything it left.

The survey corpus (tests/data/survey/2021Q1) carries made-up personal data in every place
it turns up in practice: name, e-mail, phone and IP columns, free-text comments, a column
whose header no alias knows ("Uw naam"), a comment that breaks its row, rows that are
quarantined and a file that is rejected. After one `quarterly_refresh` the test reads
every table of the working warehouse and of the snapshot, every file under the home
(Parquet read as tables), every log record, everything printed, the run's logs as the
Prefect API holds them, and the Prefect database itself, and finds none of it.
"""

from __future__ import annotations

import logging
import re
import shutil
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).resolve().parents[1] / "data" / "survey" / "2021Q1"
# Names, e-mail addresses and comments all carry this marker.
MARKER = re.compile(r"pii-canary", re.IGNORECASE)
PHONES = ("06-99990001", "06-99990002", "06-99990003", "+31 6 9999 0004", "+31 6 9999 0005")
IP_PREFIX = "198.51.100."  # the corpus's respondents' addresses (a documentation range)


def leaks(text: str) -> list[str]:
    """The personal data in `text`: marked strings, phone numbers (also without spaces) and IPs."""
    found = [m.group(0) for m in MARKER.finditer(text)]
    squeezed = re.sub(r"[\s-]", "", text)
    found += [p for p in PHONES if p in text or re.sub(r"[\s-]", "", p) in squeezed]
    if IP_PREFIX in text:
        found.append(IP_PREFIX)
    return found


@pytest.fixture
def captured_logs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every log record any logger hands to its handlers, however logging is set up.

    Prefect configures its loggers when a run starts (replacing their handlers), so the
    records are taken where every logger passes them on: `Logger.callHandlers`.
    """
    texts: list[str] = []
    call_handlers = logging.Logger.callHandlers

    def recording(self: logging.Logger, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        texts.append(f"{record.name}: {text}")
        call_handlers(self, record)

    monkeypatch.setattr(logging.Logger, "callHandlers", recording)
    return texts


def duckdb_leaks(path: Path) -> list[str]:
    """Leaks in any value of any table or view of a DuckDB file."""
    found: list[str] = []
    with duckdb.connect(str(path), read_only=True) as con:
        relations = con.execute(
            "select schema_name, table_name from duckdb_tables() where not internal "
            "union all select schema_name, view_name from duckdb_views() where not internal"
        ).fetchall()
        assert relations, f"{path} has no tables"
        for schema, name in relations:
            rows = con.execute(f'select * from "{schema}"."{name}"').fetchall()
            found += [f"{path.name} {schema}.{name}: {hit}" for row in rows for hit in leaks(repr(row))]
    return found


def file_leaks(root: Path, *, skip: Path | None = None) -> tuple[list[str], int]:
    """Leaks in every file under `root` (but `skip`), and how many files were read."""
    found: list[str] = []
    count = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if skip is not None and path.is_relative_to(skip):
            continue
        count += 1
        data = path.read_bytes()
        for encoding in ("utf-8", "utf-16", "cp1252"):
            found += [f"{path}: {hit}" for hit in leaks(data.decode(encoding, errors="ignore"))]
        if path.suffix == ".duckdb":
            found += duckdb_leaks(path)
        elif path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            found += [f"{path}: {hit}" for row in frame.rows() for hit in leaks(repr(row))]
    return found, count


def test_the_scanners_see_personal_data_where_it_is(tmp_path: Path) -> None:
    # The corpus does hold what the refresh must drop, and the scanners find it.
    found, _ = file_leaks(CORPUS)
    assert {Path(f.split(": ")[0]).name for f in found} >= {
        "01_gemeenten_cp1252.csv",
        "02_responses_utf8_bom.csv",
        "03_quoted_fields.csv",
        "04_tool_codes.csv",
        "19_missing_column.csv",
        "20_unicode_text.txt",
        "21_extra_columns.csv",
    }
    db = tmp_path / "probe.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw; create table raw.t (v json, l varchar[])")
        con.execute("""insert into raw.t values ('{"naam": "x PII-CANARY-0"}', ['06-9999 0001'])""")
    assert len(duckdb_leaks(db)) == 2


@pytest.fixture
def refreshed(prefect_harness: None, home: Path, captured_logs: list[str], capfd: pytest.CaptureFixture[str]):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, PREFECT_SERVER_DATABASE_CONNECTION_URL

    from flows.quarterly_refresh import quarterly_refresh

    shutil.copytree(CORPUS, home / "landing" / "survey" / "2021Q1")
    started = time.time()
    state = quarterly_refresh("2021Q1", return_state=True)
    summary = state.result()
    APILogWorker.drain_all(timeout=30)
    with get_client(sync_client=True) as client:
        flow_run_id = state.state_details.flow_run_id
        api_logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    printed = capfd.readouterr()
    database = Path(PREFECT_SERVER_DATABASE_CONNECTION_URL.value().split(":///", 1)[1])
    storage = Path(PREFECT_LOCAL_STORAGE_PATH.value())
    results = [p for p in storage.rglob("*") if p.is_file() and p.stat().st_mtime >= started - 1]
    return {
        "summary": summary,
        "records": list(captured_logs),
        "api_logs": [log.message for log in api_logs],
        "printed": printed.out + printed.err,
        "prefect_files": [p for p in database.parent.glob(database.name + "*")] + results,
    }


def test_a_refresh_stores_and_logs_no_personal_data(refreshed, home: Path) -> None:
    summary = refreshed["summary"]
    # The run did load and quarantine rows, and read the rejected file with personal data in it.
    assert summary.rows_loaded == 45 and summary.rows_quarantined == 16
    assert "19_missing_column.csv" in [f.file_name for f in summary.files]

    found, files_read = file_leaks(home, skip=home / "landing")
    assert files_read >= 3  # the warehouse, the snapshot and its Parquet copies at least
    assert (home / "published" / "costtrends.duckdb").is_file()
    assert found == []

    assert refreshed["records"], "no log records captured"
    assert [hit for text in refreshed["records"] for hit in leaks(text)] == []
    assert refreshed["api_logs"], "no logs reached the Prefect API"
    assert [hit for text in refreshed["api_logs"] for hit in leaks(text)] == []
    assert leaks(refreshed["printed"]) == []
    for path in refreshed["prefect_files"]:
        assert leaks(path.read_bytes().decode("utf-8", errors="ignore")) == [], path

    # What is kept of an unknown column is its header, as a column name.
    with duckdb.connect(str(home / "warehouse" / "costtrends.duckdb"), read_only=True) as con:
        unknown = con.execute(
            "select unknown_columns from meta.ingested_files where file_name = '21_extra_columns.csv'"
        ).fetchall()
    assert unknown == [(["Uw naam", "Aantal laptops"],)]
