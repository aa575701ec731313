"""Reading documents from disk into frames: the I/O edge in front of the pure transforms.

Used by the ingestion asset and by the `extract`, `check` and `eval` commands, so that all of them
see a file exactly the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from transforms.documents import MAX_DOCUMENT_BYTES, DocumentError, content_id, detect_format, parse_document
from transforms.facts import extract_facts
from transforms.passages import split_passages

DOCUMENT_SUFFIXES = (".html", ".htm", ".xhtml", ".md", ".markdown", ".txt", ".text", ".pdf")

DOCUMENT_ROW_SCHEMA = {
    "doc_id": pl.String,
    "source": pl.String,
    "path": pl.String,
    "title": pl.String,
    "publisher": pl.String,
    "published": pl.Date,
    "format": pl.String,
    "size_bytes": pl.Int64,
    "status": pl.String,
    "error": pl.String,
    "text": pl.String,
}


@dataclass(frozen=True)
class ReadDocument:
    """One file as read: its row for the `documents` table and its raw bytes (None if unreadable)."""

    row: dict
    data: bytes | None


def list_inbox(inbox: Path) -> list[Path]:
    """Document files below `inbox`, sorted, skipping hidden files and our own README/labels."""
    if not inbox.exists():
        raise FileNotFoundError(f"inbox folder does not exist: {inbox}")
    files = []
    for path in sorted(inbox.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(inbox).parts):
            continue
        if path.name.lower() == "readme.md" or path.name.endswith((".gold.json", ".source.txt")):
            continue
        files.append(path)
    return files


def read_document(path: Path, source: str = "file", max_bytes: int = MAX_DOCUMENT_BYTES,
                  shown_as: str | None = None, known: set[str] | frozenset[str] = frozenset()
                  ) -> ReadDocument | None:
    """Read and parse one file; a bad file becomes a `rejected` row whose error names file and cause.

    Returns None for a document whose id is in `known`: it was ingested before and is not parsed again.
    """
    shown = shown_as or str(path)
    row: dict = {key: None for key in DOCUMENT_ROW_SCHEMA}
    row.update(source=source, path=shown)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            # not read at all: keyed by path and size, so a changed file is looked at again
            row.update(doc_id=content_id(f"{shown}|{size}".encode()), size_bytes=size)
            raise DocumentError(f"file too large ({size:,} bytes; the limit is {max_bytes:,})")
        data = path.read_bytes()
    except (OSError, DocumentError) as exc:
        reason = exc.reason if isinstance(exc, DocumentError) else (exc.strerror or str(exc))
        row.update(status="rejected", error=f"{shown}: {reason}")
        row["doc_id"] = row["doc_id"] or content_id(shown.encode())  # unreadable: keyed by its path
        return None if row["doc_id"] in known else ReadDocument(row, None)
    return document_from_bytes(path.name, data, source=source, shown_as=shown, max_bytes=max_bytes, known=known)


def document_from_bytes(name: str, data: bytes, source: str, shown_as: str, max_bytes: int = MAX_DOCUMENT_BYTES,
                        known: set[str] | frozenset[str] = frozenset()) -> ReadDocument | None:
    """Parse bytes that came from anywhere (a file, a web page, a filing) into a documents row.

    `name` gives the format hint (its suffix), `shown_as` is the path or URL recorded and quoted in
    errors. Returns None when the content was ingested before (its id is in `known`).
    """
    row: dict = {key: None for key in DOCUMENT_ROW_SCHEMA}
    row.update(source=source, path=shown_as)
    doc_id = content_id(data)
    if doc_id in known:
        return None
    row.update(doc_id=doc_id, size_bytes=len(data), format=detect_format(name, data))
    try:
        parsed = parse_document(name, data, max_bytes=max_bytes)
    except DocumentError as exc:
        row.update(status="rejected", error=f"{shown_as}: {exc.reason}")
        return ReadDocument(row, data)
    row.update(
        title=parsed.title,
        publisher=parsed.publisher,
        published=parsed.published,
        format=parsed.format,
        status="loaded",
        text=parsed.text,
    )
    return ReadDocument(row, data)


def documents_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=DOCUMENT_ROW_SCHEMA)


def extract_from_paths(paths: list[Path], shown: list[str] | None = None
                       ) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, pl.DataFrame]]:
    """(documents, passages, facts by kind) for files on disk, without touching the warehouse."""
    reads = [read_document(p, shown_as=(shown[i] if shown else None)) for i, p in enumerate(paths)]
    docs = documents_frame([r.row for r in reads if r is not None])
    loaded = docs.filter(pl.col("status") == "loaded").unique("doc_id", maintain_order=True)
    passages = split_passages(loaded.select("doc_id", "text"))
    facts = extract_facts(passages, loaded.select("doc_id", "title", "published", "text"))
    return docs, passages, facts
