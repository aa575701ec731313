"""Growth-rate (CAGR) extraction over phrasing written for these tests (never copied from the corpus)."""

from __future__ import annotations

import polars as pl
import pytest

from transforms import growth_rates
from transforms.documents import normalize_text
from transforms.facts import FACT_SCHEMAS, conform
from transforms.passages import split_passages


def extract(text: str, title: str | None = None) -> pl.DataFrame:
    """Growth rates of one document, checked for exact quotes on the way."""
    text = normalize_text(text)
    docs = pl.DataFrame(
        {"doc_id": ["g" * 64], "title": [title], "published": [None], "text": [text]},
        schema={"doc_id": pl.String, "title": pl.String, "published": pl.Date, "text": pl.String},
    )
    facts = conform("growth_rate", growth_rates.extract(split_passages(docs.select("doc_id", "text")), docs))
    for row in facts.iter_rows(named=True):
        assert text[row["start"]:row["end"]] == row["quote"]
    return facts


@pytest.mark.parametrize(
    ("text", "rate", "start", "end"),
    [
        ("The terbium market should expand at a CAGR of 8.75% from 2024 to 2032.", 8.75, 2024, 2032),
        ("The holmium market is growing at 6.2% CAGR during 2025-2032.", 6.2, 2025, 2032),
        ("Our model gives the cerium market a 7.4% CAGR.", 7.4, None, None),
        ("The scandium market is expanding at a CAGR of 11.30%from 2024 to 2032.", 11.3, 2024, 2032),
        ("The magnet market may grow at a CAGR of 10.9% during the forecast period 2026 - 2033.", 10.9, 2026, 2033),
        ("Europium market: compound annual growth rate (CAGR) of 5.5% between 2025 and 2030.", 5.5, 2025, 2030),
        ("The oxide market will post an 8.2% CAGR through 2032.", 8.2, None, 2032),
        ("The alloy market recorded a CAGR of 4 percent over 2019-2024.", 4.0, 2019, 2024),
        ("The phosphor market has been declining at a CAGR of 3% since 2019.", -3.0, None, None),
        ("The polishing market shows a CAGR of -10.8% for 2019-2024.", -10.8, 2019, 2024),
    ],
)
def test_sentence_rates(text: str, rate: float, start: int | None, end: int | None) -> None:
    facts = extract(text)
    assert facts.height == 1, facts
    row = facts.row(0, named=True)
    assert row["rate_pct"] == pytest.approx(rate)
    assert (row["start_year"], row["end_year"]) == (start, end)


def test_table_rows_flattened_and_split() -> None:
    text = (
        "Attribute | Value |\n"
        "Projected Growth (CAGR 2026 to 2033) | 10.4% |\n"
        "|\n"
        "Historical Market Growth (2019-2024) |\n"
        "7.7% |\n"
    )
    facts = extract(text, title="Gadolinium Market Outlook")
    assert sorted(zip(facts["rate_pct"], facts["start_year"], facts["end_year"], strict=True)) == [
        (7.7, 2019, 2024), (10.4, 2026, 2033)
    ]
    assert set(facts["market"]) == {"gadolinium"}


def test_flattened_scope_line() -> None:
    facts = extract("Scope Details CAGR CAGR of 9.25% From 2025 to 2033 Base Year 2024 Forecast Period 2025-2033",
                    title="Neodymium Market Report")
    assert list(zip(facts["rate_pct"], facts["start_year"], facts["end_year"], strict=True)) == [(9.25, 2025, 2033)]


def test_segment_rates_are_named_within_the_document_market() -> None:
    facts = extract("The separation and purification segment is projected to grow at 8.2% CAGR through 2032.",
                    title="Rare Earth Refining Services Market, Outlook 2025-2032")
    assert facts["market"].to_list() == ["rare earth refining services: separation and purification segment"]


def test_rate_after_the_sentence_names_the_market() -> None:
    facts = extract("With a CAGR of 6.40%, the lanthanum market keeps its steady pace.")
    assert facts["market"].to_list() == ["lanthanum"]


@pytest.mark.parametrize(
    "text",
    [
        "Electric vehicle sales rose to 14 million units, a 35% year-on-year increase.",
        "Mine production showed 15% year-over-year production growth in 2023.",
        "Refined capacity in the region is projected to increase by 400% over five years.",
        "EV sales are on course for a 29% CAGR trajectory through 2030, which lifts the magnet market.",
        "Global demand for NdFeB alloy is growing at a 9% CAGR until 2030.",
        "Wind installations grew at a CAGR of 12% from 2018 to 2023.",
        "Purity of 99.99% is standard for magnet-grade oxide.",
    ],
)
def test_distractors_are_not_growth_rates(text: str) -> None:
    assert extract(text, title="Magnet Market Review").is_empty()


def test_no_market_no_rate() -> None:
    # a bare CAGR with no market anywhere (no title, no market named) is not a market's growth rate
    assert extract("Things improved at a CAGR of 5% over the decade.").is_empty()


def test_empty_input_has_the_schema() -> None:
    facts = extract("Nothing grows here.")
    assert facts.is_empty()
    assert facts.schema == pl.Schema(FACT_SCHEMAS["growth_rate"])
