"""Bytes to normalized text: format detection, validation, HTML/Markdown/PDF/plain-text parsing.

Pure functions: they take the bytes a caller has read and return a `ParsedDocument`, or raise
`DocumentError` with a reason an operator can act on. Nothing here touches the file system.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
FORMATS = ("html", "markdown", "text", "pdf")

_SUFFIX_FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".pdf": "pdf",
}

# Block-level HTML elements: each starts a new line of normalized text, so that passages never
# run across a paragraph, list item or table row.
_BLOCK_TAGS = (
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
    "article", "header", "footer", "blockquote", "pre", "dt", "dd", "br", "hr", "title", "figcaption",
)
_BLOCK_BREAK = "\x1d"  # a group-separator control character: never in parsed text
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "head")


class DocumentError(ValueError):
    """A document that cannot be read; `reason` says why in words an operator understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedDocument:
    """A document's normalized text and what we learnt about it while parsing."""

    text: str
    format: str
    title: str | None = None
    published: date | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def publisher(self) -> str | None:
        """Who published it, where the document says (front matter, HTML meta)."""
        for key in ("publisher", "source", "author", "site_name"):
            value = self.metadata.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None


def content_id(data: bytes) -> str:
    """The document key: SHA-256 of the raw bytes, so the same bytes are never ingested twice."""
    return hashlib.sha256(data).hexdigest()


def detect_format(name: str, data: bytes) -> str:
    """Format from the file's signature first, then its suffix; text sniffing as a last resort."""
    head = data[:1024].lstrip()
    if data.startswith(b"%PDF-"):
        return "pdf"
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if suffix in _SUFFIX_FORMATS:
        return _SUFFIX_FORMATS[suffix]
    lowered = head[:200].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered:
        return "html"
    if head.startswith(b"---"):
        return "markdown"
    return "text"


def parse_document(name: str, data: bytes, max_bytes: int = MAX_DOCUMENT_BYTES) -> ParsedDocument:
    """Validate and parse one document's bytes; raise `DocumentError` naming the cause."""
    if not data:
        raise DocumentError("empty file (0 bytes)")
    if len(data) > max_bytes:
        raise DocumentError(f"file too large ({len(data):,} bytes; the limit is {max_bytes:,})")
    fmt = detect_format(name, data)
    if fmt == "pdf":
        if not data.startswith(b"%PDF-"):
            raise DocumentError("named .pdf but does not start with a PDF header")
        return _parse_pdf(data)
    raw = _decode(data)
    if fmt == "html":
        return _parse_html(raw)
    if fmt == "markdown":
        return _parse_markdown(raw)
    return _finish(raw, "text", None, None, {})


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentError("binary content (NUL bytes) in a text document")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Windows-1252 is what most non-UTF-8 press releases are; anything with C1 control
        # characters left after that is not text we can trust.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise DocumentError(f"undecodable text: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    controls = sum(1 for ch in text[:20000] if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > max(8, len(text[:20000]) // 100):
        raise DocumentError("binary content: too many control characters for a text document")
    return text


# Every Unicode decimal digit ("١٧", "１７") as its ASCII digit, so figures parse the same way
# whatever script they are written in (one code point for one: lengths are unchanged).
_DIGITS = {
    cp: ord("0") + unicodedata.digit(chr(cp))
    for cp in range(0x80, 0x110000)
    if unicodedata.category(chr(cp)) == "Nd"
}


def normalize_text(text: str) -> str:
    """The canonical text every offset refers to: NFC, ASCII digits, Unix newlines, no NULs or
    trailing blanks."""
    text = unicodedata.normalize("NFC", text).translate(_DIGITS).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x00", "").replace("\u00a0", " ").replace("\u200b", "")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n ")


def _finish(text: str, fmt: str, title: str | None, published: date | None,
            metadata: dict[str, Any]) -> ParsedDocument:
    text = normalize_text(text)
    if not text.strip():
        raise DocumentError(f"no text content after parsing the {fmt} document")
    if title is None:
        title = _first_line_title(text)
    if published is None:
        published = find_publication_date(text[:1500])
    return ParsedDocument(text=text, format=fmt, title=title, published=published, metadata=metadata)


def _first_line_title(text: str) -> str | None:
    for line in text.split("\n", 20)[:20]:
        line = line.strip()
        if 8 <= len(line) <= 200:
            return line
    return None


# ---------------------------------------------------------------- HTML

def html_to_text(markup: str, source_newlines_break: bool = False
                 ) -> tuple[str | None, str | None, str, str | None]:
    """(title, published date string, text, publisher) of an HTML document or fragment.

    Block elements become lines; table cells are joined with " | " so a row stays one line.
    `source_newlines_break` keeps the source's own line breaks, for HTML fragments inside
    Markdown, where a newline does end a line.
    """
    import warnings

    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        # inline-XBRL filings start with an XML declaration but are HTML documents
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(markup, "lxml")
    title = None
    if soup.title and soup.title.string:
        title = " ".join(soup.title.string.split())
    published = None
    for attrs in (
        {"property": "article:published_time"},
        {"name": "date"},
        {"name": "publication_date"},
        {"itemprop": "datePublished"},
    ):
        meta = soup.find("meta", attrs=attrs)
        if meta and meta.get("content"):
            published = str(meta["content"])
            break
    publisher = None
    for attrs in ({"property": "og:site_name"}, {"name": "publisher"}, {"name": "author"}):
        meta = soup.find("meta", attrs=attrs)
        if meta and meta.get("content"):
            publisher = " ".join(str(meta["content"]).split())
            break
    if published is None:
        time_tag = soup.find("time")
        if time_tag is not None and time_tag.get("datetime"):
            published = str(time_tag["datetime"])
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(" | ")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before(_BLOCK_BREAK)
        tag.insert_after(_BLOCK_BREAK)
    text = soup.get_text()
    if not source_newlines_break:
        # In HTML a newline in the source is just a space: a paragraph wrapped over several source
        # lines is still one line of text. Only block elements break lines.
        text = text.replace("\n", " ")
    lines = (" ".join(line.split()).strip(" |") for line in text.replace(_BLOCK_BREAK, "\n").split("\n"))
    body = "\n".join(line for line in lines if line)
    if title is None:
        h1 = soup.find("h1")
        if h1 is not None:
            title = " ".join(h1.get_text().split()) or None
    return title, published, body, publisher


def _parse_html(raw: str) -> ParsedDocument:
    title, published, text, publisher = html_to_text(raw)
    return _finish(text, "html", title, parse_date(published) if published else None,
                   {"publisher": publisher} if publisher else {})


# ---------------------------------------------------------------- Markdown

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)
_HTML_TAG = re.compile(r"</?(?:p|div|br|strong|b|span|table|li|ul|h[1-6])\b[^>]*>", re.IGNORECASE)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~)")
_MD_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.MULTILINE)


def read_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """Split YAML front matter from a Markdown body; malformed front matter is kept as body text."""
    import yaml

    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        return {}, raw
    if not isinstance(meta, dict):
        return {}, raw
    return {str(k): v for k, v in meta.items()}, raw[match.end():]


def markdown_to_text(body: str) -> str:
    """Markdown (possibly with embedded HTML) to plain lines: links keep their text, emphasis goes."""
    if _HTML_TAG.search(body):
        _, _, body, _ = html_to_text(body, source_newlines_break=True)
    body = _MD_LINK.sub(r"\1", body)
    body = _MD_EMPHASIS.sub("", body)
    body = _MD_HEADING.sub("", body)
    body = _MD_RULE.sub("", body)
    return body


def _parse_markdown(raw: str) -> ParsedDocument:
    meta, body = read_front_matter(raw)
    title = meta.get("title")
    published = None
    for key in ("datePublished", "date", "published", "publication_date", "pubDate"):
        if meta.get(key):
            published = parse_date(meta[key])
            if published:
                break
    heading = re.search(r"^#[ \t]+(.+)$", body, re.MULTILINE)
    if title is None and heading:
        title = heading.group(1).strip()
    plain = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in meta.items()}
    return _finish(markdown_to_text(body), "markdown", str(title) if title else None, published, plain)


# ---------------------------------------------------------------- PDF

def _parse_pdf(data: bytes) -> ParsedDocument:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PdfStreamError

    # pypdf logs recoverable damage as warnings; a document that parses is good enough for us,
    # and one that does not raises below.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if b"%%EOF" not in data[-2048:]:
        raise DocumentError("truncated PDF: no %%EOF marker at the end of the file")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentError("encrypted PDF: cannot extract text without the password")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except DocumentError:
        raise
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DocumentError(f"PDF does not parse: {exc}") from None
    if not pages:
        raise DocumentError("PDF has no pages")
    text = "\n".join(pages)
    if not text.strip():
        raise DocumentError("PDF has no extractable text (scanned image?)")
    title = str(info.get("/Title")).strip() if info.get("/Title") else None
    published = None
    created = info.get("/CreationDate")
    if created:
        m = re.match(r"D:(\d{4})(\d{2})(\d{2})", str(created))
        if m:
            published = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return _finish(text, "pdf", title or None, published, {"pages": len(pages)})


# ---------------------------------------------------------------- dates

_DATE_PATTERNS = (
    re.compile(r"\b(20\d{2}|19\d{2})-(\d{2})-(\d{2})(?!\d)"),
    re.compile(
        r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2}),?\s+((?:19|20)\d{2})\b"
    ),
    re.compile(
        r"\b(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\s+((?:19|20)\d{2})\b"
    ),
)
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    """A date from front matter, a meta tag or free text; None when nothing date-like is there."""
    if isinstance(value, date):
        return value
    return find_publication_date(str(value))


def find_publication_date(text: str) -> date | None:
    """The first date written out in `text` (ISO, "March 04, 2025" or "10 Sep 2025")."""
    best: tuple[int, date] | None = None
    for i, pattern in enumerate(_DATE_PATTERNS):
        m = pattern.search(text)
        if not m:
            continue
        if i == 0:
            found = _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        elif i == 1:
            found = _safe_date(int(m.group(3)), _MONTHS[m.group(1)[:3].lower()], int(m.group(2)))
        else:
            found = _safe_date(int(m.group(3)), _MONTHS[m.group(2)[:3].lower()], int(m.group(1)))
        if found and (best is None or m.start() < best[0]):
            best = (m.start(), found)
    return best[1] if best else None
