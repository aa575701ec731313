"""Publishing: analysts read a snapshot, never the file the pipeline is writing.

The pipeline writes its working database; publishing checkpoints it (so the file holds every
committed change), copies it beside the published file and renames the copy over it. A rename is
atomic: a reader opening the published file gets either the old snapshot or the new one, never a
half-loaded table. A reader that already has the old file open keeps reading that snapshot (the
old inode stays alive until it closes), and never holds a lock the pipeline waits for; its next
connection sees the new data.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb


def publish(working: Path, published: Path) -> int:
    """Swap a consistent copy of `working` in as `published`; returns the snapshot's size in bytes."""
    working, published = Path(working), Path(published)
    con = duckdb.connect(str(working))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    published.parent.mkdir(parents=True, exist_ok=True)
    staging = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(working, staging)
        with open(staging, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(staging, published)
    finally:
        staging.unlink(missing_ok=True)
    directory = os.open(published.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # make the rename itself durable
    finally:
        os.close(directory)
    return published.stat().st_size


def open_published(published: Path) -> duckdb.DuckDBPyConnection:
    """A read-only analyst connection that cannot reach files or write anything.

    External access is off, so COPY ... TO, ATTACH and reading other files are refused too.
    """
    published = Path(published)
    if not published.exists():
        raise FileNotFoundError(f"no published warehouse at {published}: run `marketintel run` first")
    return duckdb.connect(str(published), read_only=True, config={"enable_external_access": False})


READ_ONLY_STATEMENTS = frozenset({"SELECT", "EXPLAIN", "PRAGMA"})


class ReadOnlyViolation(ValueError):
    """A statement that would change the warehouse, refused before it runs."""


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but queries: INSERT, DROP, CREATE, COPY, ATTACH, SET, CALL ..."""
    for statement in con.extract_statements(sql):
        kind = statement.type.name
        if kind not in READ_ONLY_STATEMENTS:
            raise ReadOnlyViolation(
                f"the published warehouse is read-only: {kind} statements are refused (only queries run)"
            )
