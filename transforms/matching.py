"""The one primitive every extractor is built on: all regex matches over all passages, with offsets.

Polars' `str.extract_all` returns matched strings but not where they are. Matching the same
pattern a second time with a lazy prefix (`.*?(?:pattern)`) returns, for each match, the text
from the end of the previous match up to the end of this one; the running sum of those lengths
is each match's end offset. Both scans are leftmost-first over the same text, so their lists
line up one to one. Patterns use Rust regex syntax (no look-around, no back-references) and
must not match the empty string.

Also here, because every extractor needs them: cheap prefilters that pick the few passages worth
a full pattern (literal word sets, passages holding a digit), per-passage flags computed once per
passages frame and shared by the extractors (`per_frame`), and string rules run once per distinct
value (`with_distinct`).
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import polars as pl

MATCH_COLUMNS = ("doc_id", "passage_id", "start", "end", "quote")


def regex_matches(passages: pl.DataFrame | pl.LazyFrame, pattern: str, *, keep_text: bool = False,
                  carry: tuple[str, ...] = (), prefiltered: bool = False) -> pl.DataFrame:
    """Every match of `pattern` in every passage: provenance columns plus one column per named group.

    `start`/`end` are offsets into the document's normalized text; `quote` is the match itself.
    With `keep_text`, the passage text is kept as `passage` for context rules; `carry` names other
    passage columns to keep as they are.

    The full scans (two `extract_all` and a group extraction) only run on the passages where one
    cheap `contains` test finds the pattern at all; `prefiltered` skips that test when the caller's
    own filter already kept (nearly) only passages that match. Offsets come from one running total
    over the frame, restarted at each passage's first match, so no grouping over the frame is needed.
    """
    names = group_names(pattern)
    frame = passages.collect() if isinstance(passages, pl.LazyFrame) else passages
    if frame.n_chunks() > 1:
        frame = frame.rechunk()  # polars runs a pattern chunk by chunk
    hits = frame if prefiltered else frame.filter(pl.col("text").str.contains(pattern))
    extra = ["text"] if keep_text else []
    piece_len = pl.col("_piece").str.len_chars().cast(pl.Int64)
    # the running total restarts at each passage's first match (`_k` numbers the passages)
    first = pl.col("_k") != pl.col("_k").shift(1, fill_value=-1)
    found = (
        hits.lazy()
        .select(
            "doc_id",
            "passage_id",
            pl.col("start").alias("_p_start"),
            *extra,
            *carry,
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
    columns.extend(pl.col(c) for c in carry)
    found = found.select(columns)
    if hits.is_empty():
        return pl.DataFrame(schema={**found.collect_schema(), **dict.fromkeys(names, pl.String)})
    found = found.collect()
    if not names:
        return found
    # groups come from a much slower engine than the scans: run it once per distinct quote
    return with_distinct(found, ["quote"], pl.col("quote").str.extract_groups(pattern).alias("_groups")).unnest(
        "_groups")


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


def per_frame(frame: pl.DataFrame, name: str, compute: Callable[[pl.DataFrame], Any]) -> Any:
    """`compute(frame)`, computed once per frame object and kept while that frame lives.

    All extractors receive the same passages frame, and several need the same per-passage flags
    (which passages hold a digit...): the first one computes them, the others reuse them, also when
    they run side by side in threads (a caller waits for a computation already under way). Frames
    are treated as immutable (nothing here changes one in place); a new frame is a new entry.
    """
    key = id(frame)
    with _PER_FRAME_LOCK:
        entry = _PER_FRAME.get(key)
        if entry is None or entry[0]() is not frame or entry[1] != frame.shape:
            entry = (weakref.ref(frame), frame.shape, {}, {})
            _PER_FRAME[key] = entry
            weakref.finalize(frame, _forget, key, entry[0])
        values, locks = entry[2], entry[3]
        lock = locks.setdefault(name, threading.Lock())
    with lock:
        if name not in values:
            values[name] = compute(frame)
        return values[name]


def _forget(key: int, ref: weakref.ref[pl.DataFrame]) -> None:
    with _PER_FRAME_LOCK:
        entry = _PER_FRAME.get(key)
        if entry is not None and entry[0] is ref:
            del _PER_FRAME[key]


_PER_FRAME: dict[int, tuple[weakref.ref[pl.DataFrame], tuple[int, int], dict[str, Any], dict[str, threading.Lock]]] = {}
_PER_FRAME_LOCK = threading.Lock()


def digit_mask(passages: pl.DataFrame) -> pl.Series:
    """Per passage, whether its text holds a decimal digit as `\\d` sees it.

    Figures need digits, and most passages (prose) have none, so this is the first filter of every
    extractor that reads figures (computed once per passages frame, see `per_frame`). ASCII digits
    are found by a fast byte scan; the Unicode test (Arabic-Indic, full-width digits...) only runs
    on the other passages that are not plain ASCII.
    """
    return per_frame(passages, "digits", _digit_mask)


def _digit_mask(passages: pl.DataFrame) -> pl.Series:
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
    # the streaming engine splits the rows into morsels and runs them on all cores (an eager
    # expression over one chunk of strings runs on one)
    distinct = frame.select(keys).unique().lazy().with_columns(*exprs).collect(engine="streaming")
    return frame.join(distinct, on=keys, how="left", nulls_equal=True, maintain_order="left")
