"""Parsing each format into normalized text, and rejecting bad input with a reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from transforms.documents import DocumentError, detect_format, parse_document

HTML = b"""<!doctype html><html><head><title>Separation Capacity Review</title>
<meta property="article:published_time" content="2025-05-06T08:00:00Z">
<style>p { color: red } /* 12% */</style><script>var share = "99% of output";</script></head>
<body><h1>Separation Capacity Review</h1>
<p>The <strong>terbium</strong> refining market reached USD 12 million in 2024.</p>
<ul><li>Alpha Refiners (Canada)</li><li>Beta Metals (Japan)</li></ul>
<table><tr><th>Metric</th><th>Value</th></tr><tr><td>Size (2024)</td><td>USD 12 million</td></tr></table>
</body></html>"""

MARKDOWN = b"""---
title: "Cerium Oxide Outlook"
date: 2025-02-14
publisher: Example Research
---

# Cerium Oxide Outlook

The **cerium oxide** market is covered by [our team](https://example.org/team).

| Metric | Value |
|---|---|
| Size (2024) | USD 40 million |
"""


def test_html_keeps_blocks_as_lines_and_drops_scripts() -> None:
    doc = parse_document("review.html", HTML)
    assert doc.format == "html"
    assert doc.title == "Separation Capacity Review"
    assert doc.published == date(2025, 5, 6)
    lines = doc.text.split("\n")
    assert "The terbium refining market reached USD 12 million in 2024." in lines
    assert "Alpha Refiners (Canada)" in lines and "Beta Metals (Japan)" in lines
    assert "Size (2024) | USD 12 million" in lines
    assert "99% of output" not in doc.text and "color" not in doc.text


def test_markdown_front_matter_becomes_metadata() -> None:
    doc = parse_document("outlook.md", MARKDOWN)
    assert doc.format == "markdown"
    assert doc.title == "Cerium Oxide Outlook"
    assert doc.published == date(2025, 2, 14)
    assert doc.metadata["publisher"] == "Example Research"
    assert "publisher" not in doc.text
    assert "The cerium oxide market is covered by our team." in doc.text
    assert "| Size (2024) | USD 40 million |" in doc.text
    assert "---" not in doc.text and "**" not in doc.text


def test_plain_text_keeps_its_words_and_finds_a_dateline() -> None:
    doc = parse_document("release.txt", b"Perth, March 4, 2025 -- Output rose.\r\nSecond line.\r\n")
    assert doc.text == "Perth, March 4, 2025 -- Output rose.\nSecond line."
    assert doc.published == date(2025, 3, 4)


def test_pdf_text_is_extracted(samples_dir: Path) -> None:
    pdf = samples_dir / "usgs_style_production_2025.pdf"
    doc = parse_document(pdf.name, pdf.read_bytes())
    assert doc.format == "pdf"
    assert "390,000" in doc.text
    assert any(line.startswith("China") and "270,000" in line for line in doc.text.split("\n"))


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blob.txt", bytes(range(256)) * 20, "binary content"),
        ("latin.md", b"\x81\x8d\x8f\x90\x9d" * 10, "undecodable"),
        ("cut.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "truncated PDF"),
        ("junk.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 200 + b"\n%%EOF\n", "PDF"),
        ("fake.pdf", b"hello, I am not a PDF", "does not start with a PDF header"),
        ("blank.html", b"<html><body><script>1</script></body></html>", "no text content"),
    ],
)
def test_bad_input_is_rejected_with_a_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(DocumentError) as err:
        parse_document(name, data)
    assert reason in err.value.reason


def test_oversized_file_is_rejected() -> None:
    with pytest.raises(DocumentError, match="too large"):
        parse_document("big.txt", b"a" * 2000, max_bytes=1000)


@pytest.mark.parametrize(
    ("name", "head", "fmt"),
    [
        ("x.pdf", b"%PDF-1.5", "pdf"),
        ("report", b"%PDF-1.5", "pdf"),
        ("page", b"<!DOCTYPE html><html>", "html"),
        ("notes", b"---\ntitle: x\n---\n", "markdown"),
        ("x.htm", b"text", "html"),
        ("x.TXT", b"text", "text"),
    ],
)
def test_detect_format(name: str, head: bytes, fmt: str) -> None:
    assert detect_format(name, head) == fmt


def test_a_paragraph_wrapped_in_the_html_source_stays_one_line() -> None:
    doc = parse_document("wrapped.html", b"<html><body><p>Asia-Pacific supplied over 70% of global\n"
                                         b"   rare earth production in 2024.</p><p>Next<br>line</p></body></html>")
    assert doc.text.split("\n") == [
        "Asia-Pacific supplied over 70% of global rare earth production in 2024.", "Next", "line"
    ]


def test_digits_of_any_script_become_ascii_digits() -> None:
    doc = parse_document("digits.txt", "Output: ١٧ tonnes, ３ lines.".encode())
    assert doc.text == "Output: 17 tonnes, 3 lines."
