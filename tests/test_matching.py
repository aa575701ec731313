"""The matching primitive and the prefilter helpers every extractor shares."""

from __future__ import annotations

import gc

import polars as pl
import pytest

from transforms import matching
from transforms.matching import any_case, digit_mask, per_frame, regex_matches, with_distinct
from transforms.passages import split_passages


def _passages(*texts: str) -> tuple[list[str], pl.DataFrame]:
    docs = pl.DataFrame({"doc_id": [f"d{i}" for i in range(len(texts))], "text": list(texts)})
    return list(texts), split_passages(docs)


def _check_quotes(texts: list[str], found: pl.DataFrame) -> None:
    by_doc = {f"d{i}": t for i, t in enumerate(texts)}
    for row in found.iter_rows(named=True):
        assert by_doc[row["doc_id"]][row["start"]:row["end"]] == row["quote"]


def test_offsets_are_exact_with_several_matches_and_non_ascii_text() -> None:
    texts, passages = _passages(
        "Größe: 12 t, 30 t und 7 t.\nNo figure here.\nUS$ 5 t — €4 t; 5 t",
        "Plain 1 t then 22 t.",
    )
    found = regex_matches(passages, r"(?P<num>\d+) t", keep_text=True)
    assert found["num"].to_list() == ["12", "30", "7", "5", "4", "5", "1", "22"]
    _check_quotes(texts, found)
    assert set(found.columns) == {"doc_id", "passage_id", "start", "end", "quote", "passage", "num"}


def test_matches_are_the_same_on_a_frame_in_many_chunks() -> None:
    texts, passages = _passages("a 1 t b 2 t", "c 3 t", "d 44 t e 5 t")
    chunked = pl.concat([passages.slice(i, 1) for i in range(passages.height)], rechunk=False)
    assert chunked.n_chunks() > 1
    expected = regex_matches(passages, r"\d+ t")
    assert regex_matches(chunked, r"\d+ t").equals(expected)
    assert regex_matches(chunked.lazy(), r"\d+ t").equals(expected)
    _check_quotes(texts, expected)


def test_no_match_gives_an_empty_frame_with_the_same_columns() -> None:
    _, passages = _passages("nothing to see")
    found = regex_matches(passages, r"(?P<num>\d+) t", keep_text=True, carry=("seq",))
    assert found.is_empty()
    assert found.schema == pl.Schema({"doc_id": pl.String, "passage_id": pl.String, "start": pl.Int64,
                                      "end": pl.Int64, "quote": pl.String, "passage": pl.String, "seq": pl.Int32,
                                      "num": pl.String})
    some = regex_matches(_passages("x 1 t")[1], r"(?P<num>\d+) t", keep_text=True, carry=("seq",))
    assert some.schema == found.schema


def test_repeated_quotes_get_their_groups() -> None:
    texts, passages = _passages("USD 5 million and USD 5 million.", "USD 5 million, EUR 7 billion")
    found = regex_matches(passages, r"(?P<cur>USD|EUR) (?P<num>\d+) (?P<scale>million|billion)")
    assert found.select("cur", "num", "scale").rows() == [
        ("USD", "5", "million"), ("USD", "5", "million"), ("USD", "5", "million"), ("EUR", "7", "billion")]
    _check_quotes(texts, found)


@pytest.mark.parametrize(
    ("text", "digit"),
    [("no digits at all", False), ("in 2024", True), ("Größe ohne Zahl", False), ("Größe 5", True),
     ("Arabic-Indic ٣ digit", True), ("full-width ２ digit", True), ("", False)],
)
def test_digit_mask_is_what_backslash_d_sees(text: str, digit: bool) -> None:
    frame = pl.DataFrame({"text": [text, "plain"]})
    assert digit_mask(frame).to_list() == [digit, False]
    assert frame.select(pl.col("text").str.contains(r"\d")).to_series().to_list() == [digit, False]


def test_per_frame_computes_once_per_frame_and_forgets_dead_frames() -> None:
    calls: list[int] = []

    def compute(frame: pl.DataFrame) -> int:
        calls.append(frame.height)
        return frame.height

    frame = pl.DataFrame({"text": ["a", "b"]})
    assert per_frame(frame, "n", compute) == 2
    assert per_frame(frame, "n", compute) == 2
    assert calls == [2]
    other = pl.DataFrame({"text": ["a"]})
    assert per_frame(other, "n", compute) == 1
    assert calls == [2, 1]
    key = id(other)
    del other
    gc.collect()
    assert key not in matching._PER_FRAME


def test_with_distinct_keeps_row_order_and_nulls() -> None:
    frame = pl.DataFrame({"k": ["b", None, "a", "b", None], "i": [0, 1, 2, 3, 4]})
    out = with_distinct(frame, ["k"], pl.col("k").str.to_uppercase().alias("up"))
    assert out["i"].to_list() == [0, 1, 2, 3, 4]
    assert out["up"].to_list() == ["B", None, "A", "B", None]


def test_any_case() -> None:
    pattern = any_case(("players", "tier"))
    frame = pl.DataFrame({"t": ["Key PLAYERS", "Tier 1", "players", "pLayers"]})
    assert frame.select(pl.col("t").str.contains(pattern)).to_series().to_list() == [True, True, True, False]
