"""PLACEHOLDER: being written; returns no facts yet."""

import polars as pl


def extract(passages: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame()
