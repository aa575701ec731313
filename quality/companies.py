"""`company_country_conflict`: one company placed in different countries.

Player lists attach a country to each company ("Lynas Rare Earths Ltd. (Australia)"). Names are
first resolved to one company (transforms.company_names: legal suffixes, spelling variants,
"Lynas" / "Lynas Rare Earths") and countries to canonical regions ("U.S." = "United States"), so
only real disagreements remain. Severity `warn`: a company can be listed in Australia and
Malaysia for good reasons (headquarters, listing, main plant); the analyst decides which one the
company dimension should carry.
"""

from __future__ import annotations

import json

import polars as pl

from quality.findings import empty_findings, findings_from_rows, fingerprint
from transforms.company_names import resolve_companies
from transforms.regions import normalize_regions

RULE = "company_country_conflict"


def company_country_conflicts(companies: pl.DataFrame) -> pl.DataFrame:
    """One finding per company given two or more countries, listing each country with its source."""
    if companies.is_empty():
        return empty_findings()
    placed = companies.filter(
        pl.col("name").is_not_null() & (pl.col("name").str.strip_chars() != "")
        & pl.col("country").is_not_null() & (pl.col("country").str.strip_chars() != "")
    )
    if placed.is_empty():
        return empty_findings()
    clusters = resolve_companies(placed["name"].unique().sort().to_list()).select("name", "cluster")
    stated = (
        placed.join(clusters, on="name", how="left")
        .with_columns(
            pl.coalesce(normalize_regions(pl.col("country")), pl.col("country").str.strip_chars()).alias("place"),
        )
        .sort("doc_id", "start")
        .unique(["cluster", "place", "doc_id"], keep="first", maintain_order=True)
    )
    conflicts = (
        stated.group_by("cluster", maintain_order=True)
        .agg(
            pl.col("place").n_unique().alias("n_places"),
            pl.col("name").first().alias("shown"),
            pl.col("place").unique().sort().alias("places"),
            pl.struct("place", "name", "doc_id", "quote").sort_by("place", "doc_id").alias("claims"),
        )
        .filter(pl.col("n_places") > 1)
        .sort("cluster")
    )
    if conflicts.is_empty():
        return empty_findings()
    rows = []
    for r in conflicts.iter_rows(named=True):
        by_place: dict[str, list[dict]] = {}
        for claim in r["claims"]:
            by_place.setdefault(claim["place"], []).append(claim)
        listed = "; ".join(
            f"{place} (as \"{claims[0]['name']}\", {len(claims)} document{'s' if len(claims) > 1 else ''})"
            for place, claims in by_place.items()
        )
        message = f"{r['shown']} is placed in {r['n_places']} different countries: {listed}"
        evidence = {"company": r["cluster"], "countries": r["places"],
                    "claims": [{"country": c["place"], "name": c["name"], "doc_id": c["doc_id"]}
                               for c in r["claims"]]}
        rows.append({
            "finding_id": fingerprint(RULE, r["cluster"], *r["places"]),
            "rule": RULE, "severity": "warn", "subject": r["shown"], "message": message,
            "doc_ids": list(dict.fromkeys(c["doc_id"] for c in r["claims"])),
            "quotes": list(dict.fromkeys(c["quote"] for c in r["claims"])),
            "evidence": json.dumps(evidence),
        })
    return findings_from_rows(rows)


def run_company_country_conflict(facts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return company_country_conflicts(facts["company"])
