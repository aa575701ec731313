"""Polite HTTP for every network source: one client, one cache, one shared EDGAR rate limit.

SEC's fair-access rules are strict: a User-Agent naming who we are and how to reach us, at most
ten requests per second from everything we run together, and a ten-minute block (answered as
HTTP 403) for anyone who goes over. Dagster runs each step in its own process, so the limit is
kept in a file every process shares (pyrate-limiter's SQLite bucket behind a file lock), and a
403 block is written there too, so every process pauses, not only the one that was told.

Everything downloaded goes through an on-disk cache (requests-cache, SQLite): filing documents
never change once filed and are cached forever; feeds such as the submissions JSON are stored and
revalidated on every run, so nothing is downloaded twice. Transient failures (connection errors, a
body cut off mid-way, timeouts, 429 and 5xx) are retried with exponential backoff and jitter,
honouring Retry-After; the rest raise `FetchError` with the URL and the reason, for the caller to
record. No Dagster here: the assets, the tests and a notebook use the same client.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import time
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from filelock import FileLock
from pyrate_limiter import Rate, RateItem, SQLiteBucket
from requests.adapters import HTTPAdapter
from requests_cache import EXPIRE_IMMEDIATELY, NEVER_EXPIRE, CachedSession

from pipelines.paths import PROJECT_ROOT, data_dir

CONTACT_ENV = "MARKETINTEL_EDGAR_CONTACT"
SOURCES_ENV = "MARKETINTEL_SOURCES"
CACHE_ENV = "MARKETINTEL_HTTP_CACHE"
EDGAR_MAX_RATE = 10  # SEC: "no more than 10 requests per second"

# Phrases of the HTML pages SEC (and most sites) answer with, sometimes under a 200, where a
# document or a JSON feed was expected. Checked in the page title and headings only.
ERROR_PAGE_MARKERS = (
    "request rate threshold exceeded",
    "undeclared automated tool",
    "page not found",
    "file not found",
    "404 not found",
    "access denied",
    "service unavailable",
)
_HEADINGS = re.compile(rb"<(title|h1|h2)[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 524})


class MissingContactError(RuntimeError):
    """EDGAR may not be contacted: no contact address for the User-Agent."""


class RateLimitTimeout(Exception):
    """No request slot within the allowed wait (a long block, or a limiter stuck by a dead process)."""


class FetchError(Exception):
    """A URL that could not be fetched; `reason` says why, for the failure row and the log."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


# ---------------------------------------------------------------- configuration

def sources_path() -> Path:
    """The sources file: MARKETINTEL_SOURCES, else sources.toml at the project root."""
    return Path(os.environ.get(SOURCES_ENV) or PROJECT_ROOT / "sources.toml")


def default_cache_dir() -> Path:
    """HTTP cache and rate-limit state (MARKETINTEL_HTTP_CACHE, default ./data/http)."""
    return Path(os.environ.get(CACHE_ENV) or data_dir() / "http")


def load_sources(path: str | Path | None = None) -> dict[str, Any]:
    """The parsed sources.toml; a missing file means every network source is off."""
    path = Path(path) if path else sources_path()
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        try:
            return tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from None


def settings_from(table: Mapping[str, Any], cls: type, where: str) -> dict[str, Any]:
    """Keyword arguments for dataclass `cls` from a TOML table; an unknown key is an error, not a typo
    silently ignored."""
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(table) - names)
    if unknown:
        raise ValueError(f"[{where}] has unknown keys {unknown}; known keys: {sorted(names)}")
    return dict(table)


@dataclass(frozen=True)
class HttpSettings:
    """Timeouts, retries and pauses; the [http] table of sources.toml. Tests shrink them."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5  # tries per URL for transient failures
    backoff_base: float = 1.0  # first retry waits up to this, doubling each time (full jitter)
    backoff_max: float = 60.0
    max_retry_after: float = 300.0  # a longer Retry-After is cut to this
    block_pause: float = 600.0  # after a rate-limit 403: SEC blocks for ten minutes
    max_block_pauses: int = 2  # give the URL up after this many blocks in a row
    max_token_wait: float = 900.0  # longest wait for the shared rate limiter (includes a block)

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any] | None) -> HttpSettings:
        return cls(**settings_from(table or {}, cls, "http"))


def edgar_user_agent(env_var: str = CONTACT_ENV, environ: Mapping[str, str] | None = None,
                     contact: str | None = None) -> str:
    """The User-Agent SEC requires ("Company Name admin@example.org"); refuse to go on without one.

    SEC blocks undeclared automated tools, and a contact lets them reach us instead of blocking.
    """
    value = (contact or (environ if environ is not None else os.environ).get(env_var, "")).strip()
    if not value or "@" not in value:
        raise MissingContactError(
            f"EDGAR needs a contact address in the User-Agent: set the environment variable {env_var} "
            f"to your organisation and e-mail, e.g. {env_var}=\"marketintel research@example.org\" "
            f"(got {value!r}). marketintel does not contact sec.gov without it."
        )
    return value


def looks_like_error_page(content: bytes) -> str | None:
    """The error phrase if `content` is an HTML error page (in its title or a heading), else None."""
    head = content[:65536]
    if b"<" not in head:
        return None
    for _, inner in _HEADINGS.findall(head):
        text = re.sub(rb"<[^>]+>", b" ", inner).decode("utf-8", "replace")
        words = " ".join(text.split()).lower()
        for marker in ERROR_PAGE_MARKERS:
            if marker in words:
                return " ".join(text.split())
    return None


# ---------------------------------------------------------------- the shared rate limit

class SharedRateLimiter:
    """At most `limit` requests in any `window` seconds, across every process using `state_dir`.

    The state is pyrate-limiter's SQLiteBucket: a sliding-window log of request times in a SQLite
    file, where counting the window and recording a request happen under one file lock, so two
    processes can never both take the last slot. We call the bucket directly instead of going
    through pyrate's Limiter: its non-blocking path hands filelock 4 a boolean timeout (TypeError),
    and its blocking path dates a retried request by adding its sleep to the first attempt's
    timestamp instead of reading the clock again, which under lock contention records requests
    as earlier than they were. The window is a little longer than a second, so requests that
    leave at the limit still arrive under it.
    """

    def __init__(self, state_dir: str | Path, limit: int, window: float = 1.1, name: str = "edgar") -> None:
        if limit < 1:
            raise ValueError("the rate limit must allow at least one request per window")
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.limit = limit
        self.window = window
        self.name = name
        self._bucket = SQLiteBucket.init_from_file(
            [Rate(limit, int(window * 1000))],
            table=f"rate_{re.sub(r'[^A-Za-z0-9_]', '_', name)}",
            db_path=str(self.state_dir / f"{name}.rate.sqlite"),
            use_file_lock=True,
        )
        self._block_file = self.state_dir / f"{name}.blocked_until"
        self._block_lock = FileLock(str(self._block_file) + ".lock")
        self._poll = min(0.05, window / limit / 2)
        self._taken = 0

    def blocked_for(self) -> float:
        """Seconds until a block recorded by any process ends (0 when not blocked)."""
        try:
            until = float(self._block_file.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            return 0.0
        return max(0.0, until - time.time())

    def block(self, seconds: float) -> None:
        """Make every process wait `seconds` before its next request (SEC's 403 block)."""
        with self._block_lock:
            until = max(time.time() + seconds, time.time() + self.blocked_for())
            tmp = self._block_file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(f"{until:.3f}", encoding="ascii")
            tmp.replace(self._block_file)

    def try_take(self) -> bool:
        """Take a slot now if the window has one (atomic across processes)."""
        now = self._bucket.now()  # wall-clock milliseconds, read at the moment of the attempt
        if not self._bucket.put(RateItem(self.name, now)):
            return False
        self._taken += 1
        if self._taken % 200 == 0:  # drop entries older than the window now and then
            self._bucket.leak(now)
        return True

    def acquire(self, max_wait: float) -> float:
        """Wait for a block to end and a free slot; return the seconds waited.

        Raises RateLimitTimeout after `max_wait` seconds, so a stuck limiter fails a run instead of
        hanging it.
        """
        start = time.monotonic()
        deadline = start + max_wait
        while True:
            blocked = self.blocked_for()
            if blocked > 0:
                if time.monotonic() + blocked > deadline:
                    raise RateLimitTimeout(f"{self.name} requests are blocked for {blocked:.0f}s more")
                time.sleep(blocked)
                continue
            if self.try_take():
                return time.monotonic() - start
            if time.monotonic() > deadline:
                raise RateLimitTimeout(f"no {self.name} request slot within {max_wait:.0f}s")
            time.sleep(self._poll)

    def close(self) -> None:
        self._bucket.close()


class _LimitedAdapter(HTTPAdapter):
    """Takes a rate-limit slot for every request that really goes out to a limited host.

    Mounted below the cache, so a response served from the cache costs no slot, while every
    retry and every conditional revalidation does.
    """

    def __init__(self, limiter: SharedRateLimiter | None, hosts: frozenset[str], max_wait: float) -> None:
        super().__init__(max_retries=0)  # retries are ours: they must go through the limiter
        self.limiter = limiter
        self.hosts = hosts
        self.max_wait = max_wait
        self.sent = 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if self.limiter is not None and urlsplit(request.url or "").netloc.lower() in self.hosts:
            self.limiter.acquire(self.max_wait)
        self.sent += 1
        return super().send(request, *args, **kwargs)


# ---------------------------------------------------------------- the client

def _cacheable(response: requests.Response) -> bool:
    """Only real content goes into the cache: never an error page that came with a 200."""
    return response.status_code == 200 and looks_like_error_page(response.content) is None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection dropped mid-body (truncated download)"
    if isinstance(exc, requests.ConnectionError):
        return f"connection failed ({exc.__class__.__name__}: {str(exc)[:200]})"
    return f"{exc.__class__.__name__}: {str(exc)[:200]}"


class PoliteClient:
    """GET with a declared User-Agent, timeouts, retries, an on-disk cache and, for `limited_hosts`,
    the shared rate limit.

    `cache_dir` None turns the cache off (the rate-limit test measures every request).
    """

    def __init__(
        self,
        user_agent: str,
        settings: HttpSettings | None = None,
        cache_dir: str | Path | None = None,
        limiter: SharedRateLimiter | None = None,
        limited_hosts: Iterable[str] = (),
    ) -> None:
        self.settings = settings or HttpSettings()
        self.limiter = limiter
        if cache_dir is not None:
            Path(cache_dir).mkdir(parents=True, exist_ok=True)
            self.session: requests.Session = CachedSession(
                str(Path(cache_dir) / "responses.sqlite"),
                backend="sqlite",
                wal=True,
                busy_timeout=30_000,
                allowable_codes=(200,),
                allowable_methods=("GET",),
                filter_fn=_cacheable,
                expire_after=EXPIRE_IMMEDIATELY,  # stored only with a validator, revalidated on use
                cache_control=False,  # our policy, not the server's: filings are immutable
                stale_if_error=False,
            )
        else:
            self.session = requests.Session()
        hosts = frozenset(h.lower() for h in limited_hosts)
        self.adapter = _LimitedAdapter(limiter, hosts, self.settings.max_token_wait)
        self.session.mount("http://", self.adapter)
        self.session.mount("https://", self.adapter)
        self.session.headers.update({"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"})

    @property
    def requests_sent(self) -> int:
        """Requests that went out on the network (cache hits not counted)."""
        return self.adapter.sent

    def get(self, url: str, *, immutable: bool = False, accept: str | None = None) -> requests.Response:
        """The response for `url` (status 200), from the cache when possible.

        `immutable` caches it forever (EDGAR filing documents); otherwise it is revalidated with
        the server each time (feeds). Raises FetchError with the reason when the URL cannot be had.
        """
        s = self.settings
        headers = {"Accept": accept} if accept else {}
        expire = NEVER_EXPIRE if immutable else EXPIRE_IMMEDIATELY
        attempt = 0
        blocks = 0
        while True:
            attempt += 1
            try:
                kwargs: dict[str, Any] = {"timeout": (s.connect_timeout, s.read_timeout), "headers": headers}
                if isinstance(self.session, CachedSession):
                    kwargs["expire_after"] = expire
                response = self.session.get(url, **kwargs)
            except RateLimitTimeout as exc:  # the shared limiter gave up: not a network failure
                raise FetchError(url, f"rate limiter: {exc}") from None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                if attempt >= s.max_attempts:
                    raise FetchError(url, f"{_describe(exc)}; gave up after {attempt} attempts") from None
                self._sleep(self._backoff(attempt))
                continue
            except requests.RequestException as exc:
                raise FetchError(url, _describe(exc)) from None

            status = response.status_code
            if status == 403 and self._is_rate_limit_block(url, response):
                blocks += 1
                if blocks > s.max_block_pauses:
                    raise FetchError(url, f"HTTP 403 rate-limit block, still blocked after {blocks - 1} pauses",
                                     status)
                if self.limiter is not None:
                    self.limiter.block(s.block_pause)  # every process pauses, in acquire()
                else:
                    self._sleep(s.block_pause)
                attempt = 0
                continue
            if status in _RETRY_STATUSES:
                if attempt >= s.max_attempts:
                    raise FetchError(url, f"HTTP {status} {response.reason}; gave up after {attempt} attempts",
                                     status)
                told = retry_after_seconds(response.headers.get("Retry-After"))
                self._sleep(self._backoff(attempt) if told is None
                            else min(told, s.max_retry_after) + random.uniform(0, 0.1))
                continue
            if status != 200:
                raise FetchError(url, f"HTTP {status} {response.reason}", status)
            self._check_length(url, response)
            return response

    def forget(self, url: str) -> None:
        """Drop `url` from the cache (content that turned out to be bad), so the next run refetches."""
        if isinstance(self.session, CachedSession):
            with contextlib.suppress(Exception):
                self.session.cache.delete(urls=[url])

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ helpers

    def _is_rate_limit_block(self, url: str, response: requests.Response) -> bool:
        """SEC answers excess traffic with 403; so does any limited host, and any page saying so."""
        if self.limiter is not None and urlsplit(url).netloc.lower() in self.adapter.hosts:
            return True
        marker = looks_like_error_page(response.content) or ""
        return "threshold" in marker.lower() or "automated tool" in marker.lower()

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, base * 2^(attempt-1)], capped; spreads retries of many processes."""
        s = self.settings
        return random.uniform(0, min(s.backoff_max, s.backoff_base * 2 ** (attempt - 1)))

    @staticmethod
    def _sleep(seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    @staticmethod
    def _check_length(url: str, response: requests.Response) -> None:
        """A body shorter than its Content-Length is a truncated download (urllib3 catches most)."""
        if getattr(response, "from_cache", False):
            return
        declared = response.headers.get("Content-Length")
        encoding = response.headers.get("Content-Encoding", "identity").lower()
        if declared and declared.isdigit() and encoding in ("", "identity") and int(declared) != len(response.content):
            raise FetchError(url, f"truncated download: {len(response.content)} of {declared} bytes")
