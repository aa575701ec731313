"""Market briefs: one self-contained HTML page per market, for analysts who do not query DuckDB.

A brief puts side by side what the sources say about one market (sizes over time, growth rates,
regional shares, companies), where they agree (the consensus) and where they do not (claims far
from the consensus, open data-quality findings), and ties every figure back to the exact words
and document it was read from, so a reader can check any number in one click.

Loading and rendering are split on purpose: `load_brief_data` is the only function that touches
the warehouse, and `render_brief` is a pure function of polars frames, so the page can be tested
with crafted data (hostile strings included) without building a warehouse.

The page is a single file with no JavaScript and no external resource of any kind: charts are
matplotlib figures inlined as SVG, styles are inline, and a Content-Security-Policy forbids every
fetch, so a brief opened from a mail attachment or a shared drive never calls out to the network.
Every string that came from a document is HTML-escaped (and `$` is escaped before it reaches
matplotlib, which would otherwise read it as mathtext).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import matplotlib
import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from warehouse.connection import query_frame

# A claim further than this from the consensus for its year is marked as an outlier.
OUTLIER_RELATIVE = 0.15
# A share claim more than this many percentage points from the consensus share is marked.
SHARE_OUTLIER_PP = 10.0
# Characters of document text shown on each side of a quote in the quote list.
CONTEXT_CHARS = 120
# Marker shown by the page generator; the briefs asset only ever deletes files that carry it.
GENERATOR = "marketintel briefs"

# Sources get colours in this order; red is kept back for conflicts so it always means "look here".
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f", "#393b79", "#637939", "#8c6d31")
CONFLICT_COLOR = "#d62728"
CONSENSUS_COLOR = "#111111"

# The columns each frame of `BriefData` carries; `load_brief_data` and hand-made test data are both
# conformed to these, so `render_brief` can rely on them.
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "sizes": {
        "market": pl.String(), "year": pl.Int32(), "currency": pl.String(), "amount": pl.Float64(),
        "forecast": pl.Boolean(), "source": pl.String(), "document_title": pl.String(),
        "published": pl.Date(), "path": pl.String(), "quote": pl.String(), "doc_id": pl.String(),
        "fact_id": pl.String(),
    },
    "consensus": {
        "market": pl.String(), "year": pl.Int32(), "currency": pl.String(), "amount": pl.Float64(),
        "min_amount": pl.Float64(), "max_amount": pl.Float64(), "relative_spread": pl.Float64(),
        "n_sources": pl.Int32(), "is_consensus": pl.Boolean(),
    },
    "growth": {
        "market": pl.String(), "rate_pct": pl.Float64(), "start_year": pl.Int32(), "end_year": pl.Int32(),
        "source": pl.String(), "document_title": pl.String(), "published": pl.Date(), "path": pl.String(),
        "quote": pl.String(), "doc_id": pl.String(), "fact_id": pl.String(),
    },
    "shares": {
        "region": pl.String(), "share_pct": pl.Float64(), "qualifier": pl.String(), "metric": pl.String(),
        "year": pl.Int32(), "source": pl.String(), "document_title": pl.String(), "path": pl.String(),
        "quote": pl.String(), "doc_id": pl.String(), "fact_id": pl.String(),
        "consensus_share_pct": pl.Float64(), "consensus_sources": pl.Int32(),
    },
    "companies": {
        "name": pl.String(), "country": pl.String(), "source": pl.String(), "document_title": pl.String(),
        "path": pl.String(), "quote": pl.String(), "doc_id": pl.String(), "fact_id": pl.String(),
    },
    "findings": {
        "finding_id": pl.String(), "rule": pl.String(), "severity": pl.String(), "subject": pl.String(),
        "message": pl.String(), "first_seen": pl.String(), "last_seen": pl.String(),
        "quotes": pl.List(pl.String()), "evidence": pl.String(), "doc_ids": pl.List(pl.String()),
    },
    "quotes": {
        "fact_id": pl.String(), "kind": pl.String(), "quote": pl.String(), "start": pl.Int64(),
        "before": pl.String(), "after": pl.String(), "doc_id": pl.String(),
    },
    "documents": {
        "doc_id": pl.String(), "title": pl.String(), "publisher": pl.String(), "published": pl.Date(),
        "path": pl.String(), "source": pl.String(),
    },
}


def conform(name: str, frame: pl.DataFrame | Sequence[dict] | None) -> pl.DataFrame:
    """`frame` (or rows) with exactly the columns of `SCHEMAS[name]`, missing ones as nulls.

    Why: the renderer must not break when a view gains a column or a test leaves one out.
    """
    schema = SCHEMAS[name]
    if frame is None:
        return pl.DataFrame(schema=schema)
    if not isinstance(frame, pl.DataFrame):
        rows = list(frame)
        frame = pl.DataFrame(rows, schema_overrides=dict(schema), strict=False) if rows else pl.DataFrame(schema=schema)
    return frame.select([
        (pl.col(c) if c in frame.columns else pl.lit(None)).cast(t, strict=False).alias(c) for c, t in schema.items()
    ])


@dataclass(frozen=True)
class BriefData:
    """Everything one market's brief shows, already filtered to that market (see `SCHEMAS`)."""

    market: str
    sizes: pl.DataFrame
    consensus: pl.DataFrame
    growth: pl.DataFrame
    shares: pl.DataFrame
    companies: pl.DataFrame
    findings: pl.DataFrame
    quotes: pl.DataFrame
    documents: pl.DataFrame
    generated_at: dt.datetime | None = None

    @classmethod
    def build(cls, market: str, generated_at: dt.datetime | None = None,
              **frames: pl.DataFrame | Sequence[dict] | None) -> BriefData:
        """A `BriefData` from frames or lists of row dicts, conformed to `SCHEMAS` (missing ones empty)."""
        unknown = set(frames) - set(SCHEMAS)
        if unknown:
            raise TypeError(f"unknown brief frames: {sorted(unknown)}")
        return cls(market=market, generated_at=generated_at,
                   **{name: conform(name, frames.get(name)) for name in SCHEMAS})


# ---------------------------------------------------------------------------------------------
# Loading


def list_markets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every market some document gives a size or a growth rate for, in name order."""
    rows = con.execute(
        """
        SELECT DISTINCT market FROM (
            SELECT market FROM valuations UNION ALL SELECT market FROM growth_rates
        ) WHERE market IS NOT NULL AND trim(market) <> '' ORDER BY market
        """
    ).fetchall()
    return [m for (m,) in rows]


def brief_filename(market: str) -> str:
    """File name of a market's brief: a lowercase ASCII slug, stable across runs, `.html`.

    Markets whose slugs would collide are told apart by `brief_filenames`.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", market.lower()).strip("-")[:80].strip("-")
    return f"{slug or 'market'}.html"


def brief_filenames(markets: Iterable[str]) -> dict[str, str]:
    """File name per market; where two slugs collide, each gets a short hash of its own name."""
    markets = list(dict.fromkeys(markets))
    slugs = [brief_filename(m) for m in markets]
    out = {}
    for market, name in zip(markets, slugs, strict=True):
        if slugs.count(name) > 1:
            digest = hashlib.sha1(market.encode()).hexdigest()[:8]
            name = f"{name.removesuffix('.html')}-{digest}.html"
        out[market] = name
    return out


def load_brief_data(con: duckdb.DuckDBPyConnection, market: str) -> BriefData:
    """Read everything a brief shows for `market` from the marts views.

    A market's documents are those that state a size or growth rate for it; shares, companies and
    findings are taken from those documents, because share and company facts carry no market.
    Findings about another market from the same documents are left out.
    """
    sizes = query_frame(con, "SELECT * FROM market_sizes WHERE market = ? ORDER BY year, source, fact_id", [market])
    consensus = query_frame(con, "SELECT * FROM market_size_consensus WHERE market = ? ORDER BY currency, year",
                            [market])
    growth = query_frame(con, "SELECT * FROM growth_rate_claims WHERE market = ? ORDER BY start_year, source, fact_id",
                         [market])
    doc_ids = sorted(set(sizes["doc_id"].to_list()) | set(growth["doc_id"].to_list()))
    shares = query_frame(
        con,
        """
        SELECT s.*, c.share_pct AS consensus_share_pct, c.n_sources AS consensus_sources
        FROM share_claims s
        LEFT JOIN regional_share_consensus c
          ON c.region = s.region AND c.metric IS NOT DISTINCT FROM s.metric AND c.year IS NOT DISTINCT FROM s.year
        WHERE list_contains(?::VARCHAR[], s.doc_id)
        ORDER BY s.region, s.metric, s.year, s.source, s.fact_id
        """,
        [doc_ids],
    )
    companies = query_frame(
        con,
        """
        SELECT c.name, c.country, coalesce(d.publisher, d.title) AS source, d.title AS document_title, d.path,
               c.quote, c.doc_id, c.fact_id
        FROM companies c JOIN documents d USING (doc_id)
        WHERE list_contains(?::VARCHAR[], c.doc_id) ORDER BY c.name, c.fact_id
        """,
        [doc_ids],
    )
    findings = con.sql(
        """
        SELECT finding_id, rule, severity, subject, message,
               strftime(timezone('UTC', first_seen), '%Y-%m-%d %H:%M UTC') AS first_seen,
               strftime(timezone('UTC', last_seen), '%Y-%m-%d %H:%M UTC') AS last_seen,
               quotes, CAST(evidence AS VARCHAR) AS evidence, doc_ids
        FROM open_findings
        WHERE subject = $market
           OR (list_has_any(doc_ids, $docs::VARCHAR[])
               AND coalesce(subject, '') NOT IN (
                   SELECT market FROM valuations WHERE market IS NOT NULL AND market <> $market
                   UNION SELECT market FROM growth_rates WHERE market IS NOT NULL AND market <> $market))
        ORDER BY severity = 'error' DESC, rule, subject, finding_id
        """,
        params={"market": market, "docs": doc_ids},
    ).pl()
    fact_ids = [*sizes["fact_id"], *growth["fact_id"], *shares["fact_id"], *companies["fact_id"]]
    quotes = query_frame(
        con,
        f"""
        SELECT l.fact_id, l.kind, l.quote, l."start",
               substr(t.text, greatest(l."start" - {CONTEXT_CHARS}, 0) + 1,
                      l."start" - greatest(l."start" - {CONTEXT_CHARS}, 0)) AS before,
               substr(t.text, l."end" + 1, {CONTEXT_CHARS}) AS after,
               l.doc_id
        FROM fact_lineage l LEFT JOIN document_texts t USING (doc_id)
        WHERE list_contains(?::VARCHAR[], l.fact_id)
        """,
        [fact_ids],
    )
    finding_docs = {d for ids in findings["doc_ids"].to_list() for d in ids or []}
    documents = query_frame(
        con,
        "SELECT doc_id, title, publisher, published, path, source FROM documents "
        "WHERE list_contains(?::VARCHAR[], doc_id) ORDER BY title, path",
        [sorted(set(doc_ids) | finding_docs | set(companies["doc_id"]) | set(shares["doc_id"]))],
    )
    return BriefData.build(
        market, generated_at=dt.datetime.now(dt.UTC), sizes=sizes, consensus=consensus, growth=growth,
        shares=shares, companies=companies, findings=findings, quotes=quotes, documents=documents,
    )


# ---------------------------------------------------------------------------------------------
# Small helpers


def esc(value: object) -> str:
    """HTML-escaped text of any value (None is empty): every document string goes through this."""
    return "" if value is None else html.escape(str(value), quote=True)


def _anchor(prefix: str, key: object) -> str:
    """An element id that is safe in HTML and CSS whatever the key holds.

    Warehouse ids are hex and pass through unchanged; anything else is sanitized and given a short
    hash, so two different keys never share an anchor.
    """
    text = str(key)
    if re.fullmatch(r"[A-Za-z0-9_-]+", text):
        return f"{prefix}-{text}"
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return f"{prefix}-" + re.sub(r"[^A-Za-z0-9_-]", "_", text)[:40] + f"-{digest}"


def quote_anchor(fact_id: str) -> str:
    """Id of a fact's entry in the quote list; every figure links here."""
    return _anchor("q", fact_id)


def doc_anchor(doc_id: str) -> str:
    """Id of a document's entry in the quote list; source names in every table link here."""
    return _anchor("d", doc_id)


def finding_anchor(finding_id: str) -> str:
    """Id of a finding; the "finding" badge beside a flagged figure links here."""
    return _anchor("f", finding_id)


def _mpl(text: object, limit: int = 60) -> str:
    """Text safe for a matplotlib label: shortened, and every `$` escaped so mathtext never runs
    (a source named "$5bn Fund" would otherwise be typeset, or fail to parse, as math)."""
    s = re.sub(r"\s+", " ", "" if text is None else str(text)).strip()
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return s.replace("$", r"\$")


def _scale(amounts: Iterable[float]) -> tuple[float, str]:
    """Divisor and word for showing amounts of this size (billion, million or plain units)."""
    top = max((abs(a) for a in amounts if a is not None), default=0.0)
    if top >= 1e9:
        return 1e9, "billion"
    if top >= 1e6:
        return 1e6, "million"
    return 1.0, ""


def money(amount: float | None, currency: str | None, scale: tuple[float, str] | None = None) -> str:
    """'USD 544 million': the way documents write sizes, so the figure reads like its quote."""
    if amount is None:
        return "–"
    div, word = scale or _scale([amount])
    value = amount / div
    number = f"{value:,.2f}".rstrip("0").rstrip(".") if value < 100 else f"{value:,.0f}"
    return " ".join(p for p in (currency or "", number, word) if p)


def _period(start: int | None, end: int | None) -> str:
    if start is None and end is None:
        return "not stated"
    return f"{start if start is not None else '?'}–{end if end is not None else '?'}"


_QUALIFIER_WORDS = {
    "over": "over", "under": "under", "approximately": "about", "nearly": "nearly",
    "at_least": "at least", "up_to": "up to",
}


def share_text(share: float | None, qualifier: str | None) -> str:
    """'over 80%': a share claim as a reader would say it."""
    if share is None:
        return "–"
    word = _QUALIFIER_WORDS.get(qualifier or "", (qualifier or "").replace("_", " "))
    return f"{word} {share:g}%".strip()


def plural(n: object, word: str) -> str:
    """'1 source', '2 sources': cards read as sentences."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:+.{digits}f}%"


def _source_colors(*frames: pl.DataFrame) -> dict[str, str]:
    """One colour per source, the same in every chart and table of the page."""
    names = sorted({s for f in frames if "source" in f.columns for s in f["source"].drop_nulls().to_list()})
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _swatch(color: str | None) -> str:
    return f'<span class="sw" style="background:{color}"></span>' if color else ""


def _quote_links(fact_ids: Sequence[str], label: str = "quote") -> str:
    """Links to quote anchors: 'quote' for one, 'quote 1 · 2' for several."""
    ids = [f for f in fact_ids if f]
    if not ids:
        return ""
    if len(ids) == 1:
        return f'<a class="ql" href="#{quote_anchor(ids[0])}">{label}</a>'
    parts = " · ".join(f'<a class="ql" href="#{quote_anchor(f)}">{i}</a>' for i, f in enumerate(ids, 1))
    return f'<span class="qls">{label} {parts}</span>'


def _figure_link(fact_ids: Sequence[str], text: str, cls: str = "fig") -> str:
    """A figure that links to the first of its quotes."""
    ids = [f for f in fact_ids if f]
    if not ids:
        return f'<span class="{cls}">{text}</span>'
    return f'<a class="{cls}" href="#{quote_anchor(ids[0])}">{text}</a>'


# ---------------------------------------------------------------------------------------------
# Derived tables


def _finding_facts(data: BriefData) -> dict[str, list[str]]:
    """fact_id -> findings whose evidence quotes it (same document, same words)."""
    facts_by_quote: dict[tuple[str, str], list[str]] = {}
    for name in ("sizes", "growth", "shares", "companies"):
        frame = getattr(data, name)
        for doc_id, quote, fact_id in frame.select("doc_id", "quote", "fact_id").iter_rows():
            facts_by_quote.setdefault((doc_id, quote), []).append(fact_id)
    out: dict[str, list[str]] = {}
    for f in data.findings.iter_rows(named=True):
        for doc_id in f["doc_ids"] or []:
            for quote in f["quotes"] or []:
                for fact_id in facts_by_quote.get((doc_id, quote), []):
                    out.setdefault(fact_id, []).append(f["finding_id"])
    return out


def size_claims(data: BriefData) -> pl.DataFrame:
    """Size claims beside the consensus for their year, with their deviation and outlier flag.

    Claims that repeat the same figure in one document are one row with several quotes, so a
    document that says "USD 544 million" in its text and its table counts once.
    """
    cons = data.consensus.select(
        "year", "currency", pl.col("amount").alias("consensus"), pl.col("n_sources").alias("consensus_sources"),
        "is_consensus",
    )
    grouped = (
        data.sizes.group_by("year", "currency", "amount", "source", "doc_id", maintain_order=True)
        .agg(
            pl.col("fact_id"), pl.col("quote"), pl.col("forecast").any(), pl.col("document_title").first(),
            pl.col("path").first(), pl.col("published").first(),
        )
        .join(cons, on=["year", "currency"], how="left", nulls_equal=True)
        .with_columns(
            pl.when(pl.col("consensus").is_not_null() & (pl.col("consensus") != 0))
            .then((pl.col("amount") / pl.col("consensus") - 1) * 100)
            .alias("deviation_pct")
        )
        .with_columns(
            (pl.col("deviation_pct").abs() > OUTLIER_RELATIVE * 100).fill_null(False).alias("outlier")
        )
        .sort("currency", "year", "source", "amount", nulls_last=True)
    )
    return grouped


def growth_claims(data: BriefData) -> pl.DataFrame:
    """Stated growth rates, one row per source, rate and period (repeats merged, quotes kept)."""
    return (
        data.growth.group_by("rate_pct", "start_year", "end_year", "source", "doc_id", maintain_order=True)
        .agg(pl.col("fact_id"), pl.col("quote"), pl.col("document_title").first())
        .sort("start_year", "end_year", "source", "rate_pct", nulls_last=True)
    )


def implied_cagr(data: BriefData, start: int | None = None, end: int | None = None
                 ) -> tuple[float, int, int, str] | None:
    """CAGR implied by the consensus sizes, to hold stated rates against: over `start`-`end` when the
    consensus has both years, otherwise over the first and last year it has."""
    cons = data.consensus.drop_nulls(["year", "amount"]).filter(pl.col("amount") > 0)
    if cons.is_empty():
        return None
    currency = cons.group_by("currency").len().sort("len", "currency", descending=[True, False])["currency"][0]
    cons = cons.filter(pl.col("currency").eq_missing(currency)).sort("year")
    first, last = cons.row(0, named=True), cons.row(-1, named=True)
    by_year = {r["year"]: r for r in cons.iter_rows(named=True)}
    if start in by_year and end in by_year:
        first, last = by_year[start], by_year[end]
    if last["year"] <= first["year"]:
        return None
    rate = ((last["amount"] / first["amount"]) ** (1 / (last["year"] - first["year"])) - 1) * 100
    return rate, first["year"], last["year"], currency


def headline_implied_cagr(data: BriefData) -> tuple[float, int, int, str] | None:
    """The implied CAGR to show beside the stated ones: over the period the documents state most
    often (when the consensus covers both its years), so the two compare like with like."""
    common = data.growth.drop_nulls(["start_year", "end_year"]).group_by("start_year", "end_year").len()
    common = common.sort(["len", "start_year", "end_year"], descending=[True, False, False])
    return implied_cagr(data, *(common.row(0)[:2] if common.height else (None, None)))


def share_rows(data: BriefData, finding_facts: dict[str, list[str]]) -> pl.DataFrame:
    """Share claims with conflict flags: cited by an open finding, or far from the consensus share."""
    if data.shares.is_empty():
        return data.shares.with_columns(
            pl.lit(None, pl.List(pl.String)).alias("finding_ids"), pl.lit(False).alias("far"),
            pl.lit(False).alias("conflict"),
        )
    findings = [finding_facts.get(f, []) for f in data.shares["fact_id"]]
    return data.shares.with_columns(
        pl.Series("finding_ids", findings, dtype=pl.List(pl.String)),
    ).with_columns(
        ((pl.col("share_pct") - pl.col("consensus_share_pct")).abs() > SHARE_OUTLIER_PP).fill_null(False).alias("far"),
    ).with_columns(
        ((pl.col("finding_ids").list.len() > 0) | pl.col("far")).alias("conflict"),
    ).sort("region", "metric", "year", "source", nulls_last=True, maintain_order=True)


def company_rows(data: BriefData) -> pl.DataFrame:
    """Companies named in the market's documents, most widely named first."""
    if data.companies.is_empty():
        return pl.DataFrame(schema={"name": pl.String, "country": pl.String, "documents": pl.UInt32,
                                    "fact_id": pl.List(pl.String), "sources": pl.List(pl.String)})
    return (
        data.companies.with_columns(pl.col("name").str.strip_chars().alias("name"))
        .with_columns(pl.col("name").str.to_lowercase().alias("_key"))
        .group_by("_key", maintain_order=True)
        .agg(
            pl.col("name").first(), pl.col("country").drop_nulls().first(),
            pl.col("doc_id").n_unique().alias("documents"),
            pl.col("fact_id"), pl.col("source").unique(maintain_order=True).alias("sources"),
        )
        .drop("_key")
        .sort(["documents", "name"], descending=[True, False])
    )


def summarize(data: BriefData) -> dict[str, object]:
    """Headline numbers of a brief, for the index page and the asset's metadata."""
    cons = data.consensus.drop_nulls(["year"]).sort("year")
    latest_actual = (
        data.sizes.filter(~pl.col("forecast").fill_null(False))["year"].max() if not data.sizes.is_empty() else None
    )
    now = cons.filter(pl.col("year") == latest_actual) if latest_actual is not None else cons.head(0)
    return {
        "market": data.market,
        "size_claims": data.sizes.height,
        "sources": len(set(data.sizes["source"].drop_nulls()) | set(data.growth["source"].drop_nulls())),
        "documents": data.documents.height,
        "latest_size": money(now["amount"][0], now["currency"][0]) + f" ({latest_actual})" if now.height else "–",
        "open_findings": data.findings.height,
        "outliers": int(size_claims(data)["outlier"].sum()) if not data.sizes.is_empty() else 0,
    }


# ---------------------------------------------------------------------------------------------
# Charts


_SVG_RC = {
    "svg.fonttype": "path",  # glyphs as paths: the page needs no font, and looks the same everywhere
    "svg.hashsalt": "marketintel",  # stable ids, so the same data gives the same page
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.edgecolor": "#888888",
    "axes.labelcolor": "#333333",
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "legend.fontsize": 8,
    "legend.frameon": False,
}


def _svg(fig: Figure, chart_id: str, title: str) -> str:
    """The figure as inline SVG: prolog and fixed size dropped, every internal id namespaced.

    Why namespaced: matplotlib gives every figure the same glyph and clip ids, and two charts on
    one page would otherwise share (and fight over) them.
    """
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    ids = set(re.findall(r'\sid="([^"]+)"', svg))

    def prefix(m: re.Match[str]) -> str:
        return m.group(1) + f"{chart_id}-" + m.group(2) if m.group(2) in ids else m.group(0)

    svg = re.sub(r'(\sid="|href="#|url\(#)([^")]+)', prefix, svg)
    head_end = svg.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", svg[:head_end])
    head += f' role="img" aria-labelledby="{chart_id}-title" class="chart"'
    return head + f'><title id="{chart_id}-title">{esc(title)}</title>' + svg[head_end + 1:]


def _years_axis(ax: Axes, years: list[int]) -> None:
    years = sorted(set(years))
    if not years:
        return
    if len(years) <= 12:
        ax.set_xticks(years)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    span = max(years[-1] - years[0], 1)
    ax.set_xlim(years[0] - max(0.6, span * 0.06), years[-1] + max(0.6, span * 0.06))


def size_chart(data: BriefData, claims: pl.DataFrame, currency: str | None, colors: dict[str, str],
               chart_id: str) -> str:
    """Market size over time in one currency: a line per source, the consensus and its range drawn
    over them, claims far from the consensus ringed in red; every marker links to its quote."""
    claims = claims.filter(pl.col("currency").eq_missing(currency)).drop_nulls(["year"])
    cons = data.consensus.filter(pl.col("currency").eq_missing(currency)).drop_nulls(["year", "amount"]).sort("year")
    div, word = _scale([*claims["amount"], *cons["amount"], *cons["max_amount"].drop_nulls()])
    unit = " ".join(p for p in (currency or "", word) if p)
    sources = sorted(claims["source"].drop_nulls().unique().to_list())
    with matplotlib.rc_context(_SVG_RC):
        fig = Figure(figsize=(9.2, 4.6), layout="constrained")
        ax = fig.add_subplot()
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#e6e6e6", linewidth=0.8)
        ax.set_axisbelow(True)
        if cons.height:
            lo = cons["min_amount"].fill_null(cons["amount"]) / div
            hi = cons["max_amount"].fill_null(cons["amount"]) / div
            ax.fill_between(cons["year"].to_list(), lo.to_list(), hi.to_list(), color="#f2c14e", alpha=0.35,
                            linewidth=0, zorder=1)
            # A broad translucent stroke under the sources' lines: the consensus stands out, and a
            # source that agrees with it stays visible on top instead of being hidden by it.
            ax.plot(cons["year"].to_list(), (cons["amount"] / div).to_list(), color=CONSENSUS_COLOR, linewidth=9,
                    alpha=0.16, solid_capstyle="round", zorder=1.5)
            ax.plot(cons["year"].to_list(), (cons["amount"] / div).to_list(), color=CONSENSUS_COLOR, linewidth=0,
                    marker="D", markersize=8, zorder=4)
            # Values at the two ends only: in between they would collide with the claims' labels,
            # and the consensus table below lists every year.
            ends = cons if cons.height <= 2 else pl.concat([cons.head(1), cons.tail(1)])
            for r in ends.iter_rows(named=True):
                tag = "consensus" if r["is_consensus"] else f"{r['n_sources']} src"
                ax.annotate(f"{r['amount'] / div:,.4g} ({tag})", (r["year"], r["amount"] / div),
                            textcoords="offset points", xytext=(0, 11), ha="center", fontsize=8.5,
                            fontweight="bold", color=CONSENSUS_COLOR, zorder=6)
        n = max(len(sources), 1)
        step = min(0.12, 0.7 / n)
        for i, source in enumerate(sources):
            mine = claims.filter(pl.col("source") == source).sort("year")
            dx = (i - (n - 1) / 2) * step
            xs = [y + dx for y in mine["year"]]
            ys = [a / div for a in mine["amount"]]
            color = colors.get(source, PALETTE[0])
            ax.plot(xs, ys, color=color, linewidth=1.3, alpha=0.85, zorder=2)
            faces = ["white" if f else color for f in mine["forecast"]]
            pts = ax.scatter(xs, ys, s=46, facecolors=faces, edgecolors=color, linewidths=1.6, zorder=5)
            pts.set_urls([f"#{quote_anchor(ids[0])}" for ids in mine["fact_id"]])
            out = mine.filter(pl.col("outlier"))
            if out.height:
                oxs = [y + dx for y in out["year"]]
                oys = [a / div for a in out["amount"]]
                rings = ax.scatter(oxs, oys, s=260, facecolors="none", edgecolors=CONFLICT_COLOR, linewidths=2,
                                   zorder=6)
                rings.set_urls([f"#{quote_anchor(ids[0])}" for ids in out["fact_id"]])
                for x, y, dev in zip(oxs, oys, out["deviation_pct"], strict=True):
                    ax.annotate(f"{y:,.4g} ({dev:+.0f}%)", (x, y), textcoords="offset points", xytext=(9, -4),
                                fontsize=8, color=CONFLICT_COLOR, fontweight="bold", zorder=7)
        top = max([*(a / div for a in claims["amount"]), *((cons["max_amount"].fill_null(0)) / div), 0.0])
        ax.set_ylim(0, top * 1.2 if top > 0 else 1)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.4g}"))
        ax.set_ylabel(f"Market size ({_mpl(unit)})" if unit else "Market size")
        ax.set_xlabel("Year the size refers to")
        _years_axis(ax, [*claims["year"], *cons["year"]])
        handles = [Line2D([], [], color=colors.get(s, PALETTE[0]), marker="o", linewidth=1.3, markersize=6,
                          label=_mpl(s, 58)) for s in sources]
        if cons.height:
            handles.append(Line2D([], [], color="#c8c8c8", marker="D", linewidth=7, markersize=6,
                                  markerfacecolor=CONSENSUS_COLOR, markeredgecolor=CONSENSUS_COLOR,
                                  label="Consensus across sources"))
            handles.append(Patch(color="#f2c14e", alpha=0.35, label="Range of claims"))
        handles.append(Line2D([], [], color="#555555", marker="o", markerfacecolor="white", linewidth=0,
                              label="Hollow marker: forecast"))
        if claims["outlier"].any():
            handles.append(Line2D([], [], color=CONFLICT_COLOR, marker="o", markerfacecolor="none", markersize=11,
                                  linewidth=0, markeredgewidth=2,
                                  label=f"More than {OUTLIER_RELATIVE:.0%} from consensus"))
        fig.legend(handles=handles, loc="outside lower center", ncol=2, handlelength=2.2, columnspacing=2.0)
        title = f"{data.market}: market size by source ({unit})"
        return _svg(fig, chart_id, title)


_QUALIFIER_MARKERS = {"over": ">", "at_least": ">", "under": "<", "up_to": "<", "approximately": "o",
                      "nearly": "o"}


def share_chart(data: BriefData, rows: pl.DataFrame, colors: dict[str, str], chart_id: str) -> str:
    """Share claims per region and metric: a grey bar to the consensus, one marker per claim
    (▶ 'over', ◀ 'under', ○ 'about', ● exact), conflicting claims ringed in red.

    Each claim gets its own lane inside its region's band, so claims that sit close together
    (the interesting case) never hide each other or their labels.
    """
    groups = rows.select("region", "metric", "year").unique(maintain_order=True).sort(
        "region", "metric", "year", nulls_last=True
    )
    lane = 0.34
    members = [
        rows.filter(pl.col("region").eq_missing(g["region"]) & pl.col("metric").eq_missing(g["metric"])
                    & pl.col("year").eq_missing(g["year"]))
        for g in groups.iter_rows(named=True)
    ]
    heights = [max(1.0, lane * m.height + 0.45) for m in members]
    centers, top = [], sum(heights)
    for h in heights:
        centers.append(top - h / 2)
        top -= h
    labels = [
        _mpl(f"{g['region'] or '?'} · {g['metric'] or 'share'}" + (f" ({g['year']})" if g["year"] else ""), 48)
        for g in groups.iter_rows(named=True)
    ]
    with matplotlib.rc_context(_SVG_RC):
        fig = Figure(figsize=(9.2, 1.7 + 0.4 * sum(heights)), layout="constrained")
        ax = fig.add_subplot()
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#e6e6e6", linewidth=0.8)
        ax.set_axisbelow(True)
        for y, h, mine in zip(centers, heights, members, strict=True):
            cons = mine["consensus_share_pct"].drop_nulls()
            if cons.len():
                ax.barh(y, cons[0], height=h - 0.3, color="#e3e3e3", zorder=1)
                ax.plot([cons[0], cons[0]], [y - h / 2 + 0.12, y + h / 2 - 0.12], color=CONSENSUS_COLOR,
                        linewidth=2, zorder=3)
            n = mine.height
            for k, r in enumerate(mine.iter_rows(named=True)):
                cy = y + ((n - 1) / 2 - k) * lane
                color = colors.get(r["source"], PALETTE[0])
                marker = _QUALIFIER_MARKERS.get(r["qualifier"] or "", "o")
                hollow = r["qualifier"] in ("approximately", "nearly")
                pts = ax.scatter([r["share_pct"]], [cy], marker=marker, s=70, zorder=5, linewidths=1.6,
                                 facecolors="white" if hollow else color, edgecolors=color)
                pts.set_urls([f"#{quote_anchor(r['fact_id'])}"])
                if r["conflict"]:
                    ring = ax.scatter([r["share_pct"]], [cy], s=250, facecolors="none",
                                      edgecolors=CONFLICT_COLOR, linewidths=2, zorder=6)
                    ring.set_urls([f"#{quote_anchor(r['fact_id'])}"])
                ax.annotate(_mpl(share_text(r["share_pct"], r["qualifier"])), (r["share_pct"], cy),
                            textcoords="offset points", xytext=(11, 0), va="center", fontsize=8,
                            color=CONFLICT_COLOR if r["conflict"] else "#333333", zorder=7,
                            fontweight="bold" if r["conflict"] else "normal",
                            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                                  "alpha": 0.85})
        ax.set_yticks(centers, labels)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(0, sum(heights))
        ax.set_xlim(0, 105)
        ax.set_xticks(range(0, 101, 10))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}%"))
        ax.set_xlabel("Share stated (%)")
        sources = sorted(rows["source"].drop_nulls().unique().to_list())
        handles = [Line2D([], [], color=colors.get(s, PALETTE[0]), marker="s", linewidth=0, markersize=7,
                          label=_mpl(s, 58)) for s in sources]
        handles += [
            Line2D([], [], color="#555555", marker=">", linewidth=0, label="over / at least"),
            Line2D([], [], color="#555555", marker="<", linewidth=0, label="under / up to"),
            Line2D([], [], color="#555555", marker="o", markerfacecolor="white", linewidth=0, label="about / nearly"),
            Line2D([], [], color="#555555", marker="o", linewidth=0, label="exact figure"),
            Patch(color="#e3e3e3", label="Consensus share"),
        ]
        if rows["conflict"].any():
            handles.append(Line2D([], [], color=CONFLICT_COLOR, marker="o", markerfacecolor="none", markersize=11,
                                  linewidth=0, markeredgewidth=2, label="Conflicting claim"))
        fig.legend(handles=handles, loc="outside lower center", ncol=3, handlelength=1.6, columnspacing=1.6)
        return _svg(fig, chart_id, f"{data.market}: regional share claims")


# ---------------------------------------------------------------------------------------------
# HTML


CSS = """
:root{--ink:#1b1f24;--muted:#5b6470;--line:#dfe3e8;--bg:#ffffff;--band:#f6f8fa;--warn:#9a6700;
--warnbg:#fff8c5;--err:#b42318;--errbg:#fee4e2;--ok:#1a7f37;--link:#0b5cad}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans",sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 32px 48px}
header{border-bottom:3px solid var(--ink);padding-bottom:12px;margin-bottom:18px}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:12px;color:var(--muted);margin:0}
h1{font-size:30px;line-height:1.2;margin:4px 0 6px;text-transform:capitalize}
h2{font-size:19px;margin:34px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:15px;margin:18px 0 6px}
p.lede,.note{color:var(--muted);margin:4px 0 10px}
nav.toc{font-size:13px;color:var(--muted)}
nav.toc a{margin-right:14px}
a{color:var(--link);text-decoration:none}
a:hover{text-decoration:underline}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:14px 0 6px}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 12px;background:var(--band)}
.card .k{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:17px;white-space:nowrap;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.card .s{font-size:12px;color:var(--muted)}
.card.alert{border-color:#f5b5ae;background:var(--errbg)}
.card.alert .v{color:var(--err)}
figure{margin:10px 0 4px;border:1px solid var(--line);border-radius:6px;padding:8px;background:#fff}
figure svg.chart{display:block;width:100%;height:auto}
figcaption{font-size:12px;color:var(--muted);padding:4px 6px 0}
table{border-collapse:collapse;width:100%;margin:8px 0 4px;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--band);font-weight:600;color:#333;border-bottom:2px solid var(--line);white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.nowrap,td.key{white-space:nowrap}
.src{display:inline-block;max-width:340px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;
vertical-align:bottom}
table.compact{width:auto;min-width:60%}
tr.outlier td{background:#fff1f0}
tr.outlier td:first-child{box-shadow:inset 3px 0 0 var(--err)}
.badge{display:inline-block;font-size:11px;font-weight:600;padding:1px 7px;border-radius:10px;
white-space:nowrap;border:1px solid transparent}
.badge.err{background:var(--errbg);color:var(--err);border-color:#f5b5ae}
.badge.warn{background:var(--warnbg);color:var(--warn);border-color:#eed888}
.badge.ok{background:#dafbe1;color:var(--ok);border-color:#aceebb}
.badge.muted{background:var(--band);color:var(--muted);border-color:var(--line)}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
a.fig{font-weight:650;font-variant-numeric:tabular-nums}
a.ql,.qls{font-size:12px;white-space:nowrap}
.findings{list-style:none;padding:0;margin:8px 0}
.findings>li{border:1px solid var(--line);border-left:4px solid var(--warn);border-radius:4px;padding:8px 12px;
margin:0 0 8px;background:#fffdf2}
.findings>li.error{border-left-color:var(--err);background:#fff6f5}
.findings .msg{font-weight:600;margin:2px 0}
.findings .meta{font-size:12px;color:var(--muted)}
.findings ul{margin:4px 0 2px 18px;padding:0;font-size:13px}
.findings pre{font-size:12px;background:var(--band);padding:6px 8px;border-radius:4px;overflow:auto}
.docs{list-style:none;padding:0;margin:0}
.docs>li{margin:0 0 16px;padding:10px 12px;border:1px solid var(--line);border-radius:6px}
.docs .dt{font-weight:650}
.docs .dm{font-size:12px;color:var(--muted);word-break:break-all}
.quotes{list-style:none;margin:8px 0 0;padding:0}
.quotes li{padding:6px 8px;margin:4px 0;border-radius:4px;background:var(--band);font-size:13px}
.quotes li:target{outline:2px solid var(--link);background:#e8f1fb}
.quotes .kind{display:inline-block;min-width:118px;font-size:11px;text-transform:uppercase;color:var(--muted);
letter-spacing:.04em}
.quotes .reads{display:block;font-size:12px;color:var(--muted);margin-top:2px}
.quotes .reads b{color:var(--ink)}
.quotes .ctx{color:#555}
.quotes mark{background:#ffe58f;color:var(--ink);padding:0 2px;border-radius:2px}
.empty{color:var(--muted);font-style:italic}
footer{margin-top:36px;font-size:12px;color:var(--muted);border-top:1px solid var(--line);padding-top:8px}
@media print{main{max-width:none;padding:0}figure,table,.findings li,.docs>li{break-inside:avoid}}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _page(title: str, body: str) -> str:
    """A complete HTML document around `body`: inline CSS, and a CSP that forbids every fetch."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="{GENERATOR}">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _document_href(path: str | None) -> str | None:
    """Where the original document is: its URL, or a file:// link for an absolute local path."""
    if not path:
        return None
    if re.match(r"^https?://", path, re.I):
        return path
    if path.startswith("/"):
        return "file://" + "/".join(
            re.sub(r"[^A-Za-z0-9._~!$&'()*+,;=:@-]", lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), seg)
            for seg in path.split("/")
        )
    return None


def _source_cell(source: str | None, doc_id: str | None, colors: dict[str, str]) -> str:
    name = esc(source) or "<span class=\"empty\">unknown</span>"
    link = (f'<a class="src" title="{esc(source)}" href="#{doc_anchor(doc_id)}">{name}</a>' if doc_id
            else f'<span class="src">{name}</span>')
    return _swatch(colors.get(source or "")) + link


def _finding_badges(finding_ids: Sequence[str] | None) -> str:
    ids = list(dict.fromkeys(finding_ids or []))
    return " ".join(f'<a class="badge warn" href="#{finding_anchor(f)}">finding</a>' for f in ids)


def _cards(data: BriefData, claims: pl.DataFrame, growth: pl.DataFrame) -> str:
    cards: list[str] = []
    cons = data.consensus.drop_nulls(["year", "amount"]).sort("year")
    summary = summarize(data)
    if cons.height:
        actual_years = set(data.sizes.filter(~pl.col("forecast").fill_null(False))["year"].drop_nulls())
        now = cons.filter(pl.col("year").is_in(sorted(actual_years))) if actual_years else cons.head(1)
        now = now if now.height else cons.head(1)
        r = now.row(-1, named=True)
        cards.append(("Latest size", money(r["amount"], r["currency"]),
                      f"consensus {r['year']} · {plural(r['n_sources'], 'source')}", False))
        last = cons.row(-1, named=True)
        if last["year"] != r["year"]:
            cards.append(("Forecast", money(last["amount"], last["currency"]),
                          f"consensus {last['year']} · {plural(last['n_sources'], 'source')}",
                          False))
    rates = sorted({(g["rate_pct"], g["start_year"], g["end_year"]) for g in growth.iter_rows(named=True)},
                   key=lambda t: (t[1] or 0, t[0]))
    if rates:
        values = sorted({r for r, _, _ in rates})
        shown = f"{values[0]:g}%" if len(values) == 1 else f"{values[0]:g}–{values[-1]:g}%"
        periods = list(dict.fromkeys(_period(s, e) for _, s, e in rates if s or e))
        sub = (periods[0] if len(periods) == 1 else f"{len(periods)} periods") if periods else "period not stated"
        if len(values) > 1:
            sub = f"{len(values)} rates · {sub}"
        cards.append(("Stated CAGR", esc(shown), esc(sub), False))
    implied = headline_implied_cagr(data)
    if implied:
        rate, y0, y1, _cur = implied
        mismatch = any(
            (mine := implied_cagr(data, s, e)) is not None and abs(r - mine[0]) > 0.5 for r, s, e in rates
        )
        cards.append(("Implied CAGR", f"{rate:.1f}%", f"from consensus sizes {y0}–{y1}", mismatch))
    cards.append(("Sources", str(summary["sources"]), plural(summary["documents"], "document"), False))
    n_out = int(claims["outlier"].sum()) if claims.height else 0
    cards.append(("Open findings", str(data.findings.height),
                  f"{plural(n_out, 'size claim')} far from consensus",
                  data.findings.height > 0 or n_out > 0))
    return '<div class="cards">' + "".join(
        f'<div class="card{" alert" if alert else ""}"><div class="k">{esc(k)}</div><div class="v">{v}</div>'
        f'<div class="s">{s}</div></div>'
        for k, v, s, alert in cards
    ) + "</div>"


def _sizes_section(data: BriefData, claims: pl.DataFrame, colors: dict[str, str],
                   finding_facts: dict[str, list[str]]) -> str:
    parts = ['<section id="sizes"><h2>Market size over time</h2>']
    if claims.is_empty():
        parts.append('<p class="empty">No document states a size for this market.</p></section>')
        return "\n".join(parts)
    parts.append(
        '<p class="lede">Each coloured line is one source; the broad grey line with black diamonds is the consensus '
        "across sources (shaded: the range of their claims). Hollow markers are forecasts. "
        f"Claims more than {OUTLIER_RELATIVE:.0%} from the consensus for their year are ringed in red. "
        "Click a marker to read its quote.</p>"
    )
    currencies = (
        claims.group_by("currency").len().sort(["len", "currency"], descending=[True, False], nulls_last=True)
        ["currency"].to_list()
    )
    for i, currency in enumerate(currencies):
        svg = size_chart(data, claims, currency, colors, f"c-size-{i}")
        parts.append(f"<figure>{svg}<figcaption>Market size in {esc(currency or 'unknown currency')}, "
                     f"by year and source.</figcaption></figure>")
    rows = []
    for r in claims.iter_rows(named=True):
        scale = _scale([r["amount"]])
        finding_ids = [f for fid in r["fact_id"] for f in finding_facts.get(fid, [])]
        flags = []
        if r["outlier"]:
            flags.append(f'<span class="badge err">outlier {esc(_pct(r["deviation_pct"], 0))}</span>')
        if r["forecast"]:
            flags.append('<span class="badge muted">forecast</span>')
        flags.append(_finding_badges(finding_ids))
        cons = money(r["consensus"], r["currency"], scale) if r["consensus"] is not None else "–"
        rows.append(
            f'<tr class="{"outlier" if r["outlier"] else ""}">'
            f'<td class="num">{esc(r["year"])}</td>'
            f'<td class="num">{_figure_link(r["fact_id"], esc(money(r["amount"], r["currency"], scale)))}</td>'
            f'<td class="num">{esc(cons)}</td>'
            f'<td class="num">{esc(_pct(r["deviation_pct"]))}</td>'
            f"<td>{_source_cell(r['source'], r['doc_id'], colors)}</td>"
            f"<td>{' '.join(f for f in flags if f)}</td>"
            f'<td class="nowrap">{_quote_links(r["fact_id"])}</td></tr>'
        )
    parts.append(
        '<table class="claims"><thead><tr><th class="num">Year</th><th class="num">Claim</th>'
        '<th class="num">Consensus</th><th class="num">vs consensus</th><th>Source</th><th>Flags</th>'
        "<th>Evidence</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )
    cons_rows = []
    for r in data.consensus.sort("currency", "year", nulls_last=True).iter_rows(named=True):
        scale = _scale([r["amount"], r["max_amount"] or 0])
        spread = "–" if r["relative_spread"] is None else f"{r['relative_spread']:.0%}"
        status = ('<span class="badge ok">consensus</span>' if r["is_consensus"]
                  else '<span class="badge muted">best estimate</span>')
        cons_rows.append(
            f'<tr><td class="num">{esc(r["year"])}</td>'
            f'<td class="num"><b>{esc(money(r["amount"], r["currency"], scale))}</b></td>'
            f'<td class="num">{esc(money(r["min_amount"], r["currency"], scale))} – '
            f'{esc(money(r["max_amount"], r["currency"], scale))}</td>'
            f'<td class="num">{spread}</td>'
            f'<td class="num">{esc(r["n_sources"])}</td><td>{status}</td></tr>'
        )
    if cons_rows:
        parts.append(
            "<h3>Consensus by year</h3>"
            '<p class="note">Weighted toward the sources that agree with the others; "consensus" needs three or '
            "more independent sources, otherwise it is the best estimate.</p>"
            '<table class="compact"><thead><tr><th class="num">Year</th><th class="num">Value</th>'
            '<th class="num">Range of claims</th>'
            '<th class="num">Spread</th><th class="num">Sources</th><th>Status</th></tr></thead><tbody>'
            + "".join(cons_rows) + "</tbody></table>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _growth_section(data: BriefData, growth: pl.DataFrame, colors: dict[str, str],
                    finding_facts: dict[str, list[str]]) -> str:
    parts = ['<section id="growth"><h2>Growth rates</h2>']
    if growth.is_empty():
        parts.append('<p class="empty">No document states a growth rate for this market.</p></section>')
        return "\n".join(parts)
    implied = headline_implied_cagr(data)
    if implied:
        rate, y0, y1, cur = implied
        parts.append(f'<p class="lede">The consensus sizes imply <b>{rate:.1f}%</b> a year from {y0} to {y1} '
                     f"({esc(cur)}); stated rates that differ by more than half a point are flagged.</p>")
    rows = []
    for r in growth.iter_rows(named=True):
        finding_ids = [f for fid in r["fact_id"] for f in finding_facts.get(fid, [])]
        flags = [_finding_badges(finding_ids)]
        mine = implied_cagr(data, r["start_year"], r["end_year"])
        off = mine is not None and abs(r["rate_pct"] - mine[0]) > 0.5
        if off:
            flags.insert(0, f'<span class="badge err">{r["rate_pct"] - mine[0]:+.1f} pt vs implied</span>')
        implied_cell = "–" if mine is None else f"{mine[0]:.1f}% ({mine[1]}–{mine[2]})"
        rate = _rate(r["rate_pct"])
        rows.append(
            f'<tr class="{"outlier" if off or finding_ids else ""}">'
            f'<td class="num">{_figure_link(r["fact_id"], esc(rate))}</td>'
            f'<td class="num">{esc(_period(r["start_year"], r["end_year"]))}</td>'
            f'<td class="num">{esc(implied_cell)}</td>'
            f"<td>{_source_cell(r['source'], r['doc_id'], colors)}</td>"
            f"<td>{' '.join(f for f in flags if f)}</td>"
            f'<td class="nowrap">{_quote_links(r["fact_id"])}</td></tr>'
        )
    parts.append(
        '<table><thead><tr><th class="num">Stated CAGR</th><th class="num">Period</th>'
        '<th class="num">Implied by sizes</th><th>Source</th><th>Flags</th>'
        "<th>Evidence</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>"
    )
    return "\n".join(parts)


def _shares_section(data: BriefData, rows: pl.DataFrame, colors: dict[str, str]) -> str:
    parts = ['<section id="shares"><h2>Regional shares</h2>']
    if rows.is_empty():
        parts.append('<p class="empty">The documents on this market state no regional shares.</p></section>')
        return "\n".join(parts)
    parts.append(
        '<p class="lede">Share claims made in this market\'s documents, with their qualifier ("over 80%" is not '
        "80%). Claims cited by an open finding, or more than "
        f"{SHARE_OUTLIER_PP:g} points from the consensus share, are marked as conflicting.</p>"
    )
    parts.append(f"<figure>{share_chart(data, rows, colors, 'c-share')}<figcaption>Each marker is one claim; the "
                 "grey bar is the consensus share for that region and metric.</figcaption></figure>")
    body = []
    for r in rows.iter_rows(named=True):
        flags = []
        if r["far"]:
            flags.append(f'<span class="badge err">{r["share_pct"] - r["consensus_share_pct"]:+.0f} pt vs '
                         "consensus</span>")
        flags.append(_finding_badges(r["finding_ids"]))
        cons = "–" if r["consensus_share_pct"] is None else f"{r['consensus_share_pct']:g}%"
        body.append(
            f'<tr class="{"outlier" if r["conflict"] else ""}"><td class="key">{esc(r["region"])}</td>'
            f"<td>{esc(r['metric'])}</td><td class=\"num\">{esc(r['year'] if r['year'] is not None else '–')}</td>"
            f'<td class="num">{_figure_link([r["fact_id"]], esc(share_text(r["share_pct"], r["qualifier"])))}</td>'
            f'<td class="num">{esc(cons)}</td>'
            f"<td>{_source_cell(r['source'], r['doc_id'], colors)}</td>"
            f"<td>{' '.join(f for f in flags if f)}</td>"
            f'<td class="nowrap">{_quote_links([r["fact_id"]])}</td></tr>'
        )
    parts.append(
        '<table><thead><tr><th>Region</th><th>Share of</th><th class="num">Year</th><th class="num">Claim</th>'
        '<th class="num">Consensus</th><th>Source</th><th>Flags</th><th>Evidence</th></tr></thead><tbody>'
        + "".join(body) + "</tbody></table></section>"
    )
    return "\n".join(parts)


def _companies_section(data: BriefData, colors: dict[str, str]) -> str:
    rows = company_rows(data)
    parts = ['<section id="companies"><h2>Key companies</h2>']
    if rows.is_empty():
        parts.append('<p class="empty">The documents on this market name no companies.</p></section>')
        return "\n".join(parts)
    parts.append('<p class="lede">Companies named in the player lists of this market\'s documents, '
                 "most widely named first.</p>")
    body = []
    for r in rows.iter_rows(named=True):
        sources = "<br>".join(
            _swatch(colors.get(s or "")) + f'<span class="src" title="{esc(s)}">{esc(s)}</span>' for s in r["sources"]
        )
        body.append(
            f"<tr><td>{_figure_link(r['fact_id'], esc(r['name']), 'co')}</td><td>{esc(r['country'] or '–')}</td>"
            f'<td class="num">{esc(r["documents"])}</td><td>{sources}</td>'
            f'<td class="nowrap">{_quote_links(r["fact_id"], "mention")}</td></tr>'
        )
    parts.append(
        '<table><thead><tr><th>Company</th><th>Country</th><th class="num">Documents</th><th>Named by</th>'
        "<th>Evidence</th></tr></thead><tbody>" + "".join(body) + "</tbody></table></section>"
    )
    return "\n".join(parts)


def _findings_section(data: BriefData) -> str:
    parts = ['<section id="findings"><h2>Open findings</h2>']
    if data.findings.is_empty():
        parts.append('<p class="empty">No open data-quality finding concerns this market or its documents.</p>'
                     "</section>")
        return "\n".join(parts)
    parts.append('<p class="lede">Data-quality findings still open for this market, and for the regions and '
                 "companies of its documents.</p>")
    fact_by_quote: dict[tuple[str, str], str] = {}
    for doc_id, quote, fact_id in data.quotes.select("doc_id", "quote", "fact_id").iter_rows():
        fact_by_quote.setdefault((doc_id, quote), fact_id)
    titles = {r["doc_id"]: r["title"] or r["path"] for r in data.documents.iter_rows(named=True)}
    items = []
    for f in data.findings.iter_rows(named=True):
        sev = "error" if f["severity"] == "error" else "warn"
        docs = ", ".join(
            f'<a href="#{doc_anchor(d)}">{esc(titles.get(d, d))}</a>' for d in f["doc_ids"] or []
        )
        quotes = []
        for q in f["quotes"] or []:
            fact_id = next((fact_by_quote[(d, q)] for d in f["doc_ids"] or [] if (d, q) in fact_by_quote), None)
            text = f"“{esc(q)}”"
            quotes.append(f'<li><a href="#{quote_anchor(fact_id)}">{text}</a></li>' if fact_id else f"<li>{text}</li>")
        evidence = ""
        if f["evidence"]:
            try:
                pretty = json.dumps(json.loads(f["evidence"]), indent=1, ensure_ascii=False)
            except ValueError:
                pretty = f["evidence"]
            evidence = f"<details><summary class=\"meta\">evidence</summary><pre>{esc(pretty)}</pre></details>"
        items.append(
            f'<li id="{finding_anchor(f["finding_id"])}" class="{sev}">'
            f'<span class="badge {"err" if sev == "error" else "warn"}">{esc(f["severity"])}</span> '
            f'<b>{esc(f["rule"])}</b> · {esc(f["subject"])}'
            f'<div class="msg">{esc(f["message"])}</div>'
            f'<div class="meta">in {docs or "–"} · first seen {esc(f["first_seen"] or "–")}</div>'
            + (f"<ul>{''.join(quotes)}</ul>" if quotes else "") + evidence + "</li>"
        )
    parts.append('<ul class="findings">' + "".join(items) + "</ul></section>")
    return "\n".join(parts)


_SECTION_OF_KIND = {"valuation": "sizes", "growth_rate": "growth", "regional_share": "shares",
                    "company": "companies", "capacity": "sizes"}


def _context(before: str | None, quote: str, after: str | None) -> str:
    """The quote highlighted in the document text around it, cut at whole words."""
    before, after = before or "", after or ""
    if len(before) >= CONTEXT_CHARS and re.search(r"\s", before):
        before = "…" + re.split(r"\s", before, maxsplit=1)[1]
    if len(after) >= CONTEXT_CHARS and re.search(r"\s", after):
        after = after[: max(m.start() for m in re.finditer(r"\s", after))] + "…"

    def flat(text: str) -> str:
        return re.sub(r"\s+", " ", text)

    return f'<span class="ctx">{esc(flat(before))}<mark>{esc(flat(quote))}</mark>{esc(flat(after))}</span>'


def _reads_as(data: BriefData) -> dict[str, str]:
    """fact_id -> what the pipeline read from the quote ("USD 544 million, 2024"), as escaped HTML.

    Shown under each quote so a reader can check the extraction, not only find the words.
    """
    out: dict[str, str] = {}
    for r in data.sizes.iter_rows(named=True):
        out[r["fact_id"]] = f"<b>{esc(money(r['amount'], r['currency']))}</b> for {esc(r['year'] or '?')}" + (
            " (forecast)" if r["forecast"] else "")
    for r in data.growth.iter_rows(named=True):
        out[r["fact_id"]] = (f"<b>{esc(_rate(r['rate_pct']))}</b> a year, "
                             f"{esc(_period(r['start_year'], r['end_year']))}")
    for r in data.shares.iter_rows(named=True):
        year = f" ({esc(r['year'])})" if r["year"] else ""
        out[r["fact_id"]] = (f"<b>{esc(r['region'])}: {esc(share_text(r['share_pct'], r['qualifier']))}</b> of "
                             f"{esc(r['metric'] or 'an unstated metric')}{year}")
    for r in data.companies.iter_rows(named=True):
        out[r["fact_id"]] = f"<b>{esc(r['name'])}</b>" + (f" ({esc(r['country'])})" if r["country"] else "")
    return out


def _rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:g}%"


def _sources_section(data: BriefData, colors: dict[str, str]) -> str:
    """Quote list grouped by document: the anchors every figure of the page links to."""
    kinds = (("valuation", data.sizes), ("growth_rate", data.growth), ("regional_share", data.shares),
             ("company", data.companies))
    shown = {f for _, frame in kinds for f in frame["fact_id"].to_list()}
    quotes = data.quotes.unique("fact_id", keep="first", maintain_order=True)
    have = set(quotes["fact_id"])
    # A fact without a lineage row (crafted data, or a view lagging behind) still gets its anchor.
    missing = []
    for kind, frame in kinds:
        for r in frame.iter_rows(named=True):
            if r["fact_id"] not in have:
                have.add(r["fact_id"])
                missing.append({"fact_id": r["fact_id"], "kind": kind, "quote": r["quote"], "doc_id": r["doc_id"]})
    if missing:
        quotes = pl.concat([quotes, conform("quotes", missing)])
    quotes = quotes.filter(pl.col("fact_id").is_in(list(shown)))
    docs = data.documents
    extra = sorted(set(quotes["doc_id"].drop_nulls()) - set(docs["doc_id"]))
    if extra:
        docs = pl.concat([docs, conform("documents", [{"doc_id": d} for d in extra])])
    source_of: dict[str, str] = {}
    for _, frame in kinds:
        for d, src in frame.select("doc_id", "source").iter_rows():
            source_of.setdefault(d, src)
    reads = _reads_as(data)
    items = []
    for d in docs.iter_rows(named=True):
        mine = quotes.filter(pl.col("doc_id") == d["doc_id"]).sort("start", "fact_id", nulls_last=True)
        href = _document_href(d["path"])
        title = esc(d["title"] or d["path"] or d["doc_id"])
        meta = " · ".join(p for p in (
            esc(d["publisher"]) if d["publisher"] else "",
            f"published {esc(d['published'])}" if d["published"] else "",
            (f'<a href="{esc(href)}">{esc(d["path"])}</a>' if href else esc(d["path"])) if d["path"] else "",
        ) if p)
        lis = []
        for q in mine.iter_rows(named=True):
            section = _SECTION_OF_KIND.get(q["kind"] or "", "sizes")
            kind = esc((q["kind"] or "").replace("_", " "))
            lis.append(
                f'<li id="{quote_anchor(q["fact_id"])}"><span class="kind">{kind}</span>'
                f"{_context(q['before'], q['quote'] or '', q['after'])}"
                f'<span class="reads">read as {reads.get(q["fact_id"], "–")} '
                f'<a class="ql" href="#{section}" title="back to the table">↑ back</a></span></li>'
            )
        items.append(
            f'<li id="{doc_anchor(d["doc_id"])}">'
            f'<div class="dt">{_swatch(colors.get(source_of.get(d["doc_id"]) or ""))}{title}</div>'
            f'<div class="dm">{meta}</div>'
            + (f'<ul class="quotes">{"".join(lis)}</ul>' if lis else
               '<p class="note">Cited by a finding; no figure on this page comes from it.</p>')
            + "</li>"
        )
    return ('<section id="sources"><h2>Sources and quotes</h2><p class="lede">Every figure on this page links '
            "here: the exact words it was read from, highlighted in the document's text, and what was read.</p>"
            f'<ul class="docs">{"".join(items)}</ul></section>')


def render_brief(data: BriefData) -> str:
    """The brief of one market as a complete, self-contained HTML page."""
    colors = _source_colors(data.sizes, data.growth, data.shares, data.companies)
    finding_facts = _finding_facts(data)
    claims = size_claims(data)
    growth = growth_claims(data)
    shares = share_rows(data, finding_facts)
    generated = data.generated_at.strftime("%Y-%m-%d %H:%M UTC") if data.generated_at else "–"
    body = [
        "<header>",
        '<p class="kicker">Market brief</p>',
        f"<h1>{esc(data.market)}</h1>",
        '<nav class="toc"><a href="#sizes">Market size</a><a href="#growth">Growth</a>'
        '<a href="#shares">Regional shares</a><a href="#companies">Companies</a>'
        f'<a href="#findings">Open findings ({data.findings.height})</a><a href="#sources">Sources and quotes</a>'
        '<a href="index.html">All markets</a></nav>',
        "</header>",
        _cards(data, claims, growth),
        _sizes_section(data, claims, colors, finding_facts),
        _growth_section(data, growth, colors, finding_facts),
        _shares_section(data, shares, colors),
        _companies_section(data, colors),
        _findings_section(data),
        _sources_section(data, colors),
        f"<footer>Generated by marketintel on {esc(generated)} from the warehouse marts (market_sizes, "
        "growth_rate_claims, share_claims, companies, open_findings, fact_lineage). Figures are as the documents "
        "state them; nothing here is estimated beyond the consensus and the implied CAGR.</footer>",
    ]
    return _page(f"{data.market} — market brief", "\n".join(body))


def render_index(summaries: Sequence[dict[str, object]], files: dict[str, str],
                 generated_at: dt.datetime | None = None) -> str:
    """The page that lists every brief, with each market's headline numbers."""
    rows = []
    for s in summaries:
        market = str(s["market"])
        findings = int(s["open_findings"])  # type: ignore[arg-type]
        badge = (f'<span class="badge warn">{findings}</span>' if findings else '<span class="badge ok">0</span>')
        rows.append(
            f'<tr><td><a href="{esc(files[market])}">{esc(market)}</a></td><td class="num">{esc(s["latest_size"])}</td>'
            f'<td class="num">{esc(s["size_claims"])}</td><td class="num">{esc(s["sources"])}</td>'
            f'<td class="num">{esc(s["outliers"])}</td><td class="num">{badge}</td></tr>'
        )
    generated = f" on {generated_at.strftime('%Y-%m-%d %H:%M UTC')}" if generated_at else ""
    body = (
        '<header><p class="kicker">marketintel</p><h1>Market briefs</h1></header>'
        f'<p class="lede">{plural(len(summaries), "market")}; one page each, with the '
        "sources, the consensus and the open findings.</p>"
        '<table><thead><tr><th>Market</th><th class="num">Latest size (consensus)</th><th class="num">Size claims</th>'
        '<th class="num">Sources</th><th class="num">Outliers</th><th class="num">Open findings</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f"<footer>Generated by marketintel{esc(generated)}.</footer>"
    )
    return _page("Market briefs", body)
