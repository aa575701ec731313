"""Valuation extraction over phrasing written for these tests (never copied from the corpus)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from transforms import valuations
from transforms.documents import normalize_text
from transforms.facts import FACT_SCHEMAS, conform
from transforms.passages import split_passages


def extract(text: str, title: str | None = None, published: date | None = None) -> pl.DataFrame:
    """Valuations of one document, checked for exact quotes on the way."""
    text = normalize_text(text)
    docs = pl.DataFrame(
        {"doc_id": ["d" * 64], "title": [title], "published": [published], "text": [text]},
        schema={"doc_id": pl.String, "title": pl.String, "published": pl.Date, "text": pl.String},
    )
    facts = conform("valuation", valuations.extract(split_passages(docs.select("doc_id", "text")), docs))
    for row in facts.iter_rows(named=True):
        assert text[row["start"]:row["end"]] == row["quote"]
    return facts


@pytest.mark.parametrize(
    ("text", "amount", "currency", "year"),
    [
        ("The global lanthanum oxide market was valued at USD 544 million in 2024.", 544e6, "USD", 2024),
        ("Analysts see the scandium market climbing to reach $15.8 billion by 2031.", 15.8e9, "USD", 2031),
        ("The holmium market size should value at US$ 27.9 Bn in 2026.", 27.9e9, "USD", 2026),
        ("The cerium polishing powder market was worth USD 6,000 million in 2022.", 6e9, "USD", 2022),
        ("The European magnet recycling market stood at EUR 2.1 bn in 2023.", 2.1e9, "EUR", 2023),
        ("The UK alloy market reached £450 million in 2021.", 450e6, "GBP", 2021),
        ("Our desk puts the Australian separation market at A$ 1.2 billion in 2024.", 1.2e9, "AUD", 2024),
        ("In value terms the gadolinium market is expected to reach USD 827.90 Million by 2033.", 827.9e6, "USD", 2033),
        ("We value the terbium market at about $544,000,000 in 2024.", 544e6, "USD", 2024),
    ],
)
def test_sentence_valuations(text: str, amount: float, currency: str, year: int) -> None:
    facts = extract(text)
    assert facts.height == 1, facts
    row = facts.row(0, named=True)
    assert row["amount"] == pytest.approx(amount)
    assert (row["currency"], row["year"]) == (currency, year)


def test_amount_without_currency_takes_the_sentence_currency() -> None:
    text = "The global yttrium market was valued at 12.40 billion in 2024 and may reach US$ 20.5 billion by 2031."
    facts = extract(text)
    assert sorted(zip(facts["amount"], facts["currency"], facts["year"], strict=True)) == [
        (12.4e9, "USD", 2024), (20.5e9, "USD", 2031)
    ]


def test_amount_without_any_currency_in_the_document_defaults_to_usd() -> None:
    facts = extract("The niobium alloy market was valued at 3.5 billion in 2023.")
    assert facts["currency"].to_list() == ["USD"]


def test_market_name_comes_from_the_sentence_or_the_title() -> None:
    facts = extract(
        "The global Samarium Cobalt Magnets market size was USD 1.10 billion in 2024.\n\n"
        "The market, valued at USD 1.10 billion in 2024, should reach USD 2.05 billion by 2032.",
        title="Samarium Cobalt Magnets Market Report 2025",
    )
    assert set(facts["market"]) == {"samarium cobalt magnets"}
    assert facts.height == 3


def test_forecast_follows_the_stated_base_year() -> None:
    facts = extract(
        "Report Scope: Base Year 2023 | Market Size in 2023 USD 3.10 Billion Market Size by 2031 USD 5.75 Billion",
        title="Europium Market Report",
        published=date(2025, 6, 1),
    )
    assert dict(zip(facts["year"], facts["forecast"], strict=True)) == {2023: False, 2031: True}
    assert facts["market"].to_list() == ["europium", "europium"]


def test_forecast_defaults_to_the_year_before_publication() -> None:
    facts = extract(
        "The dysprosium market was valued at USD 2 billion in 2024 and is expected to reach USD 3 billion by 2030.",
        published=date(2025, 3, 1),
    )
    assert dict(zip(facts["year"], facts["forecast"], strict=True)) == {2024: False, 2030: True}


def test_estimate_and_forecast_markers_in_table_rows() -> None:
    text = (
        "Attribute | Value |\n"
        "Praseodymium Market Size (2026E) | US$ 4.4 Bn |\n"
        "Market Value Forecast (2034F) | US$ 9.9 Bn |\n"
    )
    facts = extract(text, published=date(2026, 2, 1))
    assert sorted(zip(facts["amount"], facts["year"], facts["forecast"], strict=True)) == [
        (4.4e9, 2026, True), (9.9e9, 2034, True)
    ]
    assert set(facts["market"]) == {"praseodymium"}


def test_label_and_value_on_adjacent_lines() -> None:
    text = (
        "| Metric | Figure |\n|\nMarket Size (2027E) |\nUS$ 12.5 billion |\n"
        "|\nMarket Value Forecast (2035F) |\nUS$ 20.0 billion |\n"
    )
    facts = extract(text, title="Lutetium Market Outlook")
    assert sorted(zip(facts["amount"], facts["year"], strict=True)) == [(12.5e9, 2027), (20e9, 2035)]
    assert all("\n" in q for q in facts["quote"])  # the quote spans label and value


def test_figure_wrapped_across_lines() -> None:
    facts = extract("Our outlook has the erbium market at USD 310 million in 2024 rising to USD 720\nmillion by 2032.")
    assert sorted(facts["amount"]) == [310e6, 720e6]


def test_value_statement_with_year_before_the_amount() -> None:
    facts = extract("The estimated value of oxide sold at home in 2024 was $ 95 million, up from $80 million in 2023.")
    assert sorted(zip(facts["amount"], facts["year"], strict=True)) == [(80e6, 2023), (95e6, 2024)]


def test_valued_at_takes_the_year_stated_just_before() -> None:
    facts = extract("Mining restarted in 2024. An estimated\n12,000 tons of concentrate were valued at $90 million.")
    assert list(zip(facts["amount"], facts["year"], strict=True)) == [(90e6, 2024)]


def test_year_split_by_pdf_extraction() -> None:
    facts = extract("The estimated value of imported alloy was $ 70 million, down from $75  million in 20 22.")
    assert list(zip(facts["amount"], facts["year"], strict=True)) == [(75e6, 2022)]


@pytest.mark.parametrize(
    "text",
    [
        "A new federal programme allocates $6 billion in 2024 for mineral processing.",
        "The refiner announced a $1.2 billion investment in 2024 at its coastal plant.",
        "The sector saw an investment of more than US$ 2 billion in 2024 for new cooling systems.",
        "Global defense budgets exceeding $2 trillion in 2024 keep demand for magnets high.",
        "Wastewater plants cost $150-$300 million in 2023 for a modern site.",
        "Oxide prices moved between US$ 90/kg and US$ 120/kg in 2024.",
        "The company reported revenue of $300 million in 2024.",
        "Imports of finished magnets rose to $1.5 billion in 2024.",
        "Venture funding for recyclers reached $400 million in 2023.",
        "Electric vehicle sales surpassed 17 million units in 2024.",
        "Greenfield refineries need minimum investments of $500 million to reach scale.",
        "The market is crowded with billion-dollar players and thin margins.",
    ],
)
def test_distractors_are_not_valuations(text: str) -> None:
    assert extract(text).is_empty()


def test_no_valuations_without_money() -> None:
    facts = extract("Refining outside China remains small, slow to permit and hard to finance.")
    assert facts.is_empty()
    assert facts.schema == pl.Schema(FACT_SCHEMAS["valuation"])


@pytest.mark.parametrize(
    ("title", "text", "forecast_by_year"),
    [
        # no date and no stated base year: the forecast period in the title sets it (2026 - 1)
        ("Yttrium Oxide Market Outlook 2026-2031",
         "The yttrium oxide market was worth USD 310 million in 2025 and could reach USD 450 million by 2031.",
         {2025: False, 2031: True}),
        # ... or the forecast period named in the opening text
        (None,
         "Over the forecast period 2025 to 2030 the holmium market is set to grow. It stood at "
         "USD 90 million in 2024 and should reach USD 120 million by 2030.",
         {2024: False, 2030: True}),
    ],
)
def test_base_year_from_the_forecast_period(title: str | None, text: str, forecast_by_year: dict[int, bool]) -> None:
    facts = extract(text, title=title)
    assert dict(zip(facts["year"], facts["forecast"], strict=True)) == forecast_by_year


def test_a_market_named_only_by_a_place_is_the_documents_market() -> None:
    facts = extract(
        "The global gadolinium market was valued at USD 200 million in 2024. "
        "The European market was worth EUR 40 million in 2024.",
        title="Gadolinium Market Report",
    )
    assert set(facts["market"]) == {"gadolinium"}
