"""Passages cover sentences, list items and table rows, and their offsets index the text exactly."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.passages import split_passages


def _passages(text: str) -> list[str]:
    frame = split_passages(pl.DataFrame({"doc_id": ["d"], "text": [text]}))
    for row in frame.iter_rows(named=True):
        assert text[row["start"]:row["end"]] == row["text"]
    return frame["text"].to_list()


def test_offsets_are_exact_over_many_documents() -> None:
    texts = [
        "First sentence here. Second one follows!\n\n  Indented line.\nTable | row | 5",
        "Shenghe Resources Holding Co., Ltd. (China) is listed. U.S. output rose 5.5% in 2024.",
        "",
        "One line only",
    ]
    frame = split_passages(pl.DataFrame({"doc_id": ["a", "b", "c", "d"], "text": texts}))
    by_doc = dict(zip(["a", "b", "c", "d"], texts, strict=True))
    assert frame.height > 4
    for row in frame.iter_rows(named=True):
        assert by_doc[row["doc_id"]][row["start"]:row["end"]] == row["text"]
    assert frame.filter(pl.col("doc_id") == "a")["seq"].to_list() == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Output rose. Prices fell.", ["Output rose.", "Prices fell."]),
        ("Acme Co., Ltd. (Japan) leads the list.", ["Acme Co., Ltd. (Japan) leads the list."]),
        ("The U.S. share is small. Mt. Weld is a mine.", ["The U.S. share is small.", "Mt. Weld is a mine."]),
        ("The market grew 7.4% in 2024. It slowed.", ["The market grew 7.4% in 2024.", "It slowed."]),
        ("Reached 12 units by 2033.The next heading", ["Reached 12 units by 2033.", "The next heading"]),
        ("Line one\nLine two", ["Line one", "Line two"]),
    ],
)
def test_sentence_boundaries(text: str, expected: list[str]) -> None:
    assert _passages(text) == expected


def test_empty_input_gives_empty_frame() -> None:
    frame = split_passages(pl.DataFrame(schema={"doc_id": pl.String, "text": pl.String}))
    assert frame.is_empty() and "passage_id" in frame.columns
