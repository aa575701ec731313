"""Capacity and production: tonnages bound to a capacity/production cue, and country production tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pipelines.reading import extract_from_paths
from transforms import capacities
from transforms.passages import split_passages

CORPUS = Path(__file__).resolve().parents[1].parent / "shared/corpus/dev"


def _capacities(*texts: str, published: dt.date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    docs = pl.DataFrame(
        {"doc_id": [f"doc{i}" for i in range(len(texts))], "title": [None] * len(texts),
         "published": [published] * len(texts), "text": list(texts)},
        schema={"doc_id": pl.String, "title": pl.String, "published": pl.Date, "text": pl.String},
    )
    return docs, capacities.extract(split_passages(docs.select("doc_id", "text")), docs)


@pytest.mark.parametrize(
    ("text", "value", "unit", "measure"),
    [
        ("Their 55,000 tons per year separation capacity is the largest outside Asia.",
         55000, "tons per year", "capacity"),
        ("The plant has a nameplate capacity of 12,000 tpa of mixed carbonate.", 12000, "tpa", "capacity"),
        ("Northwind Oxides plans to lift annual capacity to 10.5kt pa by 2027.", 10.5, "kt per year",
         "planned_capacity"),
        ("The line currently produces 3,500 metric tons of separated oxides annually.", 3500,
         "metric tons per year", "production"),
        ("NdPr production of 1,210 [metric tons] was reported for the quarter.", 1210, "metric tons",
         "production"),
        ("Total REO production of 3,980 tons beat guidance.", 3980, "tons", "production"),
        ("Output reached 5,200 tonnes of NdPr oxide in 2024.", 5200, "tonnes", "production"),
        ("An estimated 38,000 tons of REO in concentrates were produced last year.", 38000, "tons",
         "production"),
        ("Magnet makers intend to add more than 25,000 tons of new capacity by the end of 2026.", 25000, "tons",
         "planned_capacity_addition"),
        ("The refinery is expanding its capacity by 3,000 tpa.", 3000, "tpa", "planned_capacity_addition"),
        ("A new 5,000-tonne-per-year separation plant is under construction in Texas.", 5000,
         "tonne per year", "planned_capacity"),
        ("The mine consumed 1,200 tons of reagents while production of concentrate reached 8,000 tons.", 8000,
         "tons", "production"),
    ],
)
def test_capacity_phrasings(text: str, value: float, unit: str, measure: str) -> None:
    docs, found = _capacities(text)
    assert found.height == 1, found
    row = found.row(0, named=True)
    assert (row["value"], row["unit"], row["measure"]) == (value, unit, measure)
    assert docs["text"][0][row["start"]:row["end"]] == row["quote"]


@pytest.mark.parametrize(
    "text",
    [
        "New wind installations totaled 60 gigawatts, requiring 7,400 metric tons of NdFeB magnets.",
        "Air conditioners created a demand for 18,000 metric tons of NdFeB magnets.",
        "This translated to a consumption of 31 kilotons of rare earth elements in 2024.",
        "China imported 12,000 tons of concentrate from Myanmar.",
        "Reserves are estimated at 44 million tons, and resources at 3.6 million tons.",
        "The agency planned acquisitions of 550 tons of cerium for the stockpile.",
        "EV production will surpass 20 million units annually by 2025.",
        "An auction in the UK handed out some 5.3 GW of offshore wind capacity this year.",
        "A single EV traction motor uses between 1.5 kg and 2.5 kg of NdFeB magnets.",
        "Total domestic production in 2021 and 2022 was 1,400 tons and 6,100 tons, respectively.",
        "Oxide prices moved between US$ 85/kg and US$ 115/kg in 2024.",
    ],
)
def test_not_capacities(text: str) -> None:
    _, found = _capacities(text)
    assert found.is_empty(), found


def test_company_and_place_come_from_the_sentence_or_the_one_before() -> None:
    text = (
        "Borealis Oxides Ltd. operates the largest separation plant outside Asia in Malaysia.\n"
        "Its processing capacity of 40,000 tonnes per year is being doubled."
    )
    _, found = _capacities(text)
    row = found.row(0, named=True)
    assert (row["company"], row["region"], row["value"]) == ("Borealis Oxides Ltd.", "Malaysia", 40000)


def test_capacity_for_a_year_after_publication_is_planned() -> None:
    _, found = _capacities("The complex will reach a capacity of 8,000 tpa in 2028.",
                           published=dt.date(2025, 3, 1))
    assert found["measure"].to_list() == ["planned_capacity"]


# A production table in the layout statistics sheets use; figures carry fused footnote numbers
# (12 and 14 below) the way PDF text extraction glues them on.
_TABLE = """World mine output and reserves (our own sample layout):
    Mine productione Reserves11
 2023 2024
United States 38,200 40,500 1,700,000
Australia 1218,500 1219,900 134,100,000
Brazil 160 80 21,500,000
Canada — — 810,000
China 14240,000 14260,000 43,000,000
India 2,700 2,800 6,500,000
Madagascar 121,900 122,400 NA
Malaysia 12280 12150 NA
Nigeria 126,100 1211,500 NA
Vietnam 12200 12250 3,400,000
Other 1,520 1,260 NA
World total (rounded) 350,000 372,000 >88,000,000
Reserves are rounded.
"""

_EXPECTED = {
    ("United States", 2023): 38200, ("United States", 2024): 40500,
    ("Australia", 2023): 18500, ("Australia", 2024): 19900,
    ("Brazil", 2023): 160, ("Brazil", 2024): 80,
    ("China", 2023): 240000, ("China", 2024): 260000,
    ("India", 2023): 2700, ("India", 2024): 2800,
    ("Madagascar", 2023): 1900, ("Madagascar", 2024): 2400,
    ("Malaysia", 2023): 280, ("Malaysia", 2024): 150,
    ("Nigeria", 2023): 6100, ("Nigeria", 2024): 11500,
    ("Vietnam", 2023): 200, ("Vietnam", 2024): 250,
    ("Other", 2023): 1520, ("Other", 2024): 1260,
    ("World", 2023): 350000, ("World", 2024): 372000,
}


def _table_facts(found: pl.DataFrame) -> dict[tuple[str, int], float]:
    rows = found.filter(pl.col("measure") == "production").filter(pl.col("year").is_not_null())
    return {(r["region"], r["year"]): r["value"] for r in rows.iter_rows(named=True) if r["region"]}


def test_production_table_with_fused_footnotes() -> None:
    docs, found = _capacities(_TABLE)
    assert _table_facts(found) == _EXPECTED
    text = docs["text"][0]
    for row in found.iter_rows(named=True):
        assert text[row["start"]:row["end"]] == row["quote"]


def test_table_rows_that_are_not_places_are_left_out() -> None:
    text = (
        "Salient Statistics: 2022 2023 2024\nProduction:e\nMineral concentrates 42,500 41,600 45,000\n"
        "Compounds and metals 95 250 1,300\n"
    )
    _, found = _capacities(text)
    assert found.is_empty(), found


@pytest.mark.parametrize("name", ["22_usgs_mcs2025_rare_earths.pdf", "22_usgs_mcs2025_rare_earths_pypdf2.txt"])
def test_usgs_country_production(name: str) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.fail(f"the labelled corpus is missing: {path}")
    _, _, facts = extract_from_paths([path])
    got = _table_facts(facts["capacity"])
    assert got[("China", 2024)] == 270000
    assert got[("Australia", 2023)] == 16000
    assert got[("Malaysia", 2024)] == 130
    assert got[("Myanmar", 2023)] == 43000
    assert got[("Thailand", 2024)] == 13000
    assert got[("World", 2024)] == 390000
    assert len(got) == 28  # 14 rows with figures x 2 years; dashes, NA and the reserves column give nothing
    values = set(facts["capacity"]["value"])
    assert not values & {44_000_000, 1_900_000, 39_000, 42_400}  # reserves and salient statistics
