"""The warehouse documents itself: every table, view and column carries a comment."""

from __future__ import annotations

import duckdb

from warehouse.catalog import describe_schema
from warehouse.connection import ensure_schema


def test_every_table_view_and_column_has_a_comment() -> None:
    con = duckdb.connect()
    ensure_schema(con)
    ensure_schema(con)  # applying the schema twice is harmless
    missing = con.execute(
        """
        SELECT table_name FROM duckdb_tables() WHERE comment IS NULL OR comment = ''
        UNION ALL SELECT view_name FROM duckdb_views() WHERE NOT internal AND (comment IS NULL OR comment = '')
        UNION ALL SELECT table_name || '.' || column_name FROM duckdb_columns()
                  WHERE NOT internal AND (comment IS NULL OR comment = '')
        """
    ).fetchall()
    assert missing == []


def test_schema_listing_names_the_analyst_views() -> None:
    text = describe_schema()
    for name in ("market_sizes", "growth_rate_claims", "capacity_and_production", "share_claims",
                 "open_findings", "fact_lineage", "market_size_consensus", "documents"):
        assert f" {name}:" in text
