"""Web pages and RSS/Atom feeds (market-report press releases) as a document source.

The [web] table of sources.toml lists pages, fetched on every run (a changed page is a new
document, an unchanged one is recognised by its hash), and feeds, whose item links are fetched
once each. Everything goes through the polite client (timeouts, retries, the on-disk cache); no
EDGAR rate limit applies to other hosts. Feeds are parsed with feedparser, which copes with the
RSS and Atom dialects, encodings and relative links that real publishers produce; it is only ever
given bytes we downloaded, never a URL, so it does no I/O of its own. No Dagster here.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from pipelines.http_client import (
    CONTACT_ENV,
    FetchError,
    HttpSettings,
    PoliteClient,
    looks_like_error_page,
    settings_from,
)
from pipelines.reading import DOCUMENT_SUFFIXES, ReadDocument, document_from_bytes
from transforms.documents import MAX_DOCUMENT_BYTES

# Content types we can turn into a document, and the file name suffix that tells the parser so.
_TYPE_SUFFIX = {
    "text/html": ".html",
    "application/xhtml+xml": ".xhtml",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/x-markdown": ".md",
    "application/pdf": ".pdf",
}
_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"


@dataclass(frozen=True)
class WebConfig:
    """The [web] table of sources.toml; empty lists (the default) mean no web traffic at all."""

    pages: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    max_items_per_feed: int = 50  # newest first, as feeds list them

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any] | None) -> WebConfig:
        values = settings_from(table or {}, cls, "web")
        for key in ("pages", "feeds"):
            if key in values:
                urls = tuple(str(v).strip() for v in values[key] if str(v).strip())
                bad = [u for u in urls if urlsplit(u).scheme not in ("http", "https")]
                if bad:
                    raise ValueError(f"[web] {key} must be http(s) URLs: {bad}")
                values[key] = urls
        return cls(**values)

    @property
    def enabled(self) -> bool:
        return bool(self.pages or self.feeds)


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: where it links to, and what the feed says about it."""

    link: str
    title: str | None
    published: str | None


def parse_feed(url: str, data: bytes, content_type: str | None = None) -> list[FeedItem]:
    """The http(s) item links of an RSS 2.0 / RSS 1.0 / Atom feed, absolute, once each, in feed order.

    Raises FetchError for something that is not a feed (an HTML page, broken XML with no entries).
    """
    page = looks_like_error_page(data)
    if page is not None:
        raise FetchError(url, f"HTML error page where a feed was expected: {page!r}")
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False,
                              resolve_relative_uris=True)
    if not parsed.version and not parsed.entries:
        raise FetchError(url, f"not an RSS or Atom feed ({parsed.get('bozo_exception') or 'no feed elements'})")
    items: list[FeedItem] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            alternates = [x.get("href") for x in entry.get("links", []) if x.get("rel", "alternate") == "alternate"]
            link = next((a for a in alternates if a), None)
        if not link:
            continue
        link = urljoin(url, str(link).strip())
        if urlsplit(link).scheme not in ("http", "https") or link in seen:
            continue
        seen.add(link)
        items.append(FeedItem(link, entry.get("title"), entry.get("published") or entry.get("updated")))
    if parsed.bozo and not items:  # feedparser is lenient; broken XML that yields nothing is an error
        raise FetchError(url, f"malformed feed: {parsed.get('bozo_exception')}")
    return items


def document_name(url: str, content_type: str | None) -> str:
    """A file name whose suffix tells the parser the format: from the URL when it has a known one,
    else from the content type (press-release URLs rarely end in .html)."""
    name = PurePosixPath(urlsplit(url).path).name or "index"
    if name.lower().endswith(DOCUMENT_SUFFIXES):
        return name
    suffix = _TYPE_SUFFIX.get((content_type or "").split(";")[0].strip().lower(), ".html")
    return name + suffix


def check_page(url: str, data: bytes, content_type: str | None) -> None:
    """Raise FetchError for a page we must not ingest: empty, an error page served with a 200, or a
    content type that is not a document (an image, a zip)."""
    if not data:
        raise FetchError(url, "empty response")
    page = looks_like_error_page(data)
    if page is not None:
        raise FetchError(url, f"HTML error page: {page!r}")
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind and kind not in _TYPE_SUFFIX:
        raise FetchError(url, f"unsupported content type {kind} (not a document)")


def web_user_agent(contact: str | None = None) -> str:
    """Who we are, with the contact address where one is configured; sites may ask for it too."""
    contact = contact or os.environ.get(CONTACT_ENV)
    return f"marketintel/0.1 ({contact})" if contact else "marketintel/0.1"


class WebSource:
    """Pages and feeds through a polite client, without the EDGAR rate limit."""

    def __init__(self, config: WebConfig, client: PoliteClient) -> None:
        self.config = config
        self.client = client

    @classmethod
    def open(cls, config: WebConfig, http: HttpSettings, cache_dir: str | None,
             contact: str | None = None) -> WebSource:
        return cls(config, PoliteClient(web_user_agent(contact), http, cache_dir=cache_dir))

    def close(self) -> None:
        self.client.close()

    def feed_items(self, feed_url: str) -> list[FeedItem]:
        """The feed's newest `max_items_per_feed` item links (the feed is revalidated every run)."""
        response = self.client.get(feed_url, accept=_FEED_ACCEPT)
        try:
            items = parse_feed(feed_url, response.content, response.headers.get("Content-Type"))
        except FetchError:
            self.client.forget(feed_url)
            raise
        return items[: self.config.max_items_per_feed]

    def fetch(self, url: str) -> tuple[str, bytes]:
        """(file name for the parser, bytes) of a page, checked; a bad page is dropped from the cache."""
        response = self.client.get(url)
        content_type = response.headers.get("Content-Type")
        try:
            check_page(url, response.content, content_type)
        except FetchError:
            self.client.forget(url)
            raise
        return document_name(url, content_type), response.content

    @staticmethod
    def document(url: str, name: str, data: bytes, known: set[str] | frozenset[str] = frozenset(),
                 max_bytes: int = MAX_DOCUMENT_BYTES) -> ReadDocument | None:
        """The documents row for a page: source "web", shown as its URL (None when known)."""
        return document_from_bytes(name, data, source="web", shown_as=url, max_bytes=max_bytes, known=known)
