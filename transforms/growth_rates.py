"""Compound annual growth rates of a market: "a CAGR of 8.75% from 2024 to 2032", "a 7.4% CAGR".

One pattern finds every stated CAGR with its period where one is written next to it: "CAGR of 12.1%
during the forecast period 2025 - 2032", "6.2% CAGR during 2025-2032", "8.2% CAGR through 2032"
(end year only), and table rows, flattened or split over two lines ("Projected Growth (CAGR 2025 to
2032) | 12.1%", "Historical Market Growth (2020-2025) |" then "8.4%").

A CAGR counts only when it is about a market: the last subject word before it must not be
something else that grows (sales, production, demand, capacity, prices... as in "EV sales ...
establishing a 29% CAGR trajectory"), and a market must be named (in the sentence, the title or
the opening paragraphs) unless the rate sits in a table row. Year-on-year changes and "increase by
400%" are not CAGRs and never match.
A declining market ("declining at a CAGR of 3%") gets a negative rate.
"""

from __future__ import annotations

import polars as pl

from transforms.markets import YEAR, ascii_bounds, context, last_word_of, parse_year, resolve_markets, scan

COLUMNS = ("doc_id", "passage_id", "start", "end", "quote", "market", "rate_pct", "start_year", "end_year")

_RATE = r"(?:[-−–]\s?)?\d{1,3}(?:\.\d+)?"
_PCT = r"\s?(?:%|percent\b|per\s?cent\b)"
_CAGR = r"(?:CAGR|compound(?:ed)?\s+annual\s+(?:growth\s+)?rate(?:\s*\(CAGR\))?)"
_TO = r"\s*(?:-|–|—|to|and|through|till|until)\s*"
_FILLER = (
    r"(?:(?:of|at|was|is|will|be|been|expected|projected|estimated|forecast(?:ed)?|anticipated|likely|to|"
    r"about|around|approximately|nearly|over|roughly|almost|close|an?|stood|reach|register(?:ing)?|"
    r"exhibit(?:ing)?|witness(?:ing)?)\s+)*"
)

PATTERN = (
    r"(?i)(?:"
    # "CAGR of 8.75%", "CAGR (2026-2033) | 9.8%", "compound annual growth rate (CAGR) of 8.75%"
    rf"{_CAGR}(?:\s*\(?\s*(?:for\s+|from\s+|over\s+)?(?P<label_from>{YEAR}){_TO}(?P<label_to>{YEAR})\s*\)?)?"
    rf"\s*[:|]?\s*{_FILLER}(?P<rate_after>{_RATE}){_PCT}"
    # "7.4% CAGR"
    rf"|(?P<rate_before>{_RATE}){_PCT}\s*(?:{_CAGR}|compound(?:ed)?\s+annual\s+growth)"
    # "Historical Market Growth (2020-2025) | 8.4%"
    rf"|market\s+growth(?:\s+rate)?\s*\(?\s*(?P<row_from>{YEAR}){_TO}(?P<row_to>{YEAR})\s*\)?\s*[|:]\s*"
    rf"(?P<rate_row>{_RATE}){_PCT}"
    r")"
    # the period written after the rate
    r"(?:\s*,?\s*(?:from|during|between|over|for|in|through|across)?\s*(?:the\s+)?(?:forecast(?:ed)?\s+)?"
    rf"(?:period|years?|timeframe|window)?\s*(?:of\s+|from\s+)?\(?\s*(?P<from>{YEAR}){_TO}(?P<to>{YEAR})\s*\)?"
    rf"|\s+(?:through|until|till|to|by|up\s+to)\s+(?P<until>{YEAR}))?"
)
_PREFILTER = r"(?i)cagr|compound(?:ed)? annual|market growth"
_LABEL_FILTER = r"(?i)growth|cagr"

_POSITIVE = ("market", "markets", "segment", "segments", "industry")
# The last of these before a rate says what grows; only the first three make it a market's rate.
_CUES = (
    "markets?|segments?|industry|sales|sale|production|output|demand|consumption|usage|shipments?|"
    "deliveries|orders|registrations|installations?|capacity|capacities|exports?|imports?|prices?|"
    "costs?|volumes?|units|deployments?|adoption|penetration|investments?|spending|budgets?|funding|"
    "population|gdp|economy|users|subscribers|fleets?|emissions|supply|generation|reserves|resources|"
    "employment|jobs|wages|patents|traffic|stock|shares|earnings|profits?|dividends?"
)
_DECLINE = (
    r"(?i)\b(?:declin|decreas|contract|shrink|fall|drop|negative|degrow)\w*\s+(?:(?:at|by|with|of)\s+)?"
    r"(?:(?:an?|the)\s+)?(?:(?:rate|cagr)\s+of\s+)?$"
)


# word boundaries as ASCII (see markets.ascii_bounds)
PATTERN = ascii_bounds(PATTERN)
_DECLINE = ascii_bounds(_DECLINE)


def empty() -> pl.DataFrame:
    from transforms.facts import FACT_SCHEMAS

    return pl.DataFrame(schema={c: FACT_SCHEMAS["growth_rate"][c] for c in COLUMNS})


def extract(passages: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """Growth-rate facts of every document: market, rate in percent per year, period where stated."""
    found = scan(passages, documents, _PREFILTER, _LABEL_FILTER, PATTERN)
    if found.is_empty():
        return empty()
    raw = pl.coalesce("rate_after", "rate_before", "rate_row").str.replace_all(r"\s", "")
    cue = last_word_of(context(), _CUES)
    rows = (
        found.with_columns(
            raw.str.replace(r"^[-−–]", "").cast(pl.Float64, strict=False).alias("rate_pct"),
            (raw.str.contains(r"^[-−–]") | pl.col("prefix").str.contains(_DECLINE)).alias("_negative"),
            parse_year(pl.coalesce("label_from", "row_from", "from")).alias("start_year"),
            parse_year(pl.coalesce("label_to", "row_to", "to", "until")).alias("end_year"),
            cue.alias("_cue"),
        )
        .filter(pl.col("_cue").is_null() | pl.col("_cue").is_in(_POSITIVE))
        .with_columns(
            pl.when(pl.col("_negative")).then(-pl.col("rate_pct")).otherwise(pl.col("rate_pct")).alias("rate_pct"),
            # a period that runs backwards is not a period
            pl.when(pl.col("start_year") < pl.col("end_year")).then(pl.col("start_year")).alias("start_year"),
        )
    )
    if rows.is_empty():
        return empty()
    # about a market: the sentence says so, one is named (title, opening) or the rate is a table row's
    return (
        resolve_markets(rows, documents)
        .filter(
            pl.col("_cue").is_not_null() | pl.col("market").is_not_null() | pl.col("quote").str.contains(r"[|:]")
        )
        .sort("doc_id", "start")
        .select(COLUMNS)
    )
