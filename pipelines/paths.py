"""Where things live by default; every path can be moved with an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """Working data: the warehouse, raw document bytes (MARKETINTEL_DATA, default ./data)."""
    return Path(os.environ.get("MARKETINTEL_DATA") or PROJECT_ROOT / "data")


def inbox_dir() -> Path:
    """Folder of documents to ingest (MARKETINTEL_INBOX, default the bundled samples)."""
    return Path(os.environ.get("MARKETINTEL_INBOX") or PROJECT_ROOT / "samples")


def warehouse_path() -> Path:
    """The DuckDB file (MARKETINTEL_WAREHOUSE, default ./data/warehouse.duckdb)."""
    return Path(os.environ.get("MARKETINTEL_WAREHOUSE") or data_dir() / "warehouse.duckdb")


def raw_dir() -> Path:
    """Raw bytes of every ingested document, stored by content hash."""
    return Path(os.environ.get("MARKETINTEL_RAW") or data_dir() / "raw")


def published_path() -> Path:
    """The snapshot analysts query (MARKETINTEL_PUBLISHED; default `published/` beside the working
    warehouse: ./data/published/warehouse.duckdb)."""
    working = warehouse_path()
    return Path(os.environ.get("MARKETINTEL_PUBLISHED") or working.parent / "published" / working.name)
