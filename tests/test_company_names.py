"""The company dimension: canonical keys and clusters of spelling variants."""

from __future__ import annotations

import polars as pl
import pytest

from transforms.company_names import canonical_company, canonical_company_expr, resolve_companies


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Lynas Corporation", "lynas"),
        ("Lynas Rare Earths Ltd.", "lynas rare earths"),
        ("Shin-Etsu Chemical Co., Ltd.", "shin etsu chemical"),
        ("Daido Steel Co., Ltd .", "daido steel"),
        ("VACUUMSCHMELZE GmbH & Co. KG (VAC)", "vacuumschmelze"),
        ("Glencore plc", "glencore"),
        ("China Rare Earth Holdings Limited", "china rare earth"),
        ("Shenghe Resources Holding Co., Ltd.", "shenghe resources"),
        ("VAC Group", "vac"),
        ("Acme Magnetics, Inc.", "acme magnetics"),
        ("  MP Materials  ", "mp materials"),
        ("", ""),
    ],
)
def test_canonical_key(name: str, key: str) -> None:
    assert canonical_company(name) == key


def test_expression_agrees_with_the_function() -> None:
    names = ["Lynas Corporation", "Glencore plc", "VACUUMSCHMELZE GmbH & Co. KG (VAC)", "Iluka Resources Limited"]
    keys = pl.DataFrame({"n": names}).select(canonical_company_expr(pl.col("n")))["n"].to_list()
    assert keys == [canonical_company(n) for n in names]


def test_variants_of_one_company_cluster_together() -> None:
    resolved = resolve_companies(["Lynas Corporation", "Lynas Rare Earths Ltd.", "Lynas", "MP Materials Corp.",
                                  "MP Materials", "Shin-Etsu Chemical", "ShinEtsu Chemical Co."])
    cluster = dict(zip(resolved["name"], resolved["cluster"], strict=True))
    assert cluster["Lynas Corporation"] == cluster["Lynas Rare Earths Ltd."] == cluster["Lynas"]
    assert cluster["MP Materials Corp."] == cluster["MP Materials"]
    assert cluster["Shin-Etsu Chemical"] == cluster["ShinEtsu Chemical Co."]
    assert cluster["Lynas"] != cluster["MP Materials"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("China Northern Rare Earth Group", "China Minmetals Rare Earth"),
        ("China Rare Earth Holdings Limited", "China Northern Rare Earth Group"),
        ("Northern Minerals Limited", "Northern Star Resources"),
        ("Arafura Resources", "Iluka Resources"),
    ],
)
def test_different_companies_stay_apart(a: str, b: str) -> None:
    resolved = resolve_companies([a, b])
    assert resolved["cluster"].n_unique() == 2


def test_empty_input() -> None:
    assert resolve_companies([]).columns == ["name", "canonical", "cluster"]
