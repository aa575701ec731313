"""The region dimension: spellings resolve to one name, and the hierarchy is a tree under the World."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.regions import (
    WORLD,
    ancestors,
    canonical_region,
    contains,
    hierarchy_table,
    normalize_regions,
    region_level,
    region_pattern,
    region_table,
)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("APAC", "Asia-Pacific"),
        ("Asia Pacific", "Asia-Pacific"),
        ("asia-pacific", "Asia-Pacific"),
        ("Asia & Pacific", "Asia-Pacific"),
        ("U.S.", "United States"),
        ("USA", "United States"),
        ("the United States", "United States"),
        ("UK", "United Kingdom"),
        ("U.K.", "United Kingdom"),
        ("EU", "European Union"),
        ("Burma", "Myanmar"),
        ("Middle East and Africa", "Middle East & Africa"),
        ("MEA", "Middle East & Africa"),
        ("World total", WORLD),
        ("global", WORLD),
        ("Viet Nam", "Vietnam"),
        ("Türkiye", "Turkey"),
    ],
)
def test_spellings_resolve_to_one_name(written: str, canonical: str) -> None:
    assert canonical_region(written) == canonical


@pytest.mark.parametrize("written", ["Atlantis", "", None, "rare earths", "Other"])
def test_unknown_names_are_none(written: str | None) -> None:
    assert canonical_region(written) is None


def test_vectorized_normalizer_agrees_with_the_scalar_one() -> None:
    names = ["APAC", "U.S.", "Germany", "Atlantis", None, "asia pacific", "The Netherlands"]
    frame = pl.DataFrame({"name": names}).with_columns(normalize_regions(pl.col("name")).alias("region"))
    assert frame["region"].to_list() == [canonical_region(n) for n in names]


def test_the_table_is_one_tree_under_the_world() -> None:
    table = region_table()
    assert table.columns == ["region", "parent", "level"]
    assert table["region"].is_unique().all()
    roots = table.filter(pl.col("parent").is_null())["region"].to_list()
    assert roots == [WORLD]
    known = set(table["region"])
    assert set(table["parent"].drop_nulls()) <= known
    for region in table["region"]:
        chain = ancestors(region)
        assert region == WORLD or chain[-1] == WORLD
        assert region not in chain


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        ("Asia-Pacific", "Japan", True),
        ("APAC", "China", True),
        ("Asia-Pacific", "Australia", True),
        ("North America", "Mexico", True),
        ("North America", "U.S.", True),
        ("Europe", "Germany", True),
        ("European Union", "Estonia", True),
        ("World", "Madagascar", True),
        ("Europe", "China", False),
        ("Japan", "Japan", False),
        ("Japan", "Asia-Pacific", False),
    ],
)
def test_containment(outer: str, inner: str, expected: bool) -> None:
    assert contains(outer, inner) is expected


def test_levels_and_closure() -> None:
    assert region_level("China") == "country"
    assert region_level("APAC") == "region"
    assert region_level("World") == "world"
    closure = hierarchy_table()
    china = closure.filter(pl.col("region") == "China").sort("depth")["ancestor"].to_list()
    assert china == ancestors("China")
    assert "Asia-Pacific" in china


def test_region_pattern_finds_places_in_text() -> None:
    text = "Plants in the U.S. and Western Europe ship oxide to Japan, not to North America."
    found = pl.DataFrame({"t": [text]}).select(pl.col("t").str.extract_all(region_pattern()))["t"][0]
    assert [canonical_region(f) for f in found] == [
        "United States", "Western Europe", "Japan", "North America"
    ]
