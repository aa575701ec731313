"""`company_country_conflict` over small company frames."""

from __future__ import annotations

import json

import polars as pl

from quality.companies import company_country_conflicts
from quality.findings import FINDING_SCHEMA
from transforms.facts import FACT_SCHEMAS


def companies(*rows: tuple) -> pl.DataFrame:
    """(doc_id, name, country) rows as company facts."""
    return pl.DataFrame(
        [{"doc_id": d, "passage_id": "p", "start": 10 * i, "end": 10 * i + 9, "quote": f"{n} ({c})", "name": n,
          "country": c} for i, (d, n, c) in enumerate(rows)],
        schema=FACT_SCHEMAS["company"],
    )


def test_spellings_of_one_company_and_one_country_agree() -> None:
    found = company_country_conflicts(companies(
        ("a", "MP Materials", "United States"), ("b", "MP Materials Corp.", "U.S."), ("c", "MP Materials", "USA"),
        ("c", "Lynas Rare Earths Ltd.", "Australia"), ("d", "Lynas Corporation", None),
    ))
    assert found.is_empty()


def test_one_company_in_two_countries_warns() -> None:
    found = company_country_conflicts(companies(
        ("a", "Lynas Rare Earths Ltd.", "Australia"), ("b", "Lynas Corporation", "Malaysia"),
        ("c", "Lynas", "Australia"), ("c", "Iluka Resources", "Australia"),
    ))
    assert found.columns == list(FINDING_SCHEMA)
    row = found.row(0, named=True)
    assert (row["rule"], row["severity"]) == ("company_country_conflict", "warn")
    assert row["subject"] == "Lynas Rare Earths Ltd."
    assert "Australia" in row["message"] and "Malaysia" in row["message"]
    assert sorted(row["doc_ids"]) == ["a", "b", "c"]
    assert json.loads(row["evidence"])["countries"] == ["Australia", "Malaysia"]


def test_different_companies_sharing_words_stay_apart() -> None:
    assert company_country_conflicts(companies(
        ("a", "China Northern Rare Earth Group", "China"), ("b", "China Minmetals Rare Earth", "China"),
        ("a", "Northern Minerals", "Australia"),
    )).is_empty()


def test_finding_id_depends_on_company_and_countries_only() -> None:
    one = companies(("a", "Lynas", "Australia"), ("b", "Lynas Corp", "Malaysia"))
    more = pl.concat([one, companies(("c", "Lynas Rare Earths", "Australia"))])
    assert company_country_conflicts(one)["finding_id"].to_list() == \
        company_country_conflicts(more.reverse())["finding_id"].to_list()


def test_empty() -> None:
    assert company_country_conflicts(companies()).is_empty()
