"""Regional-share rules over small frames: qualifier intervals, metric families, the region hierarchy."""

from __future__ import annotations

import json

import polars as pl
import pytest

from quality.findings import FINDING_SCHEMA
from quality.shares import (
    child_share_excesses,
    document_markets,
    metric_family,
    share_claims,
    share_conflicts,
    share_sums_over_100,
)
from transforms.facts import FACT_SCHEMAS


def shares(*claims: tuple, doc: str = "d1") -> pl.DataFrame:
    """Rows of (region, share_pct, qualifier, metric, year[, doc_id]); offsets follow the order given."""
    rows = []
    for i, claim in enumerate(claims):
        region, pct, qualifier, metric, year, *rest = claim
        rows.append({
            "doc_id": rest[0] if rest else doc, "passage_id": f"p{i}", "start": 100 * i, "end": 100 * i + 40,
            "quote": f"{region} {qualifier or ''} {pct}% of {metric} {year or ''}".strip(),
            "region": region, "share_pct": pct, "qualifier": qualifier, "metric": metric, "year": year,
        })
    return pl.DataFrame(rows, schema=FACT_SCHEMAS["regional_share"])


def conflicts(*claims: tuple) -> pl.DataFrame:
    return share_conflicts(share_claims(shares(*claims)))


# --- qualifier intervals: what "cannot both hold" means ------------------------------------------------

@pytest.mark.parametrize(
    ("a", "b", "conflict"),
    [
        (("over", 80), ("approximately", 60), True),   # (80, 100] vs [57, 63]
        (("under", 30), ("at_least", 30), True),       # [0, 30) and [30, 100] only touch at an open end
        (("up_to", 30), ("at_least", 30), False),      # both closed at 30: exactly 30 satisfies both
        (("nearly", 70), ("over", 70), True),          # [65, 70) vs (70, 100]
        (("nearly", 70), ("approximately", 70), False),
        (("nearly", 70), (None, 64), True),            # 64 rounds from [63.5, 64.5], below [65, 70)
        (("nearly", 70), (None, 66), False),
        ((None, 30), ("over", 30), False),             # a bare 30 may be 30.4 rounded
        ((None, 30), (None, 32), True),                # [29.5, 30.5] vs [31.5, 32.5]
        (("approximately", 60), (None, 63), False),    # 60 +/- 3 reaches 63
        (("approximately", 60), (None, 64), True),
        (("over", 85), ("under", 85), True),
        (("at_least", 85), ("up_to", 85), False),
        (("over", 50), ("under", 60), False),
    ],
)
def test_interval_boundaries(a: tuple, b: tuple, conflict: bool) -> None:
    found = conflicts(("China", a[1], a[0], "mine production", 2024), ("China", b[1], b[0], "mine production", 2024))
    errors = found.filter(pl.col("severity") == "error")
    assert errors.height == (1 if conflict else 0), found["message"].to_list()


def test_touching_closed_rounding_bands_do_not_conflict() -> None:
    # 30 -> [29.5, 30.5] and 31 -> [30.5, 31.5] share 30.5: a share of 30.5% rounds either way
    found = conflicts(("China", 30.0, None, "production", 2024), ("China", 31.0, None, "production", 2024))
    assert found.is_empty()


def test_decimal_figures_get_a_narrower_rounding_band() -> None:
    found = conflicts(("China", 48.02, None, "production", 2024), ("China", 48.1, None, "production", 2024))
    assert found["severity"].to_list() == ["error"]


# --- what is compared -----------------------------------------------------------------------------

def test_error_names_region_intervals_and_quotes() -> None:
    found = conflicts(("APAC", 80.0, "over", "refined output", 2024), ("Asia Pacific", 60.0, "approximately",
                                                                        "refining", 2024))
    assert found.columns == list(FINDING_SCHEMA)
    row = found.row(0, named=True)
    assert row["rule"] == "share_conflict" and row["severity"] == "error"
    assert row["subject"] == "Asia-Pacific"
    assert "(80, 100]" in row["message"] and "[57, 63]" in row["message"]
    assert len(row["quotes"]) == 2 and row["doc_ids"] == ["d1"]
    assert json.loads(row["evidence"])["kind"] == "conflict"


def test_different_years_are_not_compared_but_a_missing_year_is() -> None:
    assert conflicts(("China", 90.0, "over", "production", 2020), ("China", 60.0, None, "production", 2024)).is_empty()
    assert conflicts(("China", 90.0, "over", "production", None), ("China", 60.0, None, "production", 2024)).height == 1


def test_different_metric_families_across_documents_are_not_compared() -> None:
    found = conflicts(("China", 90.0, "over", "refining capacity", 2024, "a"),
                      ("China", 60.0, None, "mine production", 2024, "b"))
    assert found.is_empty()


def test_related_metrics_in_one_document_are_set_side_by_side() -> None:
    # the seed report: refined output (no year) beside production in 2024
    found = conflicts(("Asia-Pacific", 80.0, "over", "refined rare earth output", None),
                      ("Asia-Pacific", 70.0, "over", "rare earth production", 2024))
    row = found.row(0, named=True)
    assert (row["rule"], row["severity"], row["subject"]) == ("share_conflict", "warn", "Asia-Pacific")
    assert "refined rare earth output" in row["message"] and "rare earth production in 2024" in row["message"]
    assert json.loads(row["evidence"])["kind"] == "metrics"


def test_unrelated_metrics_in_one_document_are_fine() -> None:
    assert conflicts(("Asia-Pacific", 45.0, None, "demand", 2024),
                     ("Asia-Pacific", 85.0, None, "mine production", 2024)).is_empty()


def test_the_same_claim_repeated_is_one_claim() -> None:
    assert conflicts(("China", 70.0, "over", "production", 2024), ("China", 70.0, "over", "production", 2024),
                     ("PRC", 70.0, "over", "production", 2024)).is_empty()


def test_overlapping_claims_far_apart_warn() -> None:
    found = conflicts(("China", 50.0, "over", "production", 2024, "a"),
                      ("China", 85.0, "approximately", "production", 2024, "b"))
    assert found["severity"].to_list() == ["warn"]
    assert json.loads(found["evidence"][0])["kind"] == "wide"
    # a floor of 70 and a floor of 80 are close enough to leave alone
    assert conflicts(("China", 70.0, "over", "production", 2024, "a"),
                     ("China", 80.0, "over", "production", 2024, "b")).is_empty()


def test_remainder_rows_are_never_compared() -> None:
    assert conflicts(("Other", 6.0, None, "imports", 2023, "a"),
                     ("Others", 20.0, None, "imports", 2023, "b")).is_empty()


def test_unnamed_places_are_never_compared() -> None:
    assert conflicts(("single region (unnamed)", 85.0, "over", "refining capacity", None, "a"),
                     ("a single region", 60.0, None, "refining capacity", None, "b")).is_empty()
    assert sums(("a single country", 85.0, "over", "production", None),
                ("Australia", 20.0, None, "production", None)).is_empty()


def test_market_shares_compare_across_documents_only_for_the_same_market() -> None:
    facts = shares(("Europe", 40.0, None, "market revenue", 2024, "a"),
                   ("Europe", 20.0, None, "market revenue", 2024, "b"))
    valuations = pl.DataFrame(
        [{"doc_id": d, "passage_id": "p", "start": 0, "end": 5, "quote": "q", "market": m, "amount": 1e9,
          "currency": "USD", "year": 2024, "forecast": False}
         for d, m in (("a", "rare earth magnets"), ("b", "rare earth recycling"))],
        schema=FACT_SCHEMAS["valuation"],
    )
    assert share_conflicts(share_claims(facts, document_markets(None, valuations))).is_empty()
    same = valuations.with_columns(pl.lit("Global Rare Earth Magnets Market").alias("market"))
    found = share_conflicts(share_claims(facts, document_markets(None, same)))
    assert found["severity"].to_list() == ["error"]
    # without knowing the documents' markets, market shares stay within their document
    assert share_conflicts(share_claims(facts)).is_empty()


def test_metric_families() -> None:
    labels = ["refined rare earth output", "rare earth refining capacity", "mine production", "global supply",
              "share of U.S. imports of compounds", "exports", "magnet demand", "market revenue", None,
              "installed wind capacity", "widgets"]
    got = pl.select(metric_family(pl.Series(labels, dtype=pl.String)).alias("f"))["f"].to_list()
    assert got == ["refining", "refining", "production", "production", "imports", "exports", "demand", "market",
                   "unspecified", "capacity", "other:widgets"]


def test_finding_ids_are_stable_and_independent_of_row_order() -> None:
    claims = [("China", 90.0, "over", "production", 2024), ("China", 60.0, None, "production", 2024)]
    first = conflicts(*claims)["finding_id"].to_list()
    facts = shares(*claims)
    again = share_conflicts(share_claims(facts.reverse()))["finding_id"].to_list()
    assert first == again and len(first) == 1


# --- share_sum_over_100 ---------------------------------------------------------------------------

def sums(*claims: tuple) -> pl.DataFrame:
    return share_sums_over_100(share_claims(shares(*claims)))


def test_disjoint_regions_over_100_in_one_document() -> None:
    found = sums(("China", 70.0, "over", "production", 2024), ("Australia", 35.0, None, "production", 2024))
    row = found.row(0, named=True)
    assert (row["rule"], row["severity"]) == ("share_sum_over_100", "error")
    assert row["subject"] == "China, Australia"
    assert json.loads(row["evidence"])["lower_bound_sum"] == pytest.approx(104.5)


def test_nested_regions_are_not_added() -> None:
    assert sums(("China", 70.0, None, "production", 2024), ("Asia-Pacific", 80.0, None, "production", 2024),
                ("Europe", 15.0, None, "production", 2024)).is_empty()


def test_the_largest_disjoint_set_is_found() -> None:
    # Asia-Pacific's 95 beats China + Japan (90) inside it; with Europe's 10 that is 104.5 (lower bounds)
    found = sums(("China", 60.0, None, "production", 2024), ("Japan", 30.0, None, "production", 2024),
                 ("APAC", 95.0, None, "production", 2024), ("Europe", 10.0, None, "production", 2024))
    claims = json.loads(found["evidence"][0])["claims"]
    assert sorted(c["region"] for c in claims) == ["Asia-Pacific", "Europe"]


def test_rounded_shares_that_add_to_100_pass() -> None:
    # an import-source list: 70 + 13 + 6 + 5 + 6 = 100, every figure rounded
    assert sums(("China", 70.0, None, "imports", 2023), ("Malaysia", 13.0, None, "imports", 2023),
                ("Japan", 6.0, None, "imports", 2023), ("Estonia", 5.0, None, "imports", 2023),
                ("Other", 6.0, None, "imports", 2023)).is_empty()


def test_sums_cross_documents_and_respect_years_and_families() -> None:
    found = sums(("China", 80.0, None, "mine production", 2024, "a"),
                 ("Australia", 25.0, None, "production", 2024, "b"))
    assert found["doc_ids"].to_list() == [["a", "b"]]
    assert sums(("China", 80.0, None, "production", 2024, "a"), ("Australia", 25.0, None, "production", 2023, "b")
                ).is_empty()
    assert sums(("China", 80.0, None, "production", 2024), ("Australia", 25.0, None, "demand", 2024)).is_empty()
    # an undated claim joins every dated year of its family
    assert sums(("China", 80.0, None, "production", None), ("Australia", 25.0, None, "production", 2024)).height == 1


def test_a_document_over_100_alone_is_reported_once() -> None:
    found = sums(("China", 80.0, None, "production", 2024, "a"), ("Australia", 25.0, None, "production", 2024, "a"),
                 ("Burma", 10.0, None, "production", 2024, "b"))
    assert found.height == 1 and found["doc_ids"].to_list() == [["a"]]


def test_other_rows_count_only_within_their_document() -> None:
    assert sums(("China", 90.0, None, "imports", 2023, "a"), ("Other", 15.0, None, "imports", 2023, "b")).is_empty()
    assert sums(("China", 90.0, None, "imports", 2023), ("Other", 15.0, None, "imports", 2023)).height == 1


# --- child_share_exceeds_parent --------------------------------------------------------------------

def children(*claims: tuple) -> pl.DataFrame:
    return child_share_excesses(share_claims(shares(*claims)))


def test_country_above_its_region() -> None:
    found = children(("China", 90.0, None, "refining", 2024), ("Asia-Pacific", 60.0, "approximately", "refining", 2024))
    row = found.row(0, named=True)
    assert (row["rule"], row["severity"], row["subject"]) == ("child_share_exceeds_parent", "error", "China")
    assert "Asia-Pacific" in row["message"]


def test_child_within_parent_or_other_metric_passes() -> None:
    assert children(("China", 50.0, None, "refining", 2024),
                    ("Asia-Pacific", 40.0, "over", "refining", 2024)).is_empty()
    assert children(("China", 90.0, None, "refining", 2024), ("Asia-Pacific", 60.0, None, "demand", 2024)).is_empty()
    assert children(("China", 90.0, None, "refining", 2023), ("Asia-Pacific", 60.0, None, "refining", 2024)).is_empty()
    # a region is not above a region it merely neighbours
    assert children(("China", 90.0, None, "refining", 2024), ("Europe", 5.0, None, "refining", 2024)).is_empty()


def test_empty_input_gives_empty_findings_of_the_schema() -> None:
    empty = share_claims(shares())
    for rule in (share_conflicts, share_sums_over_100, child_share_excesses):
        out = rule(empty)
        assert out.is_empty() and out.schema == pl.Schema(FINDING_SCHEMA)
