"""Opening the DuckDB warehouse and applying its schema files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl


def schema_statements() -> list[str]:
    """The schema SQL files in order (`NNN_name.sql`), as one script each."""
    folder = resources.files("warehouse") / "schema"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [f.read_text(encoding="utf-8") for f in files]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and comment that is missing; safe to run on every connection."""
    for script in schema_statements():
        con.execute(script)


@contextmanager
def connect(path: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file; writers get the schema applied first."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            ensure_schema(con)
        yield con
    finally:
        con.close()


def query_frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    """A query's result as a polars frame (through Arrow, no pandas)."""
    return con.sql(sql, params=params).pl() if params else con.sql(sql).pl()
