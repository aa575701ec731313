"""The polite client against a real HTTP server on 127.0.0.1: the shared rate limit (measured by
the server, with two processes), retries, the long pause after a 403, and the cache."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipelines.http_client import (
    FetchError,
    HttpSettings,
    MissingContactError,
    PoliteClient,
    SharedRateLimiter,
    edgar_user_agent,
    looks_like_error_page,
    retry_after_seconds,
)
from tests.fixtures.edgar.loopback_server import LoopbackServer

UA = "marketintel tests tests@example.org"
FAST = HttpSettings(connect_timeout=2.0, read_timeout=2.0, max_attempts=4, backoff_base=0.05, backoff_max=0.2,
                    max_retry_after=5.0, block_pause=0.4, max_block_pauses=2, max_token_wait=30.0)
DOC = (b"<html><head><title>Annual report</title></head><body><p>" + b"Rare earth output rose. " * 400
       + b"</p></body></html>")


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as srv:
        srv.routes["/doc.htm"] = (200, {"Content-Type": "text/html"}, DOC)
        srv.routes["/ping"] = (200, {"Content-Type": "text/plain"}, b"pong")
        yield srv


def _client(server: LoopbackServer, tmp_path: Path, settings: HttpSettings = FAST, cache: bool = False,
            limit: int = 10) -> PoliteClient:
    limiter = SharedRateLimiter(tmp_path / "ratelimit", limit)
    return PoliteClient(UA, settings, cache_dir=tmp_path / "cache" if cache else None, limiter=limiter,
                        limited_hosts=[urlsplit(server.url).netloc])


# ---------------------------------------------------------------- contact address

def test_refuses_edgar_without_a_contact_address() -> None:
    with pytest.raises(MissingContactError) as err:
        edgar_user_agent("MARKETINTEL_EDGAR_CONTACT", environ={})
    message = str(err.value)
    assert "MARKETINTEL_EDGAR_CONTACT" in message and "e-mail" in message
    with pytest.raises(MissingContactError):
        edgar_user_agent("MARKETINTEL_EDGAR_CONTACT", environ={"MARKETINTEL_EDGAR_CONTACT": "marketintel"})
    assert edgar_user_agent(environ={"MARKETINTEL_EDGAR_CONTACT": " Acme research@acme.test "}) == \
        "Acme research@acme.test"


def test_user_agent_is_sent(server: LoopbackServer, tmp_path: Path) -> None:
    with _client(server, tmp_path) as client:
        client.get(server.url + "/ping")
    assert server.requests_to("/ping")[0].headers["User-Agent"] == UA


# ---------------------------------------------------------------- the shared rate limit

def _hammer(base_url: str, state_dir: str, tag: str, n: int, limit: int) -> None:
    """One process of the rate test: n requests through the limiter kept in `state_dir`."""
    limiter = SharedRateLimiter(state_dir, limit)
    client = PoliteClient(UA, FAST, cache_dir=None, limiter=limiter, limited_hosts=[urlsplit(base_url).netloc])
    for i in range(n):
        client.get(f"{base_url}/ping?p={tag}&i={i}")
    limiter.close()


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u < t + window) for i, t in enumerate(times))


def test_two_processes_share_one_rate_limit(server: LoopbackServer, tmp_path: Path) -> None:
    limit, per_process = 5, 10
    ctx = multiprocessing.get_context("spawn")  # separate interpreters, as Dagster runs steps
    procs = [ctx.Process(target=_hammer, args=(server.url, str(tmp_path / "rl"), tag, per_process, limit))
             for tag in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=90)
    for p in procs:
        if p.is_alive():
            p.kill()
    assert [p.exitcode for p in procs] == [0, 0]
    logged = server.requests_to("/ping")
    assert len(logged) == 2 * per_process
    times = [r.t for r in logged]
    # measured at the server: never more than `limit` requests in any one-second window
    assert _max_in_window(times) <= limit
    # and the processes really ran at the same time, taking turns through the one limiter
    spans = {tag: [r.t for r in logged if f"p={tag}" in r.query] for tag in ("a", "b")}
    assert min(spans["a"]) < max(spans["b"]) and min(spans["b"]) < max(spans["a"])
    # 20 requests at 5 per 1.1 s cannot take less than ~3.3 s: the limit held them back
    assert max(times) - min(times) >= (2 * per_process / limit - 1) * 1.1 - 0.1


def test_without_the_shared_limiter_two_processes_would_exceed_it(server: LoopbackServer, tmp_path: Path) -> None:
    """Control for the test above: separate state folders (no sharing) let 2x the limit through."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(server.url, str(tmp_path / f"rl-{tag}"), tag, 5, 5))
             for tag in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        if p.is_alive():
            p.kill()
    assert _max_in_window([r.t for r in server.requests_to("/ping")]) > 5


def test_a_block_recorded_by_one_limiter_pauses_another(tmp_path: Path) -> None:
    first = SharedRateLimiter(tmp_path, 10)
    second = SharedRateLimiter(tmp_path, 10)
    first.block(0.6)
    started = time.monotonic()
    second.acquire(max_wait=5)
    assert time.monotonic() - started >= 0.5
    first.close()
    second.close()


# ---------------------------------------------------------------- retries

@pytest.mark.parametrize("fault", ["503", "500", "429:1", "sleep:2", "drop"])
def test_recovers_from_a_transient_failure(server: LoopbackServer, tmp_path: Path, fault: str) -> None:
    server.fail("/doc.htm", fault)
    settings = HttpSettings(**{**FAST.__dict__, "read_timeout": 0.5})
    started = time.monotonic()
    with _client(server, tmp_path, settings) as client:
        response = client.get(server.url + "/doc.htm")
    assert response.content == DOC
    assert server.count("/doc.htm") == 2
    if fault.startswith("429"):
        assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured


def test_rate_limit_403_triggers_the_long_pause(server: LoopbackServer, tmp_path: Path) -> None:
    server.fail("/doc.htm", "403")
    started = time.monotonic()
    with _client(server, tmp_path) as client:
        response = client.get(server.url + "/doc.htm")
    assert response.content == DOC
    assert time.monotonic() - started >= FAST.block_pause
    first, second = server.requests_to("/doc.htm")
    assert second.t - first.t >= FAST.block_pause - 0.05


def test_a_403_that_does_not_end_gives_up(server: LoopbackServer, tmp_path: Path) -> None:
    server.always["/doc.htm"] = "403"
    with _client(server, tmp_path, HttpSettings(**{**FAST.__dict__, "block_pause": 0.1})) as client, \
            pytest.raises(FetchError) as err:
        client.get(server.url + "/doc.htm")
    assert "403" in err.value.reason
    assert server.count("/doc.htm") == FAST.max_block_pauses + 1


@pytest.mark.parametrize(("fault", "words"), [("503", "HTTP 503"), ("truncate", "truncated"),
                                              ("sleep:2", "timed out")])
def test_gives_up_after_max_attempts(server: LoopbackServer, tmp_path: Path, fault: str, words: str) -> None:
    server.always["/doc.htm"] = fault
    settings = HttpSettings(**{**FAST.__dict__, "max_attempts": 3, "read_timeout": 0.3})
    with _client(server, tmp_path, settings) as client, pytest.raises(FetchError) as err:
        client.get(server.url + "/doc.htm")
    assert words in err.value.reason and "3 attempts" in err.value.reason
    assert err.value.url.endswith("/doc.htm")
    assert server.count("/doc.htm") == 3


def test_a_404_is_not_retried(server: LoopbackServer, tmp_path: Path) -> None:
    with _client(server, tmp_path) as client, pytest.raises(FetchError) as err:
        client.get(server.url + "/missing.htm")
    assert err.value.status == 404
    assert server.count("/missing.htm") == 1


# ---------------------------------------------------------------- the cache

def test_immutable_documents_are_downloaded_once(server: LoopbackServer, tmp_path: Path) -> None:
    for _ in range(2):  # two clients: the cache is on disk, not in the process
        with _client(server, tmp_path, cache=True) as client:
            assert client.get(server.url + "/doc.htm", immutable=True).content == DOC
    assert server.count("/doc.htm") == 1


def test_feeds_are_revalidated_each_time(server: LoopbackServer, tmp_path: Path) -> None:
    with _client(server, tmp_path, cache=True) as client:
        client.get(server.url + "/doc.htm")
        again = client.get(server.url + "/doc.htm")
    assert again.content == DOC
    first, second = server.requests_to("/doc.htm")
    assert "If-None-Match" not in first.headers and "If-None-Match" in second.headers  # answered 304


def test_an_error_page_served_with_200_is_not_cached(server: LoopbackServer, tmp_path: Path) -> None:
    server.fail("/doc.htm", "errorpage")
    with _client(server, tmp_path, cache=True) as client:
        bad = client.get(server.url + "/doc.htm", immutable=True)
        assert looks_like_error_page(bad.content) is not None
        assert client.get(server.url + "/doc.htm", immutable=True).content == DOC
    assert server.count("/doc.htm") == 2


def test_retry_after_as_seconds_or_http_date() -> None:
    import datetime as dt

    now = dt.datetime(2025, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Thu, 01 May 2025 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
