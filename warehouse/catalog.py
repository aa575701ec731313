"""The documented schema, as analysts read it: tables and views, their columns, types and comments."""

from __future__ import annotations

import duckdb

from warehouse.connection import ensure_schema


def describe_schema(con: duckdb.DuckDBPyConnection | None = None) -> str:
    """Text listing of every table and view with its comment and columns.

    Without a connection, the schema files are applied to an in-memory database, so the listing
    never depends on a run having happened.
    """
    own = con is None
    if con is None:
        con = duckdb.connect()
        ensure_schema(con)
    try:
        relations = con.execute(
            """
            SELECT table_name, 'table' AS type, comment FROM duckdb_tables() WHERE schema_name = 'main'
            UNION ALL
            SELECT view_name, 'view', comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal
            ORDER BY 2, 1
            """
        ).fetchall()
        columns = con.execute(
            """
            SELECT table_name, column_name, data_type, comment FROM duckdb_columns()
            WHERE schema_name = 'main' ORDER BY table_name, column_index
            """
        ).fetchall()
    finally:
        if own:
            con.close()
    by_relation: dict[str, list[tuple[str, str, str | None]]] = {}
    for table, column, dtype, comment in columns:
        by_relation.setdefault(table, []).append((column, dtype, comment))
    lines: list[str] = []
    for name, kind, comment in relations:
        lines.append(f"{kind} {name}: {comment or ''}".rstrip())
        for column, dtype, col_comment in by_relation.get(name, []):
            lines.append(f"    {column:<20} {dtype:<14} {col_comment or ''}".rstrip())
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
