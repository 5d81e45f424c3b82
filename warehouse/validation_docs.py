"""The validation pages of a run, rendered from what the warehouse recorded (meta, quarantine)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from expectations import docs as docs_html
from ingest.files import write_atomically
from warehouse.db import scalar, sql


def write_validation_docs(con: duckdb.DuckDBPyConnection, docs_dir: Path, run_id: str) -> Path:
    """Render run `run_id`'s validation page from the warehouse into `docs_dir`; return its path.

    The page is ``<docs_dir>/runs/<run_id>.html``; ``<docs_dir>/index.html`` lists every
    run's page. Both are static, self-contained HTML (see `expectations.docs`), each
    written to a temporary file and renamed, so a reader never sees half a page.
    """
    quarter = scalar(con, "select max(quarter) from meta.validation_results where run_id = ?", [run_id])
    samples = con.sql(
        sql("sql/select_docs_row_samples"), params={"run_id": run_id, "rows_shown": docs_html.ROWS_SHOWN}
    ).pl()
    page = docs_html.render_run_page(
        run_id=run_id,
        quarter=str(quarter or "?"),
        results=con.sql(sql("sql/select_docs_results"), params=[run_id]).pl(),
        files=con.sql(sql("sql/select_docs_files"), params=[run_id]).pl(),
        quarantined=_of_kind(samples, "quarantined", "reasons", "failed_values"),
        warnings=_of_kind(samples, "warned", "warnings"),
    )
    path = validation_docs_path(docs_dir, run_id)
    write_atomically(path, page)
    rendered = [p.stem for p in (docs_dir / "runs").glob("*.html")]
    runs = (
        con.sql(sql("sql/select_docs_runs"))
        .pl()
        .filter(pl.col("run_id").is_in(rendered))
        .with_columns(("runs/" + pl.col("run_id") + ".html").alias("page"))
    )
    write_atomically(docs_dir / "index.html", docs_html.render_index(runs))
    return path


def _of_kind(samples: pl.DataFrame, kind: str, *columns: str) -> pl.DataFrame:
    """The sample rows of one kind with that kind's columns (see sql/select_docs_row_samples)."""
    return samples.filter(pl.col("kind") == kind).select(
        "source", "source_file", "source_row", *columns, "total"
    )


def validation_docs_path(docs_dir: Path, run_id: str) -> Path:
    """Where `write_validation_docs` puts run `run_id`'s page."""
    return docs_dir / "runs" / f"{run_id}.html"
