"""Production and capacity figures: the same quantity stated differently, and tables that do not add up.

* `production_conflict` — one country's or company's production or capacity for one year, measure,
  facility and unit, stated differently by two documents. Above 1% apart (beyond the rounding of
  tables to 2-3 significant digits) it is a `warn`: statistical agencies revise estimates (USGS's
  figure for China's 2023 mine production moved by about 6% between two editions) and two
  sources may estimate differently. Above 10% apart it is an `error`: that is no longer a revision
  but a misread figure (a footnote digit fused into "14270,000"), a unit slip or a different
  quantity under the same name, and the figure should not be used until someone looks.
* `total_mismatch` — a table's stated World total against the sum of its rows (the same
  document's regions for that year, measure and unit). Rows above the total are always wrong;
  rows below it only when the table is complete (it has an "Other"/"Rest of world" row), since
  a text may name a few countries and the world total without listing every producer. The
  tolerance is 2% for totals stated as rounded ("World total (rounded)", "about", or a figure
  ending in three zeros), else 0.5%, and never less than half the total's rounding unit (5,000
  for 390,000). Severity `warn`: summing rounded rows is approximate.
"""

from __future__ import annotations

import json

import polars as pl

from quality.findings import empty_findings, findings_from_rows, fingerprint
from transforms.company_names import resolve_companies
from transforms.regions import WORLD, hierarchy_table, normalize_regions

PRODUCTION_CONFLICT = "production_conflict"
TOTAL_MISMATCH = "total_mismatch"

WARN_GAP = 0.01
ERROR_GAP = 0.10
ROUNDED_TOTAL_REL = 0.02
EXACT_TOTAL_REL = 0.005
_REMAINDER = r"(?i)^(?:all\s+)?(?:others?|rest of(?: the)? world|row|other (?:countries|regions))$"
_ROUNDED = r"(?i)\bround|\bapprox|\babout\b|\bestimated\b|~"


def unit_key(unit: pl.Expr) -> pl.Expr:
    """Comparable unit: "metric tons REO equivalent" and "tonnes of REO" -> "t reo"; "tpa" -> "t/y".

    Only spellings are unified; what is counted (REO, NdPr, a quarter) stays part of the key, so
    quarterly NdPr output is never compared with annual REO output.
    """
    return (
        unit.str.to_lowercase()
        .str.replace_all(r"\btpa\b|\bt/a\b", "t/y")
        .str.replace_all(r"\b(?:metric\s+)?(?:tonnes?|tons?)\b", "t")
        .str.replace_all(r"\s*(?:per\s+(?:year|annum)|/\s*(?:year|yr|y|a)\b|a\s+year|annually|p\.?a\.?(?:\s|$))",
                         "/y ")
        .str.replace_all(r"\b(?:of|the|equivalent|eq|contained)\b", " ")
        .str.replace_all(r"[^\w/ ]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.replace_all(r"t /y", "t/y")
        .str.strip_chars()
        .fill_null("")
    )


def _region_label(region: pl.Expr) -> pl.Expr:
    """A table's row label as a region name: "World total (rounded)" -> "World total", "Total" -> "World"."""
    label = region.str.replace_all(r"\s*\([^)]*\)", "").str.strip_chars()
    return pl.when(label.str.contains(r"(?i)^(?:grand\s+)?total$")).then(pl.lit(WORLD)).otherwise(label)


def _scale_to_tons(value: pl.Expr, unit: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Thousand tons ("kt", "000 t") as tons, so 270 kt and 270,000 t compare."""
    thousand = unit.str.contains(r"(?i)\bkt\b|\bkilotonnes?\b|\bthousand\s+(?:metric\s+)?(?:tonnes?|tons?)\b|'000")
    scaled = pl.when(thousand).then(value * 1000).otherwise(value)
    stripped = unit.str.replace_all(
        r"(?i)\bkt\b|\bkilotonnes?\b|\bthousand\s+(?:metric\s+)?(?:tonnes?|tons?)\b|'000\s*(?:tonnes?|tons?|t)?",
        "t")
    return scaled, stripped


def _quantities(capacity: pl.DataFrame) -> pl.DataFrame:
    """Capacity facts with a comparable entity (company cluster, else canonical region), unit and value."""
    names = [n for n in capacity["company"].drop_nulls().unique().sort().to_list() if n.strip()]
    clusters = resolve_companies(names).select(pl.col("name").alias("company"), "cluster")
    value, unit = _scale_to_tons(pl.col("value"), pl.col("unit").fill_null(""))
    return (
        capacity.filter(pl.col("value").is_not_null() & (pl.col("value") > 0))
        .join(clusters, on="company", how="left")
        .with_columns(
            normalize_regions(_region_label(pl.col("region"))).alias("canonical"),
            pl.col("region").str.contains(_ROUNDED).fill_null(False).alias("rounded_label"),
            pl.col("region").str.strip_chars().str.contains(_REMAINDER).fill_null(False).alias("remainder"),
            value.alias("qty"),
            unit_key(unit).alias("ukey"),
            pl.col("facility").str.to_lowercase().str.replace_all(r"[^\w]+", " ").str.strip_chars()
            .fill_null("").alias("fkey"),
            pl.col("measure").fill_null("").alias("measure"),
            (pl.col("doc_id") + ":" + pl.col("start").cast(pl.String) + "-" + pl.col("end").cast(pl.String))
            .alias("key"),
        )
        .with_columns(
            pl.when(pl.col("cluster").is_not_null()).then(pl.lit("company:") + pl.col("cluster"))
            .when(pl.col("canonical").is_not_null()).then(pl.lit("region:") + pl.col("canonical"))
            .alias("entity"),
            pl.coalesce("company", "canonical").alias("entity_name"),
        )
    )


def _number(value: float) -> str:
    """ "14,270,000", "1,508", "2.5": grouped, no exponent, no trailing zeros."""
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _quantity_text(qty: float, unit: str | None) -> str:
    return f"{_number(qty)} {unit or ''}".strip()


def _apart(gap: float) -> str:
    """How far apart two figures are: "5.9% apart", or "52.9 times the other" for gross slips."""
    return f"one is {gap + 1:.1f} times the other" if gap >= 1 else f"{gap * 100:.1f}% apart"


# ---------------------------------------------------------------------------------------------
# production_conflict


def production_conflicts(capacity: pl.DataFrame, warn_gap: float = WARN_GAP,
                         error_gap: float = ERROR_GAP) -> pl.DataFrame:
    """Pairs of documents stating one entity's quantity for one year differently (see module doc)."""
    if capacity.is_empty():
        return empty_findings()
    group = ["entity", "fkey", "measure", "year", "ukey"]
    stated = (
        _quantities(capacity)
        .filter(pl.col("entity").is_not_null() & pl.col("year").is_not_null())
        .sort("doc_id", "start")
        .unique(["doc_id", *group], keep="first", maintain_order=True)
    )
    pairs = (
        stated.join(stated, on=group, suffix="_b")
        .filter(pl.col("doc_id") < pl.col("doc_id_b"))
        .with_columns((pl.max_horizontal("qty", "qty_b") / pl.min_horizontal("qty", "qty_b") - 1).alias("gap"))
        .filter(pl.col("gap") > warn_gap)
        .sort(*group, "doc_id", "doc_id_b")
    )
    if pairs.is_empty():
        return empty_findings()
    rows = []
    for r in pairs.iter_rows(named=True):
        severity = "error" if r["gap"] > error_gap else "warn"
        what = r["measure"] or "quantity"
        at = f" at {r['facility']}" if r["facility"] else ""
        message = (
            f"{r['entity_name']}{at}: {r['year']} {what} is {_quantity_text(r['value'], r['unit'])} in one "
            f"document and {_quantity_text(r['value_b'], r['unit_b'])} in another ({_apart(r['gap'])}"
            f"{'; more than a revision or rounding would explain' if severity == 'error' else ''})"
        )
        evidence = {
            "entity": r["entity"], "facility": r["facility"], "measure": r["measure"], "year": r["year"],
            "unit": r["ukey"], "gap_pct": round(r["gap"] * 100, 3),
            "stated": [{"doc_id": r["doc_id"], "value": r["qty"]}, {"doc_id": r["doc_id_b"], "value": r["qty_b"]}],
        }
        rows.append({
            "finding_id": fingerprint(PRODUCTION_CONFLICT, r["entity"], *sorted([r["key"], r["key_b"]])),
            "rule": PRODUCTION_CONFLICT, "severity": severity, "subject": r["entity_name"], "message": message,
            "doc_ids": [r["doc_id"], r["doc_id_b"]], "quotes": [r["quote"], r["quote_b"]],
            "evidence": json.dumps(evidence),
        })
    return findings_from_rows(rows)


# ---------------------------------------------------------------------------------------------
# total_mismatch


def _rounding_unit(total: pl.Expr) -> pl.Expr:
    """The largest power of ten (up to a million) that divides a stated total: 390,000 -> 10,000."""
    unit = pl.lit(1.0)
    for k in range(1, 7):
        unit = pl.when((total % (10.0 ** k)).abs() < 1e-6).then(10.0 ** k).otherwise(unit)
    return unit


def total_mismatches(capacity: pl.DataFrame) -> pl.DataFrame:
    """World totals that their own table's rows contradict (see module doc)."""
    if capacity.is_empty():
        return empty_findings()
    q = _quantities(capacity).filter(pl.col("company").is_null() & pl.col("year").is_not_null())
    group = ["doc_id", "year", "measure", "ukey"]
    totals = (
        q.filter(pl.col("canonical") == WORLD)
        .sort("doc_id", "start")
        .unique(group, keep="first", maintain_order=True)
        .select(*group, pl.col("qty").alias("total"), pl.col("start").alias("t_start"),
                pl.col("quote").alias("t_quote"), pl.col("key").alias("t_key"), pl.col("unit").alias("t_unit"),
                (pl.col("rounded_label") | pl.col("quote").str.contains(_ROUNDED).fill_null(False)).alias("rounded"))
    )
    candidates = q.filter(
        (pl.col("canonical").is_not_null() & (pl.col("canonical") != WORLD)) | pl.col("remainder")
    ).with_columns(
        pl.when(pl.col("remainder")).then(pl.lit("Other")).otherwise(pl.col("canonical")).alias("row_region")
    )
    # One row per region: the statement nearest the total (a table's own row, not a mention in prose).
    rows = (
        candidates.join(totals, on=group)
        .with_columns((pl.col("start") - pl.col("t_start")).abs().alias("distance"))
        .sort(*group, "row_region", "distance", "start")
        .unique([*group, "row_region"], keep="first", maintain_order=True)
    )
    # Keep the top-most listed regions: a country listed under a listed region is already in it.
    nested = rows.join(hierarchy_table(), left_on="row_region", right_on="region").join(
        rows.select(*group, pl.col("row_region").alias("ancestor")), on=[*group, "ancestor"], how="semi"
    ).select(*group, "row_region")
    rows = rows.join(nested, on=[*group, "row_region"], how="anti")
    sums = (
        rows.sort("start")
        .group_by(*group, "total", "t_quote", "t_key", "t_unit", "rounded")
        .agg(
            pl.col("qty").sum().alias("row_sum"),
            pl.len().alias("n_rows"),
            (pl.col("row_region") == "Other").any().alias("complete"),
            pl.col("key").sort().alias("keys"),
            pl.col("quote").unique(maintain_order=True).alias("quotes"),
        )
        .filter(pl.col("n_rows") >= 2)
        .with_columns(
            pl.max_horizontal(
                pl.when(pl.col("rounded") | (_rounding_unit(pl.col("total")) >= 1000))
                .then(ROUNDED_TOTAL_REL).otherwise(EXACT_TOTAL_REL) * pl.col("total"),
                _rounding_unit(pl.col("total")) / 2,
            ).alias("tolerance"),
            (pl.col("row_sum") - pl.col("total")).alias("diff"),
        )
        .filter((pl.col("diff") > pl.col("tolerance")) | (pl.col("complete") & (-pl.col("diff") > pl.col("tolerance"))))
        .sort(group)
    )
    if sums.is_empty():
        return empty_findings()
    found = []
    for r in sums.iter_rows(named=True):
        what = r["measure"] or "quantity"
        direction = "exceed" if r["diff"] > 0 else "fall short of"
        message = (
            f"World {r['year']} {what}: the stated total is {_quantity_text(r['total'], r['t_unit'])} but the "
            f"{r['n_rows']} rows of the same table sum to {_number(r['row_sum'])} "
            f"({'+' if r['diff'] > 0 else '-'}{_number(abs(r['diff']))}, {r['diff'] / r['total'] * 100:+.1f}%); "
            f"rows {direction} the total beyond rounding (±{_number(r['tolerance'])})"
        )
        evidence = {"year": r["year"], "measure": r["measure"], "unit": r["ukey"], "total": r["total"],
                    "row_sum": r["row_sum"], "rows": r["n_rows"], "tolerance": r["tolerance"],
                    "complete_table": r["complete"]}
        found.append({
            "finding_id": fingerprint(TOTAL_MISMATCH, WORLD, r["t_key"], *r["keys"]),
            "rule": TOTAL_MISMATCH, "severity": "warn", "subject": WORLD, "message": message,
            "doc_ids": [r["doc_id"]], "quotes": [r["t_quote"], *[x for x in r["quotes"] if x != r["t_quote"]]],
            "evidence": json.dumps(evidence),
        })
    return findings_from_rows(found)


def run_production_conflict(facts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return production_conflicts(facts["capacity"])


def run_total_mismatch(facts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return total_mismatches(facts["capacity"])
