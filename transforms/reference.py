"""Reference data → dimensions: register, population, mergers, boundary mapping, Iv3 mapping.

Pure functions over the seed frames; reading the seed files happens in `warehouse/`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.quarter import Quarter


def municipality_dim(register: pl.DataFrame) -> pl.DataFrame:
    """One row per municipality in the register, with validity dates."""
    return register.select(
        pl.col("code").alias("municipality_code"),
        pl.col("name").alias("municipality_name"),
        "province",
        pl.col("valid_from").cast(pl.Utf8).str.to_date(strict=False).alias("valid_from"),
        pl.col("valid_to").cast(pl.Utf8).str.to_date(strict=False).alias("valid_to"),
    ).sort("municipality_code")


def population_dim(register: pl.DataFrame) -> pl.DataFrame:
    """One row per municipality × year with a population on 1 January of that year."""
    years = [c for c in register.columns if c.startswith("population_")]
    return (
        register.unpivot(index="code", on=years, variable_name="year", value_name="population")
        .drop_nulls("population")
        .select(
            pl.col("code").alias("municipality_code"),
            pl.col("year").str.strip_prefix("population_").cast(pl.Int32),
            pl.col("population").cast(pl.Int64),
        )
        .sort("municipality_code", "year")
    )


def merger_dim(mergers: pl.DataFrame, shares: pl.DataFrame) -> pl.DataFrame:
    """One row per dissolved → receiving municipality with the share it receives.

    A merger row without an explicit share gets 1; the shares of one dissolved
    municipality must sum to 1 so that nothing is counted twice.
    """
    out = (
        mergers.join(shares, on=["old_code", "new_code"], how="left")
        .with_columns(
            pl.col("share").fill_null(1.0).cast(pl.Float64),
            pl.col("effective_date").cast(pl.Utf8).str.to_date(),
        )
        .select("old_code", "old_name", "new_code", "new_name", "effective_date", "share")
        .sort("old_code", "new_code")
    )
    totals = out.group_by("old_code").agg(pl.col("share").sum()).filter((pl.col("share") - 1.0).abs() > 1e-9)
    if totals.height:
        bad = ", ".join(f"{r['old_code']} ({r['share']:.4f})" for r in totals.iter_rows(named=True))
        raise ValueError(f"merger shares must sum to 1 per dissolved municipality: {bad}")
    return out


def boundary_map(
    municipalities: pl.DataFrame, mergers: pl.DataFrame, *, boundary_date: dt.date | None = None
) -> pl.DataFrame:
    """Every known code → the municipality it belongs to on the boundary date, with a share.

    Grain: one row per (municipality_code, boundary_code). Mergers effective on or
    before the boundary date are followed, transitively; a code split over several
    successors gets one row per successor with its share (shares multiply along a
    chain). `boundary_date=None` means the register's current boundaries.
    """
    edges = mergers
    if boundary_date is not None:
        edges = edges.filter(pl.col("effective_date") <= boundary_date)
    successors: dict[str, list[tuple[str, float]]] = {}
    for row in edges.iter_rows(named=True):
        successors.setdefault(row["old_code"], []).append((row["new_code"], row["share"]))

    def resolve(code: str, depth: int = 0) -> dict[str, float]:
        if code not in successors or depth > 20:
            return {code: 1.0}
        result: dict[str, float] = {}
        for new_code, share in successors[code]:
            for target, sub_share in resolve(new_code, depth + 1).items():
                result[target] = result.get(target, 0.0) + share * sub_share
        return result

    codes = sorted(set(municipalities["municipality_code"]) | set(mergers["old_code"]))
    rows = [(code, target, share) for code in codes for target, share in sorted(resolve(code).items())]
    return pl.DataFrame(
        rows,
        schema={"municipality_code": pl.Utf8, "boundary_code": pl.Utf8, "share": pl.Float64},
        orient="row",
    )


# The strata of municipalities by inhabitants (CBS-style classes, merged at the ends), each
# with its least population: a class runs up to the next one's. The one definition: the
# estimator and plausibility checks use `size_class`, the marts `core.dim_size_class`.
SIZE_CLASS_FLOORS: tuple[tuple[str, int], ...] = (
    ("<20k", 0),
    ("20k-50k", 20_000),
    ("50k-100k", 50_000),
    (">=100k", 100_000),
)
SIZE_CLASSES = tuple(name for name, _ in SIZE_CLASS_FLOORS)


def size_class(population: pl.Expr) -> pl.Expr:
    """The stratum of a municipality by inhabitants (see `SIZE_CLASS_FLOORS`); the top one when unknown."""
    expr: pl.Expr = pl.lit(SIZE_CLASS_FLOORS[-1][0])
    bounded = zip(SIZE_CLASS_FLOORS, SIZE_CLASS_FLOORS[1:], strict=False)  # each class and the next
    for (name, _), (_, ceiling) in reversed(list(bounded)):
        expr = pl.when(population < ceiling).then(pl.lit(name)).otherwise(expr)
    return expr


def size_class_dim() -> pl.DataFrame:
    """`core.dim_size_class`: one row per size class with its least population."""
    return pl.DataFrame(
        SIZE_CLASS_FLOORS, schema={"size_class": pl.Utf8, "min_population": pl.Int64}, orient="row"
    )


def boundary_population(population: pl.DataFrame, boundaries: pl.DataFrame) -> pl.DataFrame:
    """Population per boundary municipality and year, predecessors summed by their shares.

    Grain: one row per boundary_code × year.
    """
    return (
        population.join(boundaries, on="municipality_code", how="inner")
        .group_by("boundary_code", "year")
        .agg((pl.col("population") * pl.col("share")).sum().round(0).cast(pl.Int64).alias("population"))
        .sort("boundary_code", "year")
    )


def budget_category_map(
    rules: pl.DataFrame, taakvelden: pl.DataFrame, categorieen: pl.DataFrame
) -> pl.DataFrame:
    """Every (taakveld, categorie) pair → its budget category, most specific rule first.

    Rules may use `*` for taakveld or categorie; an exact pair beats (taakveld, *)
    which beats (*, categorie) which beats (*, *).
    """
    pairs = taakvelden.select(pl.col("code").cast(pl.Utf8).alias("taakveld")).join(
        categorieen.select(pl.col("code").cast(pl.Utf8).alias("categorie")), how="cross"
    )
    ranked = rules.with_columns(
        ((pl.col("taakveld") != "*").cast(pl.Int32) * 2 + (pl.col("categorie") != "*").cast(pl.Int32)).alias(
            "specificity"
        )
    )
    candidates = pairs.join(ranked, how="cross", suffix="_rule").filter(
        ((pl.col("taakveld_rule") == "*") | (pl.col("taakveld_rule") == pl.col("taakveld")))
        & ((pl.col("categorie_rule") == "*") | (pl.col("categorie_rule") == pl.col("categorie")))
    )
    return (
        candidates.sort("specificity", descending=True)
        .group_by("taakveld", "categorie", maintain_order=True)
        .first()
        .select("taakveld", "categorie", "budget_category")
        .sort("taakveld", "categorie")
    )


def quarter_dim(quarters: list[Quarter]) -> pl.DataFrame:
    """One row per quarter."""
    ordered = sorted(set(quarters))
    return pl.DataFrame(
        {
            "quarter": [str(q) for q in ordered],
            "year": [q.year for q in ordered],
            "quarter_of_year": [q.q for q in ordered],
            "quarter_index": [q.index for q in ordered],
            "start_date": [q.start for q in ordered],
            "end_date": [q.end for q in ordered],
        },
        schema={
            "quarter": pl.Utf8,
            "year": pl.Int32,
            "quarter_of_year": pl.Int32,
            "quarter_index": pl.Int32,
            "start_date": pl.Date,
            "end_date": pl.Date,
        },
    )


def valid_codes(municipalities: pl.DataFrame, mergers: pl.DataFrame, quarter: Quarter) -> list[str]:
    """Codes a report for `quarter` may use: those existing during the quarter.

    A municipality dissolved before the quarter began is no longer valid for it.
    """
    existing = municipalities.filter(
        (pl.col("valid_from").is_null() | (pl.col("valid_from") <= quarter.end))
        & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= quarter.start))
    )["municipality_code"]
    dissolved_later = mergers.filter(pl.col("effective_date") > quarter.start)["old_code"]
    return sorted(set(existing) | set(dissolved_later))
