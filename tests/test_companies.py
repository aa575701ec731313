"""Company lists: explicit player lists and legal-form mentions, never customers or headings."""

from __future__ import annotations

import polars as pl
import pytest

from transforms import companies
from transforms.passages import split_passages


def _companies(*texts: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    docs = pl.DataFrame(
        {"doc_id": [f"doc{i}" for i in range(len(texts))], "title": [None] * len(texts),
         "published": [None] * len(texts), "text": list(texts)},
        schema={"doc_id": pl.String, "title": pl.String, "published": pl.Date, "text": pl.String},
    )
    return docs, companies.extract(split_passages(docs.select("doc_id", "text")), docs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Key players include Acme Rare Earths Ltd., Borealis Metals, and Cathay Magnetics Co., Ltd., "
            "among others.",
            {("Acme Rare Earths Ltd.", None), ("Borealis Metals", None), ("Cathay Magnetics Co., Ltd.", None)},
        ),
        (
            "The key companies profiled in this study include Delta Oxides (U.S.), Everstone Mining (Canada) "
            "and Fjord Separation AS (Norway).",
            {("Delta Oxides", "United States"), ("Everstone Mining", "Canada"),
             ("Fjord Separation AS", "Norway")},
        ),
        (
            "Prominent players in the market are: Gamma Refining; Helix Minerals; Ironbark Resources.",
            {("Gamma Refining", None), ("Helix Minerals", None), ("Ironbark Resources", None)},
        ),
        (
            "State-backed groups including Jade River Rare Earth Group and Kunlun Metals together run most "
            "separation plants.",
            {("Jade River Rare Earth Group", None), ("Kunlun Metals", None)},
        ),
        (
            "Magnet Market Major Players:Orion Magnet CorporationPelican Rare Earths Ltd.Quasar Metals Co., "
            "Ltd .Rigel Magnetic TechnologiesSirius Alloys GmbH & Co. KG (SAG)Other Prominent PlayersKey "
            "Market Segmentation:By Type",
            {("Orion Magnet Corporation", None), ("Pelican Rare Earths Ltd.", None),
             ("Quasar Metals Co., Ltd", None), ("Rigel Magnetic Technologies", None),
             ("Sirius Alloys GmbH & Co. KG (SAG)", None)},
        ),
        (
            "List of Key Separation Companies Profiled\nTaurus Oxides Limited (Australia)\n"
            "Umbra Metals (U.S.)\nVega Rare Earths (China)\n",
            {("Taurus Oxides Limited", "Australia"), ("Umbra Metals", "United States"),
             ("Vega Rare Earths", "China")},
        ),
        (
            "Key Players:\n- Wolf Magnetics Corp\n- Xenon Minerals Ltd\n- Yarrow Resources\n",
            {("Wolf Magnetics Corp", None), ("Xenon Minerals Ltd", None), ("Yarrow Resources", None)},
        ),
        (
            "Zephyr Oxides (Japan)\nAtlas Separation (Brazil)\n",
            {("Zephyr Oxides", "Japan"), ("Atlas Separation", "Brazil")},
        ),
        (
            "Tier 1 suppliers: Lumen Metals, Meridia Oxides and Nordic Rare Earths.",
            {("Lumen Metals", None), ("Meridia Oxides", None), ("Nordic Rare Earths", None)},
        ),
        (
            "Kestrel Magnetics Inc. said on Tuesday that its second line had started.",
            {("Kestrel Magnetics Inc.", None)},
        ),
        (
            "Meanwhile, Boreal Oxide Corporation widened its losses.",
            {("Boreal Oxide Corporation", None)},
        ),
    ],
)
def test_player_lists(text: str, expected: set[tuple[str, str | None]]) -> None:
    docs, found = _companies(text)
    assert set(zip(found["name"], found["country"], strict=True)) == expected
    doc_text = docs["text"][0]
    for row in found.iter_rows(named=True):
        assert doc_text[row["start"]:row["end"]] == row["quote"]


@pytest.mark.parametrize(
    "text",
    [
        "EV manufacturers such as Tesla and BYD keep raising their magnet orders.",
        "Automakers like Tesla and BYD passed their delivery targets last year.",
        "The market is segmented by end user into:\nAutomotive Manufacturers\nDefense Contractors\n"
        "Renewable Energy Providers\n",
        "The report covers the following regions:\nNorth America\nEurope\nAsia-Pacific\n",
        "Source: Argus Media Group, prices in dollars per kilogram.",
        "Governments and private companies are investing in new separation plants.",
        "Key Industry Players\nMarket Leaders Invest in Vertical Integration to Secure Supply\n"
        "The leaders named here grew faster than the rest of the field last year.",
        "The report offers profiles of key industry players, including:\nCompany profiles\n"
        "Product specifications\nSales performance\n",
        "Other Prominent Players",
    ],
)
def test_not_companies(text: str) -> None:
    _, found = _companies(text)
    assert found.is_empty(), found


def test_one_row_per_company_per_document_with_the_country_kept() -> None:
    text = (
        "Key players include Acme Rare Earths Ltd. and Borealis Metals.\n"
        "List of Companies Profiled\nAcme Rare Earths Ltd. (Australia)\nBorealis Metals (Canada)\n"
        "Acme Rare Earths Ltd. raised its guidance."
    )
    _, found = _companies(text, text)
    assert found.height == 4
    per_doc = found.filter(pl.col("doc_id") == "doc0")
    assert dict(zip(per_doc["name"], per_doc["country"], strict=True)) == {
        "Acme Rare Earths Ltd.": "Australia", "Borealis Metals": "Canada"}


def test_empty_input() -> None:
    _, found = _companies()
    assert found.is_empty()
