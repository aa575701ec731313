"""`cagr_mismatch`: a stated growth rate that the same document's own start and end sizes contradict.

Reports count periods differently: 544 (2024) to 878 (2032) is 8 compounding years, but a report
whose forecast period is 2025-2032 may compound over 7, and a stated period ("from 2025 to 2032")
gives its own count. A rate is a mismatch only when no plausible count brings it within tolerance.
"""

from __future__ import annotations

import json

import polars as pl

from quality.findings import empty_findings, findings_from_rows, fingerprint

RULE = "cagr_mismatch"
# Percentage points. Endpoint sizes are rounded to 3-4 significant digits, which moves the implied
# rate by a few hundredths; report rates come rounded to one or two decimals. A quarter point is
# beyond both, and below the gaps analysts care about (7.4% stated vs 7.1% implied at best).
TOLERANCE_PP = 0.25


def money(amount: float, currency: str) -> str:
    """Amount for a message: "USD 544M", "USD 31.3B"."""
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(amount) >= scale:
            return f"{currency} {amount / scale:,.4g}{suffix}"
    return f"{currency} {amount:,.4g}"


def cagr_mismatches(valuations: pl.DataFrame, growth_rates: pl.DataFrame,
                    tolerance_pp: float = TOLERANCE_PP) -> pl.DataFrame:
    """Findings (see quality.findings.FINDING_SCHEMA) for every stated CAGR its document contradicts."""
    if valuations.is_empty() or growth_rates.is_empty():
        return empty_findings()
    sizes = (
        valuations.filter(pl.col("year").is_not_null() & (pl.col("amount") > 0))
        .sort("doc_id", "market", "year", "start")
        .group_by("doc_id", "market", "currency", "year", maintain_order=True)
        .agg(pl.col("amount").first(), pl.col("quote").first())
    )
    spans = (
        sizes.sort("year")
        .group_by("doc_id", "market", "currency", maintain_order=True)
        .agg(
            pl.col("year").first().alias("y0"),
            pl.col("year").last().alias("y1"),
            pl.col("amount").first().alias("v0"),
            pl.col("amount").last().alias("v1"),
            pl.col("quote").first().alias("q0"),
            pl.col("quote").last().alias("q1"),
        )
        .filter(pl.col("y1") > pl.col("y0"))
    )
    rates = (
        growth_rates.select("doc_id", "market", "rate_pct", "start_year", "end_year", "quote")
        .unique(["doc_id", "market", "rate_pct", "start_year", "end_year"], maintain_order=True)
    )
    checked = (
        rates.join(spans, on=["doc_id", "market"], how="inner")
        # Compare only rates about the same span: historical rates ("CAGR 2019 to 2024") and rates
        # that end elsewhere describe other periods.
        .filter(pl.col("end_year").is_null() | (pl.col("end_year") == pl.col("y1")))
        .filter(pl.col("start_year").is_null() | (pl.col("start_year") >= pl.col("y0")))
        .with_columns((pl.col("y1") - pl.col("y0")).alias("n_full"))
        .with_columns(
            pl.concat_list(
                pl.col("n_full"),
                pl.col("n_full") - 1,
                (pl.col("end_year") - pl.col("start_year")).fill_null(pl.col("n_full")),
            ).alias("periods")
        )
        .explode("periods")
        .filter(pl.col("periods") > 0)
        .with_columns(
            (((pl.col("v1") / pl.col("v0")) ** (1.0 / pl.col("periods")) - 1) * 100).alias("implied_pct")
        )
        .with_columns((pl.col("implied_pct") - pl.col("rate_pct")).abs().alias("gap"))
        .sort("gap")
        .group_by("doc_id", "market", "rate_pct", "start_year", "end_year", maintain_order=True)
        .agg(
            pl.all().exclude("doc_id", "market", "rate_pct", "start_year", "end_year").first(),
            pl.col("implied_pct").filter(pl.col("periods") == pl.col("n_full")).first().alias("implied_full"),
        )
        .filter(pl.col("gap") > tolerance_pp)
    )
    if checked.is_empty():
        return empty_findings()
    rows = []
    for r in checked.iter_rows(named=True):  # findings are few: one per contradicted rate
        closest = (
            f" ({r['implied_pct']:.1f}% if counted over {r['periods']} years)"
            if r["periods"] != r["n_full"] else ""
        )
        message = (
            f"stated CAGR {r['rate_pct']:g}% but {money(r['v0'], r['currency'])} ({r['y0']}) to "
            f"{money(r['v1'], r['currency'])} ({r['y1']}) implies {r['implied_full']:.1f}%{closest}"
        )
        evidence = {
            "stated_pct": r["rate_pct"],
            "implied_pct": round(r["implied_full"], 3),
            "closest_implied_pct": round(r["implied_pct"], 3),
            "closest_period_years": r["periods"],
            "start": {"year": r["y0"], "amount": r["v0"], "currency": r["currency"]},
            "end": {"year": r["y1"], "amount": r["v1"], "currency": r["currency"]},
        }
        rows.append({
            "finding_id": fingerprint(
                RULE, r["doc_id"], r["market"], r["rate_pct"], r["y0"], r["v0"], r["y1"], r["v1"]
            ),
            "rule": RULE,
            "severity": "warn",
            "subject": r["market"],
            "message": message,
            "doc_ids": [r["doc_id"]],
            "quotes": [r["quote"], r["q0"], r["q1"]],
            "evidence": json.dumps(evidence),
        })
    return findings_from_rows(rows)
