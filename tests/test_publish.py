"""The published warehouse: analysts read snapshots while the pipeline runs, and cannot write."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.definitions import all_assets
from pipelines.resources import DocumentStoreResource, WarehouseResource
from tests.conftest import ROOT
from warehouse.publish import open_published

EXTRA_DOCUMENT = """Cobalt Refining Quarterly, Perth, June 2, 2025 --
The global scandium oxide market was valued at USD 120 million in 2024 and is projected to reach
USD 210 million by 2031, growing at a CAGR of 8.3% from 2024 to 2031.
"""


def _run(inbox: Path, tmp_path: Path) -> dg.ExecuteInProcessResult:
    resources = {
        "warehouse": WarehouseResource(path=str(tmp_path / "work.duckdb"),
                                       published_path=str(tmp_path / "published.duckdb")),
        "document_store": DocumentStoreResource(inbox=str(inbox), raw_dir=str(tmp_path / "raw")),
    }
    return dg.materialize(all_assets, resources=resources)


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    return con.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM passages), (SELECT count(*) FROM valuations)"
    ).fetchone()


def test_open_analyst_session_does_not_block_a_run_and_reconnect_sees_new_data(inbox: Path, tmp_path: Path) -> None:
    assert _run(inbox, tmp_path).success
    published = tmp_path / "published.duckdb"
    analyst = open_published(published)
    before = _counts(analyst)
    (inbox / "scandium_note.txt").write_text(EXTRA_DOCUMENT)
    assert _run(inbox, tmp_path).success  # completes while the analyst's session is open
    assert _counts(analyst) == before  # the open session keeps its consistent snapshot
    analyst.close()
    fresh = open_published(published)
    after = _counts(fresh)
    fresh.close()
    assert after[0] == before[0] + 1 and after[2] > before[2]


def test_a_reader_never_observes_a_partially_loaded_warehouse(inbox: Path, tmp_path: Path) -> None:
    assert _run(inbox, tmp_path).success
    published = tmp_path / "published.duckdb"
    with open_published(published) as con:
        old = _counts(con)
    (inbox / "scandium_note.txt").write_text(EXTRA_DOCUMENT)
    seen: set[tuple[int, int, int]] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_repeatedly() -> None:
        while not stop.is_set():
            try:
                with open_published(published) as con:
                    seen.add(_counts(con))
            except BaseException as exc:  # noqa: BLE001 - any failure to read is a failure of the test
                errors.append(exc)
                return

    reader = threading.Thread(target=read_repeatedly)
    reader.start()
    try:
        assert _run(inbox, tmp_path).success
    finally:
        stop.set()
        reader.join(timeout=60)
    with open_published(published) as con:
        new = _counts(con)
    assert not errors
    assert new != old
    assert seen <= {old, new}, f"reader saw an intermediate state: {seen - {old, new}}"


def _sql(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "sql", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_sql_refuses_to_write_and_changes_nothing(inbox: Path, tmp_path: Path) -> None:
    assert _run(inbox, tmp_path).success
    published = tmp_path / "published.duckdb"
    with open_published(published) as con:
        before = _counts(con)
    for statement in ("INSERT INTO documents SELECT * FROM documents", "DROP TABLE valuations",
                      "DELETE FROM passages", "COPY valuations TO 'out.csv'", "CREATE TABLE x AS SELECT 1"):
        done = _sql(statement, "--warehouse", str(published))
        assert done.returncode == 1
        assert "read-only" in done.stderr and "refused" in done.stderr
    with open_published(published) as con:
        assert _counts(con) == before


def test_sql_formats(inbox: Path, tmp_path: Path) -> None:
    assert _run(inbox, tmp_path).success
    published = str(tmp_path / "published.duckdb")
    query = "SELECT market, year, amount FROM market_sizes ORDER BY market, year"
    table = _sql(query, "--warehouse", published)
    assert table.returncode == 0 and "rare earth refining services" in table.stdout
    csv = _sql(query, "--warehouse", published, "--format", "csv")
    assert csv.stdout.splitlines()[0] == "market,year,amount"
    parquet = tmp_path / "sizes.parquet"
    done = _sql(query, "--warehouse", published, "--format", "parquet", "--output", str(parquet))
    assert done.returncode == 0
    import polars as pl

    assert pl.read_parquet(parquet).height == len(csv.stdout.splitlines()) - 1
    missing = _sql("SELECT 1", "--warehouse", str(tmp_path / "nothing.duckdb"))
    assert missing.returncode == 1 and "run `marketintel run` first" in missing.stderr


def test_every_analyst_guide_query_returns_rows(inbox: Path, tmp_path: Path) -> None:
    assert _run(inbox, tmp_path).success
    guide = (ROOT / "docs" / "analyst-guide.md").read_text()
    queries = re.findall(r"```sql\n(.*?)```", guide, re.DOTALL)
    assert len(queries) >= 5
    with open_published(tmp_path / "published.duckdb") as con:
        for query in queries:
            assert con.sql(query).fetchall(), f"no rows for:\n{query}"
