"""The shape every rule's findings share, and their stable fingerprints."""

from __future__ import annotations

import hashlib

import polars as pl

FINDING_SCHEMA = {
    "finding_id": pl.String,
    "rule": pl.String,
    "severity": pl.String,
    "subject": pl.String,
    "message": pl.String,
    "doc_ids": pl.List(pl.String),
    "quotes": pl.List(pl.String),
    "evidence": pl.String,
}
SEVERITIES = ("warn", "error")


def empty_findings() -> pl.DataFrame:
    return pl.DataFrame(schema=FINDING_SCHEMA)


def fingerprint(*parts: object) -> str:
    """Stable id of a finding: same rule, subject and evidence give the same id on every run."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


def conform_findings(frame: pl.DataFrame) -> pl.DataFrame:
    if frame.is_empty():
        return empty_findings()
    return frame.select([pl.col(c).cast(t) for c, t in FINDING_SCHEMA.items()]).unique(
        "finding_id", maintain_order=True
    )


def findings_from_rows(rows: list[dict]) -> pl.DataFrame:
    """Finding rows built by a rule (one dict per finding) as a conformed findings frame."""
    if not rows:
        return empty_findings()
    return conform_findings(pl.DataFrame(rows, schema=FINDING_SCHEMA))
