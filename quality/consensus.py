"""Consensus values across sources, with source reliability: CRH for continuous claims.

CRH (Li et al., "Resolving conflicts in heterogeneous data by truth discovery and source
reliability estimation", SIGMOD 2014) alternates two steps until the truths settle:
  1. each object's truth is the weighted median of its sources' claims;
  2. each source's weight is -log(its share of the total loss), where its loss is its mean
     distance to the truths, normalized per object by the spread of that object's claims.
A source that agrees with the others gains weight; an outlier loses it. All steps are polars
expressions over the whole claims frame (group_by per object or source), no per-row Python.

Input claims: one row per (object, source, value). An object is "a market and year" or "a region,
metric and year"; a source is an independent publisher (for now: a document's publisher key).
A value is called consensus only when at least `min_sources` independent sources claim it.
"""

from __future__ import annotations

import polars as pl

MIN_SOURCES = 3
ITERATIONS = 20
_EPS = 1e-9

CONSENSUS_SCHEMA = {
    "object_id": pl.String,
    "consensus_value": pl.Float64,
    "min_value": pl.Float64,
    "max_value": pl.Float64,
    "relative_spread": pl.Float64,
    "n_sources": pl.UInt32,
    "is_consensus": pl.Boolean,
}
WEIGHT_SCHEMA = {"source": pl.String, "weight": pl.Float64, "mean_distance": pl.Float64, "n_claims": pl.UInt32}


def _weighted_median(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Per object: the smallest value whose cumulative weight reaches half the object's total."""
    return (
        frame.sort("object_id", "value")
        .with_columns(
            pl.col("weight").cum_sum().over("object_id").alias("_cum"),
            pl.col("weight").sum().over("object_id").alias("_total"),
        )
        .filter(pl.col("_cum") >= pl.col("_total") / 2 - _EPS)
        .group_by("object_id")
        .agg(pl.col("value").first().alias("truth"))
    )


def crh(claims: pl.DataFrame, iterations: int = ITERATIONS, min_sources: int = MIN_SOURCES
        ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(consensus per object, weight per source) for claims with columns object_id, source, value."""
    if claims.is_empty():
        return pl.DataFrame(schema=CONSENSUS_SCHEMA), pl.DataFrame(schema=WEIGHT_SCHEMA)
    # one claim per source and object: a source repeating itself is not extra evidence
    base = (
        claims.lazy()
        .group_by("object_id", "source")
        .agg(pl.col("value").median())
        .with_columns(
            # normalizer: the spread of the object's claims, or its magnitude when all agree
            pl.max_horizontal(
                pl.col("value").std(ddof=0).over("object_id"), pl.col("value").abs().mean().over("object_id") * 0.01,
                pl.lit(_EPS),
            ).alias("_scale")
        )
        .collect()
    )
    weights = base.select("source").unique().with_columns(pl.lit(1.0).alias("weight"))
    truths = pl.DataFrame(schema={"object_id": pl.String, "truth": pl.Float64})
    for _ in range(iterations):
        weighted = base.lazy().join(weights.lazy(), on="source")
        new_truths = _weighted_median(weighted).collect()
        losses = (
            base.lazy().join(new_truths.lazy(), on="object_id")
            .with_columns(((pl.col("value") - pl.col("truth")).abs() / pl.col("_scale")).alias("distance"))
            .group_by("source")
            .agg(pl.col("distance").mean().alias("mean_distance"), pl.len().alias("n_claims"))
            .with_columns((pl.col("mean_distance") + _EPS).alias("_loss"))
            .with_columns((-(pl.col("_loss") / pl.col("_loss").sum()).log()).alias("weight"))
            .collect()
        )
        converged = truths.height and new_truths.sort("object_id").equals(truths.sort("object_id"))
        truths = new_truths
        weights = losses.select("source", "weight", "mean_distance", "n_claims")
        if converged:
            break
    consensus = (
        base.group_by("object_id")
        .agg(
            pl.col("value").min().alias("min_value"),
            pl.col("value").max().alias("max_value"),
            pl.col("source").n_unique().cast(pl.UInt32).alias("n_sources"),
        )
        .join(truths, on="object_id")
        .rename({"truth": "consensus_value"})
        .with_columns(
            ((pl.col("max_value") - pl.col("min_value")) / pl.col("consensus_value").abs().clip(_EPS))
            .alias("relative_spread"),
            (pl.col("n_sources") >= min_sources).alias("is_consensus"),
        )
        .select(list(CONSENSUS_SCHEMA))
        .sort("object_id")
    )
    if "mean_distance" not in weights.columns:  # a single iteration never ran the loss step
        weights = weights.with_columns(pl.lit(0.0).alias("mean_distance"), pl.lit(0, dtype=pl.UInt32).alias("n_claims"))
    return consensus.cast(CONSENSUS_SCHEMA), weights.select(list(WEIGHT_SCHEMA)).cast(WEIGHT_SCHEMA).sort("source")


def source_keys(documents: pl.DataFrame) -> pl.DataFrame:
    """doc_id -> source: the publisher where known (reposts of one publisher are one source), else the document."""
    publisher = pl.col("publisher") if "publisher" in documents.columns else pl.lit(None, dtype=pl.String)
    return documents.select("doc_id", publisher.str.to_lowercase().str.strip_chars().fill_null(pl.col("doc_id"))
                            .alias("source"))


def market_size_claims(valuations: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """Claims from valuations: object = market, currency and year."""
    return _claims(
        valuations.filter(pl.col("year").is_not_null() & pl.col("market").is_not_null()).select(
            "doc_id", pl.col("market").alias("subject"), pl.lit(None, dtype=pl.String).alias("metric"),
            "currency", "year", pl.col("amount").alias("value"),
        ),
        sources,
    )


def share_claims(shares: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """Claims from regional shares: object = region, metric and year (year may be unknown)."""
    return _claims(
        shares.filter(pl.col("region").is_not_null()).select(
            "doc_id", pl.col("region").alias("subject"), "metric", pl.lit(None, dtype=pl.String).alias("currency"),
            "year", pl.col("share_pct").alias("value"),
        ),
        sources,
    )


def _claims(frame: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.join(sources, on="doc_id", how="left")
        .with_columns(
            pl.col("source").fill_null(pl.col("doc_id")),
            pl.concat_str(
                [pl.col(c).cast(pl.String).fill_null("") for c in ("subject", "metric", "currency", "year")],
                separator="|",
            ).alias("object_id"),
        )
        .select("object_id", "subject", "metric", "currency", pl.col("year").cast(pl.Int32), "source", "value")
    )


def consensus_tables(facts: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(consensus_values, source_reliability) rows for valuations and regional shares."""
    sources = source_keys(facts["documents"])
    values, weights = [], []
    for kind, claims in (
        ("valuation", market_size_claims(facts["valuation"], sources)),
        ("regional_share", share_claims(facts["regional_share"], sources)),
    ):
        consensus, weight = crh(claims.select("object_id", "source", "value"))
        objects = claims.select("object_id", "subject", "metric", "currency", "year").unique("object_id")
        values.append(consensus.join(objects, on="object_id").with_columns(pl.lit(kind).alias("kind")))
        weights.append(weight.with_columns(pl.lit(kind).alias("kind")))
    value_columns = ["kind", "subject", "metric", "currency", "year", "consensus_value", "min_value", "max_value",
                     "relative_spread", "n_sources", "is_consensus"]
    return (
        pl.concat(values).select(value_columns).sort("kind", "subject", "year", nulls_last=True),
        pl.concat(weights).select("kind", "source", "weight", "mean_distance", "n_claims"),
    )
