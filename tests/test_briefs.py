"""Market briefs: built by the real asset graph from the samples, checked as HTML, and rendered in
headless Chromium to prove the page draws its charts, logs no error and makes no network request.

Chromium comes from scripts/install_chromium.sh; when it cannot be installed the browser tests
fail with the script's message instead of skipping, so a CI run without a browser is never green
by accident.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from pipelines.brief_assets import BRIEFS_KEY, INDEX_NAME, BriefsResource, brief_assets, write_briefs
from pipelines.briefs import BriefData, brief_filename, brief_filenames, quote_anchor, render_brief
from pipelines.definitions import all_assets
from pipelines.resources import DocumentStoreResource, WarehouseResource

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
INSTALL_SCRIPT = ROOT / "scripts" / "install_chromium.sh"
SEED_MARKET = "rare earth refining services"
HOSTILE = '<script>alert("x")</script>'

# Bounded waits for everything that talks to the browser.
LAUNCH_TIMEOUT = 30.0
COMMAND_TIMEOUT = 20.0
LOAD_TIMEOUT = 30.0
SETTLE_SECONDS = 1.0


# ---------------------------------------------------------------------------------------------
# A warehouse and briefs built once for the module by the real pipeline


@dataclass(frozen=True)
class Built:
    warehouse: Path
    briefs_dir: Path
    result: dg.ExecuteInProcessResult


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The whole graph plus `marts/market_briefs`, materialized on the repo's samples."""
    base = tmp_path_factory.mktemp("briefs")
    warehouse = base / "wh.duckdb"
    briefs_dir = base / "briefs"
    result = dg.materialize(
        [*all_assets, *brief_assets],
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "document_store": DocumentStoreResource(inbox=str(SAMPLES), raw_dir=str(base / "raw")),
            "briefs": BriefsResource(briefs_dir=str(briefs_dir)),
        },
        raise_on_error=False,
    )
    assert result.success, "the pipeline with the briefs asset failed"
    return Built(warehouse, briefs_dir, result)


def _seed_brief(built: Built) -> Path:
    return built.briefs_dir / brief_filename(SEED_MARKET)


def _ids(page: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', page))


def _fragment_links(page: str) -> list[str]:
    """Every in-page link target: HTML `href="#…"` and SVG `xlink:href="#…"` alike."""
    return re.findall(r'href="#([^"]*)"', page)


def test_seed_market_gets_a_brief_with_chart_figures_and_findings(built: Built) -> None:
    page = _seed_brief(built).read_text(encoding="utf-8")
    assert "<svg" in page
    assert "544" in page and "878" in page
    assert "cagr_mismatch" in page
    # every in-page link (tables, findings and chart markers) lands on an element of the page
    ids = _ids(page)
    assert len(ids) == len(re.findall(r'\sid="([^"]+)"', page)), "duplicate element ids"
    links = _fragment_links(page)
    assert links and not [t for t in links if t not in ids], "links to anchors missing from the page"
    # figures link to quote anchors, and each of those anchors is a quote list entry
    figure_targets = re.findall(r'<a class="fig" href="#(q-[^"]+)"', page)
    assert figure_targets
    for target in figure_targets:
        assert re.search(rf'<li id="{re.escape(target)}">', page)
    # the 544 and 878 figures themselves link to quotes that contain those numbers
    for number in ("544", "878"):
        target = re.search(rf'<a class="fig" href="#(q-[^"]+)">USD {number} million</a>', page)
        assert target, f"the {number} figure is not linked to a quote"
        entry = page[page.index(f'<li id="{target.group(1)}">'):]
        assert number in entry[: entry.index("</li>")]
    # chart markers link to quotes too
    assert re.search(r'<a xlink:href="#q-[0-9a-f]+"', page)
    # self-contained: no script, no external resource
    assert "<script" not in page.lower()
    assert not re.search(r'\ssrc="', page)
    assert not re.search(r"url\((?!#)", page)
    assert "Content-Security-Policy" in page


def test_index_and_metadata_list_every_market(built: Built) -> None:
    mats = [e for e in built.result.get_asset_materialization_events() if e.asset_key == BRIEFS_KEY]
    assert len(mats) == 1
    meta = mats[0].materialization.metadata
    n = meta["briefs"].value
    paths = meta["paths"].value
    assert n >= 1 and len(paths) == n
    assert all(Path(p).is_file() for p in paths)
    assert str(_seed_brief(built)) in paths
    assert "preview" in meta and "dagster/row_count" in meta
    index = (built.briefs_dir / INDEX_NAME).read_text(encoding="utf-8")
    assert f'href="{brief_filename(SEED_MARKET)}"' in index
    assert len(re.findall(r'<a href="[^"#]+\.html">', index)) == n


def test_rewrite_removes_stale_briefs_but_not_foreign_files(built: Built, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    stale = folder / "gone-market.html"
    stale.write_text('<!DOCTYPE html><meta name="generator" content="marketintel briefs">old', encoding="utf-8")
    foreign = folder / "notes.html"
    foreign.write_text("<p>mine</p>", encoding="utf-8")
    written = write_briefs(WarehouseResource(path=str(built.warehouse)), folder)
    assert not stale.exists() and foreign.exists()
    assert (folder / brief_filename(SEED_MARKET)).is_file()
    assert written.height == len(list(folder.glob("*.html"))) - 2  # the index and the foreign file


def test_brief_filenames_are_slugs_and_never_collide() -> None:
    assert brief_filename(SEED_MARKET) == "rare-earth-refining-services.html"
    assert brief_filename("../../etc/passwd") == "etc-passwd.html"
    assert brief_filename("<>") == "market.html"
    names = brief_filenames(["A/B market", "a b market", "other"])
    assert len(set(names.values())) == 3
    assert names["other"] == "other.html"


# ---------------------------------------------------------------------------------------------
# Rendering crafted data


def _hostile_brief() -> BriefData:
    """One of everything, with markup, `$` signs and odd ids where documents could put them."""
    doc = {"doc_id": "d1", "title": f"Report {HOSTILE} & co", "publisher": f"Pub {HOSTILE}",
           "published": dt.date(2025, 1, 2), "path": f"/tmp/{HOSTILE}.html", "source": "file"}
    doc2 = {"doc_id": "d2", "title": "Second report", "publisher": "Second $ource $$ x", "path": "https://e.x/a?b=<c>",
            "source": "web"}
    common = {"document_title": doc["title"], "path": doc["path"], "doc_id": "d1", "source": f"Pub {HOSTILE}"}
    common2 = {"document_title": doc2["title"], "path": doc2["path"], "doc_id": "d2", "source": doc2["publisher"]}
    market = f"widgets {HOSTILE}"
    sizes = [
        {**common, "market": market, "year": 2024, "currency": "USD", "amount": 544e6, "forecast": False,
         "quote": f"USD 544 million {HOSTILE}", "fact_id": 'f"1<x>'},
        {**common, "market": market, "year": 2030, "currency": "USD", "amount": 878e6, "forecast": True,
         "quote": "USD 878 million by 2030", "fact_id": "f2"},
        {**common2, "market": market, "year": 2024, "currency": "USD", "amount": 900e6, "forecast": False,
         "quote": "$900 million", "fact_id": "f3"},
    ]
    consensus = [
        {"market": market, "year": 2024, "currency": "USD", "amount": 544e6, "min_amount": 544e6,
         "max_amount": 900e6, "relative_spread": 0.65, "n_sources": 2, "is_consensus": False},
        {"market": market, "year": 2030, "currency": "USD", "amount": 878e6, "min_amount": 878e6,
         "max_amount": 878e6, "relative_spread": 0.0, "n_sources": 1, "is_consensus": False},
    ]
    growth = [{**common, "market": market, "rate_pct": 7.4, "start_year": 2024, "end_year": 2030,
               "quote": f"7.4% {HOSTILE}", "fact_id": "g1"}]
    shares = [
        {**common, "region": f"Region {HOSTILE}", "share_pct": 80.0, "qualifier": "over",
         "metric": f"output {HOSTILE}", "quote": "over 80% <b>", "fact_id": "s1", "consensus_share_pct": 60.0,
         "consensus_sources": 2},
        {**common2, "region": f"Region {HOSTILE}", "share_pct": 40.0, "qualifier": None,
         "metric": f"output {HOSTILE}", "quote": "40%", "fact_id": "s2", "consensus_share_pct": 60.0,
         "consensus_sources": 2},
    ]
    companies = [{**common, "name": f"Acme {HOSTILE}", "country": f"Land {HOSTILE}", "quote": "Acme",
                  "fact_id": "c1"}]
    findings = [{"finding_id": "fx", "rule": "share_conflict", "severity": "error", "subject": f"Region {HOSTILE}",
                 "message": f"cannot both hold {HOSTILE}", "first_seen": "2025-01-01 00:00 UTC",
                 "quotes": ["over 80% <b>", "40%", f"unmatched {HOSTILE}"], "evidence": json.dumps({"x": HOSTILE}),
                 "doc_ids": ["d1", "d2"]}]
    quotes = [{"fact_id": 'f"1<x>', "kind": "valuation", "quote": f"USD 544 million {HOSTILE}", "start": 10,
               "before": f"before {HOSTILE} ", "after": f" after {HOSTILE}", "doc_id": "d1"}]
    return BriefData.build(
        market, generated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), sizes=sizes, consensus=consensus,
        growth=growth, shares=shares, companies=companies, findings=findings, quotes=quotes,
        documents=[doc, doc2],
    )


def test_render_escapes_every_document_string() -> None:
    page = render_brief(_hostile_brief())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page
    assert "over 80% &lt;b&gt;" in page
    # ids made from odd fact ids are still valid, and every in-page link resolves
    odd = quote_anchor('f"1<x>')
    assert re.fullmatch(r"q-[A-Za-z0-9_-]+", odd) and odd != quote_anchor('f"1>x<')
    ids = _ids(page)
    assert not [t for t in _fragment_links(page) if t not in ids]
    assert page.count("<svg") == 2  # the size chart and the share chart


def test_render_marks_outliers_and_conflicting_shares() -> None:
    page = render_brief(_hostile_brief())
    # 900 against a consensus of 544 is far off; 544 itself is not
    outlier_rows = re.findall(r'<tr class="outlier">(.*?)</tr>', page, flags=re.S)
    assert any("USD 900 million" in row for row in outlier_rows)
    assert not any("USD 544 million</a>" in row and "outlier +" in row for row in outlier_rows)
    # both share claims are cited by the open finding, and link to it
    assert sum('href="#f-fx"' in row for row in outlier_rows) >= 2
    # a finding quote that matches no fact is shown as text, escaped
    assert "unmatched &lt;script&gt;" in page


def test_render_survives_an_empty_market() -> None:
    page = render_brief(BriefData.build("nothing here"))
    assert "No document states a size" in page
    assert "<svg" not in page


# ---------------------------------------------------------------------------------------------
# Headless Chromium


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a chromium binary, installed by scripts/install_chromium.sh when missing."""
    try:
        proc = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        pytest.fail("scripts/install_chromium.sh did not finish within 15 minutes")
    if proc.returncode != 0:
        pytest.fail("headless Chromium is required for the brief tests: "
                    + (proc.stderr.strip() or proc.stdout.strip() or f"exit {proc.returncode}"))
    return proc.stdout.strip().splitlines()[-1]


def _base_flags(user_data_dir: Path) -> list[str]:
    return [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={user_data_dir}", "--enable-logging=stderr", "--v=0",
        "--window-size=1280,2000",
    ]


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop the chromium we started and every helper process it spawned (its own session)."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _assert_png_is_a_picture(png: Path) -> None:
    """The file is a real screenshot: big enough, and not one flat colour."""
    from PIL import Image  # installed with matplotlib

    assert png.is_file(), f"no screenshot at {png}"
    assert png.stat().st_size > 20_000, f"screenshot is suspiciously small: {png.stat().st_size} bytes"
    with Image.open(png) as im:
        assert im.format == "PNG"
        assert im.width >= 1000 and im.height >= 1000, im.size
        rgb = im.convert("RGB")
        colors = rgb.getcolors(maxcolors=1 << 18)
    assert colors is None or len(colors) > 16, "the screenshot is (almost) a single colour"
    if colors is not None:
        assert max(c for c, _ in colors) < 0.995 * rgb.width * rgb.height, "the screenshot is nearly blank"


def test_chromium_cli_screenshot(chromium: str, built: Built, tmp_path: Path) -> None:
    png = tmp_path / "brief_cli.png"
    cmd = [chromium, *_base_flags(tmp_path / "profile"), f"--screenshot={png}", _seed_brief(built).as_uri()]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, err = proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        _kill(proc)
        pytest.fail("chromium --screenshot did not finish within 90 s")
    finally:
        _kill(proc)
    assert png.is_file(), f"chromium wrote no screenshot: {err.decode(errors='replace')[-2000:]}"
    _assert_png_is_a_picture(png)


class Cdp:
    """A minimal Chrome DevTools Protocol client over one websocket (flattened target sessions)."""

    def __init__(self, url: str) -> None:
        import websocket  # websocket-client

        self._ws = websocket.create_connection(url, timeout=COMMAND_TIMEOUT, suppress_origin=True)
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        # closing a dead socket must not hide the real failure
        with contextlib.suppress(Exception):
            self._ws.close()

    def _recv(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self._ws.settimeout(remaining)
        return json.loads(self._ws.recv())

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = COMMAND_TIMEOUT) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = self._recv(deadline)
            except Exception as exc:
                raise AssertionError(f"no answer to {method} within {timeout} s") from exc
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise AssertionError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float) -> dict[str, Any]:
        seen = 0
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[seen:]:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            seen = len(self.events)
            try:
                self.events.append(self._recv(deadline))
            except Exception as exc:
                raise AssertionError(f"{method} did not arrive within {timeout} s") from exc

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.events.append(self._recv(deadline))
            except Exception:  # a timeout ends the drain
                return


def _devtools_url(log: Path, proc: subprocess.Popen[bytes]) -> str:
    """The browser's DevTools websocket URL, as chromium prints it on stderr."""
    deadline = time.monotonic() + LAUNCH_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        match = re.search(r"DevTools listening on (ws://\S+)", text)
        if match:
            return match.group(1)
        if proc.poll() is not None:
            pytest.fail(f"chromium exited with {proc.returncode} before DevTools was up:\n{text[-3000:]}")
        time.sleep(0.1)
    text = log.read_text(errors="replace") if log.exists() else ""
    pytest.fail(f"chromium printed no DevTools URL within {LAUNCH_TIMEOUT} s:\n{text[-3000:]}")


def _console_errors(events: list[dict[str, Any]], session: str) -> list[str]:
    errors = []
    for e in events:
        if e.get("sessionId") != session:
            continue
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(str(details.get("exception", {}).get("description") or details.get("text"))[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"{entry.get('text', '')} {entry.get('url', '')}".strip()[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            args = params.get("args", [])
            errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args)[:500])
    return errors


@dataclass
class PageReport:
    """What the browser saw while loading a page."""

    svg_count: int
    title: str | None
    overflow_px: int
    requests: list[str]
    errors: list[str]
    screenshot: Path
    full_screenshot: Path


def inspect_page(chromium: str, page: Path, out_dir: Path) -> PageReport:
    """Load `page` in headless Chromium driven over DevTools; collect requests, console errors,
    DOM facts and screenshots. Chromium is always killed before this returns."""
    page_url = page.as_uri()
    log = out_dir / "chromium.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [chromium, *_base_flags(out_dir / "profile"), "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
        )
    cdp: Cdp | None = None
    try:
        cdp = Cdp(_devtools_url(log, proc))
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            cdp.send(f"{domain}.enable", session=session)
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 2000, "deviceScaleFactor": 1, "mobile": False}, session=session)
        cdp.send("Page.navigate", {"url": page_url}, session=session)
        cdp.wait_for("Page.loadEventFired", session, LOAD_TIMEOUT)
        cdp.drain(SETTLE_SECONDS)

        def evaluate(expression: str) -> Any:
            result = cdp.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                              session=session)
            assert "exceptionDetails" not in result, result
            return result["result"].get("value")

        svg_count = evaluate("document.querySelectorAll('svg').length")
        title = evaluate("document.querySelector('h1') && document.querySelector('h1').textContent")
        overflow = evaluate("document.documentElement.scrollWidth - window.innerWidth")
        height = evaluate("document.documentElement.scrollHeight")

        png = out_dir / "brief.png"
        shot = cdp.send("Page.captureScreenshot", {"format": "png"}, session=session)
        png.write_bytes(base64.b64decode(shot["data"]))
        full_png = out_dir / "brief_full.png"
        full = cdp.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1280, "height": max(1, min(int(height), 12000)), "scale": 1},
        }, session=session, timeout=60)
        full_png.write_bytes(base64.b64decode(full["data"]))
        cdp.drain(0.2)

        requests = [
            e["params"]["request"]["url"] for e in cdp.events
            if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == session
            and e["params"]["request"]["url"].split("#")[0] != page_url
        ]
        errors = _console_errors(cdp.events, session)
        with contextlib.suppress(AssertionError):
            cdp.send("Browser.close", timeout=5)
    finally:
        if cdp is not None:
            cdp.close()
        _kill(proc)
    return PageReport(svg_count, title, overflow, requests, errors, png, full_png)


def test_brief_renders_in_headless_chromium(chromium: str, built: Built, tmp_path: Path) -> None:
    report = inspect_page(chromium, _seed_brief(built), tmp_path)
    _assert_png_is_a_picture(report.screenshot)
    _assert_png_is_a_picture(report.full_screenshot)
    assert report.errors == [], f"console errors: {report.errors}"
    assert report.requests == [], f"the page made network requests: {report.requests}"
    assert report.svg_count >= 1
    assert (report.title or "").strip() == SEED_MARKET
    assert report.overflow_px <= 0, "the page scrolls sideways at 1280 px"


def test_the_browser_check_sees_requests_and_errors(chromium: str, tmp_path: Path) -> None:
    """Control: a page that fetches and logs an error is caught, so a clean result above means clean."""
    page = tmp_path / "noisy.html"
    page.write_text(
        "<!DOCTYPE html><html><body><h1>noisy</h1>"
        '<img src="http://127.0.0.1:9/pixel.png" alt="">'
        '<script>console.error("boom"); undefinedFunction();</script></body></html>',
        encoding="utf-8",
    )
    report = inspect_page(chromium, page, tmp_path)
    assert any("127.0.0.1:9/pixel.png" in url for url in report.requests), report.requests
    assert any("boom" in e for e in report.errors), report.errors
    assert any("undefinedFunction" in e for e in report.errors), report.errors
    assert report.svg_count == 0
