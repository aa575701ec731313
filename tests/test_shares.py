"""Regional shares: a percentage bound to a place (or company) that holds it, never a rate or grade."""

from __future__ import annotations

import polars as pl
import pytest

from transforms import shares
from transforms.passages import split_passages


def _shares(*texts: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    docs = pl.DataFrame(
        {"doc_id": [f"doc{i}" for i in range(len(texts))], "title": [None] * len(texts),
         "published": [None] * len(texts), "text": list(texts)},
        schema={"doc_id": pl.String, "title": pl.String, "published": pl.Date, "text": pl.String},
    )
    return docs, shares.extract(split_passages(docs.select("doc_id", "text")), docs)


@pytest.mark.parametrize(
    ("text", "region", "pct", "qualifier", "metric", "year"),
    [
        ("Asia-Pacific accounts for over 80% of global refined oxide output.",
         "Asia-Pacific", 80.0, "over", "refined output", None),
        ("APAC held a 45.2% revenue share in 2024.", "Asia-Pacific", 45.2, None, "market revenue", 2024),
        ("China controls nearly 90% of magnet production capacity.", "China", 90.0, "nearly", "capacity", None),
        ("In 2023, the U.S. supplied about 12% of global mine production.",
         "United States", 12.0, "approximately", "production", 2023),
        ("Europe is expected to account for around 20% of demand by 2030.",
         "Europe", 20.0, "approximately", "demand", 2030),
        ("North America accounted for the largest share of 38% in 2024.", "North America", 38.0, None, None, 2024),
        ("China's share of global mine production was 69% in 2024.", "China", 69.0, None, "production", 2024),
        ("Japan represents at least 7% of separated oxide imports.", "Japan", 7.0, "at_least", "imports", None),
        ("Africa could capture up to 15% of new refining capacity.", "Africa", 15.0, "up_to",
         "refining capacity", None),
        ("Latin America and Africa together account for less than 5% of refining capacity.",
         "Latin America + Africa", 5.0, "under", "refining capacity", None),
        ("Chinese refiners account for about 85% of separated oxide output.",
         "China", 85.0, "approximately", "production", None),
        ("Nearly 60% of the world's rare earth mining is concentrated in China.",
         "China", 60.0, "nearly", "production", None),
        ("More than 75% of magnet capacity is located in a single country.",
         "single country (unnamed)", 75.0, "over", "capacity", None),
        ("Over 85% of separation capacity is currently located in a single region, a risk for buyers.",
         "single region (unnamed)", 85.0, "over", "capacity", None),
    ],
)
def test_share_phrasings(text: str, region: str, pct: float, qualifier: str | None, metric: str | None,
                         year: int | None) -> None:
    docs, found = _shares(text)
    assert found.height == 1, found
    row = found.row(0, named=True)
    assert (row["region"], row["share_pct"], row["qualifier"], row["metric"], row["year"]) == (
        region, pct, qualifier, metric, year)
    assert docs["text"][0][row["start"]:row["end"]] == row["quote"]


def test_company_groups_and_facilities_are_named_after_the_companies() -> None:
    text = (
        "Key players include Orion Oxides and Pelican Metals.\n"
        "Orion Oxides and Pelican Metals collectively control approximately 55% of refined supply as of 2024.\n"
        "Quasar Materials' Red Hill facility now processes 9% of global rare earth supply.\n"
    )
    _, found = _shares(text)
    got = {(r["region"], r["share_pct"], r["qualifier"]) for r in found.iter_rows(named=True)}
    assert got == {("Orion Oxides + Pelican Metals", 55.0, "approximately"),
                   ("Quasar Materials (Red Hill)", 9.0, None)}


def test_the_region_refers_back_to_the_last_region_named() -> None:
    text = (
        "Which region leads?\n"
        "Europe leads the recycling market, with Germany as its largest recycler.\n"
        "The region holds roughly 40% of installed recycling capacity.\n"
        "The country accounts for 18% of that capacity."
    )
    _, found = _shares(text)
    got = {(r["region"], r["share_pct"]) for r in found.iter_rows(named=True)}
    assert got == {("Europe", 40.0), ("Germany", 18.0)}


def test_source_list_with_footnote_digits_and_a_line_break() -> None:
    text = (
        "Import Sources (2019-22): Separated oxides: China,7 62%; Malaysia, 15%; Japan, 9%; Estonia,\n"
        "8%; and other, 6%. Tariffs apply to some of these."
    )
    docs, found = _shares(text)
    got = {(r["region"], r["share_pct"], r["metric"]) for r in found.iter_rows(named=True)}
    assert got == {("China", 62.0, "imports"), ("Malaysia", 15.0, "imports"), ("Japan", 9.0, "imports"),
                   ("Estonia", 8.0, "imports"), ("Other", 6.0, "imports")}
    for row in found.iter_rows(named=True):
        assert docs["text"][0][row["start"]:row["end"]] == row["quote"]
    assert "Estonia,\n8%" in found["quote"].to_list()


@pytest.mark.parametrize(
    "text",
    [
        "Prices rose 15% in the second quarter, while China's exports fell 11%.",
        "The United States applies a tariff of 25% on imported magnets.",
        "EV sales accounted for 20% of car sales in 2024.",
        "Lynas holds a 12% stake in the joint venture.",
        "Neodymium accounts for 30% of magnet demand.",
        "Notably, neodymium and dysprosium account for over 60% of refined demand in energy uses.",
        "Recovery rates now exceed 90% for some elements, and purity above 99.99% is routine.",
        "Production capacity in North America is projected to increase by 400% over five years.",
        "The segment is growing at a 9.8% CAGR, and NdFeB magnets command a 48.02% market share.",
        "Aurora Magnets aims to satisfy 30% of European demand by 2030.",
        "Output grew 15% year-over-year in 2023 at the company's main site.",
        "Net import reliance was 80% in 2024.",
        "Depletion allowance: Bastnaesite, 22% on thorium and 14% on rare-earth content.",
        "Recycling accounts for less than 1% of total supply but could reach 10-15% by 2030.",
        "Permanent magnet motors command approximately 95% adoption across EV platforms.",
    ],
)
def test_not_shares(text: str) -> None:
    _, found = _shares(text)
    assert found.is_empty(), found


def test_metric_carries_over_to_the_next_sentence() -> None:
    _, found = _shares("Europe holds about 35% of recycling capacity. North America accounts for 25%.")
    assert dict(zip(found["region"], found["metric"], strict=True)) == {
        "Europe": "capacity", "North America": "capacity"}
