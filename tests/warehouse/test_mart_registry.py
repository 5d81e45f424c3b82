"""The mart registry: each warehouse/marts/<name>.sql declares its mart, and a new file is enough."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingest.reference import read_reference
from tests.warehouse.core_rows import load_all, warehouse
from transforms.quarter import Quarter
from warehouse import marts
from warehouse.dictionary import data_dictionary
from warehouse.marts import Column, Mart, MartDeclarationError, parse_mart
from warehouse.publish import publish_snapshot, snapshot_tables

# A mart no code knows about: municipalities reporting a survey amount, per quarter.
TOY_MART = """\
-- marts.toy_reporting
-- @grain quarter
-- @description Municipalities that reported a survey amount. One row per quarter with
--     at least one.
-- @column quarter varchar: Quarter, written 2021Q1
-- @column municipalities integer: Municipalities (as reported) with an amount; it's a count
--
-- A toy mart of the registry test.
select
    c.quarter,
    cast(count(distinct c.municipality_code) as integer) as municipalities
from core.fct_survey_cost as c
inner join core.dim_quarter as q using (quarter)
where q.quarter_index between $window_start and $window_end and c.amount_eur is not null
group by c.quarter
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.sql"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_header_declares_grain_description_and_columns_with_continued_lines(tmp_path: Path) -> None:
    mart = parse_mart(_write(tmp_path, "toy_reporting", TOY_MART))
    assert mart == Mart(
        name="toy_reporting",
        grain=("quarter",),
        description="Municipalities that reported a survey amount. One row per quarter with at least one.",
        columns=(
            Column("quarter", "varchar", "Quarter, written 2021Q1"),
            Column("municipalities", "integer", "Municipalities (as reported) with an amount; it's a count"),
        ),
        model=TOY_MART,
    )
    assert mart.keys == "quarter"
    assert mart.ddl() == (
        "create table if not exists marts.toy_reporting (\n"
        "    quarter varchar,\n"
        "    municipalities integer\n"
        ");"
    )
    assert marts.comment_statements((mart,)) == (
        "comment on table marts.toy_reporting is 'Municipalities that reported a survey amount. "
        "One row per quarter with at least one.';\n"
        "comment on column marts.toy_reporting.quarter is 'Quarter, written 2021Q1';\n"
        "comment on column marts.toy_reporting.municipalities is "
        "'Municipalities (as reported) with an amount; it''s a count';"
    )


def test_a_computed_mart_has_no_query_and_may_declare_not_null(tmp_path: Path) -> None:
    text = (
        "-- @grain period\n-- @description Toy periods. One row per period.\n"
        "-- @computed somewhere in Python\n-- @column period varchar not null: The period\n"
    )
    mart = parse_mart(_write(tmp_path, "toy_periods", text))
    assert (mart.model, mart.computed) == (None, "somewhere in Python")
    assert mart.columns == (Column("period", "varchar not null", "The period"),)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("-- @description d\n-- @column quarter varchar: q\n", "toy.sql: no @grain"),
        ("-- @grain quarter\n-- @column quarter varchar: q\n", "toy.sql: no @description"),
        (
            "-- @grain quarter\n-- @description d\n",
            "toy.sql: no @column; @grain names a column not declared: quarter",
        ),
        (
            "-- @grain quarter, kind\n-- @description d\n-- @column quarter varchar: q\n",
            "toy.sql: @grain names a column not declared: kind",
        ),
        ("-- @grain n\n-- @description d\n-- @column n integer: n\n", "toy.sql: no quarter column"),
        ("-- @grain quarter\n-- @description d\n-- @column quarter: q\n", "'@column quarter: q' is not"),
        ("-- @grain quarter\n-- @keys quarter\n-- @description d\n", "toy.sql: unknown tag\\(s\\) @keys"),
    ],
)
def test_a_header_that_does_not_declare_a_mart_is_refused_naming_the_file(
    tmp_path: Path, header: str, message: str
) -> None:
    with pytest.raises(MartDeclarationError, match=message):
        parse_mart(_write(tmp_path, "toy", header + "select 1\n"))


def test_the_registry_holds_the_six_marts_of_the_bi_contract() -> None:
    assert {m.name: (m.keys, m.model is None) for m in marts.registry()} == {
        "budget_trend_quarterly": ("municipality_code, quarter, budget_category, kind", False),
        "cost_trend_quarterly": ("municipality_code, quarter, cost_category", False),
        "national_estimate": ("quarter, cost_category", True),
        "national_estimate_period": ("period_type, period, cost_category", True),
        "net_cost": ("municipality_code, quarter", False),
        "survey_vs_budget": ("municipality_code, quarter", False),
    }


def test_every_sql_mart_query_gives_exactly_its_declared_columns_and_types() -> None:
    with warehouse(read_reference()) as con:
        marts.create_core_views(con)
        for mart in marts.registry():
            if mart.model is None:
                continue
            described = con.execute(
                f"describe select * from ({mart.model})", {"window_start": 0, "window_end": 0}
            ).fetchall()
            declared = [(c.name, c.type.upper()) for c in mart.columns]
            assert [(r[0], r[1]) for r in described] == declared, mart.name


@pytest.fixture
def toy_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """warehouse/marts/ copied, plus the toy mart's file, as the registry's folder."""
    folder = tmp_path / "marts"
    shutil.copytree(marts.MARTS_DIR, folder)
    _write(folder, "toy_reporting", TOY_MART)
    monkeypatch.setattr(marts, "MARTS_DIR", folder)
    return folder


def test_a_new_mart_file_is_refreshed_published_commented_and_in_the_dictionary(
    toy_registry: Path, tmp_path: Path
) -> None:
    ref = read_reference()
    survey = [
        ("2021Q1", "GM0014", "hardware", "100.00"),
        ("2021Q1", "GM0014", "security", "5.00"),
        ("2021Q1", "GM1979", "hardware", None),
        ("2021Q2", "GM0014", "hardware", "1.00"),
        ("2021Q2", "GM1979", "other", "2.00"),
    ]
    with warehouse(ref) as con:
        load_all(con, survey, [])
        changed = marts.refresh_marts(con, marts.affected_quarters(con, Quarter(2021, 1)), ref)
        assert changed["toy_reporting"] == 2
        # GM0014 in 2021Q1 (GM1979 answered without an amount); GM0014 and GM1979 in 2021Q2.
        assert con.execute("select * from marts.toy_reporting order by quarter").fetchall() == [
            ("2021Q1", 1),
            ("2021Q2", 2),
        ]
        assert snapshot_tables()["marts.toy_reporting"] == "quarter"
        snapshot = publish_snapshot(con, tmp_path / "published", run_id="run-toy")
    assert (tmp_path / "published" / "parquet" / "toy_reporting.parquet").is_file()
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute("select * from marts.toy_reporting order by quarter").fetchall() == [
            ("2021Q1", 1),
            ("2021Q2", 2),
        ]
        assert con.execute(
            "select row_count from meta.snapshot_tables where table_name = 'toy_reporting'"
        ).fetchall() == [(2,)]
        assert con.execute(
            "select comment from duckdb_tables() where table_name = 'toy_reporting'"
        ).fetchall() == [
            ("Municipalities that reported a survey amount. One row per quarter with at least one.",)
        ]
        dictionary = data_dictionary(con)
    assert (
        "## `marts.toy_reporting`\n\n"
        "Municipalities that reported a survey amount. One row per quarter with at least one.\n\n"
        "| column | type | description |\n|---|---|---|\n"
        "| `quarter` | VARCHAR | Quarter, written 2021Q1 |\n"
        "| `municipalities` | INTEGER | Municipalities (as reported) with an amount; it's a count |\n"
    ) in dictionary


def test_a_view_is_created_after_the_views_it_reads_whatever_the_file_names(tmp_path: Path) -> None:
    (tmp_path / "int_a.sql").write_text("create or replace view core.int_a as select * from core.int_c;\n")
    (tmp_path / "int_b.sql").write_text("create or replace view core.int_b as select 1 as x;\n")
    (tmp_path / "int_c.sql").write_text("create or replace view core.int_c as select * from core.int_b;\n")
    assert [s.split()[4] for s in marts.core_views(tmp_path)] == ["core.int_b", "core.int_c", "core.int_a"]


def test_views_that_read_each_other_are_refused(tmp_path: Path) -> None:
    (tmp_path / "int_a.sql").write_text("create or replace view core.int_a as select * from core.int_b;\n")
    (tmp_path / "int_b.sql").write_text("create or replace view core.int_b as select * from core.int_a;\n")
    with pytest.raises(MartDeclarationError, match="read each other or a missing view: int_a, int_b"):
        marts.core_views(tmp_path)


def test_the_core_views_of_the_warehouse_are_created_in_one_go() -> None:
    with warehouse(read_reference()) as con:
        marts.create_core_views(con)
        views = con.execute(
            "select view_name from duckdb_views() where schema_name = 'core' order by 1"
        ).fetchall()
    assert [v[0] for v in views] == [
        "int_budget_boundary",
        "int_budget_lines_unit",
        "int_survey_amount_boundary",
        "int_survey_cost_boundary",
        "int_survey_totals_unit",
    ]
