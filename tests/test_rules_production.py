"""`production_conflict` and `total_mismatch` over small capacity frames."""

from __future__ import annotations

import json

import polars as pl
import pytest

from quality.findings import FINDING_SCHEMA
from quality.production import production_conflicts, total_mismatches, unit_key
from transforms.facts import FACT_SCHEMAS

T = "metric tons REO equivalent"


def quantities(*rows: tuple) -> pl.DataFrame:
    """(doc_id, region, value, year[, measure, company, unit, facility]) rows as capacity facts."""
    out = []
    for i, (doc, region, value, year, *rest) in enumerate(rows):
        measure, company, unit, facility = (*rest, None, None, None, None)[:4] if rest else (None,) * 4
        out.append({"doc_id": doc, "passage_id": f"p{i}", "start": 20 * i, "end": 20 * i + 15,
                    "quote": f"{region or company} {value:,.0f}", "company": company, "facility": facility,
                    "region": region, "value": value, "unit": unit or T, "year": year,
                    "measure": measure or "production"})
    return pl.DataFrame(out, schema=FACT_SCHEMAS["capacity"])


# --- production_conflict --------------------------------------------------------------------------

@pytest.mark.parametrize(("other", "severity"), [
    (270_000, None),          # the same figure
    (268_000, None),          # 0.7%: rounding
    (255_000, "warn"),        # 5.9%: a revised estimate
    (14_270_000, "error"),    # a footnote digit fused into the figure
    (240_000, "error"),       # 12.5%
])
def test_two_documents_state_one_countrys_production(other: float, severity: str | None) -> None:
    found = production_conflicts(quantities(("a", "China", 270_000.0, 2024), ("b", "PRC", other, 2024)))
    assert found["severity"].to_list() == ([severity] if severity else [])
    if severity:
        row = found.row(0, named=True)
        assert row["subject"] == "China" and row["rule"] == "production_conflict"
        assert row["doc_ids"] == ["a", "b"] and len(row["quotes"]) == 2
        assert found.columns == list(FINDING_SCHEMA)


def test_other_year_measure_unit_or_same_document_are_not_compared() -> None:
    assert production_conflicts(quantities(("a", "China", 270_000.0, 2024), ("b", "China", 240_000.0, 2023))).is_empty()
    assert production_conflicts(quantities(("a", "China", 270_000.0, 2024),
                                           ("b", "China", 240_000.0, 2024, "capacity"))).is_empty()
    assert production_conflicts(quantities(("a", "China", 270_000.0, 2024),
                                           ("b", "China", 240_000.0, 2024, None, None, "t NdPr"))).is_empty()
    assert production_conflicts(quantities(("a", "China", 270_000.0, 2024), ("a", "China", 240_000.0, 2024))).is_empty()
    assert production_conflicts(quantities(("a", None, 270_000.0, None), ("b", None, 240_000.0, None))).is_empty()


def test_units_are_compared_by_meaning() -> None:
    found = production_conflicts(quantities(
        ("a", "China", 270_000.0, 2024, None, None, "metric tons of REO equivalent"),
        ("b", "China", 270.0, 2024, None, None, "kt REO"),
    ))
    assert found.is_empty()  # 270 kt REO is 270,000 t REO
    keys = pl.select(unit_key(pl.Series(["tonnes per year", "tpa", "metric tons REO equivalent", "tons of REO",
                                         "metric tons NdPr (quarter)"])).alias("k"))["k"].to_list()
    assert keys == ["t/y", "t/y", "t reo", "t reo", "t ndpr quarter"]


def test_companies_resolve_across_spellings_and_facilities_stay_apart() -> None:
    found = production_conflicts(quantities(
        ("a", None, 10_500.0, 2025, "capacity", "Lynas Rare Earths Ltd.", "tonnes per year"),
        ("b", "Malaysia", 12_000.0, 2025, "capacity", "Lynas Corporation", "tpa"),
    ))
    assert found["severity"].to_list() == ["error"] and found["subject"][0] == "Lynas Rare Earths Ltd."
    apart = production_conflicts(quantities(
        ("a", None, 10_500.0, 2025, "capacity", "Lynas", "tpa", "Kalgoorlie"),
        ("b", None, 12_000.0, 2025, "capacity", "Lynas", "tpa", "Kuantan"),
    ))
    assert apart.is_empty()


def test_finding_ids_are_stable() -> None:
    facts = quantities(("a", "China", 270_000.0, 2024), ("b", "China", 255_000.0, 2024))
    assert production_conflicts(facts)["finding_id"].to_list() == \
        production_conflicts(facts.reverse())["finding_id"].to_list()


# --- total_mismatch --------------------------------------------------------------------------------

USGS_2024 = [("United States", 45_000.0), ("Australia", 13_000.0), ("Brazil", 20.0), ("Burma", 31_000.0),
             ("China", 270_000.0), ("India", 2_900.0), ("Madagascar", 2_000.0), ("Malaysia", 130.0),
             ("Nigeria", 13_000.0), ("Russia", 2_500.0), ("Thailand", 13_000.0), ("Vietnam", 300.0),
             ("Other", 1_100.0)]


def table(rows: list[tuple[str, float]], total: float, total_label: str = "World total (rounded)",
          year: int = 2024, doc: str = "usgs") -> pl.DataFrame:
    return quantities(*[(doc, region, value, year) for region, value in rows], (doc, total_label, total, year))


def test_a_rounded_table_that_adds_up_passes() -> None:
    assert total_mismatches(table(USGS_2024, 390_000.0)).is_empty()  # rows: 393,950


def test_rows_exceeding_the_total_warn() -> None:
    found = total_mismatches(table(USGS_2024, 350_000.0))
    row = found.row(0, named=True)
    assert (row["rule"], row["severity"], row["subject"]) == ("total_mismatch", "warn", "World")
    assert "393,950" in row["message"] and "350,000" in row["message"]
    evidence = json.loads(row["evidence"])
    assert evidence["rows"] == 13 and evidence["complete_table"] is True
    assert row["quotes"][0].startswith("World total")


def test_rows_short_of_the_total_need_a_complete_table() -> None:
    partial = [r for r in USGS_2024 if r[0] != "Other"]
    assert total_mismatches(table(partial[:3], 390_000.0)).is_empty()  # a few countries named, not a table
    assert total_mismatches(table(USGS_2024, 450_000.0)).height == 1  # "Other" row: the list is complete


def test_the_row_nearest_the_total_is_the_tables_own() -> None:
    # prose earlier in the document mentions China's 2024 figure differently; the table row wins
    prose = quantities(("usgs", "China", 300_000.0, 2024))
    facts = pl.concat([prose, table(USGS_2024, 390_000.0).with_columns(pl.col("start") + 1000, pl.col("end") + 1000)])
    assert total_mismatches(facts).is_empty()


def test_a_listed_region_and_its_countries_are_not_both_added() -> None:
    rows = [("Asia-Pacific", 300_000.0), ("China", 270_000.0), ("Europe", 10_000.0), ("North America", 50_000.0),
            ("Other", 2_000.0)]
    assert total_mismatches(table(rows, 360_000.0)).is_empty()


def test_single_row_or_other_measure_or_year_is_not_a_table() -> None:
    assert total_mismatches(table([("China", 270_000.0)], 390_000.0)).is_empty()
    facts = table(USGS_2024, 390_000.0).with_columns(
        pl.when(pl.col("region").str.starts_with("World")).then(pl.lit(2023)).otherwise(pl.col("year")).alias("year"))
    assert total_mismatches(facts).is_empty()


def test_unrounded_total_gets_a_tight_tolerance() -> None:
    rows = [("China", 1_234.0), ("Japan", 567.0), ("Other", 89.0)]  # 1,890
    assert total_mismatches(table(rows, 1_890.0, "World")).is_empty()
    assert total_mismatches(table(rows, 1_923.0, "World")).height == 1  # 1.7% off, no rounding stated
