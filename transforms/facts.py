"""The five fact kinds: their columns, and one call that extracts all of them from passages.

Every fact row carries its provenance (`doc_id`, `passage_id`, `start`, `end` into the document's
normalized text, `quote` == that slice) and the extractor version, so an analyst can always go
from a figure back to the words it came from.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import polars as pl

from transforms import capacities, companies, growth_rates, shares, valuations

EXTRACTOR_VERSION = "0.3.0"

PROVENANCE = {
    "doc_id": pl.String,
    "passage_id": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
    "quote": pl.String,
}

FACT_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "valuation": {
        **PROVENANCE,
        "market": pl.String(),
        "amount": pl.Float64(),
        "currency": pl.String(),
        "year": pl.Int32(),
        "forecast": pl.Boolean(),
    },
    "growth_rate": {
        **PROVENANCE,
        "market": pl.String(),
        "rate_pct": pl.Float64(),
        "start_year": pl.Int32(),
        "end_year": pl.Int32(),
    },
    "capacity": {
        **PROVENANCE,
        "company": pl.String(),
        "facility": pl.String(),
        "region": pl.String(),
        "value": pl.Float64(),
        "unit": pl.String(),
        "year": pl.Int32(),
        "measure": pl.String(),  # capacity | planned_capacity | planned_capacity_addition | production
    },
    "company": {
        **PROVENANCE,
        "name": pl.String(),
        "country": pl.String(),
    },
    "regional_share": {
        **PROVENANCE,
        "region": pl.String(),
        "share_pct": pl.Float64(),
        "qualifier": pl.String(),  # over | under | approximately | nearly | at_least | up_to | null
        "metric": pl.String(),
        "year": pl.Int32(),
    },
}
FACT_KINDS = tuple(FACT_SCHEMAS)

# Documents frame the extractors receive: one row per document.
DOCUMENT_SCHEMA = {
    "doc_id": pl.String,
    "title": pl.String,
    "published": pl.Date,
    "text": pl.String,
}

_EXTRACTORS = {
    "valuation": valuations.extract,
    "growth_rate": growth_rates.extract,
    "capacity": capacities.extract,
    "company": companies.extract,
    "regional_share": shares.extract,
}


def empty_facts(kind: str) -> pl.DataFrame:
    return pl.DataFrame(schema=FACT_SCHEMAS[kind])


# The value without which a fact says nothing: a row whose value could not be read is dropped.
_REQUIRED = {"valuation": "amount", "growth_rate": "rate_pct", "capacity": "value", "company": "name",
             "regional_share": "share_pct"}


def conform(kind: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Exactly the kind's columns, in order and type, with duplicates of one mention removed."""
    schema = FACT_SCHEMAS[kind]
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in schema.items() if c not in frame.columns]
    return (
        frame.with_columns(missing)
        .select([pl.col(c).cast(t) for c, t in schema.items()])
        .filter(pl.col(_REQUIRED[kind]).is_not_null())
        .unique(maintain_order=True)
    )


def extract_facts(passages: pl.DataFrame, documents: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """All facts of all kinds in `passages`, keyed by kind; `documents` gives titles and dates.

    The five extractors are independent, and polars releases the GIL while it works, so running
    them side by side keeps both cores busy through each extractor's single-threaded stretches.
    """
    passages = passages.rechunk()  # polars compiles a regex once per chunk
    with ThreadPoolExecutor(max_workers=len(_EXTRACTORS)) as pool:
        futures = {kind: pool.submit(extract_kind, kind, passages, documents) for kind in _EXTRACTORS}
        return {kind: future.result() for kind, future in futures.items()}


def extract_kind(kind: str, passages: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """Facts of one kind; what each staging asset calls."""
    return conform(kind, _EXTRACTORS[kind](passages, documents))
