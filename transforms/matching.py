"""The one primitive every extractor is built on: all regex matches over all passages, with offsets.

Polars' `str.extract_all` returns matched strings but not where they are. Matching the same
pattern a second time with a lazy prefix (`.*?(?:pattern)`) returns, for each match, the text
from the end of the previous match up to the end of this one; the running sum of those lengths
is each match's end offset. Both scans are leftmost-first over the same text, so their lists
line up one to one. Patterns use Rust regex syntax (no look-around, no back-references) and
must not match the empty string.
"""

from __future__ import annotations

import polars as pl

MATCH_COLUMNS = ("doc_id", "passage_id", "start", "end", "quote")


def regex_matches(passages: pl.DataFrame | pl.LazyFrame, pattern: str, *, keep_text: bool = False) -> pl.DataFrame:
    """Every match of `pattern` in every passage: provenance columns plus one column per named group.

    `start`/`end` are offsets into the document's normalized text; `quote` is the match itself.
    With `keep_text`, the passage text is kept as `passage` for context rules.
    """
    names = group_names(pattern)
    lazy = passages.lazy()
    extra = ["text"] if keep_text else []
    found = (
        lazy.select(
            "doc_id",
            "passage_id",
            pl.col("start").alias("_p_start"),
            *extra,
            pl.col("text").str.extract_all(pattern).alias("quote"),
            pl.col("text").str.extract_all(f"(?s).*?(?:{pattern})").alias("_piece"),
        )
        .filter(pl.col("quote").list.len() > 0)
        .explode("quote", "_piece")
        .with_columns(pl.col("_piece").str.len_chars().cum_sum().over("passage_id").alias("_upto"))
        .with_columns(
            (pl.col("_p_start") + pl.col("_upto")).alias("end"),
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
    if "(?P<" not in pattern and "(?<" not in pattern:
        return []
    probe = pl.LazyFrame({"t": [""]}, schema={"t": pl.String})
    dtype = probe.select(pl.col("t").str.extract_groups(pattern)).collect_schema()["t"]
    return [f.name for f in dtype.fields] if isinstance(dtype, pl.Struct) else []
