"""CRH consensus: the weighted median follows the sources that agree, outliers lose weight."""

from __future__ import annotations

import polars as pl
import pytest

from quality.consensus import consensus_tables, crh, source_keys


def _claims(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"object_id": pl.String, "source": pl.String, "value": pl.Float64}, orient="row")


def test_outlier_source_loses_weight_and_the_consensus_follows_the_majority() -> None:
    claims = _claims([
        ("m|2024", "a", 544.0), ("m|2024", "b", 550.0), ("m|2024", "c", 548.0), ("m|2024", "d", 900.0),
        ("m|2032", "a", 878.0), ("m|2032", "b", 880.0), ("m|2032", "c", 875.0), ("m|2032", "d", 1500.0),
    ])
    values, weights = crh(claims)
    by_object = {r["object_id"]: r for r in values.iter_rows(named=True)}
    assert 544.0 <= by_object["m|2024"]["consensus_value"] <= 550.0
    assert 875.0 <= by_object["m|2032"]["consensus_value"] <= 880.0
    assert by_object["m|2024"]["n_sources"] == 4 and by_object["m|2024"]["is_consensus"]
    weight = dict(zip(weights["source"], weights["weight"], strict=True))
    assert weight["d"] < min(weight["a"], weight["b"], weight["c"]) / 10


def test_fewer_than_three_sources_is_not_called_consensus() -> None:
    values, _ = crh(_claims([("x", "a", 10.0), ("x", "b", 12.0)]))
    row = values.row(0, named=True)
    assert row["n_sources"] == 2 and not row["is_consensus"]
    assert row["min_value"] == 10.0 and row["max_value"] == 12.0
    assert row["relative_spread"] == pytest.approx(2.0 / row["consensus_value"])


def test_a_source_repeating_itself_counts_once() -> None:
    values, _ = crh(_claims([("x", "a", 10.0), ("x", "a", 10.0), ("x", "a", 10.0), ("x", "b", 30.0)]))
    assert values.row(0, named=True)["n_sources"] == 2


def test_empty_claims() -> None:
    values, weights = crh(_claims([]))
    assert values.is_empty() and weights.is_empty()


def test_consensus_tables_group_by_publisher() -> None:
    documents = pl.DataFrame({"doc_id": ["d1", "d2", "d3", "d4"],
                              "publisher": ["Alpha Research", "alpha research ", "Beta", None]})
    assert source_keys(documents)["source"].to_list() == ["alpha research", "alpha research", "beta", "d4"]
    valuation = pl.DataFrame({
        "doc_id": ["d1", "d2", "d3", "d4"], "market": ["rare earth magnets"] * 4, "currency": ["USD"] * 4,
        "year": [2025] * 4, "amount": [31.3e9, 31.3e9, 30.0e9, 29.0e9],
    })
    shares = pl.DataFrame(schema={"doc_id": pl.String, "region": pl.String, "metric": pl.String,
                                  "year": pl.Int32, "share_pct": pl.Float64})
    values, weights = consensus_tables({"documents": documents, "valuation": valuation, "regional_share": shares})
    row = values.row(0, named=True)
    assert (row["kind"], row["subject"], row["currency"]) == ("valuation", "rare earth magnets", "USD")
    assert row["year"] == 2025
    assert row["n_sources"] == 3 and row["is_consensus"]
    assert set(weights["source"]) == {"alpha research", "beta", "d4"}


def test_company_directory_merges_spellings_and_keeps_countries() -> None:
    from quality.company_directory import company_directory

    companies = pl.DataFrame({
        "doc_id": ["a", "a", "b", "b"],
        "name": ["Lynas Rare Earths Ltd.", "MP Materials Corp.", "Lynas Rare Earths",
                 "China Northern Rare Earth Group"],
        "country": ["Australia", "United States", "Australia", None],
    })
    capacities = pl.DataFrame({"doc_id": ["c"], "company": ["Lynas Rare Earths Limited"]})
    directory = company_directory(companies, capacities)
    rows = {r["company_key"]: r for r in directory.iter_rows(named=True)}
    lynas = rows["lynas rare earths"]
    assert lynas["countries"] == ["Australia"]
    assert lynas["mentions"] == 2 and lynas["documents"] == 3 and lynas["capacity_facts"] == 1
    assert len(lynas["aliases"]) == 3
    assert directory.height == 3
