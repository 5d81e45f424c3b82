"""Ordinary accidents in the landing zone never lose or distort what is loaded and published.

A tiny generated landing zone for 2021Q1..2021Q2 is backfilled once per module (`base`);
each test copies that home, has the accident happen to its landing zone, runs
`costtrends` as a user would and checks the exit code, the line that says what happened,
and that the loaded quarter and the published snapshot are what they were
(docs/operations.md, "Accidents in the landing zone").
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from costtrends import cli
from costtrends.generate import generate
from tests.conftest import using_home
from transforms.quarter import Quarter

pytestmark = pytest.mark.integration

START, END = "2021Q1", "2021Q2"


def _query(db: Path, query: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


def _warehouse(home: Path) -> Path:
    return home / "warehouse" / "costtrends.duckdb"


def _snapshot(home: Path) -> Path:
    return home / "published" / "costtrends.duckdb"


def _published(home: Path) -> dict[str, list[tuple]]:
    """Every published mart's rows, in a fixed order."""
    marts = ("cost_trend_quarterly", "national_estimate", "net_cost", "budget_trend_quarterly")
    return {m: _query(_snapshot(home), f"select * from marts.{m} order by all") for m in marts}


def _loaded(home: Path, quarter: str) -> tuple[int, int]:
    """Survey responses and budget lines of `quarter` in core."""
    return _query(
        _warehouse(home),
        "select (select count(*) from core.fct_survey_response where quarter = $1),"
        " (select count(*) from core.fct_budget where quarter = $1)",
        [quarter],
    )[0]


@pytest.fixture(scope="module")
def base(prefect_harness: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from flows.backfill import backfill

    home = tmp_path_factory.mktemp("accidents") / "home"
    generate(home / "landing", Quarter.parse(START), Quarter.parse(END), seed=7, scale="tiny")
    with using_home(home):
        backfill(START, END)
    return home


@pytest.fixture
def home(base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the backfilled home, COSTTRENDS_HOME pointing at it."""
    home = tmp_path / "home"
    shutil.copytree(base, home, ignore=shutil.ignore_patterns("work"))
    monkeypatch.setenv("COSTTRENDS_HOME", str(home))
    for name in list(os.environ):
        if name.startswith("COSTTRENDS_") and name != "COSTTRENDS_HOME":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "WARNING")
    # Wide enough that no line of the output wraps.
    monkeypatch.setattr(cli, "console", Console(width=2000, force_terminal=False))
    return home


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.app, list(args))
    return result.exit_code, result.output


# --- 1. a missing landing folder never empties history -----------------------------------


def test_a_landing_root_that_is_not_there_fails_and_changes_nothing(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published, loaded = _published(home), _loaded(home, "2021Q1")
    unmounted = tmp_path / "share-not-mounted"
    monkeypatch.setenv("COSTTRENDS_LANDING_DIR", str(unmounted))
    code, output = _run("run", "--quarter", "2021Q2")
    assert code == 1, output
    assert f"failed: landing folder {unmounted} does not exist" in output
    assert "Traceback" not in output
    assert _loaded(home, "2021Q1") == loaded
    assert _published(home) == published


def test_an_empty_landing_root_fails_and_changes_nothing(home: Path, tmp_path: Path, monkeypatch) -> None:
    published = _published(home)
    empty = tmp_path / "empty-share"
    empty.mkdir()
    monkeypatch.setenv("COSTTRENDS_LANDING_DIR", str(empty))
    code, output = _run("run", "--quarter", "2021Q2")
    assert code == 1, output
    assert f"failed: landing folder {empty} is empty" in output
    assert _published(home) == published


def test_a_deleted_old_quarter_is_kept_and_reported_not_restated(home: Path) -> None:
    loaded = _loaded(home, "2021Q1")
    q1_marts = _query(
        _snapshot(home), "select * from marts.national_estimate where quarter = '2021Q1' order by all"
    )
    shutil.rmtree(home / "landing" / "survey" / "2021Q1")
    shutil.rmtree(home / "landing" / "budget" / "2021Q1")
    code, output = _run("run", "--quarter", "2021Q2")
    assert code == 3, output
    for source in ("survey", "budget"):
        folder = home / "landing" / source / "2021Q1"
        assert (
            f"refused {source} 2021Q1: not replaced: its landing folder {folder} is missing or empty"
            in output
        ), output
    assert "restated" not in output
    assert _loaded(home, "2021Q1") == loaded
    assert (
        _query(_snapshot(home), "select * from marts.national_estimate where quarter = '2021Q1' order by all")
        == q1_marts
    )
    # On purpose: --allow-shrink empties it.
    code, output = _run("run", "--quarter", "2021Q2", "--allow-shrink")
    assert code in (0, 2), output
    assert _loaded(home, "2021Q1") == (0, 0)


# --- 2. a bad re-upload never replaces good data -----------------------------------------


def _survey_file(home: Path, quarter: str = "2021Q1") -> Path:
    return home / "landing" / "survey" / quarter / f"survey_{quarter}.csv"


@pytest.mark.parametrize(
    ("name", "content", "rejection"),
    [
        ("random bytes", bytes(range(1, 256)) * 40, "binary data, not a text export"),
        ("empty", b"", "empty file"),
        ("header only", None, "header only, no data rows"),
        ("wrong header", b"kolom_a;kolom_b\n1;2\n", "no known column in the header row"),
    ],
)
def test_a_bad_reupload_keeps_the_loaded_quarter_and_exits_3(
    home: Path, name: str, content: bytes | None, rejection: str
) -> None:
    published, loaded = _published(home), _loaded(home, "2021Q1")
    survey = _survey_file(home)
    if content is None:
        content = survey.read_bytes().splitlines(keepends=True)[0]
    survey.write_bytes(content)
    code, output = _run("run", "--quarter", "2021Q1")
    assert code == 3, output
    assert f"rejected survey/2021Q1/survey_2021Q1.csv: survey_2021Q1.csv: {rejection}" in output, output
    responses, municipalities = _query(
        _warehouse(home),
        "select count(*), count(distinct municipality_code) from core.fct_survey_response where quarter = '2021Q1'",
    )[0]
    assert (
        f"refused survey 2021Q1: not replaced: the landing files now give 0 of the {responses:,} responses "
        f"and 0 of the {municipalities:,} municipalities loaded" in output
    )
    assert _loaded(home, "2021Q1") == loaded
    assert _published(home) == published


def test_a_file_with_half_its_rows_is_refused_unless_allowed(home: Path) -> None:
    published, loaded = _published(home), _loaded(home, "2021Q1")
    survey = _survey_file(home)
    # Records, not lines: a quoted comment may span lines. Latin-1 keeps every byte as it is.
    records = list(csv.reader(io.StringIO(survey.read_bytes().decode("latin-1"), newline="")))
    half = (len(records) - 1) // 2
    out = io.StringIO(newline="")
    csv.writer(out).writerows(records[: 1 + half])
    survey.write_bytes(out.getvalue().encode("latin-1"))
    code, output = _run("run", "--quarter", "2021Q1")
    assert code == 3, output
    match = re.search(
        r"refused survey 2021Q1: not replaced: the landing files now give (\d+) of the (\d+) responses",
        output,
    )
    assert match, output
    assert int(match.group(2)) == loaded[0]
    assert int(match.group(1)) <= half
    assert _published(home) == published

    code, output = _run("run", "--quarter", "2021Q1", "--allow-shrink")
    assert code in (0, 2), output
    quarantined = _query(
        _warehouse(home),
        "select count(*) from quarantine.rejected_rows where quarter = '2021Q1' and source = 'survey'",
    )[0][0]
    assert _loaded(home, "2021Q1")[0] == half - quarantined
    # The respondents dropped by half: the drift warning is printed, not only stored.
    assert "warning survey 2021Q1: " in output


# --- 4. a correction wins by what it is, not how its name sorts ---------------------------


def _expected_code(home: Path, quarter: str) -> int:
    """0 when nothing of the quarter is quarantined or rejected, else 2 (partial)."""
    quarantined = _query(
        _warehouse(home), "select count(*) from quarantine.rejected_rows where quarter = ?", [quarter]
    )[0][0]
    return 2 if quarantined else 0


@pytest.mark.parametrize("name", ["iv3_2021Q1-v2.csv", "iv3_2021Q1 (2).csv", "iv3_2021Q1 correctie.csv"])
def test_a_budget_correction_supersedes_the_original_whatever_its_name(home: Path, name: str) -> None:
    original = home / "landing" / "budget" / "2021Q1" / "iv3_2021Q1.csv"
    lines = original.read_text("utf-8").splitlines(keepends=True)
    header, first = lines[0].rstrip("\n").split(";"), lines[1].rstrip("\n").split(";")
    row = dict(zip(header, first, strict=True))
    first[header.index("lasten")] = "1234567,89"
    (original.parent / name).write_text("".join([lines[0], ";".join(first) + "\n", *lines[2:]]), "utf-8")

    code, output = _run("run", "--quarter", "2021Q1")
    assert code == _expected_code(home, "2021Q1"), output
    assert (
        f"superseded budget/2021Q1/iv3_2021Q1.csv: iv3_2021Q1.csv: {len(lines) - 1:,} lines superseded by {name}"
        in output
    )
    lasten = _query(
        _warehouse(home),
        "select lasten_eur, source_file from core.fct_budget where quarter = '2021Q1' and municipality_code = ?"
        " and taakveld = ? and categorie = ? and kind = ?",
        [row["gemeentecode"], row["taakveld"], row["categorie"], row["soort"]],
    )
    assert [(float(a), f) for a, f in lasten] == [(1234567.89, name)]
    files = _query(
        _warehouse(home),
        "select file_name, status, rows_superseded from meta.ingested_files where quarter = '2021Q1'"
        " and source = 'budget' and run_id = (select run_id from meta.partitions"
        " where quarter = '2021Q1' and source = 'budget') and file_name in (?, ?) order by file_name",
        ["iv3_2021Q1.csv", name],
    )
    # The correction's own bad lines (the generator writes a few) are quarantined as before.
    bad = _query(
        _warehouse(home),
        "select count(*) from quarantine.rejected_rows where quarter = '2021Q1' and source_file = ?",
        [name],
    )[0][0]
    status = "partial" if bad else "loaded"
    assert files == sorted([("iv3_2021Q1.csv", "loaded", len(lines) - 1), (name, status, 0)])


def _edit_survey(path: Path, edit) -> list[list[str]]:
    """Rewrite a survey export through `edit(records)` in its own delimiter; returns the records.

    Latin-1 keeps every byte (a UTF-8 BOM or accent included) as it was.
    """
    text = path.read_bytes().decode("latin-1")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    records = edit(list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)))
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(records)
    path.write_bytes(out.getvalue().encode("latin-1"))
    return records


def test_a_response_dated_in_the_future_is_quarantined_not_current(home: Path) -> None:
    survey = _survey_file(home)
    header = _edit_survey(survey, lambda records: records)[0]
    submit, hardware = (header.index(c) for c in ("Submit Date", "Extra costs hardware"))
    future: list[str] = []

    def add_future(records: list[list[str]]) -> list[list[str]]:
        future.extend(records[5])
        future[0], future[submit], future[hardware] = "999999", "2031-01-01T09:00:00", "777777"
        return [*records, future]

    _edit_survey(survey, add_future)
    current_before = _query(
        _warehouse(home),
        "select r.response_id, c.amount_eur from core.fct_survey_response r join core.fct_survey_cost c"
        " using (quarter, municipality_code, response_id) where r.quarter = '2021Q1' and not r.is_superseded"
        " and c.cost_category = 'hardware' and r.municipality_code = (select municipality_code"
        " from core.fct_survey_response where quarter = '2021Q1' and source_row = 6)",
    )
    code, output = _run("run", "--quarter", "2021Q1")
    assert code == 2, output
    reasons = _query(
        _warehouse(home),
        "select reasons from quarantine.rejected_rows where quarter = '2021Q1' and source_row = ?",
        [len(_edit_survey(survey, lambda r: r))],
    )
    assert reasons and "submitted_not_in_future" in reasons[0][0]
    code, output = _run("quarantine", "--quarter", "2021Q1", "--source", "survey")
    assert code == 0 and "submitted_not_in_future" in output and "submitted_at=2031-01-01" in output
    assert (
        _query(
            _warehouse(home),
            "select r.response_id, c.amount_eur from core.fct_survey_response r join core.fct_survey_cost c"
            " using (quarter, municipality_code, response_id) where r.quarter = '2021Q1'"
            " and not r.is_superseded and c.cost_category = 'hardware' and r.municipality_code ="
            " (select municipality_code from core.fct_survey_response where quarter = '2021Q1'"
            " and source_row = 6)",
        )
        == current_before
    )


def test_one_response_id_for_two_municipalities_is_flagged_in_the_summary(home: Path) -> None:
    survey = _survey_file(home)
    # Two loaded responses of different municipalities; source_row 2 is the first record.
    (first, second), *_ = _query(
        _warehouse(home),
        "select list(source_row order by source_row)[1:2] from (select min(source_row) as source_row"
        " from core.fct_survey_response where quarter = '2021Q1' group by municipality_code)",
    )[0]

    def reuse_id(records: list[list[str]]) -> list[list[str]]:
        records[second - 1][0] = records[first - 1][0]
        return records

    _edit_survey(survey, reuse_id)
    code, output = _run("run", "--quarter", "2021Q1")
    assert code == _expected_code(home, "2021Q1"), output
    assert "warning survey 2021Q1: response_id_one_municipality: 2 of " in output, output


# --- 3. an amount typed ×1000 is quarantined, not published -----------------------------

# The digital amount columns as the generator heads them in one export or another.
AMOUNT_HEADERS = (
    ("Extra costs hardware", "hardware_eur"),
    ("Extra costs software licences", "software_licences_eur"),
    ("Extra costs ICT support", "ict_support_eur"),
    ("Extra costs digital security", "security_eur"),
    ("Extra costs other", "other_eur"),
)


def _small_current_rows(home: Path, quarter: str, count: int) -> list[int]:
    """Source rows of `count` current responses of municipalities under 20,000 inhabitants."""
    rows = _query(
        _warehouse(home),
        "select r.source_row from core.fct_survey_response r join core.dim_municipality_population p"
        " on p.municipality_code = r.municipality_code and p.year = cast(left(r.quarter, 4) as integer)"
        " where r.quarter = ? and not r.is_superseded and p.population < 20000 and r.municipality_code not in"
        " (select municipality_code from core.fct_survey_response where quarter = ? and is_superseded)"
        # With an earlier quarter loaded, one the municipality responded to as well.
        " and (r.municipality_code in (select municipality_code from core.fct_survey_cost where quarter < ?)"
        " or not exists (select 1 from core.fct_survey_cost where quarter < ?))"
        " order by r.source_row",
        [quarter, quarter, quarter, quarter],
    )
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("quarter", "compared_with"), [("2021Q2", "its own median of"), ("2021Q1", "the median of")]
)
def test_amounts_typed_x1000_are_quarantined_with_both_values(
    home: Path, tmp_path: Path, quarter: str, compared_with: str
) -> None:
    survey = _survey_file(home, quarter)
    header = _edit_survey(survey, lambda records: records)[0]
    columns = [next(header.index(h) for h in names if h in header) for names in AMOUNT_HEADERS]
    typed: list[int] = []

    def times_1000(records: list[list[str]]) -> list[list[str]]:
        for source_row in _small_current_rows(home, quarter, 50):
            record = records[source_row - 1]
            # Whole euros, maybe with thousands dots: typed ×1000 is the digits and three zeros.
            digits = [record[c].replace(".", "") for c in columns]
            if len(typed) < 3 and all(d.isdigit() for d in digits) and int(digits[0]) > 0:
                for c, d in zip(columns, digits, strict=True):
                    record[c] = d + "000"
                typed.append(source_row)
        return records

    untouched = tmp_path / "untouched"
    shutil.copytree(home, untouched)
    _edit_survey(survey, times_1000)
    assert len(typed) == 3

    code, output = _run("run", "--quarter", quarter)
    assert code == 2, output
    quarantined = [
        row
        for row in _query(
            _warehouse(home),
            "select source_row, reasons, failed_values from quarantine.rejected_rows"
            " where quarter = ? and source = 'survey' order by source_row",
            [quarter],
        )
        if any(r.startswith("amount_per_inhabitant_jump: ") for r in row[1])
    ]
    assert [r[0] for r in quarantined] == typed
    for _, reasons, failed_values in quarantined:
        (reason,) = [r for r in reasons if r.startswith("amount_per_inhabitant_jump: ")]
        assert re.search(rf"per 1,000 inhabitants is ×[\d,]+ {compared_with} €[\d,.]+", reason), reason
        assert failed_values[0].startswith("digital_extra_per_1000_inhabitants=")

    # The published estimate is the one of the same files without those three responses.
    def drop_typed(records: list[list[str]]) -> list[list[str]]:
        return [r for i, r in enumerate(records, start=1) if i not in typed]

    _edit_survey(_survey_file(untouched, quarter), drop_typed)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COSTTRENDS_HOME", str(untouched))
        code, output = _run("run", "--quarter", quarter)
    assert code == 2, output
    estimate = "select * from marts.national_estimate where quarter = ? order by all"
    assert _query(_snapshot(home), estimate, [quarter]) == _query(_snapshot(untouched), estimate, [quarter])


# --- 7. an expected failure prints one line, no traceback --------------------------------


def test_an_expected_failure_prints_one_line_and_no_traceback(prefect_harness: None, tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL

    missing = tmp_path / "not-mounted"
    env = {
        **os.environ,
        "COSTTRENDS_HOME": str(tmp_path / "home"),
        "COSTTRENDS_LANDING_DIR": str(missing),
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "COLUMNS": "2000",
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("costtrends")), "run", "--quarter", "2021Q1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    assert f"failed: landing folder {missing} does not exist" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert "LandingMissing" not in done.stderr


# --- 5. and 6. bytes are data, never instructions -----------------------------------------


def test_an_undecodable_file_name_is_rejected_shown_escaped_and_stops_nothing(home: Path) -> None:
    folder = os.fsencode(home / "landing" / "survey" / "2021Q1")
    with open(os.path.join(folder, b"uitvraag \xff\xfe.csv"), "wb") as fh:
        fh.write(_survey_file(home).read_bytes())
    code, output = _run("run", "--quarter", "2021Q1")
    assert code == 2, output
    shown = "uitvraag \\xff\\xfe.csv"
    assert (
        f"rejected survey/2021Q1/{shown}: {shown}: the file name is not valid UTF-8 text (shown escaped); "
        "rename the file to load it"
    ) in output
    assert "Traceback" not in output
    # Later runs plan past it, of this quarter and of others.
    code, output = _run("run", "--quarter", "2021Q2")
    assert code == _expected_code(home, "2021Q2"), output
    code, output = _run("run", "--quarter", "2021Q1")
    assert code == 2, output


MARKUP = "[/bold][link=https://example.invalid]x[/link][red]"
# A file name cannot hold "/": opening tags only.
NAME_MARKUP = "[bold red]evil[link=javascript:alert(1)]x"


def test_markup_in_a_file_name_and_a_value_prints_as_text(home: Path) -> None:
    folder = home / "landing" / "survey" / "2021Q1"
    (folder / f"{NAME_MARKUP}.txt").write_bytes(b"not an export")

    def hostile_municipality(records: list[list[str]]) -> list[list[str]]:
        header = records[0]
        row = list(records[5])
        row[header.index("Organisation")] = MARKUP
        row[0] = "999998"
        return [*records, row]

    _edit_survey(_survey_file(home), hostile_municipality)
    code, output = _run("run", "--quarter", "2021Q1")
    assert code == 2, output
    rejected = (
        f"rejected survey/2021Q1/{NAME_MARKUP}.txt: {NAME_MARKUP}.txt: no known column in the header row"
    )
    assert rejected in output, output

    code, output = _run("quarantine", "--quarter", "2021Q1", "--source", "survey", "--limit", "500")
    assert code == 0, output
    assert "Traceback" not in output
    assert MARKUP in output
