"""Web pages and RSS/Atom feeds: parsing, and the raw/web_documents asset against a real HTTP server
on 127.0.0.1 (feed items fetched once, pages every run, failures recorded, the run goes on)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from pipelines.http_client import FetchError
from pipelines.resources import DocumentStoreResource, WarehouseResource
from pipelines.source_assets import SourcesResource, web_documents
from pipelines.web_sources import WebConfig, check_page, document_name, parse_feed
from tests.fixtures.edgar.loopback_server import LoopbackServer
from warehouse.connection import connect, query_frame

HTML = {"Content-Type": "text/html; charset=utf-8"}


def release(title: str, body: str) -> bytes:
    return (f"<html><head><title>{title}</title><meta name='publisher' content='Example Market Wire'>"
            f"<meta property='article:published_time' content='2025-06-12'></head>"
            f"<body><h1>{title}</h1><p>{body}</p></body></html>").encode()


def rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(f"<item><title>{t}</title><link>{link}</link><pubDate>Thu, 12 Jun 2025 09:00:00 GMT"
                      f"</pubDate></item>" for t, link in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Example Market Wire: '
            f"Mining</title><link>https://example.test/</link><description>Releases</description>{entries}"
            f"</channel></rss>").encode()


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Critical Minerals Research Notes</title>
  <id>urn:example:notes</id>
  <updated>2025-06-12T09:00:00Z</updated>
  <entry><title>Gallium supply outlook</title><id>urn:example:1</id><updated>2025-06-10T09:00:00Z</updated>
    <link rel="alternate" href="/notes/gallium-outlook"/></entry>
  <entry><title>Graphite anode market</title><id>urn:example:2</id><updated>2025-06-11T09:00:00Z</updated>
    <link href="https://elsewhere.test/graphite.html"/></entry>
</feed>"""


# ---------------------------------------------------------------- parsing

def test_rss_items_absolute_once_each_http_only() -> None:
    data = rss([("Magnet market", "/press/magnets"), ("Magnet market", "/press/magnets"),
                ("Script", "javascript:alert(1)"), ("Refining", "https://other.test/refining.html")])
    items = parse_feed("https://wire.test/feeds/mining.rss", data, "application/rss+xml")
    assert [i.link for i in items] == ["https://wire.test/press/magnets", "https://other.test/refining.html"]
    assert items[0].title == "Magnet market" and items[0].published


def test_atom_items() -> None:
    items = parse_feed("https://notes.test/atom.xml", ATOM, "application/atom+xml")
    assert [i.link for i in items] == ["https://notes.test/notes/gallium-outlook", "https://elsewhere.test/graphite.html"]


@pytest.mark.parametrize(("data", "words"), [
    (b"<html><head><title>Page Not Found</title></head><body>gone</body></html>", "error page"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>broken', "malformed feed"),
    (b'{"not": "a feed"}', "not an RSS or Atom feed"),
])
def test_things_that_are_not_feeds(data: bytes, words: str) -> None:
    with pytest.raises(FetchError, match=words):
        parse_feed("https://wire.test/feed", data)


def test_pages_are_named_for_the_parser_and_checked() -> None:
    assert document_name("https://wire.test/press/magnets", "text/html; charset=utf-8") == "magnets.html"
    assert document_name("https://wire.test/report.pdf", "application/octet-stream") == "report.pdf"
    assert document_name("https://wire.test/", "text/plain") == "index.txt"
    with pytest.raises(FetchError, match="unsupported content type image/png"):
        check_page("https://wire.test/x", b"\x89PNG", "image/png")
    with pytest.raises(FetchError, match="error page"):
        check_page("https://wire.test/x", b"<html><title>404 Not Found</title></html>", "text/html")
    with pytest.raises(ValueError, match="http"):
        WebConfig.from_mapping({"pages": ["file:///etc/passwd"]})


# ---------------------------------------------------------------- the asset

@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        srv.routes.update({
            "/feeds/mining.rss": (200, {"Content-Type": "application/rss+xml"}, rss([
                ("Rare earth magnet market", "/press/magnets"),
                ("Antimony prices", "/press/antimony"),
                ("Removed release", "/press/gone"),
            ])),
            "/notes/atom.xml": (200, {"Content-Type": "application/atom+xml"}, ATOM.replace(
                b"https://elsewhere.test/graphite.html", b"/notes/graphite.png")),
            "/notes/gallium-outlook": (200, HTML, release(
                "Gallium supply outlook", "Global gallium output was 760 tonnes in 2024.")),
            "/notes/graphite.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n0000"),
            "/press/magnets": (200, HTML, release(
                "Rare earth magnet market to reach USD 31.6 billion by 2032",
                "The rare earth magnet market was valued at USD 18.4 billion in 2024 and is expected to grow "
                "at a CAGR of 7.0% from 2025 to 2032.")),
            "/press/antimony": (200, HTML, release(
                "Antimony market update", "The antimony market was valued at USD 2.1 billion in 2024.")),
            "/market-update.html": (200, HTML, release(
                "Weekly critical minerals update", "China produced 270,000 tonnes of rare earth oxide in 2024.")),
        })
        yield srv


def _resources(tmp_path: Path, server: LoopbackServer, feeds: list[str], pages: list[str]) -> dict:
    sources = tmp_path / "sources.toml"
    quoted = ", ".join(f'"{server.url}{p}"' for p in pages)
    feed_list = ", ".join(f'"{server.url}{f}"' for f in feeds)
    sources.write_text(f"""
[web]
pages = [{quoted}]
feeds = [{feed_list}]

[http]
connect_timeout = 2.0
read_timeout = 2.0
max_attempts = 2
backoff_base = 0.02
""", encoding="utf-8")
    (tmp_path / "inbox").mkdir(exist_ok=True)
    return {
        "warehouse": WarehouseResource(path=str(tmp_path / "wh.duckdb")),
        "document_store": DocumentStoreResource(inbox=str(tmp_path / "inbox"), raw_dir=str(tmp_path / "raw")),
        "sources": SourcesResource(config_path=str(sources), cache_dir=str(tmp_path / "http")),
    }


def _rows(res: dict, sql: str) -> list[dict]:
    with connect(res["warehouse"].path, read_only=True) as con:
        return query_frame(con, sql).to_dicts()


def test_pages_and_feed_items_become_documents(server: LoopbackServer, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKETINTEL_EDGAR_CONTACT", raising=False)  # web sources need no contact
    res = _resources(tmp_path, server, ["/feeds/mining.rss", "/notes/atom.xml", "/feeds/missing.rss"],
                     ["/market-update.html"])
    result = dg.materialize([web_documents], resources=res, raise_on_error=False)
    assert result.success
    fetches = {r["url"].removeprefix(server.url): r for r in _rows(res, "SELECT * FROM web_fetches")}
    assert fetches["/market-update.html"]["kind"] == "page" and fetches["/market-update.html"]["status"] == "fetched"
    assert fetches["/feeds/mining.rss"]["kind"] == "feed" and fetches["/feeds/mining.rss"]["status"] == "fetched"
    assert fetches["/press/magnets"]["feed"] == server.url + "/feeds/mining.rss"
    assert fetches["/notes/gallium-outlook"]["status"] == "fetched"
    # failures, with URL and reason: a 404 item, an image, a feed that is not there
    assert "HTTP 404" in fetches["/press/gone"]["error"]
    assert fetches["/press/gone"]["error"].startswith(server.url + "/press/gone")
    assert "unsupported content type image/png" in fetches["/notes/graphite.png"]["error"]
    assert fetches["/feeds/missing.rss"]["status"] == "failed" and "404" in fetches["/feeds/missing.rss"]["error"]
    docs = {d["path"].removeprefix(server.url): d for d in _rows(res, "SELECT * FROM documents")}
    assert set(docs) == {"/market-update.html", "/press/magnets", "/press/antimony", "/notes/gallium-outlook"}
    assert {d["source"] for d in docs.values()} == {"web"} and {d["status"] for d in docs.values()} == {"loaded"}
    assert docs["/press/magnets"]["publisher"] == "Example Market Wire"
    assert docs["/press/magnets"]["doc_id"] == fetches["/press/magnets"]["doc_id"]

    # second run: feed items already fetched are not requested again; the page is revalidated
    assert dg.materialize([web_documents], resources=res, raise_on_error=False).success
    assert server.count("/press/magnets") == 1 and server.count("/press/antimony") == 1
    assert server.count("/press/gone") == 2  # a failed item is tried again next run (a 404 only once per run)
    page_requests = server.requests_to("/market-update.html")
    assert len(page_requests) == 2 and "If-None-Match" in page_requests[1].headers
    assert len(_rows(res, "SELECT * FROM documents")) == 4

    # a new item in the feed: just that one is fetched
    server.routes["/press/tungsten"] = (200, HTML, release("Tungsten supply", "Tungsten output fell 3% in 2024."))
    server.routes["/feeds/mining.rss"] = (200, {"Content-Type": "application/rss+xml"}, rss([
        ("Tungsten supply", "/press/tungsten"), ("Rare earth magnet market", "/press/magnets"),
        ("Antimony prices", "/press/antimony")]))
    assert dg.materialize([web_documents], resources=res, raise_on_error=False).success
    assert server.count("/press/tungsten") == 1 and server.count("/press/magnets") == 1
    assert len(_rows(res, "SELECT * FROM documents WHERE source = 'web'")) == 5


def test_no_pages_no_feeds_no_requests(server: LoopbackServer, tmp_path: Path) -> None:
    res = _resources(tmp_path, server, [], [])
    result = dg.materialize([web_documents], resources=res, raise_on_error=False)
    assert result.success and server.count() == 0
    assert _rows(res, "SELECT count(*) AS n FROM web_fetches") == [{"n": 0}]
