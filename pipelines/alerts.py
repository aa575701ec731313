"""Alerts: send each new data-quality finding once to every configured sink.

Configuration lives in one place, `marketintel.toml` at the project root (another file with
MARKETINTEL_CONFIG), section `[alerts]`; the file itself documents every key. Without the file
alerts go to a single log sink, `$MARKETINTEL_DATA/alerts.log` (JSON lines).

Secrets never live in the file: webhook URLs (which carry their token), SMTP user names and
passwords are read from the environment variables the file *names* (`url_env`,
`webhook_url_env`, `username_env`, `password_env`). A sink whose variable is missing is skipped
with a warning, and its findings stay pending until the variable is there. Keys that would put a
secret in the file (`url`, `password`, ...) are rejected when the file is loaded.

Delivery is tracked in the `alert_deliveries` ledger (warehouse/schema/005_alerts.sql), one row per
(finding, sink). `deliver_pending` sends every open finding at or above the severity threshold
that has no `sent` row for a sink, then records the outcome in its own transaction, so:

- a finding is never lost: a failed send is recorded as `failed` and retried by a later call,
  not before `last_attempt_at + retry_base_seconds * 2**attempts` (capped by retry_max_seconds);
- a finding is never sent twice to one sink: a `sent` row is final and a re-run sends nothing.
  The one gap no ledger can close is a crash between the sink accepting a message and the commit;
  then the finding is sent again (at-least-once), which is why webhooks carry an
  `Idempotency-Key` header (the finding id) a receiver can de-duplicate on.

E-mail sends one message per finding (over one SMTP session per call), not a digest: the ledger
records one outcome per finding, a message the server refuses fails only its own finding, and
the subject (`[marketintel] ERROR rule: subject`) lets people filter by severity and rule.

When a sink is unreachable (connection error, timeout, HTTP 5xx/429 after the in-call retries,
SMTP connection or login failure) the rest of its findings in that call are recorded as failed
without being tried, so a dead endpoint costs one timeout per call rather than one per finding
while the warehouse is held.

This module has no Dagster import: pipelines/sensors.py wraps it in a job and a sensor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import smtplib
import ssl
import time
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import requests

from pipelines import paths

logger = logging.getLogger(__name__)

CONFIG_ENV = "MARKETINTEL_CONFIG"
CONFIG_FILENAME = "marketintel.toml"
SEVERITIES = ("warn", "error")
_SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
SINK_TYPES = ("log", "webhook", "slack", "email")
USER_AGENT = "marketintel-alerts/1"


class ConfigError(ValueError):
    """marketintel.toml is invalid; raised at load time so a typo never silently drops alerts."""


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogSinkConfig:
    """Append one JSON line per finding to a local file (always available, needs no secret)."""

    name: str
    path: Path
    min_severity: str | None = None
    enabled: bool = True
    type: str = "log"


@dataclass(frozen=True)
class WebhookSinkConfig:
    """POST the finding as JSON to the URL held by the environment variable `url_env`."""

    name: str
    url_env: str
    timeout_seconds: float = 10.0
    retries: int = 2
    retry_backoff_seconds: float = 0.5
    headers: Mapping[str, str] = field(default_factory=dict)
    headers_env: Mapping[str, str] = field(default_factory=dict)
    min_severity: str | None = None
    enabled: bool = True
    type: str = "webhook"


@dataclass(frozen=True)
class SlackSinkConfig:
    """Post a readable message to a Slack incoming webhook held by `webhook_url_env`."""

    name: str
    webhook_url_env: str
    timeout_seconds: float = 10.0
    retries: int = 2
    retry_backoff_seconds: float = 0.5
    min_severity: str | None = None
    enabled: bool = True
    type: str = "slack"


@dataclass(frozen=True)
class EmailSinkConfig:
    """One e-mail per finding through an SMTP server; credentials come from the environment."""

    name: str
    sender: str
    to: tuple[str, ...]
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_host_env: str | None = None
    smtp_port_env: str | None = None
    starttls: bool = True
    ssl: bool = False
    username_env: str | None = None
    password_env: str | None = None
    timeout_seconds: float = 10.0
    subject_prefix: str = "[marketintel]"
    min_severity: str | None = None
    enabled: bool = True
    type: str = "email"


SinkConfig = LogSinkConfig | WebhookSinkConfig | SlackSinkConfig | EmailSinkConfig


def default_log_path() -> Path:
    """Where the log sink writes when the config gives no path: beside the warehouse."""
    return paths.data_dir() / "alerts.log"


@dataclass(frozen=True)
class AlertsConfig:
    """The `[alerts]` section: which findings are alerted, where to, and how retries back off."""

    sinks: tuple[SinkConfig, ...]
    enabled: bool = True
    min_severity: str = "warn"
    include_rules: frozenset[str] = frozenset()  # empty: every rule
    exclude_rules: frozenset[str] = frozenset()
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 6 * 3600.0
    source: Path | None = None  # the file it was read from, None for the built-in default

    def wants(self, rule: str, severity: str) -> bool:
        """Whether a finding passes the global filters (enabled, rule lists, min_severity)."""
        if not self.enabled or rule in self.exclude_rules:
            return False
        if self.include_rules and rule not in self.include_rules:
            return False
        return severity_at_least(severity, self.min_severity)


def severity_at_least(severity: str, threshold: str) -> bool:
    """warn < error; an unknown severity is treated as the highest so it is never dropped."""
    return _SEVERITY_RANK.get(severity, len(SEVERITIES)) >= _SEVERITY_RANK[threshold]


def default_config() -> AlertsConfig:
    """No marketintel.toml: every open finding goes to the local log file, nowhere else."""
    return AlertsConfig(sinks=(LogSinkConfig(name="log", path=default_log_path()),))


def config_path(environ: Mapping[str, str] | None = None) -> tuple[Path, bool]:
    """The config file to read and whether it was asked for explicitly (MARKETINTEL_CONFIG)."""
    environ = os.environ if environ is None else environ
    explicit = environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit), True
    return paths.PROJECT_ROOT / CONFIG_FILENAME, False


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> AlertsConfig:
    """Read `[alerts]` from marketintel.toml (or `path`, or $MARKETINTEL_CONFIG).

    A missing default file gives the built-in default (one log sink); a file that was asked for
    explicitly and is missing is an error, since silently falling back would hide the mistake.
    """
    if path is not None:
        file, explicit = Path(path), True
    else:
        file, explicit = config_path(environ)
    if not file.is_file():
        if explicit:
            raise ConfigError(f"alerts config not found: {file}")
        return default_config()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    return parse_config(data.get("alerts", {}), base_dir=file.resolve().parent, source=file)


class _Table:
    """Typed access to one TOML table, with error messages that name the key and its place."""

    def __init__(self, data: Any, where: str, allowed: Iterable[str]) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{where} must be a table")
        self.data, self.where = data, where
        allowed = set(allowed)
        for key in data:
            if key in _SECRET_KEYS:
                raise ConfigError(
                    f"{where}.{key}: secrets are not read from the config file; put the value in an "
                    f"environment variable and name it with {_SECRET_KEYS[key]!r}"
                )
            if key not in allowed:
                raise ConfigError(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")

    def _get(self, key: str, kinds: tuple[type, ...], default: Any, label: str) -> Any:
        value = self.data.get(key, default)
        if value is not None and (not isinstance(value, kinds) or isinstance(value, bool) != (bool in kinds)):
            raise ConfigError(f"{self.where}.{key} must be {label}, got {value!r}")
        return value

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self._get(key, (str,), default, "a string")
        if value is not None and not value.strip():
            raise ConfigError(f"{self.where}.{key} must not be empty")
        return value

    def required_str(self, key: str) -> str:
        value = self.string(key)
        if value is None:
            raise ConfigError(f"{self.where}.{key} is required")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        return self._get(key, (bool,), default, "true or false")

    def number(self, key: str, default: float, minimum: float = 0.0) -> float:
        value = self._get(key, (int, float), default, "a number")
        if value < minimum:
            raise ConfigError(f"{self.where}.{key} must be at least {minimum}, got {value}")
        return float(value)

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        value = self._get(key, (int,), default, "an integer")
        if value < minimum:
            raise ConfigError(f"{self.where}.{key} must be at least {minimum}, got {value}")
        return value

    def str_list(self, key: str) -> tuple[str, ...]:
        value = self._get(key, (list,), [], "a list of strings")
        if not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{self.where}.{key} must be a list of non-empty strings")
        return tuple(value)

    def str_map(self, key: str) -> dict[str, str]:
        value = self._get(key, (dict,), {}, "a table of strings")
        if not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"{self.where}.{key} values must be strings")
        return dict(value)

    def severity(self, key: str, default: str | None) -> str | None:
        value = self.string(key, default)
        if value is not None and value not in SEVERITIES:
            raise ConfigError(f"{self.where}.{key} must be one of {', '.join(SEVERITIES)}, got {value!r}")
        return value


_SECRET_KEYS = {
    "url": "url_env",
    "webhook_url": "webhook_url_env",
    "password": "password_env",
    "username": "username_env",
    "smtp_password": "password_env",
}
_ALERTS_KEYS = ("enabled", "min_severity", "include_rules", "exclude_rules", "retry_base_seconds",
                "retry_max_seconds", "sinks")
_COMMON_SINK_KEYS = ("type", "name", "enabled", "min_severity")
_HTTP_KEYS = ("timeout_seconds", "retries", "retry_backoff_seconds")
_SINK_KEYS = {
    "log": ("path",),
    "webhook": ("url_env", "headers", "headers_env", *_HTTP_KEYS),
    "slack": ("webhook_url_env", *_HTTP_KEYS),
    "email": ("smtp_host", "smtp_port", "smtp_host_env", "smtp_port_env", "starttls", "ssl", "username_env",
              "password_env", "from", "to", "timeout_seconds", "subject_prefix"),
}


def parse_config(alerts: Mapping[str, Any], base_dir: Path, source: Path | None = None) -> AlertsConfig:
    """Validate the `[alerts]` table; relative log paths are taken from the config file's folder."""
    table = _Table(dict(alerts), "alerts", _ALERTS_KEYS)
    if "sinks" in table.data:
        raw_sinks = table.data["sinks"]
        if not isinstance(raw_sinks, list):
            raise ConfigError("alerts.sinks must be an array of tables ([[alerts.sinks]])")
        sinks = tuple(_parse_sink(raw, f"alerts.sinks[{i}]", base_dir) for i, raw in enumerate(raw_sinks))
    else:
        sinks = default_config().sinks
    names = [s.name for s in sinks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"alerts.sinks: names must be unique, repeated: {', '.join(duplicates)} "
                          "(give each sink of the same type its own `name`)")
    retry_base = table.number("retry_base_seconds", 60.0)
    return AlertsConfig(
        sinks=tuple(s for s in sinks if s.enabled),
        enabled=table.boolean("enabled", True),
        min_severity=table.severity("min_severity", "warn") or "warn",
        include_rules=frozenset(table.str_list("include_rules")),
        exclude_rules=frozenset(table.str_list("exclude_rules")),
        retry_base_seconds=retry_base,
        retry_max_seconds=table.number("retry_max_seconds", max(6 * 3600.0, retry_base)),
        source=source,
    )


def _parse_sink(raw: Any, where: str, base_dir: Path) -> SinkConfig:
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind not in SINK_TYPES:
        raise ConfigError(f"{where}.type must be one of {', '.join(SINK_TYPES)}, got {kind!r}")
    t = _Table(raw, where, (*_COMMON_SINK_KEYS, *_SINK_KEYS[kind]))
    common: dict[str, Any] = {
        "name": t.string("name", kind),
        "min_severity": t.severity("min_severity", None),
        "enabled": t.boolean("enabled", True),
    }
    http = {
        "timeout_seconds": t.number("timeout_seconds", 10.0, minimum=0.1),
        "retries": t.integer("retries", 2),
        "retry_backoff_seconds": t.number("retry_backoff_seconds", 0.5),
    }
    if kind == "log":
        path = t.string("path")
        return LogSinkConfig(path=(base_dir / path) if path else default_log_path(), **common)
    if kind == "webhook":
        return WebhookSinkConfig(url_env=t.required_str("url_env"), headers=t.str_map("headers"),
                                 headers_env=t.str_map("headers_env"), **http, **common)
    if kind == "slack":
        return SlackSinkConfig(webhook_url_env=t.required_str("webhook_url_env"), **http, **common)
    to = t.str_list("to")
    if not to:
        raise ConfigError(f"{where}.to must list at least one recipient")
    if not (t.string("smtp_host") or t.string("smtp_host_env")):
        raise ConfigError(f"{where}: give smtp_host, smtp_host_env or both")
    use_ssl, starttls = t.boolean("ssl", False), t.boolean("starttls", True)
    if use_ssl and starttls:
        raise ConfigError(f"{where}: ssl (implicit TLS, port 465) and starttls exclude each other")
    return EmailSinkConfig(
        sender=t.required_str("from"),
        to=to,
        smtp_host=t.string("smtp_host"),
        smtp_port=t.integer("smtp_port", 465 if use_ssl else 587, minimum=1),
        smtp_host_env=t.string("smtp_host_env"),
        smtp_port_env=t.string("smtp_port_env"),
        starttls=starttls,
        ssl=use_ssl,
        username_env=t.string("username_env"),
        password_env=t.string("password_env"),
        timeout_seconds=http["timeout_seconds"],
        subject_prefix=t.string("subject_prefix", "[marketintel]") or "[marketintel]",
        **common,
    )


# --------------------------------------------------------------------------------------------
# Findings as sent
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRef:
    """A document behind a finding, with the title people recognise it by."""

    doc_id: str
    title: str | None = None
    path: str | None = None

    def label(self) -> str:
        name = self.title or (Path(self.path).name if self.path else None)
        return f"{name} ({self.doc_id[:12]})" if name else self.doc_id


@dataclass(frozen=True)
class Finding:
    """One open finding as read from the warehouse, ready to be formatted for any sink."""

    finding_id: str
    rule: str
    severity: str
    subject: str | None
    message: str
    doc_ids: tuple[str, ...]
    quotes: tuple[str, ...]
    evidence: Any
    first_seen: dt.datetime
    last_seen: dt.datetime
    documents: tuple[DocumentRef, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The finding as JSON-ready data (webhook body, log line)."""
        return {
            "finding_id": self.finding_id,
            "rule": self.rule,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "doc_ids": list(self.doc_ids),
            "documents": [{"doc_id": d.doc_id, "title": d.title, "path": d.path} for d in self.documents],
            "quotes": list(self.quotes),
            "evidence": self.evidence,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
        }

    def headline(self) -> str:
        return f"{self.severity.upper()} {self.rule}: {self.subject or '(no subject)'}"

    def text(self) -> str:
        """Plain-text description (e-mail body): what is wrong and where to look."""
        lines = [
            f"Severity: {self.severity}",
            f"Rule:     {self.rule}",
            f"Subject:  {self.subject or '-'}",
            "",
            self.message,
            "",
            "Documents:",
            *(f"  - {d.label()}" for d in self.documents),
        ]
        if self.quotes:
            lines += ["", "Evidence quotes:", *(f'  "{" ".join(q.split())}"' for q in self.quotes)]
        lines += ["", f"Finding {self.finding_id}, first seen {self.first_seen.isoformat()}"]
        return "\n".join(lines)


def _parse_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _utc(value: dt.datetime) -> dt.datetime:
    """TIMESTAMPTZ comes back in the session's time zone; alerts always speak UTC."""
    return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall()[0][0] > 0


def open_findings(con: duckdb.DuckDBPyConnection, config: AlertsConfig) -> list[Finding]:
    """Open findings passing the global filters, oldest first, with their documents' titles."""
    if not config.enabled or not _has_table(con, "findings"):
        return []
    severities = [s for s in SEVERITIES if severity_at_least(s, config.min_severity)]
    rows = con.execute(
        """
        SELECT finding_id, rule, severity, subject, message, doc_ids, quotes, evidence, first_seen, last_seen
        FROM findings
        WHERE status = 'open' AND severity IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY first_seen, finding_id
        """,
        [severities],
    ).fetchall()
    rows = [r for r in rows if config.wants(r[1], r[2])]
    doc_ids = sorted({d for r in rows for d in (r[5] or [])})
    documents: dict[str, DocumentRef] = {}
    if doc_ids and _has_table(con, "documents"):
        for doc_id, title, path in con.execute(
            "SELECT doc_id, title, path FROM documents WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))", [doc_ids]
        ).fetchall():
            documents[doc_id] = DocumentRef(doc_id, title, path)
    return [
        Finding(
            finding_id=r[0], rule=r[1], severity=r[2], subject=r[3], message=r[4],
            doc_ids=tuple(r[5] or ()), quotes=tuple(r[6] or ()), evidence=_parse_json(r[7]),
            first_seen=_utc(r[8]), last_seen=_utc(r[9]),
            documents=tuple(documents.get(d, DocumentRef(d)) for d in (r[5] or ())),
        )
        for r in rows
    ]


# --------------------------------------------------------------------------------------------
# Sinks
# --------------------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A sink did not accept a finding. `sink_down` means later findings would fail the same way.

    Messages never contain the secret part of a URL or a password, since they go to the ledger.
    """

    def __init__(self, message: str, sink_down: bool = False) -> None:
        super().__init__(message)
        self.sink_down = sink_down


class Sink(ABC):
    """A destination for alerts; `send` raises DeliveryError when the finding was not accepted."""

    def __init__(self, name: str, min_severity: str | None) -> None:
        self.name = name
        self.min_severity = min_severity

    def accepts(self, finding: Finding) -> bool:
        """A sink's own min_severity can only narrow the global one."""
        return self.min_severity is None or severity_at_least(finding.severity, self.min_severity)

    @abstractmethod
    def send(self, finding: Finding, now: dt.datetime) -> None: ...

    def close(self) -> None:
        """Release connections opened by `send` (called once per deliver_pending)."""
        return None


class LogSink(Sink):
    """Appends `{"sent_at", "sink", "finding"}` as one JSON line; the audit trail that needs no network."""

    def __init__(self, name: str, min_severity: str | None, path: Path) -> None:
        super().__init__(name, min_severity)
        self.path = path

    def send(self, finding: Finding, now: dt.datetime) -> None:
        line = json.dumps({"sent_at": now.isoformat(), "sink": self.name, "finding": finding.payload()},
                          ensure_ascii=False, default=str)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")  # one write per line so concurrent appenders do not interleave
        except OSError as exc:
            raise DeliveryError(f"cannot append to {self.path}: {exc}", sink_down=True) from exc


def redact_url(url: str) -> str:
    """scheme://host[:port]/… — enough to say where, without the path or query holding the token."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


class WebhookSink(Sink):
    """POSTs `{"event", "sink", "sent_at", "finding"}` as JSON.

    Connection errors, timeouts, 5xx and 429 are retried inside the call with exponential backoff
    (retry_backoff_seconds * 2**n); other 4xx are not, since the same body would be refused again.
    """

    def __init__(self, name: str, min_severity: str | None, url: str, headers: Mapping[str, str],
                 timeout_seconds: float, retries: int, retry_backoff_seconds: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(name, min_severity)
        self.url, self.headers = url, {"User-Agent": USER_AGENT, **headers}
        self.timeout, self.retries, self.backoff, self.sleep = timeout_seconds, retries, retry_backoff_seconds, sleep
        self._session: requests.Session | None = None

    def body(self, finding: Finding, now: dt.datetime) -> dict[str, Any]:
        return {"event": "finding.open", "sink": self.name, "sent_at": now.isoformat(), "finding": finding.payload()}

    def send(self, finding: Finding, now: dt.datetime) -> None:
        headers = {**self.headers, "Idempotency-Key": finding.finding_id}
        self.post(self.body(finding, now), headers)

    def post(self, body: dict[str, Any], headers: Mapping[str, str]) -> None:
        if self._session is None:
            self._session = requests.Session()
        where = redact_url(self.url)
        error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self._session.post(self.url, data=json.dumps(body, default=str).encode("utf-8"),
                                              headers={**headers, "Content-Type": "application/json"},
                                              timeout=self.timeout)
            except requests.Timeout:
                error = f"timed out after {self.timeout:g}s posting to {where}"
                continue
            except requests.RequestException as exc:  # connection refused, DNS, TLS…: the URL is not echoed
                error = f"{type(exc).__name__} posting to {where}"
                continue
            if 200 <= response.status_code < 300:
                return
            error = f"HTTP {response.status_code} from {where}: {response.text[:200].strip()}"
            if response.status_code < 500 and response.status_code != 429:
                raise DeliveryError(error)
        tries = self.retries + 1
        raise DeliveryError(f"{error} (after {tries} {'try' if tries == 1 else 'tries'})", sink_down=True)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def _slack_escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(finding: Finding) -> str:
    """The Slack message: severity and rule on top, then what is wrong and where to look."""
    icon = ":red_circle:" if finding.severity == "error" else ":warning:"
    lines = [
        f"{icon} *{finding.severity.upper()}* `{_slack_escape(finding.rule)}` — "
        f"*{_slack_escape(finding.subject or '(no subject)')}*",
        _slack_escape(finding.message),
    ]
    if finding.documents:
        lines.append("Documents: " + "; ".join(_slack_escape(d.label()) for d in finding.documents))
    lines.append(f"_finding {finding.finding_id[:12]}, first seen {finding.first_seen:%Y-%m-%d %H:%M} UTC_")
    return "\n".join(lines)


class SlackSink(WebhookSink):
    """Slack incoming webhook: `{"text": ...}` with the finding in mrkdwn."""

    def body(self, finding: Finding, now: dt.datetime) -> dict[str, Any]:
        return {"text": slack_text(finding)}

    def send(self, finding: Finding, now: dt.datetime) -> None:
        self.post(self.body(finding, now), {})


class EmailSink(Sink):
    """One message per finding over one SMTP session per deliver_pending call."""

    def __init__(self, config: EmailSinkConfig, host: str, port: int, username: str | None,
                 password: str | None) -> None:
        super().__init__(config.name, config.min_severity)
        self.config, self.host, self.port = config, host, port
        self.username, self.password = username, password
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        try:
            if c.ssl:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=c.timeout_seconds,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=c.timeout_seconds)
            try:
                smtp.ehlo()
                if c.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login to {self.host}:{self.port} refused ({exc.smtp_code})",
                                sink_down=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"cannot reach SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}",
                                sink_down=True) from exc
        return smtp

    def message(self, finding: Finding) -> EmailMessage:
        msg = EmailMessage()
        subject = f"{self.config.subject_prefix} {finding.headline()}"
        msg["Subject"] = " ".join(subject.split())[:200]  # no CR/LF: header values must be one line
        msg["From"] = self.config.sender
        msg["To"] = ", ".join(self.config.to)
        msg["Message-ID"] = make_msgid(domain="marketintel")
        msg["X-Marketintel-Finding"] = finding.finding_id
        msg.set_content(finding.text())
        return msg

    def send(self, finding: Finding, now: dt.datetime) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(self.message(finding), self.config.sender, list(self.config.to))
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"every recipient refused: {sorted(exc.recipients)}") from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise DeliveryError(f"SMTP refused the message: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise DeliveryError(f"SMTP {self.host}:{self.port} failed: {type(exc).__name__}: {exc}",
                                sink_down=True) from exc
        if refused:
            logger.warning("sink %s: finding %s refused for %s", self.name, finding.finding_id, sorted(refused))

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def build_sinks(config: AlertsConfig, environ: Mapping[str, str] | None = None,
                sleep: Callable[[float], None] = time.sleep) -> tuple[list[Sink], list[str]]:
    """Sinks ready to send, plus one warning per sink skipped because its environment is missing.

    Nothing connects here, so the sensor can call it just to learn which sinks are active.
    """
    environ = os.environ if environ is None else environ
    sinks: list[Sink] = []
    warnings: list[str] = []

    def need(sink: SinkConfig, *names: str | None) -> dict[str, str] | None:
        missing = [n for n in names if n and not environ.get(n)]
        if missing:
            warnings.append(f"alert sink {sink.name!r} ({sink.type}) skipped: environment variable(s) "
                            f"{', '.join(missing)} not set; its findings stay pending until they are")
            return None
        return {n: environ[n] for n in names if n}

    for sink in config.sinks:
        if isinstance(sink, LogSinkConfig):
            sinks.append(LogSink(sink.name, sink.min_severity, sink.path))
        elif isinstance(sink, SlackSinkConfig):
            if (env := need(sink, sink.webhook_url_env)) is not None:
                sinks.append(SlackSink(sink.name, sink.min_severity, env[sink.webhook_url_env], {},
                                       sink.timeout_seconds, sink.retries, sink.retry_backoff_seconds, sleep))
        elif isinstance(sink, WebhookSinkConfig):
            if (env := need(sink, sink.url_env, *sink.headers_env.values())) is not None:
                headers = {**sink.headers, **{h: env[v] for h, v in sink.headers_env.items()}}
                sinks.append(WebhookSink(sink.name, sink.min_severity, env[sink.url_env], headers,
                                         sink.timeout_seconds, sink.retries, sink.retry_backoff_seconds, sleep))
        else:
            host = (environ.get(sink.smtp_host_env) if sink.smtp_host_env else None) or sink.smtp_host
            if host is None:
                need(sink, sink.smtp_host_env)
                continue
            port = sink.smtp_port
            if sink.smtp_port_env and environ.get(sink.smtp_port_env):
                try:
                    port = int(environ[sink.smtp_port_env])
                except ValueError:
                    warnings.append(f"alert sink {sink.name!r} (email) skipped: {sink.smtp_port_env}="
                                    f"{environ[sink.smtp_port_env]!r} is not a port number")
                    continue
            if (env := need(sink, sink.username_env, sink.password_env)) is not None:
                sinks.append(EmailSink(sink, host, port, env.get(sink.username_env or ""),
                                       env.get(sink.password_env or "")))
    return sinks, warnings


# --------------------------------------------------------------------------------------------
# The ledger
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One finding owed to one sink; `attempts` is 0 for a finding never tried there."""

    finding: Finding
    sink: str
    attempts: int = 0
    last_attempt_at: dt.datetime | None = None
    next_attempt_at: dt.datetime | None = None


@dataclass(frozen=True)
class Pending:
    """What is owed: `due` may be sent now, `waiting` failed recently and is backing off."""

    due: list[Delivery]
    waiting: list[Delivery]


def retry_delay(config: AlertsConfig, attempts: int) -> dt.timedelta:
    """retry_base_seconds * 2**attempts, capped at retry_max_seconds."""
    return dt.timedelta(seconds=min(config.retry_base_seconds * 2 ** min(attempts, 40), config.retry_max_seconds))


def _require_aware(now: dt.datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(datetime.UTC))")


def pending_deliveries(con: duckdb.DuckDBPyConnection, config: AlertsConfig, now: dt.datetime,
                       sinks: Sequence[Sink]) -> Pending:
    """Every (open finding, active sink) pair without a `sent` row, split into due now and backing off.

    Works on a read-only connection to a warehouse made before the ledger existed (no rows yet),
    so the sensor can ask without taking the write lock.
    """
    _require_aware(now)
    findings = open_findings(con, config)
    sink_names = [s.name for s in sinks]
    if not findings or not sink_names:
        return Pending([], [])
    ledger: dict[tuple[str, str], tuple[str, int, dt.datetime]] = {}
    if _has_table(con, "alert_deliveries"):
        for fid, sink, status, attempts, last in con.execute(
            "SELECT finding_id, sink, status, attempts, last_attempt_at FROM alert_deliveries "
            "WHERE sink IN (SELECT unnest(?::VARCHAR[]))",
            [sink_names],
        ).fetchall():
            ledger[(fid, sink)] = (status, attempts, last)
    due: list[Delivery] = []
    waiting: list[Delivery] = []
    for sink in sinks:
        name = sink.name
        for finding in findings:
            if not sink.accepts(finding):
                continue
            row = ledger.get((finding.finding_id, name))
            if row is None:
                due.append(Delivery(finding, name))
                continue
            status, attempts, last = row
            if status == "sent":
                continue
            next_at = last + retry_delay(config, attempts)
            (due if now >= next_at else waiting).append(Delivery(finding, name, attempts, last, next_at))
    return Pending(due, waiting)


def delivery_key(deliveries: Iterable[Delivery]) -> str:
    """A fingerprint of what is due (finding, sink, attempts): the same state gives the same key."""
    lines = sorted(f"{d.finding.finding_id}|{d.sink}|{d.attempts}" for d in deliveries)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:24]


def record_attempt(con: duckdb.DuckDBPyConnection, finding_id: str, sink: str, now: dt.datetime,
                   error: str | None) -> None:
    """Record one attempt in its own transaction; a `sent` row is never turned back into `failed`."""
    status = "sent" if error is None else "failed"
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            """
            INSERT INTO alert_deliveries (finding_id, sink, status, attempts, last_error, last_attempt_at, sent_at)
            VALUES (?, ?, ?, 1, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ)
            ON CONFLICT (finding_id, sink) DO UPDATE SET
                status = excluded.status,
                attempts = alert_deliveries.attempts + 1,
                last_error = excluded.last_error,
                last_attempt_at = excluded.last_attempt_at,
                sent_at = excluded.sent_at
            WHERE alert_deliveries.status <> 'sent'
            """,
            [finding_id, sink, status, error, now, now if error is None else None],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


@dataclass
class DeliveryReport:
    """What one deliver_pending call did, for logs and Dagster metadata."""

    sent: list[tuple[str, str]] = field(default_factory=list)  # (finding_id, sink)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (finding_id, sink, error)
    waiting: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{len(self.sent)} sent, {len(self.failed)} failed, {self.waiting} waiting to retry"
        if self.warnings:
            text += f", {len(self.warnings)} sink(s) skipped"
        return text


def deliver_pending(con: duckdb.DuckDBPyConnection, config: AlertsConfig, now: dt.datetime,
                    environ: Mapping[str, str] | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> DeliveryReport:
    """Send every due (finding, sink) pair and record each outcome in its own transaction.

    `con` must be a writable connection from warehouse.connection.connect (schema applied).
    `now` is the attempt time written to the ledger and compared with the retry backoff.
    """
    _require_aware(now)
    sinks, warnings = build_sinks(config, environ, sleep)
    for warning in warnings:
        logger.warning(warning)
    report = DeliveryReport(warnings=warnings)
    by_name = {s.name: s for s in sinks}
    pending = pending_deliveries(con, config, now, sinks)
    report.waiting = len(pending.waiting)
    down: dict[str, str] = {}
    try:
        for delivery in pending.due:
            sink = by_name[delivery.sink]
            fid = delivery.finding.finding_id
            if delivery.sink in down:
                error: str | None = f"not tried: sink unavailable earlier in this run ({down[delivery.sink]})"
            else:
                try:
                    sink.send(delivery.finding, now)
                    error = None
                except DeliveryError as exc:
                    error = str(exc)
                    if exc.sink_down:
                        down[delivery.sink] = error
                except Exception as exc:  # a bug in one sink must not lose the finding or stop the others
                    logger.exception("alert sink %s failed on finding %s", delivery.sink, fid)
                    error = f"{type(exc).__name__}: {exc}"
            record_attempt(con, fid, delivery.sink, now, error)
            if error is None:
                report.sent.append((fid, delivery.sink))
            else:
                logger.warning("alert %s to sink %s failed: %s", fid, delivery.sink, error)
                report.failed.append((fid, delivery.sink, error))
    finally:
        for sink in sinks:
            sink.close()
    return report
