"""What valuations and growth rates share: market names, document context and candidate scanning.

Both kinds are a figure (money or a percentage) whose meaning comes from the words around it: the
market named before it, the year tied to it, a base year stated elsewhere in the document. This
module finds the candidates once per kind, as whole frames, and hands each extractor its
candidates with that context already attached, so the extractors only hold their own patterns and
acceptance rules.
"""

from __future__ import annotations

import polars as pl

from transforms.matching import digit_mask, per_frame, regex_matches, with_distinct
from transforms.regions import DEMONYMS, region_table


def ascii_bounds(pattern: str) -> str:
    """`pattern` with ASCII word boundaries: the same answers around our ASCII keywords, and the
    regex engine keeps its fast DFA on non-ASCII text (a Unicode \\b makes it fall back)."""
    return pattern.replace(r"\b", r"(?-u:\b)")


# A four-digit year. PDF text extraction sometimes splits one ("20 23"); `parse_year` undoes that.
# YEAR_DIGITS may be followed by an estimate/forecast marker ("2025E", "2032F"); YEAR may not.
YEAR_DIGITS = r"(?:19[5-9]\d|20 ?[0-9]\d)"
YEAR = YEAR_DIGITS + r"(?-u:\b)"

# Words that cannot be part of a market's name: articles, prepositions, verbs, report boilerplate
# ("Report Attributes Details Market Size ..."), scale words and "global". A name captured before
# "market" is cut after the last of them ("growth in the rare earth refining services market" ->
# "rare earth refining services"); one captured after "market for" is cut at the first.
_NAME_STOPWORDS = (
    "the|a|an|in|of|for|on|to|at|by|from|with|within|into|across|as|is|are|was|were|be|been|will|"
    "has|have|had|stood|reached|reach|valued|grew|grow|grows|expected|projected|estimated|forecast|"
    "this|that|these|those|its|their|our|his|her|global|worldwide|overall|total|entire|whole|world|"
    "addressable|serviceable|obtainable|"
    "world's|report|reports|attributes|attribute|details|insights|key|scope|summary|overview|"
    "billion|million|trillion|bn|mn|historical|current|size|value|growth|usd|eur|us|"
    "while|where|which|whose|when|than|both|each|said|new|during|over|through|between"
)
# ASCII classes and boundaries keep the regex engine on its fast path over long texts.
_WORD = r"[A-Za-z][A-Za-z0-9_&'’/\-]*(?:\.[A-Za-z][A-Za-z0-9_&'’/\-]*)*"
# Up to eight words, then "market" or "segment", or "market for" and up to six words. Matched with
# extract_all and the last hit taken, so the name is the market mentioned nearest before the figure.
_SUBJECT = rf"(?i)(?:{_WORD}[ \t]+){{0,8}}(?:markets?(?-u:\b)(?:[ \t]+for(?:[ \t]+{_WORD}){{1,6}})?|segments?(?-u:\b))"
_BEFORE = r"(?i)^(.*?)\s*(?-u:\b)(?:markets?|segments?)(?-u:\b)"
_AFTER_FOR = r"(?i)(?-u:\b)markets?\s+for\s+(.*)$"
_CUT_BEFORE = rf"(?i)^(?:.*(?-u:\b)(?:{_NAME_STOPWORDS})(?:\s+|$))?"
_CUT_AFTER = rf"(?i)\s*(?-u:\b)(?:{_NAME_STOPWORDS})(?-u:\b).*$"
_BASE_YEAR = rf"(?i)(?-u:\b)base[\s-]+year\s*[:|]?\s*({YEAR})"
# "Forecast 2025-2032", "Outlook 2024 to 2030", "forecast period (2024-2029)": the first forecast
# year follows the base year.
_FORECAST_PERIOD = rf"(?i)(?:forecast|outlook|projection)\w*(?:\s+period)?\W{{0,3}}({YEAR})\s*(?:-|–|to)\s*{YEAR}"
# A "market" named only by a place ("the European market was worth ...") is the document's market
# in that place, not a market of its own.
_PLACE_NAMES = sorted({*DEMONYMS, *(r.lower() for r in region_table()["region"]), "us", "u s", "regional",
                       "domestic", "local", "overall", "total", "entire"})
# How much of a document's opening is read for the market it is about, when its title names none.
_LEDE_CHARS = 2000

# A passage that continues on the next line (PDF line breaks, wrapped text) lacks terminal
# punctuation; its words are context for the next passage.
_TERMINALS = [".", "!", "?", ":", ";", "|"]
# Lines read together: a table row split over two lines (a short label line, then a short line
# that starts with a figure: "Market Size (2026E) |" then "US$ 15.8 billion |"), and a figure
# wrapped across lines ("will reach USD 720" then "million by 2032").
_MAX_LABEL_CHARS = 90
_MAX_VALUE_CHARS = 40
_VALUE_START = r"^(?:[-−+]?\d|US|USD|EUR|GBP|[$€£¥])"
_WRAPPED_START = r"(?i)^(?:%|(?:trillion|billion|million|bn|mn|percent|cagr)(?-u:\b))"


def parse_year(expr: pl.Expr) -> pl.Expr:
    """A captured `YEAR` as Int32 ("20 23" -> 2023)."""
    return expr.str.replace_all(" ", "", literal=True).cast(pl.Int32, strict=False)


def _tidy(expr: pl.Expr) -> pl.Expr:
    return (
        expr.str.to_lowercase()
        .str.replace_all(r"(?:^|\s)size\b", " ")
        .str.replace_all(r"(\w)-(\w)", "${1} ${2}")
        .str.replace_all(r"[^\w&/' ]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .replace("", None)
    )


def phrase_name(phrase: pl.Expr) -> pl.Expr:
    """Normalized market name of a phrase ending in "market"/"segment" or "market for ...".

    Lower-case, without articles, "global", "market", "size" or report boilerplate.
    """
    before = _tidy(phrase.str.extract(_BEFORE, 1).str.replace(_CUT_BEFORE, ""))
    after = _tidy(phrase.str.extract(_AFTER_FOR, 1).str.replace(_CUT_AFTER, ""))
    return pl.coalesce(before, after)


def subject_phrase(text: pl.Expr) -> pl.Expr:
    """The last market/segment phrase in `text` (the words before a figure), or null."""
    return text.str.extract_all(_SUBJECT).list.last()


def market_name(text: str) -> str | None:
    """The market a piece of text names last ("The global Rare Earth Magnets market size" -> "rare earth magnets")."""
    return pl.select(phrase_name(subject_phrase(pl.lit(text, dtype=pl.String))))[0, 0]


def _first_named(frame: pl.DataFrame, text: pl.Expr) -> pl.DataFrame:
    """doc_id and the first market `text` names, for the rows of `frame` whose text names one."""
    return (
        frame.select("doc_id", text.str.extract_all(_SUBJECT).alias("_phrase"))
        .explode("_phrase")
        .with_columns(phrase_name(pl.col("_phrase")).alias("doc_market"))
        .drop_nulls("doc_market")
        .group_by("doc_id", maintain_order=True)
        .agg(pl.col("doc_market").first())
    )


def document_market(title: str | None) -> str | None:
    """The market a document is about, from its title; None when the title names no market."""
    named = _first_named(pl.DataFrame({"doc_id": [""], "t": [title]}, schema={"doc_id": pl.String, "t": pl.String}),
                         pl.col("t"))
    return named["doc_market"][0] if named.height else None


def document_context(documents: pl.DataFrame) -> pl.DataFrame:
    """Per document: the market it is about (doc_market) and its base year.

    doc_market: the title's market, else the first one named in the opening paragraphs. base_year:
    as stated ("Base Year 2023"), else the year before publication (reports size the last full year).
    """
    titles = _first_named(documents, pl.col("title"))
    ledes = _first_named(documents.join(titles, on="doc_id", how="anti"), pl.col("text").str.slice(0, _LEDE_CHARS))
    base_year = pl.coalesce(
        parse_year(pl.col("text").str.extract(_BASE_YEAR, 1)),
        (pl.col("published").dt.year() - 1).cast(pl.Int32),
        parse_year(pl.col("title").str.extract(_FORECAST_PERIOD, 1)) - 1,
        parse_year(pl.col("text").str.slice(0, _LEDE_CHARS).str.extract(_FORECAST_PERIOD, 1)) - 1,
    )
    return documents.select("doc_id", base_year.alias("base_year")).join(
        pl.concat([titles, ledes]), on="doc_id", how="left"
    )


def _with_prev(rows: pl.DataFrame, passages: pl.DataFrame) -> pl.DataFrame:
    """Add `prev` to `rows` (passages carrying their row number `_row` in `passages`): the passage
    just before, when this one continues it (it lacks terminal punctuation), else null."""
    at = (rows["_row"].cast(pl.Int64) - 1).clip(lower_bound=0)
    before = passages.select(pl.col("doc_id", "seq", "text").gather(at).name.prefix("_b_"))
    continues = (
        (pl.col("_b_doc_id") == pl.col("doc_id"))
        & (pl.col("_b_seq") == pl.col("seq") - 1)
        & ~pl.col("_b_text").str.slice(-1).is_in(_TERMINALS)
    )
    return (
        pl.concat([rows, before], how="horizontal")
        .with_columns(pl.when(continues).then(pl.col("_b_text")).alias("prev"))
        .drop("_b_doc_id", "_b_seq", "_b_text")
    )


def _joined_lines(passages: pl.DataFrame, documents: pl.DataFrame, label_filter: str) -> pl.DataFrame:
    """Two consecutive passages read as one: split table rows and figures wrapped across lines.

    The pseudo-passage's text is the document's own slice from the first passage's start to the
    second's end, so offsets and quotes stay exact; it keeps the first passage's id (suffixed "+",
    stripped after matching) because that is where a match starts.
    """
    labels, wrapped = per_frame(passages, "line_pairs", _line_pairs)
    labelled = labels.filter(passages["text"].gather(labels["_row"]).str.contains(label_filter))
    pairs = (
        pl.concat([labelled, wrapped])
        .unique("_row")
        .sort("_row")
        .select("_row", "doc_id", "seq", (pl.col("passage_id") + "+").alias("passage_id"), "start",
                pl.col("_n_end").alias("end"))
    )
    if pairs.is_empty():
        return pairs.with_columns(pl.lit(None, dtype=pl.String).alias("text"))
    return (
        pairs.join(documents.select("doc_id", pl.col("text").alias("_doc")), on="doc_id", how="left")
        .with_columns(pl.col("_doc").str.slice(pl.col("start"), pl.col("end") - pl.col("start")).alias("text"))
        .drop("_doc")
    )


def _line_pairs(passages: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The pairs of consecutive lines `_joined_lines` may join, before its label test: a short line
    followed by a short line that starts with a figure (labels), and a line followed by one that
    starts with a scale word, "%" or "CAGR" (wrapped). Only pairs where one of the two lines holds
    a digit can hold a figure, so only those are tested; computed once per passages frame.
    """
    digits = digit_mask(passages)
    rows = (digits | digits.shift(-1, fill_value=False)).arg_true()
    rows = rows.filter(rows < passages.height - 1)
    this = passages.select(pl.col("doc_id", "seq", "passage_id", "start").gather(rows),
                           pl.col("text").str.len_bytes().gather(rows).alias("_len"))
    after = passages.select(pl.col("doc_id", "seq", "end", "text").gather(rows + 1).name.prefix("_n_"))
    candidates = (
        pl.concat([rows.cast(pl.UInt32).alias("_row").to_frame(), this, after], how="horizontal")
        .filter((pl.col("_n_doc_id") == pl.col("doc_id")) & (pl.col("_n_seq") == pl.col("seq") + 1))
    )
    # eager filters, cheapest first; both tests read the start of the next line (anchored patterns)
    wrapped = candidates.filter(pl.col("_n_text").str.contains(_WRAPPED_START))
    labels = (
        candidates.filter((pl.col("_len") <= _MAX_LABEL_CHARS)
                          & (pl.col("_n_text").str.len_bytes() <= _MAX_VALUE_CHARS))
        .filter(pl.col("_n_text").str.contains(_VALUE_START))
    )
    return labels, wrapped


def scan(passages: pl.DataFrame, documents: pl.DataFrame, prefilter: str, label_filter: str,
         pattern: str) -> pl.DataFrame:
    """Matches of `pattern` in passages that contain `prefilter`, and in joined lines (see above).

    `pattern` is a figure's: it only matches text holding a digit, so passages (and pairs of lines)
    without one are never scanned. Returns regex_matches columns (with `passage`) plus p_start,
    prev (the previous passage when this one continues it), prefix and suffix (passage text before
    and after the match).
    """
    digits = digit_mask(passages)
    hits = (
        passages.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"))
        .filter(digits)
        .filter(pl.col("text").str.contains(prefilter))
        .select("_row", "doc_id", "seq", "passage_id", "start", "end", "text")
    )
    pairs = _joined_lines(passages, documents, label_filter)
    sources = pl.concat([hits, pairs.select(hits.columns)], how="vertical_relaxed").rechunk()
    if sources.is_empty():
        return pl.DataFrame()
    sources = _with_prev(sources, passages).with_columns(pl.col("start").alias("p_start"))
    # (passages with the prefilter's words nearly always hold a figure: no second test)
    found = regex_matches(sources, pattern, keep_text=True, carry=("p_start", "prev"), prefiltered=True)
    if found.is_empty():
        return found
    # a figure found in a line and again, longer, in the line joined with the next: keep the longer
    # (sorted, a figure's rows are adjacent: keep each first one)
    found = found.sort(["doc_id", "start", "end"], descending=[False, False, True])
    first = (pl.col("doc_id") != pl.col("doc_id").shift(1)) | (pl.col("start") != pl.col("start").shift(1))
    return found.filter(first.fill_null(True)).with_columns(
        pl.col("passage").str.slice(0, pl.col("start") - pl.col("p_start")).alias("prefix"),
        pl.col("passage").str.slice(pl.col("end") - pl.col("p_start")).alias("suffix"),
        pl.col("passage_id").str.strip_suffix("+"),
    )


def context() -> pl.Expr:
    """The words before a figure: the continued previous line, if any, and the passage prefix."""
    return pl.concat_str(pl.col("prev").fill_null(""), pl.lit("\n"), pl.col("prefix"))


def last_word_of(expr: pl.Expr, words: str) -> pl.Expr:
    """The last of `words` (a regex alternation) in `expr`, lower-cased; null when none occurs."""
    return expr.str.extract_all(ascii_bounds(rf"(?i)\b(?:{words})\b")).list.last().str.to_lowercase()


def year_before(frame: pl.DataFrame, documents: pl.DataFrame, window: int = 240) -> pl.Series:
    """Per row, the last "in/by/for YEAR" in the same paragraph within `window` characters before it.

    For figures whose sentence carries no year of its own ("... mined in 2024. An estimated 45,000
    tons ... were valued at $260 million").
    """
    if frame.is_empty():
        return pl.Series("year", [], dtype=pl.Int32)
    lo = (pl.col("start") - window).clip(lower_bound=0)
    return (
        frame.select("doc_id", "start")
        .join(documents.select("doc_id", pl.col("text").alias("_doc")), on="doc_id", how="left", maintain_order="left")
        .select(
            parse_year(
                pl.col("_doc")
                .str.slice(lo, pl.col("start") - lo)
                .str.split("\n\n")
                .list.last()
                .str.extract_all(ascii_bounds(rf"(?i)\b(?:in|by|for|during)\s+{YEAR}"))
                .list.last()
                .str.extract(rf"({YEAR})$", 1)
            ).alias("year")
        )
        .to_series()
    )


def resolve_markets(frame: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """Add `market` and `base_year` to figures with `prefix`/`prev` context.

    The market is the one named nearest before the figure in its sentence (else in the line it
    continues), else the document's market (title, opening paragraphs), else the name most of the
    document's figures carry. A segment ("the purification and refining segment") is named
    within its document's market ("rare earth refining services: purification and refining segment").
    """
    ctx = document_context(documents.join(frame.select("doc_id").unique(), on="doc_id", how="semi"))
    phrase = pl.coalesce(subject_phrase(pl.col("prefix")), subject_phrase(pl.col("prev")))
    named = frame.join(ctx, on="doc_id", how="left").with_columns(phrase.alias("_phrase"))
    # a document names its market the same way many times: name each distinct phrase once
    named = with_distinct(
        named, ["_phrase"],
        phrase_name(pl.col("_phrase")).alias("_name"),
        pl.col("_phrase").str.contains(r"(?i)segments?$").fill_null(False).alias("_segment"),
    )
    named = named.with_columns(
        pl.when(pl.col("_name").is_in(_PLACE_NAMES)).then(None).otherwise(pl.col("_name")).alias("_name")
    )
    usual = (
        named.filter(pl.col("_name").is_not_null() & ~pl.col("_segment"))
        .group_by("doc_id")
        .agg(pl.col("_name").mode().sort().first().alias("_usual"))
    )
    doc_market = pl.coalesce("doc_market", "_usual")
    return (
        named.join(usual, on="doc_id", how="left")
        .with_columns(
            pl.when(pl.col("_segment") & pl.col("_name").is_not_null() & doc_market.is_not_null())
            .then(pl.concat_str(doc_market, pl.lit(": "), pl.col("_name"), pl.lit(" segment")))
            .when(pl.col("_segment") & pl.col("_name").is_not_null())
            .then(pl.concat_str(pl.col("_name"), pl.lit(" segment")))
            .otherwise(pl.coalesce("_name", doc_market))
            .alias("market")
        )
        .drop("_phrase", "_name", "_segment", "_usual", "doc_market")
    )
