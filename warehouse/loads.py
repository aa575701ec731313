"""Idempotent loads: each one a single transaction, delete-then-insert, bound parameters only.

Frames go in through DuckDB's Arrow scan of a registered relation, so no value is ever spliced
into SQL text. Table names come from a fixed allow-list, never from input.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse.connection import query_frame

FACT_TABLES = {
    "valuation": "valuations",
    "growth_rate": "growth_rates",
    "capacity": "capacities",
    "company": "companies",
    "regional_share": "regional_shares",
}
_TABLES = frozenset({
    "documents", "document_texts", "passages", "findings", "consensus_values", "source_reliability", "alert_deliveries",
    "company_directory", "regions", "region_aliases",
    *FACT_TABLES.values(),
})


def _table(name: str) -> str:
    if name not in _TABLES:
        raise ValueError(f"not a warehouse table: {name!r}")
    return name


def known_document_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("SELECT doc_id FROM documents").fetchall()}


def insert_documents(con: duckdb.DuckDBPyConnection, documents: pl.DataFrame, texts: pl.DataFrame,
                     ingested_at: dt.datetime, own_transaction: bool = True) -> int:
    """Add documents not yet in the warehouse (content-addressed: existing ids are left alone).

    With `own_transaction=False` the caller holds the transaction, so a source can commit a
    document together with its own bookkeeping row (a filing, a fetched URL) or not at all.
    """
    if documents.is_empty():
        return 0
    docs = documents.select(
        "doc_id", "source", "path", "title", "publisher", "published", "format", "size_bytes", "status", "error"
    ).unique("doc_id", keep="first", maintain_order=True)
    before = con.execute("SELECT count(*) FROM documents").fetchall()[0][0]
    if own_transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        con.register("_new_documents", docs.to_arrow())
        con.execute(
            """
            INSERT INTO documents BY NAME
            SELECT n.*, ?::TIMESTAMPTZ AS ingested_at FROM _new_documents n
            WHERE n.doc_id NOT IN (SELECT doc_id FROM documents)
            """,
            [ingested_at],
        )
        con.register("_new_texts", texts.select("doc_id", "text").unique("doc_id").to_arrow())
        con.execute(
            """
            INSERT INTO document_texts BY NAME
            SELECT * FROM _new_texts WHERE doc_id NOT IN (SELECT doc_id FROM document_texts)
            """
        )
        if own_transaction:
            con.execute("COMMIT")
    except Exception:
        if own_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_new_documents")
        con.unregister("_new_texts")
    return con.execute("SELECT count(*) FROM documents").fetchall()[0][0] - before


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame,
                 doc_ids: list[str] | None = None) -> int:
    """Replace the rows of `table` for `doc_ids` (all rows when None) by `frame`, in one transaction."""
    table = _table(table)
    con.execute("BEGIN TRANSACTION")
    try:
        if doc_ids is None:
            con.execute(f"DELETE FROM {table}")  # table name from the allow-list above
        else:
            con.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))", [doc_ids])
        if not frame.is_empty():
            con.register("_replacement", frame.to_arrow())
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _replacement")
            con.unregister("_replacement")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return frame.height


def with_fact_ids(kind: str, facts: pl.DataFrame, extractor_version: str) -> pl.DataFrame:
    """Add `fact_id` (MD5 of kind, document, offsets and values) and `extractor_version`.

    MD5 through DuckDB rather than polars' `hash`, whose values may change between releases.
    """
    value_columns = [c for c in facts.columns if c not in ("passage_id", "quote")]
    keys = facts.select(
        pl.concat_str(
            [pl.lit(kind), *[pl.col(c).cast(pl.String).fill_null("") for c in value_columns]], separator="|"
        ).alias("k")
    )
    ids = duckdb.from_arrow(keys.to_arrow()).project("md5(k) AS fact_id").pl()["fact_id"] if facts.height else []
    return facts.with_columns(
        pl.Series("fact_id", ids, dtype=pl.String),
        pl.lit(extractor_version).alias("extractor_version"),
    ).unique("fact_id", maintain_order=True)


def read_table(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    return query_frame(con, f"SELECT * FROM {_table(table)}")


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in sorted(_TABLES)}


def upsert_findings(con: duckdb.DuckDBPyConnection, findings: pl.DataFrame, seen_at: dt.datetime) -> dict[str, int]:
    """Merge this run's findings into the table in one transaction.

    New fingerprints are inserted (first_seen = last_seen = now); ones raised again are refreshed
    and re-opened; open ones not raised any more are marked resolved. Running twice on the same
    facts leaves the same rows.
    """
    frame = findings.select("finding_id", "rule", "severity", "subject", "message", "doc_ids", "quotes", "evidence")
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("_run_findings", frame.to_arrow())
        new = con.execute(
            "SELECT count(*) FROM _run_findings WHERE finding_id NOT IN (SELECT finding_id FROM findings)"
        ).fetchall()[0][0]
        resolved = con.execute(
            """
            UPDATE findings SET status = 'resolved'
            WHERE status = 'open' AND finding_id NOT IN (SELECT finding_id FROM _run_findings)
            """
        ).fetchall()[0][0]
        con.execute(
            """
            INSERT INTO findings BY NAME
            SELECT r.*, ?::TIMESTAMPTZ AS first_seen, ?::TIMESTAMPTZ AS last_seen, 'open' AS status
            FROM _run_findings r
            ON CONFLICT (finding_id) DO UPDATE SET
                severity = excluded.severity, subject = excluded.subject, message = excluded.message,
                doc_ids = excluded.doc_ids, quotes = excluded.quotes, evidence = excluded.evidence,
                last_seen = excluded.last_seen, status = 'open'
            """,
            [seen_at, seen_at],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_run_findings")
    return {"new": new, "resolved": resolved, "raised": frame.height}
