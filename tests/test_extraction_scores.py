"""Scoring rules: exactly the corpus README's matching rules, precision/recall/F1, misses and spurious facts."""

from __future__ import annotations

import polars as pl
import pytest

from quality.extraction_scores import KindScore, combine, normalize_name, score_extraction
from transforms.facts import FACT_SCHEMAS, conform


def facts(kind: str, rows: list[dict]) -> pl.DataFrame:
    return conform(kind, pl.DataFrame(rows)) if rows else pl.DataFrame(schema=FACT_SCHEMAS[kind])


def valuation(amount: float, year: int | None, quote: str = "q") -> dict:
    return {"amount": amount, "year": year, "currency": "USD", "quote": quote}


def gold_valuation(value: float, scale: str, year: int | None) -> dict:
    return {"market": "m", "value": value, "currency": "USD", "scale": scale, "year": year, "quote": "gold"}


@pytest.mark.parametrize(
    ("amount", "year", "matches"),
    [
        (544e6, 2024, True),
        (544e6 * 1.0049, 2024, True),  # within 0.5%
        (544e6 * 1.006, 2024, False),  # beyond 0.5%
        (544e6, 2023, False),  # same amount, another year
        (544e3, 2024, False),  # scale matters
    ],
)
def test_valuation_amount_and_year(amount: float, year: int, matches: bool) -> None:
    scores = score_extraction({"valuation": facts("valuation", [valuation(amount, year)])},
                              {"valuations": [gold_valuation(544, "million", 2024)]})
    assert scores.kind("valuation").correct == int(matches)
    assert scores.kind("valuation").found == int(matches)


def test_billion_scale() -> None:
    scores = score_extraction({"valuation": facts("valuation", [valuation(31.3e9, 2025)])},
                              {"valuations": [gold_valuation(31.3, "billion", 2025)]})
    assert scores.kind("valuation").recall == 1.0


@pytest.mark.parametrize(("rate", "matches"), [(7.4, True), (7.41, True), (7.39, True), (7.42, False), (-7.4, False)])
def test_growth_rate_tolerance(rate: float, matches: bool) -> None:
    scores = score_extraction({"growth_rate": facts("growth_rate", [{"rate_pct": rate, "quote": "q"}])},
                              {"growth_rates": [{"rate_pct": 7.4, "start_year": None, "end_year": 2032, "quote": "g"}]})
    assert scores.kind("growth_rate").correct == int(matches)


@pytest.mark.parametrize(("value", "matches"), [(70000, True), (70340, True), (70400, False)])
def test_capacity_tolerance(value: float, matches: bool) -> None:
    scores = score_extraction({"capacity": facts("capacity", [{"value": value, "quote": "q"}])},
                              {"capacities": [{"value": 70000, "unit": "t", "quote": "g"}]})
    assert scores.kind("capacity").found == int(matches)


@pytest.mark.parametrize(
    ("predicted", "gold", "matches"),
    [
        ("Shin-Etsu Chemical", "Shin-Etsu Chemical Co., Ltd.", True),
        ("VACUUMSCHMELZE", "VACUUMSCHMELZE GmbH & Co. KG (VAC)", True),
        ("MP Materials Corp.", "MP Materials", True),
        ("Glencore", "Glencore plc", True),
        ("Shenghe Resources Holding Co., Ltd.", "Shenghe Resources", True),
        ("China Northern Rare Earth Group", "China Minmetals Corporation", False),
        ("Lynas", "Lynas Rare Earths Ltd.", True),  # one contains the other
        ("Co.", "Adams Magnetic Products Co.", False),  # nothing left after the suffixes
        ("Arnold", "Arafura Resources Limited", False),
    ],
)
def test_company_names(predicted: str, gold: str, matches: bool) -> None:
    scores = score_extraction({"company": facts("company", [{"name": predicted, "quote": "q"}])},
                              {"companies": [{"name": gold, "country": None}]})
    assert scores.kind("company").correct == int(matches)


@pytest.mark.parametrize(
    ("region", "share", "matches"),
    [("APAC", 80.0, True), ("Asia Pacific", 80.04, True), ("asia-pacific", 79.9, False), ("Europe", 80.0, False)],
)
def test_regional_shares(region: str, share: float, matches: bool) -> None:
    scores = score_extraction(
        {"regional_share": facts("regional_share", [{"region": region, "share_pct": share, "quote": "q"}])},
        {"regional_shares": [{"region": "Asia-Pacific", "share_pct": 80, "qualifier": "over", "quote": "g"}]},
    )
    assert scores.kind("regional_share").correct == int(matches)


def test_normalize_name() -> None:
    names = pl.Series(["Shin-Etsu Chemical Co., Ltd.", "APAC", "Hitachi Metals, Ltd."])
    assert pl.select(normalize_name(pl.lit(names))).to_series().to_list() == [
        "shin etsu chemical", "asia pacific", "hitachi metals"
    ]


def test_precision_recall_f1_misses_and_spurious() -> None:
    predictions = {
        "valuation": facts("valuation", [
            valuation(544e6, 2024, "USD 544 million in 2024"),
            valuation(544e6, 2024, "$544 million in 2024"),  # a repeated mention is not penalised
            valuation(6e9, 2024, "$6 billion"),  # spurious
        ]),
    }
    labels = {
        "valuations": [gold_valuation(544, "million", 2024), gold_valuation(878, "million", 2032)],
        "growth_rates": [{"rate_pct": 7.4, "quote": "CAGR of 7.4%"}],
        "distractors": ["$6 billion"],  # informational keys are ignored
    }
    scores = score_extraction(predictions, labels, "doc.md")
    v = scores.kind("valuation")
    assert (v.labels, v.predicted, v.correct, v.found) == (2, 3, 2, 1)
    assert v.precision == pytest.approx(2 / 3) and v.recall == pytest.approx(0.5)
    assert v.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    g = scores.kind("growth_rate")
    assert (g.precision, g.recall) == (1.0, 0.0)  # nothing predicted: nothing wrong said, nothing found
    assert [(m.kind, m.document, m.quote) for m in scores.misses] == [
        ("valuation", "doc.md", "gold"), ("growth_rate", "doc.md", "CAGR of 7.4%")
    ]
    assert [(s.kind, s.quote) for s in scores.spurious] == [("valuation", "$6 billion")]
    micro = scores.micro
    assert (micro.labels, micro.predicted, micro.correct, micro.found) == (3, 3, 2, 1)


def test_labels_keyed_by_kind_and_missing_prediction_columns() -> None:
    # a placeholder extractor returning an empty frame without columns scores as "nothing predicted"
    scores = score_extraction({"capacity": pl.DataFrame()}, {"capacity": [{"value": 5}]})
    assert scores.kind("capacity") == KindScore("capacity", 1, 0, 0, 0)


def test_combine_adds_documents_up() -> None:
    one = score_extraction({"growth_rate": facts("growth_rate", [{"rate_pct": 5.0, "quote": "a"}])},
                           {"growth_rates": [{"rate_pct": 5.0}]}, "a")
    two = score_extraction({"growth_rate": facts("growth_rate", [{"rate_pct": 9.0, "quote": "b"}])},
                           {"growth_rates": [{"rate_pct": 5.0}]}, "b")
    total = combine([one, two])
    g = total.kind("growth_rate")
    assert (g.labels, g.predicted, g.correct, g.found) == (2, 2, 1, 1)
    assert [s.document for s in total.spurious] == ["b"] and [m.document for m in total.misses] == ["b"]


def test_matching_is_per_document() -> None:
    # a label of another document never supports a prediction: score documents separately
    a = score_extraction({"growth_rate": facts("growth_rate", [{"rate_pct": 5.0, "quote": "a"}])}, {}, "a")
    b = score_extraction({}, {"growth_rates": [{"rate_pct": 5.0}]}, "b")
    g = combine([a, b]).kind("growth_rate")
    assert (g.correct, g.found) == (0, 0)
