"""The bare-DuckDB baseline the pipeline's speed is measured against.

    python bench/baseline.py run --landing DIR --db FILE [--quarters 2021Q1 2021Q2 ...]
    python bench/baseline.py read-csv FILE --db FILE

`run` does with DuckDB alone what the pipeline does for the same landing files: read
every budget and survey CSV into tables (`read_csv`, all text), the budget suite's
checks as SQL counts (municipality valid in the quarter, taakveld and categorie in the
Iv3 lists, kind, amounts present, period of the folder), the typed good lines into
`core.fct_budget`, the reference dimensions from the seed CSVs, and the same mart SQL
(`warehouse/views/*.sql`, `warehouse/marts/*.sql`) over every quarter.
What it leaves out, and the pipeline does: municipality names (it reads codes only, as
the generator writes them), Dutch number formats other than `1234,56`, survey parsing
and its facts (the survey files are read into a table and counted; survey marts are
built from empty facts), the national estimate, quarantine rows with reasons, run
metadata, and the published snapshot.

`read-csv` is the floor for reading a budget file: `create table as select * from
read_csv(file)`, DuckDB's own type detection.

Each prints one JSON line: rows and seconds (the work, imports excluded).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transforms import iv3  # noqa: E402
from transforms.schema import BUDGET_COLUMNS  # noqa: E402
from warehouse.db import schema_scripts  # noqa: E402
from warehouse.marts import core_views, registry  # noqa: E402

SQL = Path(__file__).resolve().parent / "sql"
WAREHOUSE = ROOT / "warehouse"
SEEDS = WAREHOUSE / "seeds"
MAPPINGS = ROOT / "transforms" / "mappings"
PERSONAL = ("respondent_name", "respondent_email", "respondent_phone", "ip_address", "comment")
MARTS = tuple(m for m in registry() if m.model is not None)  # the SQL marts
QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
# The columns of bench/sql/baseline_count_checks.sql, in order.
CHECK_COUNTS = (
    "rows_read",
    "municipality_unknown",
    "taakveld_unknown",
    "categorie_unknown",
    "kind_unknown",
    "amount_missing",
    "period_mismatch",
    "rows_loaded",
)


def _normalize(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").strip().strip('"').lower().split()).rstrip(":?* ")


def _aliases(source: str) -> dict[str, str]:
    with (MAPPINGS / f"{source}_columns.csv").open(encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.lstrip().startswith("#"))
        return {_normalize(r["alias"]): r["canonical"].strip() for r in rows if r["alias"]}


def _encoding(path: Path) -> str:
    """`utf-16` with a byte order mark, `utf-8` when the start decodes as such, else `latin-1`."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head[: head.rfind(b"\n") + 1 or None].decode("utf-8")
    except UnicodeDecodeError:
        return "latin-1"
    return "utf-8"


def _header(path: Path, aliases: dict[str, str]) -> tuple[str, int, list[str]]:
    """The delimiter, the lines above the header, and one name per column (canonical or `unused_<n>`)."""
    encoding = _encoding(path)
    with path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, errors="replace") as fh:
        lines = [fh.readline() for _ in range(10)]
    best: tuple[int, str, int, list[str]] = (-1, ",", 0, [])
    for skip, line in enumerate(lines):
        for delimiter in (";", ",", "\t", "|"):
            cells = next(csv.reader([line], delimiter=delimiter), [])
            names = [aliases.get(_normalize(c), f"unused_{i}") for i, c in enumerate(cells)]
            known = sum(not n.startswith("unused_") for n in names)
            if known > best[0]:
                best = (known, delimiter, skip, names)
    _, delimiter, skip, names = best
    seen: set[str] = set()
    unique = []
    for i, name in enumerate(names):
        unique.append(f"unused_{i}" if name in seen else name)
        seen.add(name)
    return delimiter, skip, unique


def _statements(name: str) -> list[str]:
    text = "\n".join(
        line for line in (SQL / name).read_text().splitlines() if not line.lstrip().startswith("--")
    )
    return [s for s in text.split(";") if s.strip()]


def _execute(con: duckdb.DuckDBPyConnection, statement: str, params: dict[str, object]) -> None:
    used = {k: v for k, v in params.items() if f"${k}" in statement}
    con.execute(statement, used)


def _quarter_bounds(quarter: str) -> tuple[int, str, str, int]:
    match = QUARTER.match(quarter)
    if match is None:
        raise SystemExit(f"not a quarter folder: {quarter}")
    year, q = int(match[1]), int(match[2])
    start = f"{year}-{3 * q - 2:02d}-01"
    end = f"{year + (q == 4)}-{(3 * q) % 12 + 1:02d}-01"
    return year, start, end, year * 4 + q - 1


def _load_budget(con: duckdb.DuckDBPyConnection, path: Path, quarter: str, index: int) -> dict[str, int]:
    delimiter, skip, names = _header(path, _aliases("budget"))
    year, start, end, _ = _quarter_bounds(quarter)
    table = f"raw.budget_{index}"
    con.execute(
        f"create table {table} as select * from read_csv(?, names = ?, header = true, all_varchar = true, "
        "delim = ?, quote = '\"', skip = ?, encoding = ?)",
        [str(path), names, delimiter, skip, _encoding(path)],
    )
    missing = [c for c in BUDGET_COLUMNS if c not in names]
    select = ", ".join(
        [*(c for c in BUDGET_COLUMNS if c in names), *(f"null::varchar as {c}" for c in missing)]
    )
    con.execute(
        f"create or replace temp table landed as "
        f"select {select}, (row_number() over () + 1)::bigint as source_row from {table}"
    )
    params = {
        "quarter": quarter,
        "quarter_start": start,
        "quarter_end": f"{end}",
        "year": year,
        "source_file": path.name,
    }
    for statement in _statements("baseline_check_budget.sql"):
        _execute(con, statement, params)
    counts = con.sql("\n".join(_statements("baseline_count_checks.sql"))).fetchall()[0]
    return dict(zip(CHECK_COUNTS, map(int, counts), strict=True))


def _load_survey(con: duckdb.DuckDBPyConnection, path: Path, index: int, scratch: Path) -> int:
    """A survey export (small) into a table of its non-personal columns; unparseable rows are skipped."""
    encoding = _encoding(path)
    if encoding != "utf-8":  # DuckDB reads UTF-8 and strict Latin-1 only: Windows-1252 is copied over
        copy = scratch / f"survey_{index}.csv"
        copy.write_text(
            path.read_text(encoding="cp1252" if encoding == "latin-1" else encoding, errors="replace")
        )
        path = copy
    delimiter, skip, names = _header(path, _aliases("survey"))
    keep = ", ".join(n for n in names if not n.startswith("unused_") and n not in PERSONAL)
    con.execute(
        f"create table raw.survey_{index} as select {keep} from read_csv(?, names = ?, header = true, "
        "all_varchar = true, delim = ?, quote = '\"', skip = ?, ignore_errors = true, strict_mode = false)",
        [str(path), names, delimiter, skip],
    )
    return int(con.execute(f"select count(*) from raw.survey_{index}").fetchall()[0][0])


def run(landing: Path, db: Path, quarters: list[str] | None) -> dict[str, object]:
    started, cpu_started = time.perf_counter(), time.process_time()
    con = duckdb.connect(str(db))
    for statements in schema_scripts():
        con.execute(statements)
    con.execute("\n".join(m.ddl() for m in registry()))
    seeds = {
        "municipalities": "municipalities.csv",
        "mergers": "mergers.csv",
        "shares": "merger_shares.csv",
        "rules": "iv3_budget_categories.csv",
        "cost_categories": "cost_categories.csv",
    }
    paths = {k: str(SEEDS / v) for k, v in seeds.items()}
    # The Iv3 code lists are CBS's definition files: written out as CSV for the bare-DuckDB load.
    lists = iv3.code_lists()
    paths["taakvelden"] = str(db.parent / "baseline_iv3_taakvelden.csv")
    paths["categorieen"] = str(db.parent / "baseline_iv3_categorieen.csv")
    iv3.taakveld_dim(lists).write_csv(paths["taakvelden"])
    iv3.categorie_dim(lists).select("code", "name").write_csv(paths["categorieen"])
    for statement in _statements("baseline_reference.sql"):
        _execute(con, statement, paths)
    folders = sorted(p.name for p in (landing / "budget").iterdir() if p.is_dir())
    quarters = quarters or folders
    checks: dict[str, int] = {}
    budget_rows = survey_rows = index = 0
    for quarter in quarters:
        for path in sorted((landing / "budget" / quarter).glob("*.csv")):
            index += 1
            for key, value in _load_budget(con, path, quarter, index).items():
                checks[key] = checks.get(key, 0) + value
            budget_rows = checks["rows_read"]
        for path in (
            sorted((landing / "survey" / quarter).glob("*.csv")) if (landing / "survey").is_dir() else []
        ):
            index += 1
            survey_rows += _load_survey(con, path, index, db.parent)
        _, start, end, quarter_index = _quarter_bounds(quarter)
        year, q = int(quarter[:4]), int(quarter[-1])
        con.execute(
            "insert into core.dim_quarter values (?, ?, ?, ?, cast(? as date), cast(? as date) - 1)",
            [quarter, year, q, quarter_index, start, end],
        )
    window = con.execute("select min(quarter_index), max(quarter_index) from core.dim_quarter").fetchall()[0]
    params = {"window_start": window[0], "window_end": window[1]}
    for view in core_views():
        con.execute(view)
    mart_rows = {}
    for mart in MARTS:
        con.execute(f"create or replace table {mart.table} as select * from ({mart.model})", params)
        mart_rows[mart.name] = int(con.execute(f"select count(*) from {mart.table}").fetchall()[0][0])
    con.close()
    return {
        "what": "baseline",
        "quarters": len(quarters),
        "budget_rows": budget_rows,
        "survey_rows": survey_rows,
        "checks": checks,
        "mart_rows": mart_rows,
        "seconds": round(time.perf_counter() - started, 3),
        "cpu_seconds": round(time.process_time() - cpu_started, 3),
    }


def read_csv(path: Path, db: Path) -> dict[str, object]:
    started, cpu_started = time.perf_counter(), time.process_time()
    con = duckdb.connect(str(db))
    con.execute("create or replace table landed as select * from read_csv(?)", [str(path)])
    rows = int(con.execute("select count(*) from landed").fetchall()[0][0])
    con.close()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return {"what": "read_csv", "rows": rows, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3)}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="the whole baseline over a landing zone")
    run_parser.add_argument("--landing", type=Path, required=True)
    run_parser.add_argument("--db", type=Path, required=True)
    run_parser.add_argument("--quarters", nargs="*")
    read_parser = sub.add_parser("read-csv", help="read one CSV into a table")
    read_parser.add_argument("file", type=Path)
    read_parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "run":
        result = run(args.landing, args.db, args.quarters)
    else:
        result = read_csv(args.file, args.db)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
