"""Assets: documents in, passages, one fact table per kind, findings out.

Each asset reads its inputs from the warehouse, calls pure functions in `transforms/` or
`quality/`, and writes its table in one transaction, so any asset can be re-run alone.
"""


import datetime as dt
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines.reading import ReadDocument, documents_frame, list_inbox, read_document
from pipelines.resources import DUCKDB_POOL, DocumentStoreResource, WarehouseResource
from quality.company_directory import company_directory as build_company_directory
from quality.consensus import consensus_tables
from quality.rules import run_rules
from transforms.facts import EXTRACTOR_VERSION, FACT_KINDS, extract_kind
from transforms.passages import split_passages
from transforms.regions import alias_table, region_table
from warehouse.connection import query_frame
from warehouse.loads import (
    FACT_TABLES,
    insert_documents,
    known_document_ids,
    read_table,
    replace_rows,
    row_counts,
    upsert_findings,
    with_fact_ids,
)
from warehouse.publish import publish

PREVIEW_ROWS = 10

DOCUMENTS_KEY = dg.AssetKey(["raw", "documents"])
# documents from the network sources (pipelines/source_assets.py) land in the same table
EDGAR_FILINGS_KEY = dg.AssetKey(["raw", "edgar_filings"])
WEB_DOCUMENTS_KEY = dg.AssetKey(["raw", "web_documents"])
DOCUMENT_SOURCE_KEYS = (DOCUMENTS_KEY, EDGAR_FILINGS_KEY, WEB_DOCUMENTS_KEY)  # everything that adds documents
PASSAGES_KEY = dg.AssetKey(["staging", "passages"])
FINDINGS_KEY = dg.AssetKey(["marts", "findings"])
CONSENSUS_KEY = dg.AssetKey(["marts", "consensus"])
PUBLISHED_KEY = dg.AssetKey(["marts", "published_warehouse"])
COMPANY_DIRECTORY_KEY = dg.AssetKey(["marts", "company_directory"])
REGIONS_KEY = dg.AssetKey(["marts", "regions"])


def fact_key(kind: str) -> dg.AssetKey:
    return dg.AssetKey(["staging", FACT_TABLES[kind]])


def markdown_table(frame: pl.DataFrame, columns: list[str], rows: int = PREVIEW_ROWS) -> str:
    """The first rows of `frame` as a Markdown table, for previews in the Dagster UI."""
    shown = frame.select([c for c in columns if c in frame.columns]).head(rows)
    if shown.is_empty():
        return "_no rows_"

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return (text[:117] + "...") if len(text) > 120 else text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * shown.width]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.rows()]
    return "\n".join(lines)


def _preview(frame: pl.DataFrame, columns: list[str]) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_table(frame, columns))


@dg.asset(
    key=DOCUMENTS_KEY,
    group_name="ingest",
    kinds={"python", "duckdb"},
    pool=DUCKDB_POOL,
)
def raw_documents(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, document_store: DocumentStoreResource
) -> dg.MaterializeResult:
    """Every document dropped into the inbox, once: keyed by the SHA-256 of its bytes, raw bytes kept.

    A document that cannot be read (empty, binary, undecodable, truncated, too large, a PDF that
    does not parse) is recorded as rejected with the reason; the others load and the run goes on.
    """
    files = list_inbox(Path(document_store.inbox))
    with warehouse.connect() as con:
        known = known_document_ids(con)
    reads = [
        r for path in files
        if (r := read_document(path, max_bytes=document_store.max_bytes, known=known)) is not None
    ]
    counts = ingest_reads(context, reads, warehouse, document_store)
    return dg.MaterializeResult(
        metadata={"files_in_inbox": len(files), **counts,
                  "preview": _preview(documents_frame([r.row for r in reads]),
                                      ["path", "format", "title", "published", "status", "error"])}
    )


def ingest_reads(
    context: dg.AssetExecutionContext | dg.OpExecutionContext,
    reads: list[ReadDocument],
    warehouse: WarehouseResource,
    document_store: DocumentStoreResource,
) -> dict[str, int]:
    """Keep raw bytes, log rejections and add new documents in one transaction; any source uses this.

    Returns counts for the materialization metadata.
    """
    for r in reads:
        if r.data is not None:
            document_store.keep_raw(r.row["doc_id"], r.data)
        if r.row["status"] == "rejected":
            context.log.warning(f"rejected {r.row['error']}")
    docs = documents_frame([r.row for r in reads])
    loaded = docs.filter(pl.col("status") == "loaded")
    with warehouse.connect() as con:
        added = insert_documents(con, docs, loaded.select("doc_id", "text"), dt.datetime.now(dt.UTC))
        counts = dict(con.execute("SELECT status, count(*) FROM documents GROUP BY status").fetchall())
    return {
        "new_documents": added,
        "new_rejected": docs.filter(pl.col("status") == "rejected").height,
        "loaded_total": counts.get("loaded", 0),
        "rejected_total": counts.get("rejected", 0),
        "dagster/row_count": sum(counts.values()),
    }


def _loaded_documents(warehouse: WarehouseResource) -> pl.DataFrame:
    with warehouse.connect() as con:
        return query_frame(
            con,
            """
            SELECT d.doc_id, d.title, d.published, t.text
            FROM documents d JOIN document_texts t USING (doc_id)
            WHERE d.status = 'loaded' ORDER BY d.doc_id
            """,
        )


@dg.asset(
    key=PASSAGES_KEY,
    deps=list(DOCUMENT_SOURCE_KEYS),
    group_name="extract",
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def passages(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Each document cut into sentences, list items and table rows, with character offsets.

    The unit facts are read from: every fact points at one passage and quotes it.
    """
    frame = split_passages(_loaded_documents(warehouse).select("doc_id", "text"))
    with warehouse.connect() as con:
        replace_rows(con, "passages", frame)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "documents": frame["doc_id"].n_unique(),
            "preview": _preview(frame, ["passage_id", "start", "end", "text"]),
        }
    )


_FACT_DESCRIPTIONS = {
    "valuation": "Market sizes as documents state them (\"USD 544 million in 2024\"), in currency units.",
    "growth_rate": "Compound annual growth rates stated for a market, with the period where stated.",
    "capacity": "Plant capacities and production figures, attributed to company, facility or country.",
    "company": "Companies named in the documents' player lists, with their country where stated.",
    "regional_share": "Shares a region, country or company holds of production, output, capacity or demand.",
}


def build_fact_asset(kind: str) -> dg.AssetsDefinition:
    """One staging asset per fact kind; they share everything but the extractor they call."""

    @dg.asset(
        key=fact_key(kind),
        name=None,
        deps=[PASSAGES_KEY],
        group_name="extract",
        kinds={"polars", "duckdb"},
        pool=DUCKDB_POOL,
        description=_FACT_DESCRIPTIONS[kind] + " Each row keeps its quote and offsets into its document.",
        code_version=EXTRACTOR_VERSION,
    )
    def _fact_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
        docs = _loaded_documents(warehouse)
        with warehouse.connect() as con:
            passage_frame = read_table(con, "passages")
        facts = with_fact_ids(kind, extract_kind(kind, passage_frame, docs), EXTRACTOR_VERSION)
        with warehouse.connect() as con:
            replace_rows(con, FACT_TABLES[kind], facts)
        shown = [c for c in facts.columns if c not in ("fact_id", "doc_id", "passage_id", "start", "end")]
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": facts.height,
                "documents": facts["doc_id"].n_unique(),
                "preview": _preview(facts, shown),
            }
        )

    return _fact_asset


fact_assets = [build_fact_asset(kind) for kind in FACT_KINDS]


def read_facts(warehouse: WarehouseResource) -> dict[str, pl.DataFrame]:
    """Every fact table by kind, plus `documents` (loaded documents with their text) for the rules."""
    facts = {"documents": _loaded_documents_with_paths(warehouse)}
    with warehouse.connect() as con:
        facts.update({kind: read_table(con, table) for kind, table in FACT_TABLES.items()})
    return facts


def _loaded_documents_with_paths(warehouse: WarehouseResource) -> pl.DataFrame:
    with warehouse.connect() as con:
        return query_frame(
            con,
            """
            SELECT d.doc_id, d.path, d.source, d.title, d.publisher, d.published, t.text
            FROM documents d JOIN document_texts t USING (doc_id)
            WHERE d.status = 'loaded' ORDER BY d.doc_id
            """,
        )


@dg.asset(
    key=FINDINGS_KEY,
    deps=[fact_key(kind) for kind in FACT_KINDS],
    group_name="quality",
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def findings(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Figures that disagree, from every consistency rule and every table expectation, kept across runs.

    A finding stays `open` while its evidence is in the warehouse and turns `resolved` when it is
    gone; `first_seen` and `last_seen` say when. The expectation results are also written as a
    data-quality report (`quality/summary.html` beside the warehouse, and GX Data Docs under it).
    """
    from quality.expectations import SUITES, expectation_findings, render_data_docs, validate_table

    facts = read_facts(warehouse)
    raised = run_rules(facts)
    already_read = {FACT_TABLES[kind]: frame for kind, frame in facts.items() if kind in FACT_TABLES}
    with warehouse.connect(read_only=True) as con:
        # the findings table's own suite runs as its asset check, after this step has written it
        suites = [
            validate_table(table, already_read[table] if table in already_read else read_table(con, table))
            for table in SUITES if table != "findings"
        ]
    expected = expectation_findings(suites)
    combined = pl.concat([raised, expected]) if not expected.is_empty() else raised
    report = render_data_docs(suites, Path(warehouse.path).parent / "quality")
    with warehouse.connect() as con:
        counts = upsert_findings(con, combined, dt.datetime.now(dt.UTC))
        open_count = con.execute("SELECT count(*) FROM findings WHERE status = 'open'").fetchall()[0][0]
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": open_count,
            "raised": counts["raised"],
            "new": counts["new"],
            "resolved": counts["resolved"],
            "expectation_suites_failed": sum(not s.success for s in suites),
            "data_quality_report": dg.MetadataValue.path(str(report)),
            "preview": _preview(combined, ["rule", "severity", "subject", "message"]),
        }
    )


@dg.asset(
    key=CONSENSUS_KEY,
    deps=[fact_key("valuation"), fact_key("regional_share")],
    group_name="quality",
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def consensus(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """What the sources agree on: one consensus market size per market and year, one share per region,
    metric and year, each with its spread and number of independent sources, and each source's
    reliability weight (CRH truth discovery). Query the views `market_size_consensus` and
    `regional_share_consensus`; a value is marked consensus only with three or more sources.
    """
    values, weights = consensus_tables(read_facts(warehouse))
    with warehouse.connect() as con:
        replace_rows(con, "consensus_values", values)
        replace_rows(con, "source_reliability", weights)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": values.height,
            "with_consensus": values.filter(pl.col("is_consensus")).height,
            "sources": weights["source"].n_unique(),
            "preview": _preview(values, ["kind", "subject", "metric", "year", "consensus_value", "n_sources"]),
        }
    )


@dg.asset(
    key=COMPANY_DIRECTORY_KEY,
    deps=[fact_key("company"), fact_key("capacity")],
    group_name="quality",
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def company_directory(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every company the documents name, once, with its aliases, countries and how often it is cited.

    "Lynas Corporation", "Lynas Rare Earths Ltd." and "Lynas" resolve to one row (legal suffixes
    dropped, spelling variants merged with rapidfuzz).
    """
    with warehouse.connect() as con:
        directory = build_company_directory(read_table(con, "companies"), read_table(con, "capacities"))
        replace_rows(con, "company_directory", directory)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": directory.height,
            "preview": _preview(directory, ["display_name", "countries", "mentions", "documents"]),
        }
    )


@dg.asset(
    key=REGIONS_KEY,
    group_name="quality",
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
    code_version=EXTRACTOR_VERSION,
)
def regions(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The region hierarchy the share rules use (Asia-Pacific contains China), and the spellings
    documents use for each region, so analysts can roll countries up to their regions in SQL
    (view `region_ancestry`).
    """
    table, aliases = region_table(), alias_table()
    with warehouse.connect() as con:
        replace_rows(con, "regions", table)
        replace_rows(con, "region_aliases", aliases.unique("alias", keep="first"))
    return dg.MaterializeResult(
        metadata={"dagster/row_count": table.height, "aliases": aliases.height,
                  "preview": _preview(table, ["region", "parent", "level"])}
    )


@dg.asset(
    key=PUBLISHED_KEY,
    deps=[DOCUMENTS_KEY, PASSAGES_KEY, *map(fact_key, FACT_KINDS), FINDINGS_KEY, CONSENSUS_KEY, COMPANY_DIRECTORY_KEY,
          REGIONS_KEY],
    group_name="publish",
    kinds={"duckdb"},
    pool=DUCKDB_POOL,
)
def published_warehouse(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The warehouse analysts query: a consistent snapshot swapped in atomically after a good run.

    Analysts' open sessions are never blocked and never see a half-loaded table; reconnecting shows
    the new snapshot. An `error` finding (a blocking check on `marts/findings`) stops this step, so
    analysts keep the last good snapshot until the problem is fixed.
    """
    target = warehouse.published()
    size = publish(Path(warehouse.path), target)
    with warehouse.connect(read_only=True) as con:
        counts = row_counts(con)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "size_bytes": size,
            "dagster/row_count": sum(counts.values()),
            "tables": dg.MetadataValue.md(markdown_table(
                pl.DataFrame({"table": list(counts), "rows": list(counts.values())}), ["table", "rows"], rows=50
            )),
        }
    )


def all_asset_keys() -> list[str]:
    keys = (DOCUMENTS_KEY, PASSAGES_KEY, *map(fact_key, FACT_KINDS), FINDINGS_KEY, CONSENSUS_KEY,
            COMPANY_DIRECTORY_KEY, REGIONS_KEY, PUBLISHED_KEY)
    return [k.to_user_string() for k in keys]
