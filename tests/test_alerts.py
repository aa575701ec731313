"""Alerts end to end against real servers on loopback: HTTP (webhook, Slack) and SMTP (aiosmtpd).

Every server binds 127.0.0.1 on an ephemeral port and is stopped by its fixture; every client
call has a timeout of a few seconds, so a broken server fails a test instead of hanging it.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import logging
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from pipelines import alerts
from pipelines.alerts import ConfigError, deliver_pending, load_config
from pipelines.resources import WarehouseResource
from pipelines.sensors import AlertsResource, alert_sensor, send_alerts_job
from warehouse.connection import connect

ROOT = Path(__file__).resolve().parents[1]
NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
DOC_A = "a" * 64
DOC_B = "b" * 64
SECRET_PATH = "/services/T000/B000/s3cr3t-token"


# ------------------------------------------------------------------------------------------
# Warehouse fixtures
# ------------------------------------------------------------------------------------------


def add_finding(con: duckdb.DuckDBPyConnection, finding_id: str, severity: str = "error",
                rule: str = "cagr_mismatch", status: str = "open", subject: str = "Lithium (global)",
                message: str = "Stated CAGR 12% but the valuations imply 8.1%.") -> None:
    con.execute(
        """
        INSERT INTO findings (finding_id, rule, severity, subject, message, doc_ids, quotes, evidence,
                              first_seen, last_seen, status)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [finding_id, rule, severity, subject, message, [DOC_A, DOC_B],
         ["grow at a CAGR of 12%", "USD 8.1 billion by 2030"], json.dumps({"stated": 12.0, "implied": 8.1}),
         NOW - dt.timedelta(hours=1), NOW - dt.timedelta(hours=1), status],
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A warehouse file holding two documents, two open findings (error, warn) and a resolved one."""
    path = tmp_path / "warehouse.duckdb"
    with connect(path) as con:
        for doc_id, title in ((DOC_A, "Lithium Outlook 2025"), (DOC_B, "Battery Metals Review")):
            con.execute(
                "INSERT INTO documents (doc_id, source, path, title, ingested_at, status) VALUES (?, 'file', ?, ?, ?, "
                "'loaded')",
                [doc_id, f"samples/{title.lower().replace(' ', '_')}.md", title, NOW],
            )
        add_finding(con, "f-error")
        add_finding(con, "f-warn", severity="warn", rule="share_conflict", subject="Cobalt <DRC> & Zambia",
                    message="Regional shares add up to 112%.")
        add_finding(con, "f-resolved", status="resolved")
    return path


def ledger(path: Path) -> dict[tuple[str, str], tuple[str, int, str | None]]:
    with connect(path) as con:
        rows = con.execute("SELECT finding_id, sink, status, attempts, last_error FROM alert_deliveries").fetchall()
    return {(f, s): (st, n, err) for f, s, st, n, err in rows}


def write_config(tmp_path: Path, body: str, name: str = "marketintel.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def log_sink(tmp_path: Path) -> str:
    return f'[[alerts.sinks]]\ntype = "log"\npath = "{(tmp_path / "alerts.log").as_posix()}"\n'


# ------------------------------------------------------------------------------------------
# A real HTTP server (webhook and Slack) on loopback
# ------------------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class HttpSink:
    """Records every POST; answers 503 to the first `fail_first[path]` requests on a path."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    fail_first: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def bodies(self, path: str) -> list[Any]:
        return [r.body for r in self.received if r.path == path]


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    holder: dict[str, HttpSink] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            sink = holder["sink"]
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with sink.lock:
                sink.received.append(Received(self.path, dict(self.headers), json.loads(raw)))
                failing = sink.fail_first.get(self.path, 0) > 0
                if failing:
                    sink.fail_first[self.path] -= 1
            status, text = (503, b"try later") if failing else (200, b"ok")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder["sink"] = HttpSink(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield holder["sink"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# ------------------------------------------------------------------------------------------
# A real SMTP server (aiosmtpd) on loopback
# ------------------------------------------------------------------------------------------


class _EphemeralController(Controller):
    """aiosmtpd's Controller with port=0: learn the port the OS chose before the readiness probe."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class Mailbox:
    messages: list[tuple[str, list[str], email.message.EmailMessage]] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"

    def authenticate(self, server: Any, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login, auth_data.password))
            ok = (auth_data.login, auth_data.password) == (b"alerts", b"hunter2")
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = _EphemeralController(box, hostname="127.0.0.1", port=0, ready_timeout=5,
                                      authenticator=box.authenticate, auth_require_tls=False)
    controller.start()
    box.port = controller.port
    try:
        yield box
    finally:
        controller.stop()


# ------------------------------------------------------------------------------------------
# Configuration
# ------------------------------------------------------------------------------------------


def test_default_config_is_one_log_sink(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MARKETINTEL_DATA", str(tmp_path))
    config = alerts.default_config()
    assert [(s.type, s.name) for s in config.sinks] == [("log", "log")]
    assert config.sinks[0].path == tmp_path / "alerts.log"
    assert config.min_severity == "warn"


def test_shipped_config_and_its_commented_examples_are_valid(tmp_path: Path) -> None:
    shipped = (ROOT / "marketintel.toml").read_text(encoding="utf-8")
    config = load_config(ROOT / "marketintel.toml")
    assert [s.type for s in config.sinks] == ["log"]
    # Uncomment the examples: they must stay a valid config, since people copy them.
    uncommented = re.sub(r"(?m)^# (?=\[\[alerts\.sinks\]\]|[a-z_]+ = )", "", shipped)
    config = load_config(write_config(tmp_path, uncommented))
    assert [s.type for s in config.sinks] == ["log", "webhook", "slack", "email"]
    webhook = config.sinks[1]
    assert isinstance(webhook, alerts.WebhookSinkConfig)
    assert webhook.headers_env == {"Authorization": "MARKETINTEL_WEBHOOK_AUTH"}


def test_explicit_config_path_must_exist(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MARKETINTEL_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="not found"):
        load_config()
    monkeypatch.setenv("MARKETINTEL_CONFIG", str(write_config(tmp_path, '[alerts]\nmin_severity = "error"\n')))
    assert load_config().min_severity == "error"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ('[[alerts.sinks]]\ntype = "webhook"\nurl = "https://hooks.example/T0/B0/tok"\n', "url_env"),
        ('[[alerts.sinks]]\ntype = "email"\nsmtp_host = "h"\nfrom = "a@b"\nto = ["c@d"]\npassword = "x"\n',
         "password_env"),
        ('[alerts]\nmin_severity = "fatal"\n', "min_severity"),
        ('[[alerts.sinks]]\ntype = "pager"\n', "type"),
        ('[[alerts.sinks]]\ntype = "slack"\nwebhook_url_env = "A"\n[[alerts.sinks]]\ntype = "slack"\n'
         'webhook_url_env = "B"\n', "unique"),
        ('[[alerts.sinks]]\ntype = "log"\npaht = "x.log"\n', "unknown key 'paht'"),
        ('[[alerts.sinks]]\ntype = "webhook"\nurl_env = "U"\nretries = true\n', "retries"),
    ],
)
def test_invalid_configs_are_refused_at_load(tmp_path: Path, body: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_config(write_config(tmp_path, body))


# ------------------------------------------------------------------------------------------
# Delivery
# ------------------------------------------------------------------------------------------


def test_log_sink_sends_each_open_finding_once(warehouse: Path, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, log_sink(tmp_path)))
    with connect(warehouse) as con:
        report = deliver_pending(con, config, NOW, environ={})
    assert sorted(report.sent) == [("f-error", "log"), ("f-warn", "log")]  # never the resolved one
    lines = [json.loads(x) for x in (tmp_path / "alerts.log").read_text(encoding="utf-8").splitlines()]
    assert {x["finding"]["finding_id"] for x in lines} == {"f-error", "f-warn"}
    first = next(x for x in lines if x["finding"]["finding_id"] == "f-error")
    assert first["sink"] == "log" and first["sent_at"] == NOW.isoformat()
    assert first["finding"]["evidence"] == {"stated": 12.0, "implied": 8.1}
    assert first["finding"]["documents"][0]["title"] == "Lithium Outlook 2025"

    with connect(warehouse) as con:  # a re-run, even much later, sends nothing new
        again = deliver_pending(con, config, NOW + dt.timedelta(days=3), environ={})
    assert again.sent == [] and again.failed == []
    assert len((tmp_path / "alerts.log").read_text(encoding="utf-8").splitlines()) == 2
    assert ledger(warehouse) == {("f-error", "log"): ("sent", 1, None), ("f-warn", "log"): ("sent", 1, None)}


def test_min_severity_and_rule_filters(warehouse: Path, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, '[alerts]\nmin_severity = "error"\n' + log_sink(tmp_path)))
    with connect(warehouse) as con:
        assert [f for f, _ in deliver_pending(con, config, NOW, environ={}).sent] == ["f-error"]
        add_finding(con, "f-excluded", rule="noisy_rule")
        config = load_config(write_config(tmp_path, '[alerts]\nexclude_rules = ["noisy_rule"]\n' + log_sink(tmp_path)))
        assert [f for f, _ in deliver_pending(con, config, NOW, environ={}).sent] == ["f-warn"]


def test_webhook_and_slack_receive_json(warehouse: Path, tmp_path: Path, http_sink: HttpSink) -> None:
    config = load_config(write_config(tmp_path, """
[[alerts.sinks]]
type = "webhook"
url_env = "TEST_WEBHOOK_URL"
timeout_seconds = 5
headers = { "X-Source" = "marketintel" }
headers_env = { "Authorization" = "TEST_WEBHOOK_AUTH" }

[[alerts.sinks]]
type = "slack"
webhook_url_env = "TEST_SLACK_URL"
timeout_seconds = 5
min_severity = "error"
"""))
    environ = {"TEST_WEBHOOK_URL": http_sink.url("/hook"), "TEST_WEBHOOK_AUTH": "Bearer t0ken",
               "TEST_SLACK_URL": http_sink.url(SECRET_PATH)}
    with connect(warehouse) as con:
        report = deliver_pending(con, config, NOW, environ=environ)
    assert sorted(report.sent) == [("f-error", "slack"), ("f-error", "webhook"), ("f-warn", "webhook")]

    hooks = [r for r in http_sink.received if r.path == "/hook"]
    assert len(hooks) == 2
    by_id = {r.body["finding"]["finding_id"]: r for r in hooks}
    warn = by_id["f-warn"]
    assert warn.body["event"] == "finding.open" and warn.body["sink"] == "webhook"
    assert warn.body["finding"]["severity"] == "warn"
    assert warn.body["finding"]["rule"] == "share_conflict"
    assert warn.body["finding"]["doc_ids"] == [DOC_A, DOC_B]
    assert warn.body["finding"]["quotes"] == ["grow at a CAGR of 12%", "USD 8.1 billion by 2030"]
    assert warn.headers["Idempotency-Key"] == "f-warn"
    assert warn.headers["Authorization"] == "Bearer t0ken"
    assert warn.headers["X-Source"] == "marketintel"
    assert warn.headers["Content-Type"] == "application/json"

    slack = http_sink.bodies(SECRET_PATH)
    assert len(slack) == 1 and set(slack[0]) == {"text"}  # min_severity = "error" on this sink
    text = slack[0]["text"]
    for part in ("ERROR", "cagr_mismatch", "Lithium (global)", "Stated CAGR 12% but the valuations imply 8.1%.",
                 "Lithium Outlook 2025", "Battery Metals Review"):
        assert part in text

    with connect(warehouse) as con:
        assert deliver_pending(con, config, NOW + dt.timedelta(hours=1), environ=environ).sent == []
    assert len(http_sink.received) == 3


def test_slack_escapes_control_characters(warehouse: Path) -> None:
    with connect(warehouse, read_only=True) as con:
        warn = next(f for f in alerts.open_findings(con, alerts.default_config()) if f.finding_id == "f-warn")
    assert "Cobalt &lt;DRC&gt; &amp; Zambia" in alerts.slack_text(warn)


def test_email_one_message_per_finding(warehouse: Path, tmp_path: Path, smtp_server: Mailbox) -> None:
    config = load_config(write_config(tmp_path, """
[[alerts.sinks]]
type = "email"
smtp_host = "192.0.2.1"
smtp_host_env = "TEST_SMTP_HOST"
smtp_port_env = "TEST_SMTP_PORT"
starttls = false
username_env = "TEST_SMTP_USER"
password_env = "TEST_SMTP_PASSWORD"
from = "marketintel@example.test"
to = ["analysts@example.test", "lead@example.test"]
timeout_seconds = 5
"""))
    environ = {"TEST_SMTP_HOST": "127.0.0.1", "TEST_SMTP_PORT": str(smtp_server.port),
               "TEST_SMTP_USER": "alerts", "TEST_SMTP_PASSWORD": "hunter2"}
    with connect(warehouse) as con:
        report = deliver_pending(con, config, NOW, environ=environ)
    assert sorted(report.sent) == [("f-error", "email"), ("f-warn", "email")]
    assert smtp_server.logins == [(b"alerts", b"hunter2")]  # one SMTP session for the whole run
    assert len(smtp_server.messages) == 2
    mail_from, rcpts, msg = next(m for m in smtp_server.messages if m[2]["X-Marketintel-Finding"] == "f-error")
    assert mail_from == "marketintel@example.test"
    assert rcpts == ["analysts@example.test", "lead@example.test"]
    assert msg["Subject"] == "[marketintel] ERROR cagr_mismatch: Lithium (global)"
    body = msg.get_content()
    assert "Stated CAGR 12% but the valuations imply 8.1%." in body
    assert "Lithium Outlook 2025" in body and '"grow at a CAGR of 12%"' in body

    with connect(warehouse) as con:
        assert deliver_pending(con, config, NOW + dt.timedelta(hours=1), environ=environ).sent == []
    assert len(smtp_server.messages) == 2


def test_email_wrong_password_stays_pending(warehouse: Path, tmp_path: Path, smtp_server: Mailbox) -> None:
    config = load_config(write_config(tmp_path, f"""
[[alerts.sinks]]
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp_server.port}
starttls = false
username_env = "U"
password_env = "P"
from = "m@example.test"
to = ["a@example.test"]
timeout_seconds = 5
"""))
    with connect(warehouse) as con:
        report = deliver_pending(con, config, NOW, environ={"U": "alerts", "P": "wrong"})
    assert len(report.failed) == 2 and smtp_server.messages == []
    rows = ledger(warehouse)
    assert {v[0] for v in rows.values()} == {"failed"}
    assert all("wrong" not in (v[2] or "") for v in rows.values())  # the password never reaches the ledger


def test_failed_send_is_retried_after_backoff(warehouse: Path, tmp_path: Path, http_sink: HttpSink) -> None:
    config = load_config(write_config(tmp_path, """
[alerts]
min_severity = "error"
retry_base_seconds = 30

[[alerts.sinks]]
type = "slack"
webhook_url_env = "TEST_SLACK_URL"
timeout_seconds = 5
retries = 0
"""))
    environ = {"TEST_SLACK_URL": http_sink.url(SECRET_PATH)}
    http_sink.fail_first[SECRET_PATH] = 1
    with connect(warehouse) as con:
        first = deliver_pending(con, config, NOW, environ=environ)
    assert first.sent == [] and [(f, s) for f, s, _ in first.failed] == [("f-error", "slack")]
    status, attempts, error = ledger(warehouse)[("f-error", "slack")]
    assert (status, attempts) == ("failed", 1)
    assert "HTTP 503" in error and "s3cr3t" not in error  # the webhook token never reaches the ledger

    with connect(warehouse) as con:  # backoff: 30 s * 2^1 = 60 s after the failed attempt
        early = deliver_pending(con, config, NOW + dt.timedelta(seconds=59), environ=environ)
    assert early.sent == [] and early.failed == [] and early.waiting == 1
    assert len(http_sink.received) == 1

    with connect(warehouse) as con:
        later = deliver_pending(con, config, NOW + dt.timedelta(seconds=60), environ=environ)
    assert later.sent == [("f-error", "slack")]
    assert ledger(warehouse)[("f-error", "slack")] == ("sent", 2, None)
    assert len(http_sink.bodies(SECRET_PATH)) == 2

    with connect(warehouse) as con:
        assert deliver_pending(con, config, NOW + dt.timedelta(days=1), environ=environ).sent == []
    assert len(http_sink.received) == 2


def test_5xx_is_retried_within_one_call(warehouse: Path, tmp_path: Path, http_sink: HttpSink) -> None:
    config = load_config(write_config(tmp_path, """
[alerts]
min_severity = "error"
[[alerts.sinks]]
type = "webhook"
url_env = "U"
timeout_seconds = 5
retries = 2
retry_backoff_seconds = 0.01
"""))
    http_sink.fail_first["/hook"] = 2
    with connect(warehouse) as con:
        report = deliver_pending(con, config, NOW, environ={"U": http_sink.url("/hook")})
    assert report.sent == [("f-error", "webhook")]
    assert len(http_sink.received) == 3  # 503, 503, 200
    assert ledger(warehouse)[("f-error", "webhook")] == ("sent", 1, None)


def test_unreachable_sink_is_tried_once_per_run(warehouse: Path, tmp_path: Path) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on: connection refused at once
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
    config = load_config(write_config(tmp_path, """
[[alerts.sinks]]
type = "webhook"
url_env = "U"
timeout_seconds = 2
retries = 1
retry_backoff_seconds = 0.01
"""))
    with connect(warehouse) as con:
        report = deliver_pending(con, config, NOW, environ={"U": dead})
    assert report.sent == [] and len(report.failed) == 2
    assert "ConnectionError" in report.failed[0][2]
    assert "not tried" in report.failed[1][2]
    assert {v[:2] for v in ledger(warehouse).values()} == {("failed", 1)}


def test_missing_env_var_skips_sink_and_keeps_finding(warehouse: Path, tmp_path: Path, http_sink: HttpSink,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(write_config(tmp_path, log_sink(tmp_path) + """
[[alerts.sinks]]
type = "slack"
webhook_url_env = "TEST_SLACK_URL_UNSET"
timeout_seconds = 5
"""))
    with caplog.at_level(logging.WARNING, logger="pipelines.alerts"), connect(warehouse) as con:
        report = deliver_pending(con, config, NOW, environ={})
    assert sorted(report.sent) == [("f-error", "log"), ("f-warn", "log")]  # the other sinks still work
    assert len(report.warnings) == 1 and "TEST_SLACK_URL_UNSET" in report.warnings[0]
    assert "TEST_SLACK_URL_UNSET" in caplog.text and "skipped" in caplog.text
    assert all(sink == "log" for _, sink in ledger(warehouse))  # nothing recorded: still pending for slack

    with connect(warehouse) as con:  # once the variable is there, the pending findings go out
        later = deliver_pending(con, config, NOW, environ={"TEST_SLACK_URL_UNSET": http_sink.url("/slack")})
    assert sorted(later.sent) == [("f-error", "slack"), ("f-warn", "slack")]


def test_naive_now_is_refused(warehouse: Path) -> None:
    with connect(warehouse) as con, pytest.raises(ValueError, match="timezone-aware"):
        deliver_pending(con, alerts.default_config(), dt.datetime(2026, 1, 1), environ={})


# ------------------------------------------------------------------------------------------
# Dagster: the job and the sensor
# ------------------------------------------------------------------------------------------


def dagster_resources(warehouse: Path, config: Path) -> dict[str, Any]:
    return {"warehouse": WarehouseResource(path=str(warehouse)), "alerts": AlertsResource(config_path=str(config))}


def test_send_alerts_job_runs_in_process(warehouse: Path, tmp_path: Path, http_sink: HttpSink,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_JOB_HOOK", http_sink.url("/hook"))
    config = write_config(tmp_path, log_sink(tmp_path) + """
[[alerts.sinks]]
type = "webhook"
url_env = "TEST_JOB_HOOK"
timeout_seconds = 5
""")
    result = send_alerts_job.execute_in_process(resources=dagster_resources(warehouse, config))
    assert result.success
    assert result.output_for_node("deliver_alerts") == {"sent": 4, "failed": 0, "waiting": 0}
    assert {v[0] for v in ledger(warehouse).values()} == {"sent"} and len(ledger(warehouse)) == 4
    assert len(http_sink.bodies("/hook")) == 2

    again = send_alerts_job.execute_in_process(resources=dagster_resources(warehouse, config))
    assert again.output_for_node("deliver_alerts")["sent"] == 0
    assert len(http_sink.received) == 2


def test_send_alerts_job_fails_visibly_but_keeps_failures(warehouse: Path, tmp_path: Path, http_sink: HttpSink,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_JOB_HOOK", http_sink.url("/down"))
    http_sink.fail_first["/down"] = 100
    config = write_config(tmp_path, """
[[alerts.sinks]]
type = "webhook"
url_env = "TEST_JOB_HOOK"
timeout_seconds = 5
retries = 0
""")
    result = send_alerts_job.execute_in_process(resources=dagster_resources(warehouse, config), raise_on_error=False)
    assert not result.success
    assert {v[:2] for v in ledger(warehouse).values()} == {("failed", 1)}


def test_alert_sensor_requests_run_when_pending_and_skips_otherwise(warehouse: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, log_sink(tmp_path))
    resources = dagster_resources(warehouse, config)
    with dg.instance_for_test() as instance:
        first = alert_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(first, dg.RunRequest)
        assert first.run_key and first.run_key.startswith("alerts-")
        assert first.tags["marketintel/alerts_due"] == "2"
        # The same state gives the same key, so the daemon launches one run for it.
        second = alert_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(second, dg.RunRequest) and second.run_key == first.run_key

        # While any run is queued or in progress, the sensor does not touch the warehouse file.
        instance.create_run_for_job(send_alerts_job)
        busy = alert_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(busy, dg.SkipReason) and "in progress" in (busy.skip_message or "")

    with connect(warehouse) as con:
        deliver_pending(con, load_config(config), dt.datetime.now(dt.UTC), environ={})
    with dg.instance_for_test() as instance:
        done = alert_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert isinstance(done, dg.SkipReason) and "no alerts to send" in (done.skip_message or "")

        missing = dagster_resources(tmp_path / "absent.duckdb", config)
        nothing = alert_sensor(dg.build_sensor_context(instance=instance, resources=missing))
        assert isinstance(nothing, dg.SkipReason) and "no warehouse" in (nothing.skip_message or "")
    assert not (tmp_path / "absent.duckdb").exists()
