"""Market names, document context and the shared candidate scan."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from transforms.documents import normalize_text
from transforms.markets import YEAR, document_context, document_market, market_name, parse_year, scan
from transforms.passages import split_passages


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("The global Rare Earth Magnets market size is", "rare earth magnets"),
        ("Global Cerium Oxide market was valued at", "cerium oxide"),
        ("driving steady growth in the rare earth refining services market, with", "rare earth refining services"),
        ("-- The rare-earth alloys market is projected", "rare earth alloys"),
        ("the global market for permanent magnet recycling stood at", "permanent magnet recycling"),
        ("Report Attributes Details Market Size in 2023", None),
        ("The market, valued at", None),
        ("Unlike the battery market, the Scandium Alloy market was valued at", "scandium alloy"),
        ("The separation and purification segment will", "separation and purification"),
        ("Nothing named here", None),
    ],
)
def test_market_name(text: str, name: str | None) -> None:
    assert market_name(text) == name


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Holmium Market Outlook 2025-2030 | Example Press", "holmium"),
        ("Yttrium Market to Reach USD 1 Billion by 2030", "yttrium"),
        ("Sintered NdFeB Magnets Market Report Scope:", "sintered ndfeb magnets"),
        ("ID: XYZ-123 | 200 Pages", None),
        (None, None),
    ],
)
def test_document_market(title: str | None, name: str | None) -> None:
    assert document_market(title) == name


def test_document_context_market_and_base_year() -> None:
    docs = pl.DataFrame(
        {
            "doc_id": ["a", "b", "c"],
            "title": ["Lutetium Market Study", "ID: 42", None],
            "published": [date(2025, 5, 1), date(2026, 1, 8), None],
            "text": [
                "Scope | Base Year | 2023 | Forecast 2024-2031",
                "Intro line.\nThe global erbium oxide market size is likely to grow.",
                "An essay without a market or a date.",
            ],
        },
        schema={"doc_id": pl.String, "title": pl.String, "published": pl.Date, "text": pl.String},
    )
    ctx = {r["doc_id"]: r for r in document_context(docs).iter_rows(named=True)}
    assert (ctx["a"]["doc_market"], ctx["a"]["base_year"]) == ("lutetium", 2023)
    assert (ctx["b"]["doc_market"], ctx["b"]["base_year"]) == ("erbium oxide", 2025)
    assert (ctx["c"]["doc_market"], ctx["c"]["base_year"]) == (None, None)


def test_years_split_by_pdf_extraction_parse() -> None:
    frame = pl.DataFrame({"t": ["in 20 23", "by 2032", "in 1999"]})
    years = frame.select(parse_year(pl.col("t").str.extract(f"({YEAR})", 1)))["t"].to_list()
    assert years == [2023, 2032, 1999]


def test_scan_joins_split_table_rows_with_exact_offsets() -> None:
    text = normalize_text("Key facts\n\nGrowth Rate (2025-2030) |\n6.5% |\nOther row | x\n")
    docs = pl.DataFrame(
        {"doc_id": ["s"], "title": [None], "published": [None], "text": [text]},
        schema={"doc_id": pl.String, "title": pl.String, "published": pl.Date, "text": pl.String},
    )
    passages = split_passages(docs.select("doc_id", "text"))
    found = scan(passages, docs, r"%", r"(?i)growth", r"\((?P<y>\d{4})-\d{4}\) \|\s*(?P<r>[\d.]+)%")
    assert found.height == 1
    row = found.row(0, named=True)
    assert text[row["start"]:row["end"]] == row["quote"] == "(2025-2030) |\n6.5%"
    assert row["passage_id"] in set(passages["passage_id"])
    assert row["prefix"] == "Growth Rate "
