"""Dagster resources: the warehouse file and the document store."""


from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from transforms.documents import MAX_DOCUMENT_BYTES
from warehouse.connection import connect

# Every asset that writes DuckDB runs in this pool; dagster.yaml limits it to one at a time, so two
# runs never fight over the file lock.
DUCKDB_POOL = "duckdb_writer"


class WarehouseResource(dg.ConfigurableResource):
    """The pipeline's working DuckDB file, and where its published snapshot for analysts goes."""

    path: str
    published_path: str = ""

    def published(self) -> Path:
        """The analysts' snapshot; by default `published/<name>` beside the working file."""
        if self.published_path:
            return Path(self.published_path)
        working = Path(self.path)
        return working.parent / "published" / working.name

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with connect(self.path, read_only=read_only) as con:
            yield con


class DocumentStoreResource(dg.ConfigurableResource):
    """Where documents arrive (the inbox) and where their raw bytes are kept by content hash."""

    inbox: str
    raw_dir: str
    max_bytes: int = MAX_DOCUMENT_BYTES

    def keep_raw(self, doc_id: str, data: bytes) -> Path:
        """Store raw bytes under raw_dir/ab/abcdef…; writing the same content twice is a no-op."""
        target = Path(self.raw_dir) / doc_id[:2] / doc_id
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(target)
        return target
