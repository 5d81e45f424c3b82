"""Size classes have one definition: the marts' core.dim_size_class and the estimator's expression agree."""

from __future__ import annotations

import polars as pl

from ingest.reference import read_reference
from tests.warehouse.core_rows import warehouse
from transforms.reference import size_class

# Population on 1 January → size class, at and around every bound.
EXPECTED = [
    (0, "<20k"),
    (19_999, "<20k"),
    (20_000, "20k-50k"),
    (49_999, "20k-50k"),
    (50_000, "50k-100k"),
    (99_999, "50k-100k"),
    (100_000, ">=100k"),
    (900_000, ">=100k"),
]


def test_the_warehouse_size_class_table_classes_populations_at_every_bound() -> None:
    with warehouse(read_reference()) as con:
        con.register("_populations", pl.DataFrame({"population": [p for p, _ in EXPECTED] + [None]}))
        found = con.execute(
            "select p.population, c.size_class from _populations as p "
            "asof left join core.dim_size_class as c on p.population >= c.min_population "
            "order by p.population nulls last"
        ).fetchall()
    assert found == [*EXPECTED, (None, None)]


def test_the_expression_gives_the_same_classes() -> None:
    frame = pl.DataFrame({"population": [p for p, _ in EXPECTED]})
    assert frame.select(size_class(pl.col("population"))).to_series().to_list() == [c for _, c in EXPECTED]
