"""`valuation_conflict`: documents that size the same market differently.

Two comparisons, in order of directness:

1. Same year: both documents give the market's size for one year (after normalizing the market
   name and with the same currency). They conflict when the larger is more than TOLERANCE above
   the smaller; the widest such year is reported.
2. Projected: the documents share no year, but one of them states a growth rate whose period
   covers both its own figure and the other document's year; its figure is compounded there.
   Doc A: 31.3 billion in 2025 growing 12.1% -> 35.1 billion in 2026, against doc B's 15.8 billion
   for 2026. Only the shortest projections count: compounding over many years drifts with the
   rate, so a long projection that happens to agree says less than a one-year step that does not.
   A pair of figures at that horizon is reconciled when either one, carried by its own
   document's rate to the other's year (forwards or back), comes within TOLERANCE; the documents
   conflict when some pair is not (A's base year 22% below B's, though A's end point agrees with
   B's), and the forward projection is the one reported.

A publisher revising its own report is reported as a revision ("revised from ... to ..."), a
disagreement between publishers as a conflict; both are `warn`: market sizing is an estimate and
the analyst decides which source to trust. Documents count as one publisher's when the same
report ID ("ID: PMRREP35599") appears in both, when their `publisher` columns agree, when their
source URLs or the publisher site they link to share a host, or when their titles are the same
(at least five words, so "Rare Earth Market" alone does not make two publishers one).
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from quality.cagr import money
from quality.findings import empty_findings, findings_from_rows, fingerprint
from quality.shares import market_key, market_label

RULE = "valuation_conflict"
# Relative: max/min - 1. Publishers round sizes to 3 significant digits and restate base years;
# a tenth apart is beyond that and is the gap analysts treat as "a different number".
TOLERANCE = 0.10

# "ID: PMRREP35599", "Report ID: ABC-12345", "Report Code: SR1123": an upper-case code with digits.
_REPORT_ID = r"\b(?i:report\s*)?(?i:id|code|sku)\s*[:#]\s*([A-Z]{2,}[-_]?[A-Z0-9]*\d{3,}[A-Z0-9]*)\b"
_URL_HOST = r"https?://(?:www\.)?([A-Za-z0-9.-]+\.[A-Za-z]{2,})"
# Hosts that carry many publishers' releases or none: never evidence of a common publisher.
GENERIC_HOSTS = frozenset({
    "globenewswire.com", "prnewswire.com", "businesswire.com", "einpresswire.com", "openpr.com",
    "accesswire.com", "newswire.com", "linkedin.com", "twitter.com", "x.com", "facebook.com",
    "youtube.com", "instagram.com", "medium.com", "hackmd.io", "github.com", "google.com",
    "bit.ly", "marketscreener.com", "yahoo.com", "finance.yahoo.com", "reuters.com", "bloomberg.com",
})
_MIN_TITLE_WORDS = 5
_FAR_FUTURE = dt.date(9999, 12, 31)  # undated documents sort as the newest

_DOC_INFO_SCHEMA = {"doc_id": pl.String, "published": pl.Date, "report_id": pl.String,
                    "host": pl.String, "publisher": pl.String, "title_key": pl.String}


def _fact_key() -> pl.Expr:
    return pl.col("doc_id") + ":" + pl.col("start").cast(pl.String) + "-" + pl.col("end").cast(pl.String)


def document_info(documents: pl.DataFrame | None) -> pl.DataFrame:
    """doc_id, published, and the marks of a publisher: report ID, web host, publisher, title key."""
    if documents is None or documents.is_empty():
        return pl.DataFrame(schema=_DOC_INFO_SCHEMA)
    docs = documents.with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in
         {"title": pl.String, "text": pl.String, "published": pl.Date, "publisher": pl.String,
          "source": pl.String, "path": pl.String}.items() if c not in documents.columns]
    )
    text_hosts = (
        docs.select("doc_id", pl.col("text").str.extract_all(_URL_HOST).alias("url"))
        .explode("url")
        .with_columns(pl.col("url").str.extract(_URL_HOST, 1).str.to_lowercase().alias("host"))
        .filter(pl.col("host").is_not_null() & ~pl.col("host").is_in(list(GENERIC_HOSTS)))
        .group_by("doc_id", "host").agg(pl.len().alias("n"))
        .sort("doc_id", "n", "host", descending=[False, True, False])
        .group_by("doc_id", maintain_order=True).agg(pl.col("host").first().alias("text_host"))
    )
    source_host = pl.coalesce(
        pl.col("source").str.extract(_URL_HOST, 1), pl.col("path").str.extract(_URL_HOST, 1)
    ).str.to_lowercase()
    title_key = (
        pl.col("title").str.to_lowercase().str.replace_all(r"[^a-z ]+", " ").str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    return (
        docs.join(text_hosts, on="doc_id", how="left")
        .select(
            "doc_id",
            pl.col("published").cast(pl.Date),
            pl.coalesce(pl.col("title"), pl.lit("")).add(pl.lit("\n"))
            .add(pl.col("text").fill_null("")).str.extract(_REPORT_ID, 1).alias("report_id"),
            pl.coalesce(
                pl.when(source_host.is_in(list(GENERIC_HOSTS))).then(None).otherwise(source_host),
                pl.col("text_host"),
            ).alias("host"),
            pl.col("publisher").str.to_lowercase().str.strip_chars().replace("", None).alias("publisher"),
            pl.when(title_key.str.count_matches(" ") >= _MIN_TITLE_WORDS - 1).then(title_key)
            .otherwise(None).alias("title_key"),
        )
        .unique("doc_id", keep="first", maintain_order=True)
        .cast(_DOC_INFO_SCHEMA)
    )


def _sizes(valuations: pl.DataFrame) -> pl.DataFrame:
    """One size per document, market (normalized), currency and year: the first one stated."""
    return (
        valuations.filter(pl.col("year").is_not_null() & (pl.col("amount") > 0) & pl.col("market").is_not_null())
        .with_columns(market_key(pl.col("market")).alias("mkey"), market_label(pl.col("market")).alias("label"),
                      _fact_key().alias("key"),
                      pl.col("currency").fill_null("?").alias("currency"))
        .filter(pl.col("mkey").is_not_null())
        .sort("doc_id", "start")
        .unique(["doc_id", "mkey", "currency", "year"], keep="first", maintain_order=True)
        .select("doc_id", "mkey", "label", "currency", "year", "amount", "quote", "key")
    )


def _rates(growth_rates: pl.DataFrame, sizes: pl.DataFrame) -> pl.DataFrame:
    """Each document's stated growth rates per market with the period they cover (`s`..`e`).

    A rate without a start covers from the document's first sized year, one without an end to its
    last. The base year before the period counts as covered (a 2025-2032 CAGR compounds from 2024).
    """
    span = sizes.group_by("doc_id", "mkey").agg(pl.col("year").min().alias("y_min"),
                                                 pl.col("year").max().alias("y_max"))
    return (
        growth_rates.filter(pl.col("rate_pct").is_not_null() & pl.col("market").is_not_null())
        .with_columns(market_key(pl.col("market")).alias("mkey"), _fact_key().alias("rate_key"))
        .sort("doc_id", "start")
        .unique(["doc_id", "mkey", "rate_pct", "start_year", "end_year"], keep="first", maintain_order=True)
        .join(span, on=["doc_id", "mkey"], how="inner")
        .select(
            "doc_id", "mkey", "rate_pct", "rate_key", pl.col("quote").alias("rate_quote"),
            (pl.coalesce("start_year", "y_min") - 1).alias("s"),
            pl.coalesce("end_year", "y_max").alias("e"),
        )
    )


def _same_year(sizes: pl.DataFrame) -> pl.DataFrame:
    return (
        sizes.join(sizes, on=["mkey", "currency", "year"], suffix="_b")
        .filter(pl.col("doc_id") < pl.col("doc_id_b"))
        .select(
            "mkey", "label", "currency", "doc_id", "doc_id_b",
            pl.lit("same_year").alias("kind"),
            pl.col("year").alias("year_a"), pl.col("amount").alias("amount_a"),
            pl.col("year").alias("year_b"), "amount_b",
            pl.col("amount").alias("compared_a"), pl.col("amount_b").alias("compared_b"),
            pl.lit(None, dtype=pl.Float64).alias("rate_pct"),
            pl.lit(None, dtype=pl.String).alias("projected_doc"),
            pl.col("quote").alias("quote_a"), "quote_b",
            pl.lit(None, dtype=pl.String).alias("rate_quote"),
            pl.col("key").alias("key_a"), "key_b", pl.lit(None, dtype=pl.String).alias("rate_key"),
        )
    )


def _projected(sizes: pl.DataFrame, rates: pl.DataFrame) -> pl.DataFrame:
    """Every figure carried by its own document's rate to a year another document sizes."""
    carried = (
        sizes.join(rates, on=["doc_id", "mkey"])
        .filter(pl.col("year").is_between(pl.col("s"), pl.col("e")))
        .join(sizes, on=["mkey", "currency"], suffix="_t")
        .filter((pl.col("doc_id") != pl.col("doc_id_t")) & (pl.col("year") != pl.col("year_t")))
        .filter(pl.col("year_t").is_between(pl.col("s"), pl.col("e")))
        .with_columns(
            (pl.col("amount") * (1 + pl.col("rate_pct") / 100) ** (pl.col("year_t") - pl.col("year")))
            .alias("projected")
        )
    )
    # Orient every comparison as (a, b) with a's doc_id < b's, whichever side was projected.
    forward = pl.col("doc_id") < pl.col("doc_id_t")

    def pick(a: str, b: str) -> pl.Expr:
        return pl.when(forward).then(pl.col(a)).otherwise(pl.col(b))

    return carried.select(
        "mkey", pick("label", "label_t").alias("label"), "currency",
        pick("doc_id", "doc_id_t").alias("doc_id"), pick("doc_id_t", "doc_id").alias("doc_id_b"),
        pl.lit("projected").alias("kind"),
        pick("year", "year_t").alias("year_a"), pick("amount", "amount_t").alias("amount_a"),
        pick("year_t", "year").alias("year_b"), pick("amount_t", "amount").alias("amount_b"),
        # the two numbers actually compared: the projection and the other document's figure
        pl.when(forward).then(pl.col("projected")).otherwise(pl.col("amount_t")).alias("compared_a"),
        pl.when(forward).then(pl.col("amount_t")).otherwise(pl.col("projected")).alias("compared_b"),
        "rate_pct",
        pl.col("doc_id").alias("projected_doc"),
        pick("quote", "quote_t").alias("quote_a"), pick("quote_t", "quote").alias("quote_b"),
        "rate_quote",
        pick("key", "key_t").alias("key_a"), pick("key_t", "key").alias("key_b"), "rate_key",
        pl.col("projected"),
        (pl.col("year_t") < pl.col("year")).alias("backward"),
    )


def valuation_conflicts(valuations: pl.DataFrame, growth_rates: pl.DataFrame | None = None,
                        documents: pl.DataFrame | None = None, tolerance: float = TOLERANCE) -> pl.DataFrame:
    """Findings for pairs of documents whose sizes of one market disagree by more than `tolerance`."""
    if valuations.is_empty():
        return empty_findings()
    sizes = _sizes(valuations)
    if sizes["doc_id"].n_unique() < 2:
        return empty_findings()
    pair = ["mkey", "currency", "doc_id", "doc_id_b"]
    same = _same_year(sizes).with_columns(pl.lit(None, dtype=pl.Float64).alias("projected"))
    gap = (pl.max_horizontal("compared_a", "compared_b") / pl.min_horizontal("compared_a", "compared_b") - 1)
    same = (
        same.with_columns(gap.alias("gap"))
        .sort("gap", "year_a", descending=[True, False])
        .unique(pair, keep="first", maintain_order=True)  # the widest same-year gap of each pair
    )
    chosen = [same]
    if growth_rates is not None and not growth_rates.is_empty():
        rates = _rates(growth_rates, sizes)
        projected = (
            _projected(sizes, rates)
            .join(same.select(pair), on=pair, how="anti")  # a shared year is the better evidence
            .with_columns(gap.alias("gap"), (pl.col("year_b") - pl.col("year_a")).abs().alias("horizon"))
        )
        shortest = projected.filter(pl.col("horizon") == pl.col("horizon").min().over(pair))
        # a pair of figures is reconciled when either one, carried by its own document's rate to the
        # other's year, comes within tolerance
        figures = [*pair, "key_a", "key_b"]
        agreeing = shortest.filter(pl.col("gap") <= tolerance).select(figures).unique()
        projected = (
            shortest.join(agreeing, on=figures, how="anti")
            .sort("backward", "gap", "year_a", "projected_doc")
            .unique(pair, keep="first", maintain_order=True)  # forward in time where possible
            .drop("horizon")
        )
        chosen.append(projected.select(same.columns))
    found = pl.concat(chosen).filter(pl.col("gap") > tolerance).sort(pair)
    if found.is_empty():
        return empty_findings()
    info = {r["doc_id"]: r for r in document_info(documents).iter_rows(named=True)}
    rows = [_finding(r, info) for r in found.iter_rows(named=True)]
    return findings_from_rows(rows)


def _same_publisher(a: dict, b: dict) -> tuple[str, str] | None:
    """(mark, value) that shows two documents come from one publisher, or None."""
    for mark in ("report_id", "publisher", "host", "title_key"):
        if a.get(mark) and a.get(mark) == b.get(mark):
            return mark, a[mark]
    return None


def _finding(r: dict, info: dict[str, dict]) -> dict:
    da, db = info.get(r["doc_id"], {}), info.get(r["doc_id_b"], {})
    older_first = (da.get("published") or _FAR_FUTURE, r["year_a"]) <= (db.get("published") or _FAR_FUTURE,
                                                                          r["year_b"])
    cur = r["currency"]
    side_a = {"doc_id": r["doc_id"], "year": r["year_a"], "amount": r["amount_a"], "quote": r["quote_a"],
              "compared": r["compared_a"]}
    side_b = {"doc_id": r["doc_id_b"], "year": r["year_b"], "amount": r["amount_b"], "quote": r["quote_b"],
              "compared": r["compared_b"]}
    if r["kind"] == "projected":
        proj_is_a = r["projected_doc"] == r["doc_id"]
        src, dst = (side_a, side_b) if proj_is_a else (side_b, side_a)
        src["text"] = (f"{money(src['amount'], cur)} ({src['year']}; at its own {r['rate_pct']:g}%/yr that is "
                       f"{money(r['projected'], cur)} in {dst['year']})")
        dst["text"] = f"{money(dst['amount'], cur)} ({dst['year']})"
    else:
        for side in (side_a, side_b):
            side["text"] = f"{money(side['amount'], cur)} for {side['year']}"
    old, new = (side_a, side_b) if older_first else (side_b, side_a)
    publisher = _same_publisher(da, db)
    change = new["compared"] / old["compared"] - 1
    apart = f"{change * 100:+.0f}%"
    if publisher is not None:
        kind = "revision"
        message = (f"{r['label']}: the same publisher ({publisher[0].replace('_', ' ')} {publisher[1]}) revised "
                   f"its figure from {old['text']} to {new['text']} ({apart})")
    else:
        kind = "conflict"
        message = (f"{r['label']}: two publishers disagree on the market's size: {old['text']} in one, "
                   f"{new['text']} in the other ({apart})")
    evidence = {
        "kind": kind, "comparison": r["kind"], "market": r["mkey"], "currency": cur,
        "gap_pct": round(r["gap"] * 100, 2), "change_pct": round(change * 100, 2),
        "tolerance_pct": TOLERANCE * 100, "same_publisher": list(publisher) if publisher else None,
        "older": {k: v for k, v in old.items() if k in ("doc_id", "year", "amount")},
        "newer": {k: v for k, v in new.items() if k in ("doc_id", "year", "amount")},
    }
    if r["kind"] == "projected":
        evidence["projection"] = {"doc_id": r["projected_doc"], "rate_pct": r["rate_pct"],
                                  "projected_amount": round(r["projected"], 2)}
    keys = [r["key_a"], r["key_b"]] + ([r["rate_key"]] if r["rate_key"] else [])
    quotes = [old["quote"], new["quote"]] + ([r["rate_quote"]] if r["rate_quote"] else [])
    return {
        "finding_id": fingerprint(RULE, r["mkey"], *sorted(keys)),
        "rule": RULE, "severity": "warn", "subject": r["label"], "message": message,
        "doc_ids": [old["doc_id"], new["doc_id"]], "quotes": quotes, "evidence": json.dumps(evidence, default=str),
    }


def run_valuation_conflict(facts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return valuation_conflicts(facts["valuation"], facts.get("growth_rate"), facts.get("documents"))
