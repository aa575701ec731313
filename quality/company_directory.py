"""The company directory: company mentions resolved to one row per company."""

from __future__ import annotations

import polars as pl

from transforms.company_names import resolve_companies

DIRECTORY_SCHEMA = {
    "company_key": pl.String,
    "display_name": pl.String,
    "aliases": pl.List(pl.String),
    "countries": pl.List(pl.String),
    "mentions": pl.Int32,
    "documents": pl.Int32,
    "capacity_facts": pl.Int32,
}


def company_directory(companies: pl.DataFrame, capacities: pl.DataFrame) -> pl.DataFrame:
    """One row per resolved company, from player-list mentions and capacity attributions."""
    names = pl.concat([
        companies.select("name", "country", "doc_id", pl.lit(0).alias("capacity")),
        capacities.filter(pl.col("company").is_not_null())
        .select(pl.col("company").alias("name"), pl.lit(None, dtype=pl.String).alias("country"), "doc_id",
                pl.lit(1).alias("capacity")),
    ])
    if names.is_empty():
        return pl.DataFrame(schema=DIRECTORY_SCHEMA)
    distinct = names["name"].unique().sort().to_list()
    keys = resolve_companies(distinct).select("name", pl.col("cluster").alias("company_key"))
    resolved = names.join(keys, on="name").filter(pl.col("company_key") != "")
    display = (
        resolved.group_by("company_key", "name").len()
        .sort(["company_key", "len", "name"], descending=[False, True, False])
        .group_by("company_key", maintain_order=True).agg(pl.col("name").first().alias("display_name"))
    )
    return (
        resolved.group_by("company_key")
        .agg(
            pl.col("name").unique().sort().alias("aliases"),
            pl.col("country").drop_nulls().unique().sort().alias("countries"),
            (pl.col("capacity") == 0).sum().cast(pl.Int32).alias("mentions"),
            pl.col("doc_id").n_unique().cast(pl.Int32).alias("documents"),
            pl.col("capacity").sum().cast(pl.Int32).alias("capacity_facts"),
        )
        .join(display, on="company_key")
        .select(list(DIRECTORY_SCHEMA))
        .sort("company_key")
        .cast(DIRECTORY_SCHEMA)  # type: ignore[arg-type]
    )
