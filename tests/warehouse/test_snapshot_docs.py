"""docs/bi.md stays true: every example query runs on a published snapshot."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.snapshot_helpers import build_warehouse
from warehouse.db import connect
from warehouse.publish import publish_snapshot

DOC = Path(__file__).resolve().parents[2] / "docs" / "bi.md"
QUERIES = [
    statement.strip()
    for block in re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    for statement in block.split(";")
    if statement.strip()
]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    con = connect(":memory:")
    build_warehouse(con, generation=1, run_id="run-docs")
    path = publish_snapshot(con, tmp_path_factory.mktemp("published"), run_id="run-docs")
    con.close()
    return path


def test_the_guide_has_example_queries() -> None:
    assert len(QUERIES) >= 10


@pytest.mark.parametrize("query", QUERIES, ids=[q.splitlines()[0][:60] for q in QUERIES])
def test_every_example_query_in_the_guide_runs(snapshot: Path, query: str) -> None:
    # Names and types are what is checked; the small snapshot has no complete half year.
    with duckdb.connect(str(snapshot), read_only=True) as con:
        con.execute(query).fetchall()


def test_the_guides_checksum_query_matches_meta_snapshot_tables(snapshot: Path) -> None:
    computed, listed = [q for q in QUERIES if "content_md5" in q][:2]
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute(computed).fetchall() == con.execute(listed).fetchall()


def test_every_relative_link_in_the_guide_resolves() -> None:
    text = DOC.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    relative = [t for t in targets if "://" not in t]
    assert relative  # the guide links to the data dictionary at least
    missing = [t for t in relative if not (DOC.parent / t).exists()]
    assert missing == []


def test_every_anchor_link_in_the_guide_names_a_heading() -> None:
    text = DOC.read_text(encoding="utf-8")
    headings = {
        re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", text, flags=re.M)
    }
    anchors = re.findall(r"\]\(#([^)]+)\)", text)
    assert anchors
    assert [a for a in anchors if a not in headings] == []
