"""Market sizes: "valued at USD 544 million in 2024", "Market Size (2025E) | US$ 31.3 Bn".

A money amount is a valuation only when it is tied to a year and the words before it are about a
market's size. One pattern finds every money amount with the year written next to it (after it:
"in 2024", "by 2032", "(2025E)"; or before it in table labels: "Market Size in 2023 USD 7.66
Billion", "in 2024 was $170 million"). The acceptance rules then read the context:

- the last cue word before the amount decides what it measures: market, size, value, valued,
  valuation, worth... make it a valuation; investment, budget, cost, price, funding, profit...
  make it something else ("an investment of more than US$ 2 billion in 2024");
- with no cue at all, a growth verb right before the amount still marks a market size
  ("analysts expect it to reach USD 878 million by 2032");
- an explicit valuation ("were valued at $260 million") whose sentence has no year takes the
  year stated just before it in the same paragraph;
- a bare amount ("valued at 32.86 billion in 2024") needs such a verb and takes its currency from
  the same passage, else from the document's other amounts, else USD;
- prices ("US$ 90/kg"), ranges ("$150-$300 million") and amounts followed by "investment" etc.
  are never valuations.

Import and production values stated as values ("the value of X imported in 2024 was $170
million") pass these rules on purpose: they are valuations of a flow, labelled as such in USGS
statistics, and the words say "value".
"""

from __future__ import annotations

import polars as pl

from transforms.markets import (
    YEAR_DIGITS,
    ascii_bounds,
    context,
    last_word_of,
    parse_year,
    resolve_markets,
    scan,
    year_before,
)

COLUMNS = ("doc_id", "passage_id", "start", "end", "quote", "market", "amount", "currency", "year", "forecast")

_CURRENCY = r"US\s?\$|U\.S\.\s?\$|USD|AU?\$|AUD|CA?\$|CAD|NZ\$|HK\$|S\$|EUR|€|GBP|£|JPY|¥|CNY|RMB|INR|₹|\$"
# currency named anywhere in a passage (letter codes as whole words: "EUR" is not "Europe")
_CURRENCY_IN_TEXT = (
    r"(?i)(US\s?\$|U\.S\.\s?\$|AU?\$|CA?\$|NZ\$|HK\$|S\$|€|£|¥|₹|\$|"
    r"\b(?:USD|AUD|CAD|EUR|GBP|JPY|CNY|RMB|INR)\b)"
)
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"trillion|billion|million|thousand|tn|bn|mn|mln|b|m|k"
_SCALE_WORD = r"trillion|billion|million|bn"
_QUALIFIER = (
    r"(?:(?:about|approximately|around|nearly|roughly|almost|an\s+estimated|estimated|over|more\s+than|some)\s+)"
)

PATTERN = (
    r"(?i)"
    # a year written before the amount: table labels and "in 2024 was $170 million"
    rf"(?:(?:\b(?:in|by|for|during)\s+|\()(?P<lead_year>{YEAR_DIGITS})(?P<lead_mark>[EF])?\b\)?\s*"
    rf"(?:[|:,]\s*)?(?:(?:was|were|is|stood\s+at|amounted\s+to|totall?ed|reached|at)\s+)?{_QUALIFIER}?)?"
    # the amount: currency and number (scale optional), or number and scale word
    rf"(?:(?P<cur>{_CURRENCY})\s?(?P<num>{_NUMBER})(?:\s{{0,2}}(?P<scale>{_SCALE})\b)?"
    rf"|(?P<bare_num>{_NUMBER})\s{{0,2}}(?P<bare_scale>{_SCALE_WORD})\b)"
    r"(?:\s?(?P<cur_after>USD|EUR|GBP|US\s+dollars|dollars|euros)\b)?"
    # a year written after it
    r"(?:,?\s+(?:in\s+(?:revenues?|value|sales|size)\s+)?(?P<prep>in|by|for|through|until|till|during|as\s+of)\s+"
    rf"(?:the\s+(?:year|end\s+of)\s+)?(?P<trail_year>{YEAR_DIGITS})(?P<trail_mark>[EF])?\b"
    rf"|\s*\((?P<paren_year>{YEAR_DIGITS})(?P<paren_mark>[EF])?\))?"
)
_PREFILTER = r"(?i)[$€£¥₹]|\b(?:usd|eur|gbp|billion|million|trillion|\d+(?:\.\d+)?\s?(?:bn|mn))\b"
_LABEL_FILTER = r"(?i)market|size|valu|revenue"

# The last of these words before an amount says what the amount measures; only _POSITIVE ones
# make it a market size. Company financials, trade and output figures, money spent or raised,
# and prices are other things ("an investment of more than US$ 2 billion in 2024").
_POSITIVE = ("market", "markets", "segment", "segments", "industry", "valued", "valuation", "value", "worth",
             "size", "sized")
_CUES = (
    "market\\s+cap\\w*|market\\s+shares?|markets?|segments?|industry|valued|valuation|value|worth|size|sized|"
    "investments?|invest|invested|investing|budgets?|funding|funds?|funded|costs?|costing|prices?|priced|"
    "capex|capital|spending|spend|spent|allocat\\w*|grants?|loans?|financing|subsid\\w*|tax\\w*|aid|"
    "bailout|stimulus|raised|raises|committed|acquisitions?|acquired|deals?|contracts?|orders?|tariffs?|"
    "fines?|debt|bonds?|capitali[sz]ation|salary|salaries|wages?|"
    "company|company's|companies|firm|firm's|quarter|quarterly|fiscal|reported|posted|earned|profits?|"
    "earnings|income|ebitda|imports|exports|production|output"
)
_REACH = (
    rf"(?i)\b(?:reach(?:es|ing)?|(?:grow|rise|expand|climb|increase|surge|jump)(?:s|ing)?\s+to|hit|cross|"
    rf"surpass(?:es|ing)?|exceed(?:s|ing)?)\s+(?:a\s+valuation\s+of\s+)?{_QUALIFIER}?$"
)
_STRONG = (
    rf"(?i)\b(?:valued\s+at|valuation\s+of|worth|value\s+at|valued|estimated\s+at|size\s+of|stood\s+at|"
    rf"market\s+at|revenues?\s+of)\s+{_QUALIFIER}?$"
)
_NOT_AFTER = (
    r"(?i)^\s*(?:/|per\b|(?:in\s+)?(?:new\s+)?(?:investments?|budgets?|funding|funds?|grants?|loans?|deals?|"
    r"contracts?|orders?|projects?|programs?|programmes?|facilit(?:y|ies)|plants?|acquisitions?|stakes?|"
    r"subsid(?:y|ies)|capex|bonds?|financing)\b|(?:was|were|has\s+been|have\s+been|is|are|will\s+be)?\s*"
    r"(?:invested|allocated|spent|raised|committed|earmarked|awarded|granted|budgeted|loaned|pledged)\b)"
)
_FUTURE = r"(?i)\b(?:projected|expected|forecast\w*|anticipated|likely|poised|set\s+to|will|could|should|would)\b"

_CODES = {
    "$": "USD", "US$": "USD", "U.S.$": "USD", "USD": "USD", "USDOLLARS": "USD", "DOLLARS": "USD",
    "A$": "AUD", "AU$": "AUD", "AUD": "AUD", "C$": "CAD", "CA$": "CAD", "CAD": "CAD", "NZ$": "NZD",
    "HK$": "HKD", "S$": "SGD", "EUR": "EUR", "€": "EUR", "EUROS": "EUR", "GBP": "GBP", "£": "GBP",
    "JPY": "JPY", "¥": "JPY", "CNY": "CNY", "RMB": "CNY", "INR": "INR", "₹": "INR",
}
_SCALES = {
    "trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9, "million": 1e6, "mn": 1e6,
    "mln": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3,
}
# An amount written without a scale word ("$544,000,000") must be this large to be a market size.
_MIN_UNSCALED = 1e5


# word boundaries as ASCII (see markets.ascii_bounds)
PATTERN = ascii_bounds(PATTERN)
_PREFILTER = ascii_bounds(_PREFILTER)
_REACH = ascii_bounds(_REACH)
_STRONG = ascii_bounds(_STRONG)
_NOT_AFTER = ascii_bounds(_NOT_AFTER)
_FUTURE = ascii_bounds(_FUTURE)
_CURRENCY_IN_TEXT = ascii_bounds(_CURRENCY_IN_TEXT)


def _code(expr: pl.Expr) -> pl.Expr:
    key = expr.str.to_uppercase().str.replace_all(r"\s", "")
    return key.replace_strict(_CODES, default=None, return_dtype=pl.String)


def empty() -> pl.DataFrame:
    from transforms.facts import FACT_SCHEMAS

    return pl.DataFrame(schema={c: FACT_SCHEMAS["valuation"][c] for c in COLUMNS})


def extract(passages: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """Valuation facts of every document: market, amount in currency units, ISO currency, year, forecast."""
    found = scan(passages, documents, _PREFILTER, _LABEL_FILTER, PATTERN)
    if found.is_empty():
        return empty()
    cue = last_word_of(context(), _CUES)
    bare = pl.col("bare_num").is_not_null()
    marks = pl.coalesce("trail_mark", "paren_mark", "lead_mark").str.to_uppercase()
    rows = (
        found.with_columns(
            (
                pl.coalesce("num", "bare_num").str.replace_all(",", "").cast(pl.Float64, strict=False)
                * pl.coalesce("scale", "bare_scale").str.to_lowercase().replace_strict(
                    _SCALES, default=1.0, return_dtype=pl.Float64
                )
            ).alias("amount"),
            pl.coalesce(_code(pl.col("cur")), _code(pl.col("cur_after"))).alias("currency"),
            parse_year(pl.coalesce("trail_year", "paren_year", "lead_year")).alias("year"),
            cue.alias("cue"),
            pl.col("prefix").str.contains(_REACH).alias("reach"),
            pl.col("prefix").str.contains(_STRONG).alias("strong"),
            marks.alias("mark"),
        )
        .filter(
            ~pl.col("suffix").str.contains(_NOT_AFTER)
            & ~pl.col("prefix").str.contains(r"[-–]\s*[$€£]?\s*$")
            & (pl.coalesce("scale", "bare_scale").is_not_null() | (pl.col("amount") >= _MIN_UNSCALED))
            & (~bare | pl.col("strong") | pl.col("reach"))
            & (pl.col("year").is_not_null() | pl.col("strong"))
            & ~(pl.col("cue").is_not_null() & ~pl.col("cue").is_in(_POSITIVE))
            & (pl.col("cue").is_in(_POSITIVE).fill_null(False) | pl.col("reach") | pl.col("strong"))
        )
    )
    if rows.is_empty():
        return empty()
    # explicit valuations without a year of their own: the year stated just before, same paragraph
    undated = rows.filter(pl.col("year").is_null())
    rows = pl.concat(
        [rows.filter(pl.col("year").is_not_null()), undated.with_columns(year_before(undated, documents).alias("year"))]
    ).filter(pl.col("year").is_not_null())
    # bare amounts: the currency named in the same passage, else the document's, else USD
    doc_currency = (
        rows.filter(pl.col("currency").is_not_null())
        .group_by("doc_id")
        .agg(pl.col("currency").mode().sort().first().alias("_doc_currency"))
    )
    # (the passage is only read for the amounts that name no currency, once per passage)
    bare_passages = rows.filter(pl.col("currency").is_null()).select(pl.col("passage").unique())
    text_currency = bare_passages.with_columns(
        _code(pl.col("passage").str.extract(_CURRENCY_IN_TEXT, 1)).alias("_text_currency")
    )
    rows = (
        rows.join(doc_currency, on="doc_id", how="left")
        .join(text_currency, on="passage", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("currency", "_text_currency", "_doc_currency", pl.lit("USD")).alias("currency"),
        )
    )
    rows = resolve_markets(rows, documents)
    # forecast: an E/F marker ("2025E"), else after the base year, else worded as a projection
    forecast = (
        pl.when(pl.col("mark").is_not_null())
        .then(True)
        .when(pl.col("base_year").is_not_null())
        .then(pl.col("year") > pl.col("base_year"))
        .otherwise(
            (pl.col("prep").str.to_lowercase() == "by").fill_null(False) | pl.col("prefix").str.contains(_FUTURE)
        )
    )
    return rows.with_columns(forecast.alias("forecast")).sort("doc_id", "start").select(COLUMNS)

