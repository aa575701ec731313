"""Network sources as Dagster assets: EDGAR filings, XBRL company facts, web pages and feeds.

Configured in sources.toml (see docs/sources.md); with the defaults every network source is off
and these assets materialize with zero rows without opening a socket, so the pipeline runs
offline on the bundled samples.

Each new filing (or page) is written in ONE DuckDB transaction together with its document: the
documents row, its text and the edgar_filings (web_fetches) row commit or vanish together, so a
run killed at any point and run again ends with the same tables as a run never interrupted. The
accession numbers already fetched are the cursor: a run downloads only what is new. A bad answer
(HTTP error, an HTML error page instead of a filing, a truncated body, malformed JSON) is recorded
as failed with its URL and reason, the run goes on, and the filing is tried again next run.

`ingest_reads` (pipelines.assets) commits its own transaction, so it cannot share one with the
filing row; the few lines that insert a document are therefore repeated here, in the caller's
transaction, with the same columns and the same content-addressed "insert if new" rule.
"""

# No `from __future__ import annotations`: Dagster reads the context and resource annotations.
import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl

from pipelines.assets import (
    DOCUMENTS_KEY,
    EDGAR_FILINGS_KEY,
    WEB_DOCUMENTS_KEY,
    markdown_table,
)
from pipelines.edgar import EdgarConfig, EdgarSource, FeedRead, Filing, filing_document
from pipelines.http_client import (
    CONTACT_ENV,
    FetchError,
    HttpSettings,
    default_cache_dir,
    load_sources,
    sources_path,
)
from pipelines.reading import ReadDocument, documents_frame, list_inbox
from pipelines.resources import DUCKDB_POOL, DocumentStoreResource, WarehouseResource
from pipelines.web_sources import WebConfig, WebSource
from transforms.documents import content_id
from transforms.filings import SECTION_SCHEMA, filing_sections
from warehouse.connection import query_frame
from warehouse.loads import insert_documents, known_document_ids

XBRL_FACTS_KEY = dg.AssetKey(["raw", "xbrl_company_facts"])
FILING_SECTIONS_KEY = dg.AssetKey(["staging", "filing_sections"])


# ---------------------------------------------------------------- configuration

@dataclass(frozen=True)
class SourcesConfig:
    """sources.toml as values: [edgar], [web] and [http]."""

    edgar: EdgarConfig = field(default_factory=EdgarConfig)
    web: WebConfig = field(default_factory=WebConfig)
    http: HttpSettings = field(default_factory=HttpSettings)

    @classmethod
    def from_mapping(cls, doc: dict[str, Any]) -> "SourcesConfig":
        unknown = sorted(set(doc) - {"edgar", "web", "http"})
        if unknown:
            raise ValueError(f"sources.toml: unknown tables {unknown}; known: [edgar], [web], [http]")
        return cls(EdgarConfig.from_mapping(doc.get("edgar")), WebConfig.from_mapping(doc.get("web")),
                   HttpSettings.from_mapping(doc.get("http")))


class SourcesResource(dg.ConfigurableResource):
    """Where the network sources are configured, where their HTTP cache and shared rate-limit
    state live, and the EDGAR contact address.

    Every process of a run must use the same `cache_dir`: the EDGAR rate limit is kept there.
    `contact` overrides the environment variable named in sources.toml ([edgar] contact_env,
    default MARKETINTEL_EDGAR_CONTACT); set it with dg.EnvVar so it never sits in code.
    """

    config_path: str = ""  # empty: MARKETINTEL_SOURCES, else ./sources.toml
    cache_dir: str = ""  # empty: MARKETINTEL_HTTP_CACHE, else ./data/http
    contact: str | None = None

    def load(self) -> SourcesConfig:
        return SourcesConfig.from_mapping(load_sources(self.config_path or None))

    def cache_path(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()

    def contact_for(self, env_var: str) -> str | None:
        return self.contact or os.environ.get(env_var) or None


def build_sources_resource() -> SourcesResource:
    """The resource from the environment, for Definitions.

    The contact goes through dg.EnvVar only when the variable is set: an unset EnvVar fails every
    run, also the offline ones that never contact EDGAR.
    """
    contact = dg.EnvVar(CONTACT_ENV) if os.environ.get(CONTACT_ENV) else None
    return SourcesResource(config_path=str(sources_path()), cache_dir=str(default_cache_dir()),
                           contact=contact)  # type: ignore[arg-type]  # EnvVar resolves to str


# ---------------------------------------------------------------- warehouse writes


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _insert_document(con: duckdb.DuckDBPyConnection, read: ReadDocument, ingested_at: dt.datetime) -> bool:
    """Add one document (and its text) if its id is new; inside the caller's transaction."""
    docs = documents_frame([read.row])
    texts = docs.filter(pl.col("status") == "loaded").select("doc_id", "text")
    return insert_documents(con, docs, texts, ingested_at, own_transaction=False) > 0


def _in_transaction(con: duckdb.DuckDBPyConnection, *steps: tuple[str, list[Any]],
                    read: ReadDocument | None = None, at: dt.datetime | None = None) -> bool:
    """Run `steps` (and insert `read`) in one transaction; True if a new document went in."""
    con.execute("BEGIN TRANSACTION")
    try:
        added = _insert_document(con, read, at or _now()) if read is not None else False
        for sql, params in steps:
            con.execute(sql, params)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return added


_UPSERT_FILING = """
INSERT INTO edgar_filings (accession_number, cik, ticker, company, form, filing_date, report_period,
                           primary_document, url, doc_id, status, error, fetched_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (accession_number) DO UPDATE SET
    cik = excluded.cik, ticker = excluded.ticker, company = excluded.company, form = excluded.form,
    filing_date = excluded.filing_date, report_period = excluded.report_period,
    primary_document = excluded.primary_document, url = excluded.url, doc_id = excluded.doc_id,
    status = excluded.status, error = excluded.error, fetched_at = excluded.fetched_at
"""
_UPSERT_FEED = """
INSERT INTO edgar_feeds (url, kind, cik, status, error, records, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (url) DO UPDATE SET kind = excluded.kind, cik = excluded.cik, status = excluded.status,
    error = excluded.error, records = excluded.records, fetched_at = excluded.fetched_at
"""
_UPSERT_WEB = """
INSERT INTO web_fetches (url, kind, feed, doc_id, status, error, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (url) DO UPDATE SET kind = excluded.kind, feed = excluded.feed, doc_id = excluded.doc_id,
    status = excluded.status, error = excluded.error, fetched_at = excluded.fetched_at
"""


def _filing_step(filing: Filing, doc_id: str | None, error: str | None, at: dt.datetime) -> tuple[str, list]:
    return (_UPSERT_FILING, [
        filing.accession_number, filing.cik, filing.ticker, filing.company, filing.form, filing.filing_date,
        filing.report_period, filing.primary_document, filing.url, doc_id,
        "failed" if error else "fetched", error, at,
    ])


def _feed_steps(feeds: list[FeedRead], at: dt.datetime) -> list[tuple[str, list]]:
    return [(_UPSERT_FEED, [f.url, f.kind, f.cik, f.status, f.error, f.records, at]) for f in feeds]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    assert table in {"edgar_filings", "xbrl_facts", "web_fetches", "filing_sections"}
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _keep(context: dg.AssetExecutionContext, store: DocumentStoreResource, read: ReadDocument | None) -> None:
    """Keep raw bytes before the row commits: the store is content-addressed, so a stray copy left
    by a killed run is the same file the re-run would write."""
    if read is None:
        return
    if read.data is not None:
        store.keep_raw(read.row["doc_id"], read.data)
    if read.row["status"] == "rejected":
        context.log.warning(f"rejected {read.row['error']}")


# ---------------------------------------------------------------- EDGAR

@dg.asset(
    key=EDGAR_FILINGS_KEY,
    group_name="ingest",
    kinds={"python", "duckdb"},
    pool=DUCKDB_POOL,
)
def edgar_filings(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    document_store: DocumentStoreResource,
    sources: SourcesResource,
) -> dg.MaterializeResult:
    """New SEC EDGAR filings (10-K, 10-Q, 8-K, 20-F, 40-F, 6-K) of the watchlist companies, each
    primary document ingested as a document (source 'edgar', path = its URL) and recorded in
    edgar_filings. Only accession numbers not yet fetched are downloaded; failures are recorded
    with URL and reason and retried next run. Off unless [edgar] enabled = true in sources.toml.
    """
    config = sources.load()
    if not config.edgar.enabled:
        with warehouse.connect() as con:
            total = _count(con, "edgar_filings")
        context.log.info("EDGAR is disabled in sources.toml ([edgar] enabled = false): nothing fetched")
        return dg.MaterializeResult(metadata={"enabled": False, "new_filings": 0, "failed": 0,
                                              "dagster/row_count": total})
    source = EdgarSource.open(config.edgar, config.http, sources.cache_path(),
                              contact=sources.contact_for(config.edgar.contact_env))
    outcomes: list[dict[str, Any]] = []
    new_documents = 0
    try:
        with warehouse.connect() as con:
            done = {a for (a,) in con.execute(
                "SELECT accession_number FROM edgar_filings WHERE status = 'fetched'").fetchall()}
            known = known_document_ids(con)
            companies, unresolved = source.companies()
            for reason in unresolved:
                context.log.warning(f"watchlist: {reason}")
            _in_transaction(con, *_feed_steps(source.feeds, _now()))
            source.feeds.clear()
            for company in companies:
                filings = source.filings(company)
                _in_transaction(con, *_feed_steps(source.feeds, _now()))
                source.feeds.clear()
                for filing in filings:
                    if filing.accession_number in done:
                        continue
                    outcome = _ingest_filing(context, con, source, document_store, filing, known)
                    new_documents += outcome.pop("new_document")
                    outcomes.append(outcome)
                    if outcome["status"] == "fetched":  # a joint filing listed by two watchlist companies
                        done.add(filing.accession_number)
            total = _count(con, "edgar_filings")
    finally:
        source.close()
    frame = pl.DataFrame(outcomes, schema={"accession_number": pl.String, "ticker": pl.String, "form": pl.String,
                                           "filing_date": pl.Date, "status": pl.String, "error": pl.String})
    failed = frame.filter(pl.col("status") == "failed")
    return dg.MaterializeResult(metadata={
        "enabled": True,
        "companies": len(companies),
        "unresolved": dg.MetadataValue.json(unresolved),
        "new_filings": frame.height - failed.height,
        "failed": failed.height,
        "new_documents": new_documents,
        "network_requests": source.client.requests_sent,
        "dagster/row_count": total,
        "preview": dg.MetadataValue.md(markdown_table(frame, list(frame.columns))),
    })


def _ingest_filing(context: dg.AssetExecutionContext, con: duckdb.DuckDBPyConnection, source: EdgarSource,
                   store: DocumentStoreResource, filing: Filing, known: set[str]) -> dict[str, Any]:
    """Fetch one filing and commit it with its document, or record why it failed."""
    at = _now()
    try:
        filing = source.resolve_primary(filing)
        data = source.fetch_document(filing)
    except FetchError as exc:
        context.log.warning(f"{filing.accession_number} ({filing.form}): {exc}")
        _in_transaction(con, _filing_step(filing, None, str(exc), at), *_feed_steps(source.feeds, at))
        source.feeds.clear()
        return {"accession_number": filing.accession_number, "ticker": filing.ticker, "form": filing.form,
                "filing_date": filing.filing_date, "status": "failed", "error": str(exc), "new_document": 0}
    doc_id = content_id(data)
    read = filing_document(filing, data, known=known, max_bytes=store.max_bytes)
    _keep(context, store, read)
    added = _in_transaction(con, _filing_step(filing, doc_id, None, at), *_feed_steps(source.feeds, at),
                            read=read, at=at)
    source.feeds.clear()
    known.add(doc_id)
    return {"accession_number": filing.accession_number, "ticker": filing.ticker, "form": filing.form,
            "filing_date": filing.filing_date, "status": "fetched", "error": None, "new_document": int(added)}


@dg.asset(
    key=XBRL_FACTS_KEY,
    group_name="ingest",
    kinds={"python", "duckdb"},
    pool=DUCKDB_POOL,
)
def xbrl_company_facts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource
) -> dg.MaterializeResult:
    """Every figure the watchlist companies tagged in XBRL (SEC company facts), one row per reported
    value in xbrl_facts, revenue and production concepts marked in `topic`. Replaced per company in
    one transaction; a company whose facts cannot be read keeps its previous rows.
    """
    config = sources.load()
    if not (config.edgar.enabled and config.edgar.company_facts):
        with warehouse.connect() as con:
            total = _count(con, "xbrl_facts")
        return dg.MaterializeResult(metadata={"enabled": False, "dagster/row_count": total})
    source = EdgarSource.open(config.edgar, config.http, sources.cache_path(),
                              contact=sources.contact_for(config.edgar.contact_env))
    read_ok: list[str] = []
    failed: list[str] = []
    try:
        with warehouse.connect() as con:
            companies, unresolved = source.companies()
            for reason in unresolved:
                context.log.warning(f"watchlist: {reason}")
            for company in companies:
                frame = source.company_facts(company)
                at = _now()
                if frame is None:
                    failed.append(source.feeds[-1].error or str(company.cik))
                    context.log.warning(f"company facts: {failed[-1]}")
                    _in_transaction(con, *_feed_steps(source.feeds, at))
                else:
                    _replace_company_facts(con, company.cik, frame, _feed_steps(source.feeds, at))
                    read_ok.append(company.ticker or str(company.cik))
                source.feeds.clear()
            _in_transaction(con, *_feed_steps(source.feeds, _now()))
            total = _count(con, "xbrl_facts")
            topics = dict(con.execute(
                "SELECT coalesce(topic, 'other'), count(*) FROM xbrl_facts GROUP BY 1").fetchall())
            preview = query_frame(con, """
                SELECT ticker, concept, unit, value, period_start, period_end, form, filed FROM xbrl_facts
                WHERE topic IS NOT NULL ORDER BY period_end DESC, ticker, concept LIMIT 10""")
    finally:
        source.close()
    return dg.MaterializeResult(metadata={
        "enabled": True, "companies_read": dg.MetadataValue.json(read_ok), "failed": dg.MetadataValue.json(failed),
        "by_topic": dg.MetadataValue.json(topics), "dagster/row_count": total,
        "preview": dg.MetadataValue.md(markdown_table(preview, list(preview.columns))),
    })


def _replace_company_facts(con: duckdb.DuckDBPyConnection, cik: int, frame: pl.DataFrame,
                           extra: list[tuple[str, list]]) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM xbrl_facts WHERE cik = ?", [cik])
        if not frame.is_empty():
            con.register("_xbrl_facts", frame.with_columns(pl.lit(cik, pl.Int64).alias("cik")).to_arrow())
            con.execute("INSERT INTO xbrl_facts BY NAME SELECT * FROM _xbrl_facts")
            con.unregister("_xbrl_facts")
        for sql, params in extra:
            con.execute(sql, params)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


# ---------------------------------------------------------------- web

@dg.asset(
    key=WEB_DOCUMENTS_KEY,
    group_name="ingest",
    kinds={"python", "duckdb"},
    pool=DUCKDB_POOL,
)
def web_documents(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    document_store: DocumentStoreResource,
    sources: SourcesResource,
) -> dg.MaterializeResult:
    """Configured web pages (every run) and the items of configured RSS/Atom feeds (once each),
    ingested as documents (source 'web', path = URL) and logged in web_fetches. Nothing is fetched
    while the [web] lists in sources.toml are empty (the default).
    """
    config = sources.load()
    if not config.web.enabled:
        with warehouse.connect() as con:
            total = _count(con, "web_fetches")
        return dg.MaterializeResult(metadata={"enabled": False, "fetched": 0, "failed": 0,
                                              "dagster/row_count": total})
    source = WebSource.open(config.web, config.http, str(sources.cache_path()),
                            contact=sources.contact_for(config.edgar.contact_env))
    outcomes: list[dict[str, Any]] = []
    try:
        with warehouse.connect() as con:
            done = {u for (u,) in con.execute(
                "SELECT url FROM web_fetches WHERE kind = 'item' AND status = 'fetched'").fetchall()}
            known = known_document_ids(con)
            for url in config.web.pages:
                outcomes.append(_ingest_page(context, con, source, document_store, url, "page", None, known))
            for feed in config.web.feeds:
                at = _now()
                try:
                    items = source.feed_items(feed)
                except FetchError as exc:
                    context.log.warning(f"feed {exc}")
                    _in_transaction(con, (_UPSERT_WEB, [feed, "feed", None, None, "failed", str(exc), at]))
                    outcomes.append({"url": feed, "kind": "feed", "status": "failed", "error": str(exc)})
                    continue
                _in_transaction(con, (_UPSERT_WEB, [feed, "feed", None, None, "fetched", None, at]))
                outcomes.append({"url": feed, "kind": "feed", "status": "fetched", "error": None})
                for item in items:
                    if item.link not in done:
                        outcomes.append(_ingest_page(context, con, source, document_store, item.link, "item",
                                                     feed, known))
                        done.add(item.link)
            total = _count(con, "web_fetches")
    finally:
        source.close()
    frame = pl.DataFrame(outcomes, schema={"url": pl.String, "kind": pl.String, "status": pl.String,
                                           "error": pl.String})
    failed = frame.filter(pl.col("status") == "failed").height
    return dg.MaterializeResult(metadata={
        "enabled": True, "fetched": frame.height - failed, "failed": failed,
        "network_requests": source.client.requests_sent, "dagster/row_count": total,
        "preview": dg.MetadataValue.md(markdown_table(frame, list(frame.columns))),
    })


def _ingest_page(context: dg.AssetExecutionContext, con: duckdb.DuckDBPyConnection, source: WebSource,
                 store: DocumentStoreResource, url: str, kind: str, feed: str | None, known: set[str]
                 ) -> dict[str, Any]:
    at = _now()
    try:
        name, data = source.fetch(url)
    except FetchError as exc:
        context.log.warning(str(exc))
        _in_transaction(con, (_UPSERT_WEB, [url, kind, feed, None, "failed", str(exc), at]))
        return {"url": url, "kind": kind, "status": "failed", "error": str(exc)}
    doc_id = content_id(data)
    read = source.document(url, name, data, known=known, max_bytes=store.max_bytes)
    _keep(context, store, read)
    _in_transaction(con, (_UPSERT_WEB, [url, kind, feed, doc_id, "fetched", None, at]), read=read, at=at)
    known.add(doc_id)
    return {"url": url, "kind": kind, "status": "fetched", "error": None}


# ---------------------------------------------------------------- sections

@dg.asset(
    key=FILING_SECTIONS_KEY,
    deps=[EDGAR_FILINGS_KEY],
    group_name="extract",
    kinds={"polars", "duckdb"},
    pool=DUCKDB_POOL,
)
def filing_sections_table(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Where Item 1 (Business), Item 1A (Risk Factors), Item 2 (Properties), Item 7 (MD&A) and the
    other Items of each fetched filing start and end in its normalized text (table of contents
    skipped), so facts can be read per section. Recomputed in full each run.
    """
    with warehouse.connect() as con:
        filings = query_frame(con, """
            SELECT DISTINCT ON (f.doc_id) f.doc_id, f.form, t.text
            FROM edgar_filings f JOIN document_texts t USING (doc_id)
            WHERE f.status = 'fetched' ORDER BY f.doc_id, f.filing_date""")
    frame = filing_sections(filings) if filings.height else pl.DataFrame(schema=SECTION_SCHEMA)
    with warehouse.connect() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("DELETE FROM filing_sections")
            if not frame.is_empty():
                con.register("_sections", frame.to_arrow())
                con.execute("INSERT INTO filing_sections BY NAME SELECT * FROM _sections")
                con.unregister("_sections")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return dg.MaterializeResult(metadata={
        "dagster/row_count": frame.height,
        "filings": frame["doc_id"].n_unique(),
        "preview": dg.MetadataValue.md(markdown_table(frame, ["section", "title", "start", "end"])),
    })


source_assets = [edgar_filings, xbrl_company_facts, web_documents, filing_sections_table]


# ---------------------------------------------------------------- job, schedule, sensor

network_sources_job = dg.define_asset_job(
    name="refresh_network_sources",
    selection=dg.AssetSelection.assets(EDGAR_FILINGS_KEY, XBRL_FACTS_KEY, WEB_DOCUMENTS_KEY).downstream(),
    description="Fetch what is new from EDGAR and the configured web pages and feeds, then rebuild "
    "everything downstream of them (sections, passages, facts, checks).",
)

daily_network_sources = dg.ScheduleDefinition(
    name="daily_network_sources",
    job=network_sources_job,
    cron_schedule="30 5 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Fetch new filings, company facts and web items every day at 05:30 UTC, and rebuild "
    "everything downstream. Off until started in the UI (Automation) or with "
    "`dagster schedule start daily_network_sources`; stop it the same way.",
)


def inbox_digest(inbox: Path) -> str:
    """SHA-256 over the sorted (name, size, mtime) of the inbox's documents: changes when a file is
    added, removed, replaced or touched."""
    h = hashlib.sha256()
    for path in list_inbox(inbox):
        st = path.stat()
        h.update(f"{path.relative_to(inbox).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


@dg.sensor(
    name="inbox_sensor",
    target=dg.AssetSelection.assets(DOCUMENTS_KEY).downstream(),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Ingest the inbox when a document is added or changed there: requests a run of "
    "raw/documents and everything downstream. Off until started in the UI (Automation) or with "
    "`dagster sensor start inbox_sensor`.",
)
def inbox_sensor(
    context: dg.SensorEvaluationContext, document_store: DocumentStoreResource
) -> dg.SensorResult | dg.SkipReason:
    """Compare the inbox's digest with the cursor; a new digest requests one run, keyed by it."""
    inbox = Path(document_store.inbox)
    if not inbox.is_dir():
        return dg.SkipReason(f"inbox folder does not exist: {inbox}")
    digest = inbox_digest(inbox)
    if digest == context.cursor:
        return dg.SkipReason("no new or changed files in the inbox")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"inbox-{digest[:16]}")], cursor=digest)
