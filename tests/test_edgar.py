"""EDGAR end to end: the Dagster assets against a real HTTP server on 127.0.0.1 serving our own
fixtures in EDGAR's formats (tests/fixtures/edgar, laid out like sec.gov's URL paths).

Covers: a full fetch, a re-run that downloads nothing, a new filing fetched alone; a run killed
mid-way and re-run ending with the same tables as an uninterrupted run; bad answers recorded with
URL and reason while the run succeeds; no contact address, no request; disabled, no network."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipelines.edgar import (
    Company,
    EdgarConfig,
    EdgarSource,
    check_document,
    classify_concept,
    filings_from_submissions,
    flatten_company_facts,
    primary_from_index,
    resolve_watchlist,
    ticker_map,
)
from pipelines.http_client import FetchError, HttpSettings, MissingContactError
from pipelines.resources import DocumentStoreResource, WarehouseResource
from pipelines.source_assets import (
    EDGAR_FILINGS_KEY,
    FILING_SECTIONS_KEY,
    WEB_DOCUMENTS_KEY,
    XBRL_FACTS_KEY,
    SourcesConfig,
    SourcesResource,
    daily_network_sources,
    edgar_filings,
    filing_sections_table,
    inbox_sensor,
    network_sources_job,
    source_assets,
    xbrl_company_facts,
)
from tests.fixtures.edgar.loopback_server import LoopbackServer
from warehouse.connection import connect, query_frame

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "edgar"
CONTACT = "marketintel tests tests@example.org"
NSRE = "/Archives/edgar/data/9900001"
BSNM = "/Archives/edgar/data/9900002"
DOCS = {
    "nsre_10k": f"{NSRE}/000990000125000004/nsre-20241231.htm",
    "nsre_10q": f"{NSRE}/000990000125000011/nsre-20250331.htm",
    "nsre_8k": f"{NSRE}/000990000125000012/nsre-20250508.htm",
    "bsnm_10k": f"{BSNM}/000990000225000003/bsnm-20241231.htm",
    "bsnm_8k": f"{BSNM}/000990000225000007/bsnm-20250417.htm",
}
NEW_8K = f"{NSRE}/000990000125000019/nsre-20250807.htm"


# ---------------------------------------------------------------- fixtures and helpers

@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A private copy of the fixture site, so a test can add a filing to a submissions feed."""
    target = tmp_path / "site"
    shutil.copytree(FIXTURES, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


@pytest.fixture
def server(site: Path) -> Iterator[LoopbackServer]:
    with LoopbackServer(site) as srv:
        yield srv


def write_sources(path: Path, base_url: str, enabled: bool = True, watchlist: tuple[str, ...] = ("NSRE", "BSNM", "LYC"),
                  web: str = "") -> Path:
    """A sources.toml pointing EDGAR at the loopback server, with test-sized timeouts and pauses."""
    items = ", ".join(f'"{w}"' for w in watchlist)
    path.write_text(f"""
[edgar]
enabled = {str(enabled).lower()}
watchlist = [{items}]
since = "2024-01-01"
www_base = "{base_url}"
data_base = "{base_url}"
requests_per_second = 10

[web]
{web}

[http]
connect_timeout = 2.0
read_timeout = 2.0
max_attempts = 3
backoff_base = 0.02
backoff_max = 0.1
block_pause = 0.2
max_token_wait = 30.0
""", encoding="utf-8")
    return path


def resources(tmp_path: Path, sources_file: Path, name: str = "wh", contact: str | None = CONTACT) -> dict:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    return {
        "warehouse": WarehouseResource(path=str(tmp_path / name / "warehouse.duckdb")),
        "document_store": DocumentStoreResource(inbox=str(inbox), raw_dir=str(tmp_path / name / "raw")),
        "sources": SourcesResource(config_path=str(sources_file), cache_dir=str(tmp_path / name / "http"),
                                   contact=contact),
    }


def run(assets: list, res: dict) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, resources=res, raise_on_error=False)


def table(res: dict, sql: str) -> pl.DataFrame:
    with connect(res["warehouse"].path, read_only=True) as con:
        return query_frame(con, sql)


def add_filing(site: Path, cik: int, accession: str, filed: str, period: str, form: str, doc: str) -> None:
    """Put a new filing at the top of a company's submissions feed, as EDGAR does."""
    path = site / "submissions" / f"CIK{cik:010d}.json"
    feed = json.loads(path.read_text())
    recent = feed["filings"]["recent"]
    values = {"accessionNumber": accession, "filingDate": filed, "reportDate": period, "form": form,
              "primaryDocument": doc, "core_type": form, "primaryDocDescription": form, "items": "2.02,9.01",
              "acceptanceDateTime": f"{filed}T16:01:00.000Z", "act": "34", "fileNumber": "001-39999",
              "filmNumber": "25999999", "size": 17020, "isXBRL": 1, "isInlineXBRL": 1}
    for key, column in recent.items():
        column.insert(0, values.get(key, ""))
    path.write_text(json.dumps(feed))


# ---------------------------------------------------------------- 1. fetch, nothing new, exactly the new one

def test_full_fetch_then_nothing_then_exactly_the_new_filing(server: LoopbackServer, site: Path,
                                                             tmp_path: Path) -> None:
    res = resources(tmp_path, write_sources(tmp_path / "sources.toml", server.url))
    result = run([edgar_filings], res)
    assert result.success
    filings = table(res, "SELECT * FROM edgar_filings ORDER BY filing_date, accession_number")
    assert filings["status"].to_list() == ["fetched"] * 5
    assert filings["form"].to_list() == ["10-K", "10-K", "8-K", "10-Q", "8-K"]  # Form 4, S-8, 13G and 2023 left out
    assert set(filings["ticker"]) == {"NSRE", "BSNM"}
    tenk = filings.row(0, named=True)
    assert tenk["accession_number"] == "0009900001-25-000004" and tenk["cik"] == 9900001
    assert tenk["report_period"] == dt.date(2024, 12, 31) and tenk["filing_date"] == dt.date(2025, 2, 27)
    assert tenk["url"] == server.url + DOCS["nsre_10k"]
    docs = table(res, "SELECT d.*, t.text FROM documents d JOIN document_texts t USING (doc_id) "
                      "WHERE source = 'edgar' ORDER BY published")
    assert docs.height == 5 and set(docs["status"]) == {"loaded"}
    assert set(docs["path"]) == {server.url + p for p in DOCS.values()}
    assert set(docs["doc_id"]) == set(filings["doc_id"])
    first = docs.row(0, named=True)
    assert first["publisher"] == "Northstar Rare Earths Corp." and first["published"] == dt.date(2025, 2, 27)
    assert first["title"] == "Northstar Rare Earths Corp. 10-K for 2024-12-31"
    assert "38,450" in first["text"] and "REO in concentrate produced (metric tons) | 38,450" in first["text"]
    assert len(list((tmp_path / "wh" / "raw").rglob("*"))) >= 5
    assert server.count("/Archives") == 5
    mats = result.asset_materializations_for_node("raw__edgar_filings")
    assert mats[0].metadata["new_filings"].value == 5 and mats[0].metadata["new_documents"].value == 5
    assert "LYC" in json.dumps(mats[0].metadata["unresolved"].value)  # not an SEC filer: skipped, logged

    # a second run: the submissions feeds are read again, but no filing document is requested
    assert run([edgar_filings], res).success
    assert server.count("/Archives") == 5
    assert server.count("/submissions") == 4

    # a new filing appears in a feed: exactly that one is fetched
    add_filing(site, 9900001, "0009900001-25-000019", "2025-08-07", "2025-08-07", "8-K", "nsre-20250807.htm")
    assert run([edgar_filings], res).success
    archive = server.requests_to("/Archives")
    assert len(archive) == 6 and archive[-1].path == NEW_8K
    assert table(res, "SELECT count(*) AS n FROM edgar_filings WHERE status = 'fetched'")["n"][0] == 6
    assert table(res, "SELECT count(*) AS n FROM documents WHERE source = 'edgar'")["n"][0] == 6
    feeds = table(res, "SELECT * FROM edgar_feeds ORDER BY url")
    assert set(feeds["kind"]) == {"tickers", "submissions"} and set(feeds["status"]) == {"ok"}
    # every request carried the declared User-Agent
    assert {r.headers.get("User-Agent") for r in server.log} == {CONTACT}


# ---------------------------------------------------------------- 3. killed mid-run, re-run, same warehouse

_CHILD = """
import sys
import dagster as dg
from pipelines.resources import DocumentStoreResource, WarehouseResource
from pipelines.source_assets import SourcesResource, edgar_filings
root, sources_file, contact = sys.argv[1], sys.argv[2], sys.argv[3]
dg.materialize([edgar_filings], resources={
    "warehouse": WarehouseResource(path=root + "/warehouse.duckdb"),
    "document_store": DocumentStoreResource(inbox=root + "/../inbox", raw_dir=root + "/raw"),
    "sources": SourcesResource(config_path=sources_file, cache_dir=root + "/http", contact=contact),
})
"""


def _snapshot(res: dict) -> dict[str, list]:
    """Every table the EDGAR asset writes, without the timestamps of when it wrote them."""
    return {
        "documents": table(res, "SELECT * EXCLUDE (ingested_at) FROM documents ORDER BY doc_id").rows(),
        "document_texts": table(res, "SELECT * FROM document_texts ORDER BY doc_id").rows(),
        "edgar_filings": table(res, "SELECT * EXCLUDE (fetched_at) FROM edgar_filings ORDER BY 1").rows(),
        "edgar_feeds": table(res, "SELECT * EXCLUDE (fetched_at) FROM edgar_feeds ORDER BY 1").rows(),
    }


def test_a_run_killed_midway_and_rerun_equals_an_uninterrupted_run(server: LoopbackServer, tmp_path: Path) -> None:
    sources_file = write_sources(tmp_path / "sources.toml", server.url)
    killed = resources(tmp_path, sources_file, name="killed")
    (tmp_path / "inbox").mkdir(exist_ok=True)
    (tmp_path / "killed").mkdir()
    # the third filing's download never answers: the process is killed while waiting for it
    server.fail(DOCS["nsre_8k"], "hang")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path / "killed"), str(sources_file), CONTACT],
                             env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while server.count(DOCS["nsre_8k"]) == 0:
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the child never reached the third filing"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
        if child.stderr:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    partial = table(killed, "SELECT accession_number, status FROM edgar_filings ORDER BY 1")
    assert partial.height == 2 and set(partial["status"]) == {"fetched"}  # two committed, nothing half-done
    assert table(killed, "SELECT count(*) AS n FROM documents")["n"][0] == 2

    assert run([edgar_filings], killed).success  # the re-run fetches the other three
    uninterrupted = resources(tmp_path, sources_file, name="whole")
    assert run([edgar_filings], uninterrupted).success
    assert _snapshot(killed) == _snapshot(uninterrupted)
    assert table(killed, "SELECT count(*) AS n FROM edgar_filings WHERE status = 'fetched'")["n"][0] == 5
    raw = sorted(p.name for p in (tmp_path / "killed" / "raw").rglob("*") if p.is_file())
    assert raw == sorted(p.name for p in (tmp_path / "whole" / "raw").rglob("*") if p.is_file())


# ---------------------------------------------------------------- 5. bad answers are recorded, the run succeeds

def test_bad_responses_are_recorded_and_the_run_goes_on(server: LoopbackServer, tmp_path: Path) -> None:
    server.fail(DOCS["nsre_10q"], "errorpage")  # 200 "Request Rate Threshold Exceeded"
    server.fail(DOCS["nsre_8k"], "404")
    server.always[DOCS["bsnm_10k"]] = "truncate"  # Content-Length says more than ever arrives
    server.fail(DOCS["bsnm_8k"], "ctype:application/json")
    res = resources(tmp_path, write_sources(tmp_path / "sources.toml", server.url))
    result = run([edgar_filings], res)
    assert result.success
    recorded = table(res, "SELECT * FROM edgar_filings").iter_rows(named=True)
    rows = {r["url"].removeprefix(server.url): r for r in recorded}
    assert rows[DOCS["nsre_10k"]]["status"] == "fetched"
    errors = {name: rows[path]["error"] for name, path in DOCS.items() if rows[path]["status"] == "failed"}
    assert set(errors) == {"nsre_10q", "nsre_8k", "bsnm_10k", "bsnm_8k"}
    for name, error in errors.items():
        assert error.startswith(server.url + DOCS[name])  # the URL, then the reason
    assert "Request Rate Threshold Exceeded" in errors["nsre_10q"]
    assert "HTTP 404" in errors["nsre_8k"]
    assert "truncated" in errors["bsnm_10k"] and "3 attempts" in errors["bsnm_10k"]
    assert "content-type mismatch: application/json" in errors["bsnm_8k"]
    assert all(rows[DOCS[n]]["doc_id"] is None for n in errors)
    # no partial document entered the warehouse
    docs = table(res, "SELECT path FROM documents")
    assert docs["path"].to_list() == [server.url + DOCS["nsre_10k"]]
    meta = result.asset_materializations_for_node("raw__edgar_filings")[0].metadata
    assert meta["failed"].value == 4 and meta["new_filings"].value == 1

    # the server recovers (only the truncation stays): the next run fetches the failed ones
    del server.always[DOCS["bsnm_10k"]]
    assert run([edgar_filings], res).success
    statuses = table(res, "SELECT status, count(*) AS n FROM edgar_filings GROUP BY 1")
    assert dict(statuses.iter_rows()) == {"fetched": 5}
    assert table(res, "SELECT count(*) AS n FROM edgar_filings WHERE error IS NOT NULL")["n"][0] == 0


def test_malformed_feeds_are_recorded_and_other_companies_go_on(server: LoopbackServer, tmp_path: Path) -> None:
    server.fail("/submissions/CIK0009900002.json", "badjson")
    res = resources(tmp_path, write_sources(tmp_path / "sources.toml", server.url))
    assert run([edgar_filings], res).success
    feeds = {r["url"]: r for r in table(res, "SELECT * FROM edgar_feeds").iter_rows(named=True)}
    bad = feeds[server.url + "/submissions/CIK0009900002.json"]
    assert bad["status"] == "failed" and "malformed JSON" in bad["error"] and bad["cik"] == 9900002
    assert bad["error"].startswith(server.url + "/submissions/CIK0009900002.json")
    assert set(table(res, "SELECT ticker FROM edgar_filings")["ticker"]) == {"NSRE"}
    # an HTML error page where the feed was expected is named as such
    server.fail("/submissions/CIK0009900002.json", "notfoundpage")
    assert run([edgar_filings], res).success
    bad = table(res, "SELECT error FROM edgar_feeds WHERE cik = 9900002")["error"][0]
    assert "HTML error page where JSON was expected" in bad and "Page Not Found" in bad
    # and once the feed is good again, its filings arrive
    assert run([edgar_filings], res).success
    assert set(table(res, "SELECT ticker FROM edgar_filings")["ticker"]) == {"NSRE", "BSNM"}


def test_a_rate_limit_403_on_a_feed_pauses_and_recovers(server: LoopbackServer, tmp_path: Path) -> None:
    server.fail("/submissions/CIK0009900001.json", "403")
    res = resources(tmp_path, write_sources(tmp_path / "sources.toml", server.url))
    assert run([edgar_filings], res).success
    first, second = server.requests_to("/submissions/CIK0009900001.json")
    assert second.t - first.t >= 0.2 - 0.02  # block_pause in the test's sources.toml
    assert table(res, "SELECT count(*) AS n FROM edgar_filings WHERE status = 'fetched'")["n"][0] == 5


def test_primary_document_from_the_filing_index_when_the_feed_has_none(server: LoopbackServer, site: Path,
                                                                        tmp_path: Path) -> None:
    path = site / "submissions" / "CIK0009900001.json"
    feed = json.loads(path.read_text())
    recent = feed["filings"]["recent"]
    recent["primaryDocument"][recent["accessionNumber"].index("0009900001-25-000004")] = ""
    path.write_text(json.dumps(feed))
    res = resources(tmp_path, write_sources(tmp_path / "sources.toml", server.url, watchlist=("NSRE",)))
    assert run([edgar_filings], res).success
    row = table(res, "SELECT * FROM edgar_filings WHERE accession_number = '0009900001-25-000004'").row(0, named=True)
    assert row["status"] == "fetched" and row["primary_document"] == "nsre-20241231.htm"
    assert server.count(f"{NSRE}/000990000125000004/index.json") == 1


# ---------------------------------------------------------------- 4. no contact address: no request at all

def test_refuses_to_contact_edgar_without_the_contact_variable(server: LoopbackServer, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKETINTEL_EDGAR_CONTACT", raising=False)
    res = resources(tmp_path, write_sources(tmp_path / "sources.toml", server.url), contact=None)
    result = run([edgar_filings], res)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = str(failure.step_failure_data.error)
    assert "MARKETINTEL_EDGAR_CONTACT" in message and "does not contact sec.gov" in message
    assert server.count() == 0
    with pytest.raises(MissingContactError, match="MARKETINTEL_EDGAR_CONTACT"):
        EdgarSource.open(EdgarConfig(enabled=True), HttpSettings(), tmp_path / "http")


# ---------------------------------------------------------------- disabled: zero rows, no network

def test_disabled_sources_materialize_empty_without_network(server: LoopbackServer, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKETINTEL_EDGAR_CONTACT", raising=False)
    res = resources(tmp_path, write_sources(tmp_path / "sources.toml", server.url, enabled=False), contact=None)
    result = run(source_assets, res)
    assert result.success
    assert server.count() == 0
    for t in ("edgar_filings", "xbrl_facts", "web_fetches", "filing_sections", "documents"):
        assert table(res, f"SELECT count(*) AS n FROM {t}")["n"][0] == 0
    for mat in result.get_asset_materialization_events():
        assert mat.materialization.metadata["dagster/row_count"].value == 0


def test_the_default_sources_file_is_offline() -> None:
    from pipelines.http_client import load_sources

    config = SourcesConfig.from_mapping(load_sources(ROOT / "sources.toml"))
    assert not config.edgar.enabled and not config.web.enabled
    assert config.edgar.watchlist == ("MP", "UUUU", "USAR", "NB", "ALB", "METC")
    assert config.edgar.requests_per_second == 10 and config.http.block_pause == 600.0
    with pytest.raises(ValueError, match="unknown keys"):
        SourcesConfig.from_mapping({"edgar": {"enabeld": True}})
    with pytest.raises(ValueError, match="requests_per_second"):
        SourcesConfig.from_mapping({"edgar": {"requests_per_second": 20}})


# ---------------------------------------------------------------- XBRL company facts

def test_company_facts_become_a_table_of_reported_figures(server: LoopbackServer, tmp_path: Path) -> None:
    res = resources(tmp_path, write_sources(tmp_path / "sources.toml", server.url))
    assert run([xbrl_company_facts], res).success
    facts = table(res, "SELECT * FROM xbrl_facts")
    assert set(facts["ticker"]) == {"NSRE", "BSNM"}
    revenue = facts.filter((pl.col("ticker") == "NSRE") & (pl.col("topic") == "revenue")
                           & (pl.col("frame") == "CY2024")).row(0, named=True)
    assert revenue["concept"] == "RevenueFromContractWithCustomerExcludingAssessedTax"
    assert revenue["value"] == 218_640_000 and revenue["unit"] == "USD"
    assert revenue["period_start"] == dt.date(2024, 1, 1) and revenue["period_end"] == dt.date(2024, 12, 31)
    assert revenue["fiscal_year"] == 2024 and revenue["fiscal_period"] == "FY" and revenue["form"] == "10-K"
    assert revenue["accession_number"] == "0009900001-25-000004" and revenue["filed"] == dt.date(2025, 2, 27)
    production = facts.filter(pl.col("topic") == "production")
    assert set(production["concept"]) == {"ProductionVolume", "MineralExtractionProcessingAndMarketingCosts"}
    assert facts.filter(pl.col("concept") == "EntityCommonStockSharesOutstanding")["period_start"].null_count() == 3
    before = facts.height

    # a company whose facts come back broken keeps its previous rows; the failure is recorded
    server.fail("/api/xbrl/companyfacts/CIK0009900002.json", "badjson")
    assert run([xbrl_company_facts], res).success
    assert table(res, "SELECT count(*) AS n FROM xbrl_facts")["n"][0] == before
    feed = table(res, "SELECT * FROM edgar_feeds WHERE kind = 'companyfacts' AND cik = 9900002").row(0, named=True)
    assert feed["status"] == "failed" and "malformed JSON" in feed["error"]


# ---------------------------------------------------------------- sections, job, schedule, sensor

def test_filing_sections_of_the_fetched_filings(server: LoopbackServer, tmp_path: Path) -> None:
    res = resources(tmp_path, write_sources(tmp_path / "sources.toml", server.url))
    assert run([edgar_filings, filing_sections_table], res).success
    sections = table(res, """
        SELECT s.*, f.form, substr(t.text, s."start" + 1, s."end" - s."start") AS body
        FROM filing_sections s JOIN edgar_filings f USING (doc_id) JOIN document_texts t USING (doc_id)""")
    tenk = sections.filter(pl.col("doc_id") == sections.filter(pl.col("form") == "10-K")["doc_id"][0])
    assert {"Item 1", "Item 1A", "Item 2", "Item 7"} <= set(tenk["section"]) or \
        {"Item 1", "Item 1A", "Item 7"} <= set(tenk["section"])
    for row in sections.iter_rows(named=True):
        assert row["body"].lower().startswith(("item", "part")), row
    assert set(sections.filter(pl.col("form") == "8-K")["section"]) >= {"Item 2.02", "Item 9.01"}
    assert "Part II Item 1A" in set(sections.filter(pl.col("form") == "10-Q")["section"])


def test_job_schedule_and_sensor_definitions(tmp_path: Path) -> None:
    from pipelines.assets import DOCUMENTS_KEY, consensus, fact_assets, findings, passages, raw_documents

    @dg.asset(key=["staging", "reads_documents"], deps=[DOCUMENTS_KEY, EDGAR_FILINGS_KEY, WEB_DOCUMENTS_KEY])
    def reads_documents() -> None:
        """Stands for staging/passages once it depends on the network sources too."""

    defs = dg.Definitions(
        assets=[raw_documents, passages, *fact_assets, findings, consensus, *source_assets, reads_documents],
        jobs=[network_sources_job], schedules=[daily_network_sources], sensors=[inbox_sensor],
        resources=resources(tmp_path, tmp_path / "missing.toml"),
    )
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("refresh_network_sources").name == "refresh_network_sources"
    selected = network_sources_job.selection.resolve(defs.resolve_asset_graph())
    assert {EDGAR_FILINGS_KEY, XBRL_FACTS_KEY, WEB_DOCUMENTS_KEY, FILING_SECTIONS_KEY} <= selected
    assert dg.AssetKey(["staging", "reads_documents"]) in selected  # everything downstream comes along
    assert DOCUMENTS_KEY not in selected  # the inbox is not part of a network refresh
    from pipelines import source_assets as module

    assert module.DOCUMENTS_KEY == DOCUMENTS_KEY
    assert daily_network_sources.default_status == dg.DefaultScheduleStatus.STOPPED
    assert daily_network_sources.cron_schedule == "30 5 * * *"
    assert inbox_sensor.default_status == dg.DefaultSensorStatus.STOPPED


def test_inbox_sensor_requests_a_run_when_a_file_is_new_or_changed(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.md").write_text("# Rare earths\nThe market was USD 1 billion in 2024.\n")
    store = DocumentStoreResource(inbox=str(inbox), raw_dir=str(tmp_path / "raw"))

    def tick(cursor: str | None) -> dg.SensorResult | dg.SkipReason:
        return inbox_sensor(dg.build_sensor_context(cursor=cursor, resources={"document_store": store}))

    first = tick(None)
    assert isinstance(first, dg.SensorResult) and len(first.run_requests) == 1
    assert isinstance(tick(first.cursor), dg.SkipReason)  # nothing changed
    (inbox / "b.txt").write_text("Capacity reached 5,000 tonnes in 2025.\n")
    second = tick(first.cursor)
    assert isinstance(second, dg.SensorResult) and second.cursor != first.cursor
    assert second.run_requests[0].run_key != first.run_requests[0].run_key
    (inbox / ".hidden").write_text("ignored like the inbox ignores it")
    assert isinstance(tick(second.cursor), dg.SkipReason)
    time.sleep(0.01)
    (inbox / "b.txt").write_text("Capacity reached 6,000 tonnes in 2025.\n")  # changed size and mtime
    assert isinstance(tick(second.cursor), dg.SensorResult)


# ---------------------------------------------------------------- pure parsing

def test_watchlist_resolves_tickers_and_ciks_and_skips_non_filers() -> None:
    tickers = ticker_map(json.loads((FIXTURES / "files" / "company_tickers.json").read_text()))
    companies, unresolved = resolve_watchlist(["nsre", "CIK0009900002", "9900001", "LYC", "BSNM-WT"], tickers)
    assert [c.cik for c in companies] == [9900001, 9900002]  # once each, in watchlist order
    assert companies[0] == Company(9900001, "NSRE", "Northstar Rare Earths Corp.")
    assert unresolved == ["LYC: not in SEC's ticker file (not an SEC filer?); skipped"]
    assert resolve_watchlist(["NSRE"], None)[1] == ["NSRE: the ticker file could not be read"]


def test_submissions_feed_to_filings() -> None:
    doc = json.loads((FIXTURES / "submissions" / "CIK0009900001.json").read_text())
    config = EdgarConfig(since=dt.date(2024, 1, 1), www_base="https://www.sec.gov")
    filings = filings_from_submissions(doc, Company(9900001, "NSRE"), config)
    assert [f.accession_number for f in filings] == [
        "0009900001-25-000004", "0009900001-25-000011", "0009900001-25-000012"]
    assert filings[0].url == "https://www.sec.gov/Archives/edgar/data/9900001/000990000125000004/nsre-20241231.htm"
    assert filings[0].company == "Northstar Rare Earths Corp."
    everything = filings_from_submissions(doc, Company(9900001), EdgarConfig(forms=("10-Q",)))
    assert [f.report_period for f in everything] == [dt.date(2023, 9, 30), dt.date(2025, 3, 31)]
    assert everything[0].ticker == "NSRE"  # from the feed when the watchlist gave a CIK
    doc["filings"]["recent"]["form"][2] = "10-Q/A"
    assert len(filings_from_submissions(doc, Company(9900001), EdgarConfig(forms=("10-Q",)))) == 2
    assert len(filings_from_submissions(doc, Company(9900001), EdgarConfig(forms=("10-Q",),
                                                                           include_amendments=False))) == 1
    with pytest.raises(ValueError, match="not a submissions feed"):
        filings_from_submissions({"filings": {}}, Company(1), EdgarConfig())


def test_company_facts_flattening_and_topics() -> None:
    doc = json.loads((FIXTURES / "api" / "xbrl" / "companyfacts" / "CIK0009900002.json").read_text())
    frame = flatten_company_facts(doc, "BSNM")
    assert frame.height == 4 and set(frame["taxonomy"]) == {"dei", "us-gaap"}
    assert frame.filter(pl.col("concept") == "Revenues")["value"].sort().to_list() == [2_200_000, 4_900_000]
    assert classify_concept("Revenues") == "revenue"
    assert classify_concept("RevenueFromContractWithCustomerExcludingAssessedTax") == "revenue"
    assert classify_concept("DeferredRevenueCurrent") is None
    assert classify_concept("RevenueRemainingPerformanceObligation") is None
    assert classify_concept("ProductionVolume") == "production"
    assert classify_concept("NetIncomeLoss") is None
    with pytest.raises(ValueError):
        flatten_company_facts({"cik": 1}, None)


def test_filing_index_and_document_checks() -> None:
    index = json.loads((FIXTURES / "Archives/edgar/data/9900001/000990000125000004/index.json").read_text())
    assert primary_from_index(index) == "nsre-20241231.htm"
    assert primary_from_index({"directory": {"item": [{"name": "ex99-1.htm"}]}}) is None
    url = "https://www.sec.gov/Archives/x/y.htm"
    check_document(url, "y.htm", b"<html><title>nsre-20241231</title><p>Item 1.</p></html>", "text/html")
    for data, ctype, words in [
        (b"", "text/html", "empty"),
        (b"<html><title>SEC.gov | Page Not Found</title></html>", "text/html", "error page"),
        (b"{}", "application/json", "content-type mismatch"),
    ]:
        with pytest.raises(FetchError, match=words):
            check_document(url, "y.htm", data, ctype)
