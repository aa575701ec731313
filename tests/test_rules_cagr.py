"""`cagr_mismatch` over small frames: period conventions, tolerance, historical rates."""

from __future__ import annotations

import json

import polars as pl
import pytest

from quality.cagr import TOLERANCE_PP, cagr_mismatches, money
from transforms.facts import FACT_SCHEMAS

M = 1e6


def facts(doc: str, market: str, points: list[tuple[int, float]], rate: float, start: int | None,
          end: int | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    valuations = pl.DataFrame(
        [{"doc_id": doc, "passage_id": "p", "start": 10 * i, "end": 10 * i + 5, "quote": f"USD {a / M:g} million",
          "market": market, "amount": a, "currency": "USD", "year": y, "forecast": y > 2024}
         for i, (y, a) in enumerate(points)],
        schema=FACT_SCHEMAS["valuation"],
    )
    rates = pl.DataFrame(
        [{"doc_id": doc, "passage_id": "p", "start": 900, "end": 920, "quote": f"CAGR of {rate}%", "market": market,
          "rate_pct": rate, "start_year": start, "end_year": end}],
        schema=FACT_SCHEMAS["growth_rate"],
    )
    return valuations, rates


def test_seed_report_rate_is_contradicted() -> None:
    # 544 (2024) -> 878 (2032) is 6.2%/yr over 8 years, 7.1% over 7; the report says 7.4%
    found = cagr_mismatches(*facts("seed", "rare earth refining services", [(2024, 544 * M), (2032, 878 * M)], 7.4,
                                   None, 2032))
    row = found.row(0, named=True)
    assert (row["rule"], row["severity"], row["subject"]) == ("cagr_mismatch", "warn", "rare earth refining services")
    assert "implies 6.2%" in row["message"] and "7.1% if counted over 7 years" in row["message"]
    assert json.loads(row["evidence"])["closest_period_years"] == 7


def test_stated_period_that_fits_passes() -> None:
    # 7.66 (2023) -> 16.26 (2032): 8.72% over 9 years; stated 8.75% "from 2024 to 2032"
    assert cagr_mismatches(*facts("d", "rare earth metals", [(2023, 7660 * M), (2032, 16260 * M)], 8.75, 2024,
                                  2032)).is_empty()


def test_recycling_rate_off_by_more_than_the_tolerance() -> None:
    found = cagr_mismatches(*facts("d", "rare earth recycling", [(2023, 283.81 * M), (2032, 827.9 * M)], 11.3, 2024,
                                   2032))
    assert found.height == 1


@pytest.mark.parametrize(("rate", "flagged"), [(6.2, False), (6.2 + TOLERANCE_PP - 0.01, False), (6.5, True)])
def test_tolerance_boundary(rate: float, flagged: bool) -> None:
    # 420 -> 640 over 7 years is 6.199%
    found = cagr_mismatches(*facts("d", "m", [(2024, 420 * M), (2031, 640 * M)], rate, 2024, 2031))
    assert found.height == int(flagged)


def test_historical_rate_is_not_checked_against_the_forecast() -> None:
    assert cagr_mismatches(*facts("d", "m", [(2025, 31.3e9), (2032, 69.7e9)], 11.6, 2019, 2024)).is_empty()


def test_money() -> None:
    assert money(544e6, "USD") == "USD 544M" and money(31.3e9, "USD") == "USD 31.3B"
