"""The one primitive every extractor is built on: all regex matches over all passages, with offsets.

Polars' `str.extract_all` returns matched strings but not where they are. Matching the same
pattern a second time with a lazy prefix (`.*?(?:pattern)`) returns, for each match, the text
from the end of the previous match up to the end of this one; the running sum of those lengths
is each match's end offset. Both scans are leftmost-first over the same text, so their lists
line up one to one. Patterns use Rust regex syntax (no look-around, no back-references) and
must not match the empty string.

Also here, because every extractor needs them: cheap prefilters that pick the few passages worth
a full pattern (literal word sets, passages holding a digit).
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

MATCH_COLUMNS = ("doc_id", "passage_id", "start", "end", "quote")


def regex_matches(passages: pl.DataFrame | pl.LazyFrame, pattern: str, *, keep_text: bool = False) -> pl.DataFrame:
    """Every match of `pattern` in every passage: provenance columns plus one column per named group.

    `start`/`end` are offsets into the document's normalized text; `quote` is the match itself.
    With `keep_text`, the passage text is kept as `passage` for context rules.

    The full scans (two `extract_all` and a group extraction) only run on the passages where one
    cheap `contains` test finds the pattern at all; offsets come from one running total over the
    frame, restarted at each passage's first match, so no grouping over the frame is needed.
    """
    names = group_names(pattern)
    if isinstance(passages, pl.DataFrame) and passages.n_chunks() > 1:
        # polars compiles a pattern once per chunk
        passages = passages.rechunk()
    extra = ["text"] if keep_text else []
    piece_len = pl.col("_piece").str.len_chars().cast(pl.Int64)
    # the running total restarts at each passage's first match (`_k` numbers the passages)
    first = pl.col("_k") != pl.col("_k").shift(1, fill_value=-1)
    found = (
        passages.lazy()
        .filter(pl.col("text").str.contains(pattern))
        .select(
            "doc_id",
            "passage_id",
            pl.col("start").alias("_p_start"),
            *extra,
            pl.int_range(pl.len()).alias("_k"),
            pl.col("text").str.extract_all(pattern).alias("quote"),
            pl.col("text").str.extract_all(f"(?s).*?(?:{pattern})").alias("_piece"),
        )
        .filter(pl.col("quote").list.len() > 0)
        .explode("quote", "_piece")
        .with_columns(piece_len.cum_sum().alias("_cum"), piece_len.alias("_len"))
        .with_columns(
            (pl.col("_p_start") + pl.col("_cum")
             - pl.when(first).then(pl.col("_cum") - pl.col("_len")).forward_fill()).alias("end")
        )
        .with_columns((pl.col("end") - pl.col("quote").str.len_chars()).alias("start"))
    )
    columns = [pl.col(c) for c in MATCH_COLUMNS]
    if extra:
        columns.append(pl.col("text").alias("passage"))
    if names:
        found = found.with_columns(pl.col("quote").str.extract_groups(pattern).alias("_groups")).unnest("_groups")
        columns.extend(pl.col(n) for n in names)
    return found.select(columns).collect()


def group_names(pattern: str) -> list[str]:
    """Named groups of a Rust-syntax pattern, in order, as polars sees them."""
    return list(_group_names(pattern))


@lru_cache(maxsize=256)
def _group_names(pattern: str) -> tuple[str, ...]:
    if "(?P<" not in pattern and "(?<" not in pattern:
        return ()
    probe = pl.LazyFrame({"t": [""]}, schema={"t": pl.String})
    dtype = probe.select(pl.col("t").str.extract_groups(pattern)).collect_schema()["t"]
    return tuple(f.name for f in dtype.fields) if isinstance(dtype, pl.Struct) else ()


def any_case(words: tuple[str, ...]) -> str:
    """A literal alternation of `words` in lower, Capitalized and UPPER case.

    Case-sensitive literal sets run on the regex engine's fastest path (several times faster than
    `(?i)`), which matters for prefilters that scan every passage.
    """
    return "|".join(dict.fromkeys(re.escape(v) for w in words for v in (w, w.capitalize(), w.upper())))


def digit_mask(passages: pl.DataFrame) -> pl.Series:
    """Per passage, whether its text holds a decimal digit as `\\d` sees it.

    Figures need digits, and most passages (prose) have none, so this is the first filter of every
    extractor that reads figures. ASCII digits are found by a fast byte scan; the Unicode test
    (Arabic-Indic, full-width digits...) only runs on the other passages that are not plain ASCII.
    """
    text = pl.col("text")
    flags = passages.select(
        text.str.contains("[0-9]").alias("ascii"),
        (text.str.len_bytes() != text.str.len_chars()).alias("wide"),
    )
    mask = flags["ascii"]
    maybe = (~mask & flags["wide"]).arg_true()
    if maybe.len():
        unicode = passages["text"].gather(maybe).str.contains(r"\d")
        if unicode.any():
            mask = mask.scatter(maybe.filter(unicode), True)
    return mask.alias("_digit")


def with_distinct(frame: pl.DataFrame, keys: list[str], *exprs: pl.Expr) -> pl.DataFrame:
    """`frame` with `exprs` (which read only the `keys` columns) added, computed once per distinct key.

    Names, phrases and list items repeat across a document and across documents; the string
    pipelines that clean or classify them are run on each distinct value, then joined back.
    """
    distinct = frame.select(keys).unique().with_columns(*exprs)
    return frame.join(distinct, on=keys, how="left", nulls_equal=True, maintain_order="left")
