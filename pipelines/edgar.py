"""SEC EDGAR as a document source: watchlist to CIKs, submissions to new filings, filings to documents.

EDGAR publishes everything we need as static files: the ticker file (company_tickers.json) maps
tickers to CIKs, each company's submissions feed (submissions/CIK##########.json) lists its recent
filings, each filing's primary document sits at Archives/edgar/data/<cik>/<accession>/<file>, and
the XBRL company facts (api/xbrl/companyfacts/CIK##########.json) hold every figure the company
tagged. This module reads them through the polite client (pipelines.http_client) and turns them
into plain values and frames; what is stored, and when, is the assets' business
(pipelines.source_assets). No Dagster here.

SEC sometimes answers with an HTML page where a filing or JSON was expected ("Request Rate
Threshold Exceeded", "Page Not Found"), with a 200; every such answer becomes a FetchError naming
the URL and the reason, and is dropped from the cache so the next run asks again.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from pipelines.http_client import (
    CONTACT_ENV,
    EDGAR_MAX_RATE,
    FetchError,
    HttpSettings,
    PoliteClient,
    SharedRateLimiter,
    edgar_user_agent,
    looks_like_error_page,
    settings_from,
)
from pipelines.reading import ReadDocument, document_from_bytes
from transforms.documents import MAX_DOCUMENT_BYTES

# Rare-earth and critical-minerals companies that file with the SEC. Lynas (ASX) and Ucore (TSX-V)
# are not SEC filers and cannot be followed through EDGAR; list their pages under [web] instead.
DEFAULT_WATCHLIST = ("MP", "UUUU", "USAR", "NB", "ALB", "METC")
DEFAULT_FORMS = ("10-K", "10-Q", "8-K", "20-F", "40-F", "6-K")

XBRL_SCHEMA = {
    "cik": pl.Int64,
    "ticker": pl.String,
    "company": pl.String,
    "taxonomy": pl.String,
    "concept": pl.String,
    "label": pl.String,
    "unit": pl.String,
    "value": pl.Float64,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "fiscal_year": pl.Int32,
    "fiscal_period": pl.String,
    "form": pl.String,
    "filed": pl.Date,
    "accession_number": pl.String,
    "frame": pl.String,
    "topic": pl.String,
}

_REVENUE = re.compile(r"^(Revenues?|RevenueFrom|RevenueNet|RevenuesNet|SalesRevenue|RevenueMineralSales)")
_NOT_REVENUE = re.compile(r"Deferred|Unbilled|Receivable|RemainingPerformanceObligation|Percentage|Policy|TextBlock")
_PRODUCTION = re.compile(r"Production|Produced|MineralExtraction|OreMined|OreProcessed|OutputVolume")
_CIK = re.compile(r"^(?:CIK)?0*(\d{1,10})$", re.IGNORECASE)
_EXPECTED_TYPES = {
    ".htm": ("text/html", "application/xhtml+xml"),
    ".html": ("text/html", "application/xhtml+xml"),
    ".xhtml": ("text/html", "application/xhtml+xml"),
    ".txt": ("text/plain",),
    ".xml": ("text/xml", "application/xml"),
    ".pdf": ("application/pdf",),
}


@dataclass(frozen=True)
class EdgarConfig:
    """The [edgar] table of sources.toml. Off by default: the pipeline then never touches the network."""

    enabled: bool = False
    watchlist: tuple[str, ...] = DEFAULT_WATCHLIST
    forms: tuple[str, ...] = DEFAULT_FORMS
    include_amendments: bool = True  # 10-K/A along with 10-K
    since: dt.date | None = None  # ignore filings filed before this date
    contact_env: str = CONTACT_ENV  # environment variable holding "Organisation contact@address"
    www_base: str = "https://www.sec.gov"  # ticker file and Archives
    data_base: str = "https://data.sec.gov"  # submissions and XBRL APIs
    requests_per_second: int = EDGAR_MAX_RATE
    company_facts: bool = True

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any] | None) -> EdgarConfig:
        values = settings_from(table or {}, cls, "edgar")
        for key in ("watchlist", "forms"):
            if key in values:
                values[key] = tuple(str(v).strip() for v in values[key] if str(v).strip())
        since = values.get("since")
        if isinstance(since, str):
            values["since"] = dt.date.fromisoformat(since) if since else None
        elif isinstance(since, dt.datetime):
            values["since"] = since.date()
        for key in ("www_base", "data_base"):
            if key in values:
                values[key] = str(values[key]).rstrip("/")
        config = cls(**values)
        if not 1 <= config.requests_per_second <= EDGAR_MAX_RATE:
            raise ValueError(f"[edgar] requests_per_second must be 1..{EDGAR_MAX_RATE} (SEC's limit)")
        return config

    @property
    def limited_hosts(self) -> frozenset[str]:
        """Hosts the EDGAR rate limit covers (www.sec.gov and data.sec.gov, or the test server)."""
        return frozenset(urlsplit(base).netloc.lower() for base in (self.www_base, self.data_base))

    def tickers_url(self) -> str:
        return f"{self.www_base}/files/company_tickers.json"

    def submissions_url(self, cik: int) -> str:
        return f"{self.data_base}/submissions/CIK{cik:010d}.json"

    def companyfacts_url(self, cik: int) -> str:
        return f"{self.data_base}/api/xbrl/companyfacts/CIK{cik:010d}.json"

    def folder_url(self, cik: int, accession_number: str) -> str:
        return f"{self.www_base}/Archives/edgar/data/{cik}/{accession_number.replace('-', '')}"

    def document_url(self, cik: int, accession_number: str, name: str) -> str:
        return f"{self.folder_url(cik, accession_number)}/{name}"


@dataclass(frozen=True)
class Company:
    """A watchlist company as EDGAR knows it."""

    cik: int
    ticker: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Filing:
    """One filing from a submissions feed: what edgar_filings records about it."""

    accession_number: str
    cik: int
    ticker: str | None
    company: str | None
    form: str
    filing_date: dt.date | None
    report_period: dt.date | None
    primary_document: str | None
    url: str


@dataclass
class FeedRead:
    """The outcome of reading one EDGAR index (a row of edgar_feeds)."""

    url: str
    kind: str
    cik: int | None
    status: str
    error: str | None = None
    records: int | None = None


# ---------------------------------------------------------------- pure parsing

def parse_json(url: str, data: bytes, content_type: str | None = None) -> Any:
    """JSON from a feed, or a FetchError that says whether it was an error page or just broken."""
    page = looks_like_error_page(data)
    if page is not None:
        raise FetchError(url, f"HTML error page where JSON was expected: {page!r}")
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        kind = f" ({content_type})" if content_type else ""
        raise FetchError(url, f"malformed JSON{kind}: {exc}") from None


def parse_watchlist_entry(entry: str) -> int | str:
    """A CIK (int) for "1801368", "0001801368" or "CIK0001801368"; otherwise the ticker, upper-cased."""
    match = _CIK.match(entry.strip())
    return int(match.group(1)) if match else entry.strip().upper()


def ticker_map(doc: Any) -> dict[str, Company]:
    """company_tickers.json ({"0": {"cik_str": 320193, "ticker": "AAPL", "title": "Apple Inc."}, ...})
    as ticker -> Company."""
    if not isinstance(doc, dict):
        raise ValueError("the ticker file is not a JSON object")
    out: dict[str, Company] = {}
    for row in doc.values():
        if isinstance(row, dict) and "ticker" in row and "cik_str" in row:
            ticker = str(row["ticker"]).upper()
            out.setdefault(ticker, Company(int(row["cik_str"]), ticker, row.get("title")))
    return out


def resolve_watchlist(entries: Iterable[str], tickers: Mapping[str, Company] | None) -> tuple[list[Company], list[str]]:
    """Companies for the watchlist, in its order and once each, and the entries that did not resolve.

    A ticker missing from SEC's ticker file is usually not an SEC filer (Lynas, Ucore): skipped
    with a reason, never guessed.
    """
    companies: list[Company] = []
    unresolved: list[str] = []
    seen: set[int] = set()
    for entry in entries:
        key = parse_watchlist_entry(entry)
        if isinstance(key, int):
            company = Company(key)
        elif tickers is None:
            unresolved.append(f"{entry}: the ticker file could not be read")
            continue
        elif key in tickers:
            company = tickers[key]
        else:
            unresolved.append(f"{entry}: not in SEC's ticker file (not an SEC filer?); skipped")
            continue
        if company.cik not in seen:
            seen.add(company.cik)
            companies.append(company)
    return companies, unresolved


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def form_wanted(form: str, forms: Iterable[str], include_amendments: bool = True) -> bool:
    wanted = {f.upper() for f in forms}
    form = form.upper()
    return form in wanted or (include_amendments and form.endswith("/A") and form[:-2] in wanted)


def filings_from_submissions(doc: Any, company: Company, config: EdgarConfig) -> list[Filing]:
    """The filings of the chosen forms in a submissions feed's `filings.recent`, oldest first.

    The arrays of `recent` are parallel columns (accessionNumber, filingDate, reportDate, form,
    primaryDocument, ...); SEC lists about the last thousand filings there, enough for a watchlist
    read daily.
    """
    try:
        recent = doc["filings"]["recent"]
        columns = {k: recent[k] for k in ("accessionNumber", "filingDate", "reportDate", "form", "primaryDocument")}
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a submissions feed: missing {exc}") from None
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        raise ValueError("not a submissions feed: filings.recent columns differ in length")
    name = doc.get("name") or company.name
    tickers = doc.get("tickers") or []
    ticker = company.ticker or (tickers[0] if tickers else None)
    out = []
    for acc, filed, period, form, primary in zip(*columns.values(), strict=True):
        if not acc or not form_wanted(str(form), config.forms, config.include_amendments):
            continue
        filing_date = _date(filed)
        if config.since and filing_date and filing_date < config.since:
            continue
        primary = str(primary).strip() or None
        url = (config.document_url(company.cik, acc, primary) if primary
               else config.folder_url(company.cik, acc) + "/")
        out.append(Filing(str(acc), company.cik, ticker, name, str(form), filing_date, _date(period), primary, url))
    return sorted(out, key=lambda f: (f.filing_date or dt.date.min, f.accession_number))


def primary_from_index(doc: Any) -> str | None:
    """The primary document's name from a filing folder's index.json, when the feed leaves it out:
    the first HTML file that is neither an index page nor an exhibit."""
    try:
        items = doc["directory"]["item"]
    except (KeyError, TypeError):
        return None
    for item in items:
        name = str(item.get("name", ""))
        lowered = name.lower()
        if not lowered.endswith((".htm", ".html")) or "-index" in lowered:
            continue
        if re.match(r"^(ex|exhibit)[-_]?\d", lowered) or re.search(r"[-_]ex[-_]?\d", lowered):
            continue
        return name
    return None


def check_document(url: str, name: str, data: bytes, content_type: str | None) -> None:
    """Raise FetchError if what came back is not the filing: empty, an HTML error page, or a type
    that does not match the file (a JSON or HTML answer for a .txt, say)."""
    if not data:
        raise FetchError(url, "empty response where a filing document was expected")
    page = looks_like_error_page(data)
    if page is not None:
        raise FetchError(url, f"HTML error page where a filing document was expected: {page!r}")
    suffix = Path(name).suffix.lower()
    expected = _EXPECTED_TYPES.get(suffix)
    got = (content_type or "").split(";")[0].strip().lower()
    if expected and got and got not in expected:
        raise FetchError(url, f"content-type mismatch: {got} for a {suffix} document (expected {expected[0]})")


def filing_document(filing: Filing, data: bytes, known: set[str] | frozenset[str] = frozenset(),
                    max_bytes: int = MAX_DOCUMENT_BYTES) -> ReadDocument | None:
    """The documents row for a filing's primary document, via document_from_bytes like any source.

    The filing's metadata is better than what the HTML says: the company is the publisher (sources
    are counted by publisher), the filing date is the publication date, and the title names
    company, form and period, where EDGAR titles are file names such as "mp-20241231".
    """
    read = document_from_bytes(filing.primary_document or "filing.htm", data, source="edgar",
                               shown_as=filing.url, max_bytes=max_bytes, known=known)
    if read is None:
        return None
    row = dict(read.row)
    if row["status"] == "loaded":
        period = f" for {filing.report_period.isoformat()}" if filing.report_period else ""
        row.update(
            title=f"{filing.company or f'CIK {filing.cik}'} {filing.form}{period}",
            publisher=filing.company or row["publisher"],
            published=filing.filing_date or row["published"],
        )
    return ReadDocument(row, read.data)


def classify_concept(concept: str) -> str | None:
    """revenue or production for concepts about those, else None (used to filter xbrl_facts)."""
    if _REVENUE.match(concept) and not _NOT_REVENUE.search(concept):
        return "revenue"
    if _PRODUCTION.search(concept):
        return "production"
    return None


def flatten_company_facts(doc: Any, ticker: str | None = None) -> pl.DataFrame:
    """SEC company facts ({"cik", "entityName", "facts": {taxonomy: {concept: {"label", "units":
    {unit: [{"start", "end", "val", "accn", "fy", "fp", "form", "filed", "frame"}]}}}}}) as one
    row per reported value (XBRL_SCHEMA)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("facts"), dict):
        raise ValueError("not a company facts document: no 'facts' object")
    cik = int(doc.get("cik") or 0)
    company = doc.get("entityName")
    cols: dict[str, list] = {k: [] for k in XBRL_SCHEMA}
    for taxonomy, concepts in sorted(doc["facts"].items()):
        if not isinstance(concepts, dict):
            continue
        for concept, body in sorted(concepts.items()):
            topic = classify_concept(concept)
            for unit, entries in sorted((body.get("units") or {}).items()):
                for e in entries or []:
                    try:
                        value = float(e["val"])
                    except (KeyError, TypeError, ValueError):
                        continue
                    fy = e.get("fy")
                    row = (cik, ticker, company, taxonomy, concept, body.get("label"), unit, value,
                           e.get("start"), e.get("end"), int(fy) if isinstance(fy, int | float) else None,
                           e.get("fp"), e.get("form"), e.get("filed"), e.get("accn"), e.get("frame"), topic)
                    for key, value_ in zip(cols, row, strict=True):
                        cols[key].append(value_)
    string_dates = {"period_start", "period_end", "filed"}
    frame = pl.DataFrame(cols, schema={k: (pl.String if k in string_dates else v) for k, v in XBRL_SCHEMA.items()})
    return frame.with_columns(
        pl.col(c).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False) for c in sorted(string_dates)
    ).select(list(XBRL_SCHEMA)).unique(maintain_order=True)


# ---------------------------------------------------------------- the source

@dataclass
class EdgarSource:
    """EDGAR through a polite client; every index read is logged in `feeds` for edgar_feeds."""

    config: EdgarConfig
    client: PoliteClient
    feeds: list[FeedRead] = field(default_factory=list)

    @classmethod
    def open(cls, config: EdgarConfig, http: HttpSettings, cache_dir: str | Path,
             contact: str | None = None) -> EdgarSource:
        """A source with the shared rate limit and the cache under `cache_dir`.

        Raises MissingContactError, naming the variable, when there is no contact address: SEC
        must be able to tell who we are before we send anything.
        """
        user_agent = edgar_user_agent(config.contact_env, contact=contact)
        limiter = SharedRateLimiter(Path(cache_dir) / "ratelimit", config.requests_per_second, name="edgar")
        client = PoliteClient(user_agent, http, cache_dir=cache_dir, limiter=limiter,
                              limited_hosts=config.limited_hosts)
        return cls(config, client)

    def close(self) -> None:
        self.client.close()
        if self.client.limiter is not None:
            self.client.limiter.close()

    def _json(self, url: str, kind: str, cik: int | None) -> Any:
        response = self.client.get(url, accept="application/json")
        try:
            return parse_json(url, response.content, response.headers.get("Content-Type"))
        except FetchError:
            self.client.forget(url)
            raise

    def _log(self, url: str, kind: str, cik: int | None, error: str | None = None, records: int | None = None
             ) -> None:
        self.feeds.append(FeedRead(url, kind, cik, "failed" if error else "ok", error, records))

    def companies(self) -> tuple[list[Company], list[str]]:
        """The watchlist as companies (the ticker file is read only when it names tickers)."""
        entries = list(self.config.watchlist)
        tickers = None
        if any(isinstance(parse_watchlist_entry(e), str) for e in entries):
            url = self.config.tickers_url()
            try:
                tickers = ticker_map(self._json(url, "tickers", None))
                self._log(url, "tickers", None, records=len(tickers))
            except (FetchError, ValueError) as exc:
                self._log(url, "tickers", None, error=_reason(url, exc))
        return resolve_watchlist(entries, tickers)

    def filings(self, company: Company) -> list[Filing]:
        """The company's filings of the chosen forms; [] (and a failed feed row) if the feed is bad."""
        url = self.config.submissions_url(company.cik)
        try:
            found = filings_from_submissions(self._json(url, "submissions", company.cik), company, self.config)
        except (FetchError, ValueError) as exc:
            self._log(url, "submissions", company.cik, error=_reason(url, exc))
            return []
        self._log(url, "submissions", company.cik, records=len(found))
        return found

    def resolve_primary(self, filing: Filing) -> Filing:
        """The filing with its primary document named, from the folder index when the feed had none."""
        if filing.primary_document:
            return filing
        url = self.config.folder_url(filing.cik, filing.accession_number) + "/index.json"
        try:
            name = primary_from_index(self._json(url, "filing_index", filing.cik))
        except FetchError as exc:
            self._log(url, "filing_index", filing.cik, error=str(exc))
            raise
        if name is None:
            self._log(url, "filing_index", filing.cik, error=f"{url}: no primary document in the filing index")
            raise FetchError(url, "no primary document in the filing index")
        self._log(url, "filing_index", filing.cik, records=1)
        return replace(filing, primary_document=name,
                       url=self.config.document_url(filing.cik, filing.accession_number, name))

    def fetch_document(self, filing: Filing) -> bytes:
        """The primary document's bytes, checked; cached forever once good (filings never change)."""
        assert filing.primary_document
        response = self.client.get(filing.url, immutable=True)
        try:
            check_document(filing.url, filing.primary_document, response.content,
                           response.headers.get("Content-Type"))
        except FetchError:
            self.client.forget(filing.url)
            raise
        return response.content

    def company_facts(self, company: Company) -> pl.DataFrame | None:
        """The company's XBRL facts, flattened; None (and a failed feed row) if they cannot be read.
        A company with no XBRL facts (SEC answers 404) gets an empty frame."""
        url = self.config.companyfacts_url(company.cik)
        try:
            frame = flatten_company_facts(self._json(url, "companyfacts", company.cik), company.ticker)
        except FetchError as exc:
            if exc.status == 404:
                self._log(url, "companyfacts", company.cik, records=0)
                return pl.DataFrame(schema=XBRL_SCHEMA)
            self._log(url, "companyfacts", company.cik, error=str(exc))
            return None
        except ValueError as exc:
            self._log(url, "companyfacts", company.cik, error=_reason(url, exc))
            return None
        self._log(url, "companyfacts", company.cik, records=frame.height)
        return frame


def _reason(url: str, exc: Exception) -> str:
    """The text stored in an `error` column: the URL, then why."""
    return str(exc) if isinstance(exc, FetchError) else f"{url}: {exc}"
