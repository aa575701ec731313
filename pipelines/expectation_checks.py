"""Asset checks: one per Great Expectations suite (quality.expectations), on the asset that writes the table.

Each check reads its whole table from the warehouse (DuckDB -> polars -> pandas inside
`validate_table`; never GX's SQL path, which fails silently over DuckDB) and runs the table's suite.
A suite with any error-severity expectation makes a blocking check, so a table with null keys,
duplicate ids or impossible values stops the assets downstream of it; warn-only failures show in
the UI without stopping anything. Great Expectations is imported only when a check executes, so
loading the Dagster definitions stays fast.
"""

import dagster as dg

from pipelines.assets import DOCUMENTS_KEY, FINDINGS_KEY, PASSAGES_KEY, fact_key
from pipelines.resources import DUCKDB_POOL, WarehouseResource
from quality.expectations import ERROR, SUITES, has_error_expectations, results_markdown, suite_name, validate_table
from warehouse.loads import FACT_TABLES, read_table

# Table -> the asset that writes it. raw/documents writes both documents and document_texts.
SUITE_ASSETS: dict[str, dg.AssetKey] = {
    "documents": DOCUMENTS_KEY,
    "document_texts": DOCUMENTS_KEY,
    "passages": PASSAGES_KEY,
    **{table: fact_key(kind) for kind, table in FACT_TABLES.items()},
    "findings": FINDINGS_KEY,
}


def check_name(table: str) -> str:
    return f"expectations_{table}"


def build_expectation_check(table: str) -> dg.AssetChecksDefinition:
    """The asset check that runs `table`'s suite; blocking when the suite has error expectations."""
    blocking = has_error_expectations(table)
    errors = sum(e.severity == ERROR for e in SUITES[table])

    @dg.asset_check(
        asset=SUITE_ASSETS[table],
        name=check_name(table),
        description=(
            f"Great Expectations suite {suite_name(table)} on table {table}: {len(SUITES[table])} expectations, "
            f"{errors} of them errors{' (blocking)' if blocking else ''}."
        ),
        blocking=blocking,
        # Reads the DuckDB file: in the writers' pool so it never meets another process's write lock.
        pool=DUCKDB_POOL,
        metadata={"suite": suite_name(table), "table": table},
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            frame = read_table(con, table)
        result = validate_table(table, frame)
        failed_errors = result.failed_errors
        return dg.AssetCheckResult(
            passed=result.success,
            severity=dg.AssetCheckSeverity.ERROR if failed_errors else dg.AssetCheckSeverity.WARN,
            description="; ".join(r.message for r in result.failed) or None,
            metadata={
                "suite": suite_name(table),
                "rows": result.row_count,
                "expectations": len(result.results),
                "failed_errors": len(failed_errors),
                "failed_warnings": len(result.failed) - len(failed_errors),
                "unexpected_counts": dg.MetadataValue.json(
                    {r.name: r.unexpected_count for r in result.results if r.unexpected_count}
                ),
                "results": dg.MetadataValue.md(results_markdown(result)),
                "seconds": round(result.seconds, 3),
            },
        )

    return _check


expectation_checks: list[dg.AssetChecksDefinition] = [build_expectation_check(table) for table in SUITES]
__all__ = ["SUITE_ASSETS", "build_expectation_check", "check_name", "expectation_checks"]
