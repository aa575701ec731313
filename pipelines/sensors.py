"""Dagster wiring for alerts: the `send_alerts` job and the `alert_sensor` that launches it.

The logic is in pipelines/alerts.py; this module only adapts it to Dagster. A plain sensor that
polls the ledger (rather than an asset sensor on marts/findings) is used because failed
deliveries must be retried after their backoff even when no new findings were materialized.

Wiring in pipelines/definitions.py:

    from pipelines.sensors import AlertsResource, alert_sensor, send_alerts_job
    jobs=[refresh_job, send_alerts_job], sensors=[alert_sensor],
    resources={..., "alerts": AlertsResource()}
"""

# No `from __future__ import annotations` here: Dagster reads the context and resource type hints
# of ops and sensors at definition time and needs real types, not strings.
import datetime as dt
import os
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.alerts import (
    AlertsConfig,
    build_sinks,
    deliver_pending,
    delivery_key,
    load_config,
    pending_deliveries,
)
from pipelines.resources import DUCKDB_POOL, WarehouseResource

# Runs in these states may hold (or be about to take) the DuckDB write lock; the sensor does not
# even open the file read-only then, because a reader in another process makes the writer's
# connect fail.
_ACTIVE_RUN_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


class AlertsResource(dg.ConfigurableResource):
    """Where the alerts config is read from (default: marketintel.toml or $MARKETINTEL_CONFIG).

    The file is read on every use, so editing it takes effect on the next sensor tick without
    reloading the code location.
    """

    config_path: str | None = None

    def load(self) -> AlertsConfig:
        return load_config(self.config_path)


@dg.op(
    pool=DUCKDB_POOL,
    description="Send every open finding not yet delivered to each configured alert sink; retry due failures.",
)
def deliver_alerts(context: dg.OpExecutionContext, warehouse: WarehouseResource, alerts: AlertsResource) -> dict:
    """Runs deliver_pending; fails the run when a delivery failed so a broken sink shows up red.

    The failures are already in the ledger by then and will be retried, so failing loses nothing.
    """
    config = alerts.load()
    with warehouse.connect() as con:
        report = deliver_pending(con, config, dt.datetime.now(dt.UTC))
    for warning in report.warnings:
        context.log.warning(warning)
    metadata = {
        "sent": len(report.sent),
        "failed": len(report.failed),
        "waiting_to_retry": report.waiting,
        "skipped_sinks": len(report.warnings),
        "config": str(config.source or "built-in default (log sink)"),
    }
    context.log.info(f"alerts: {report.summary()}")
    if report.failed:
        errors = "\n".join(f"- {fid[:12]} → {sink}: {error}" for fid, sink, error in report.failed[:20])
        raise dg.Failure(
            description=f"{len(report.failed)} alert deliveries failed (recorded, retried later):\n{errors}",
            metadata=metadata,
        )
    context.add_output_metadata(metadata)
    return {"sent": len(report.sent), "failed": 0, "waiting": report.waiting}


@dg.job(
    name="send_alerts",
    description="Deliver pending data-quality alerts to the sinks in marketintel.toml (safe to launch by hand: "
    "nothing already sent is sent again).",
)
def send_alerts_job() -> None:
    deliver_alerts()


@dg.sensor(
    job=send_alerts_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launch send_alerts when an open finding is owed to a sink (new, or a failed send whose "
    "backoff has passed).",
)
def alert_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource, alerts: AlertsResource
) -> dg.RunRequest | dg.SkipReason:
    """Requests a run when something is owed; skips while any run is active or nothing is due.

    The run key is the owed state (finding, sink, attempts) plus the hour: ticks that see the same
    state do not launch twice, yet a run that died before recording anything is retried next hour.
    """
    active = context.instance.get_runs_count(dg.RunsFilter(statuses=_ACTIVE_RUN_STATUSES))
    if active:
        return dg.SkipReason(f"{active} run(s) queued or in progress; checking the warehouse after they finish")
    path = Path(warehouse.path)
    if not path.exists():
        return dg.SkipReason(f"no warehouse yet at {path}")
    config = alerts.load()
    sinks, warnings = build_sinks(config, os.environ)
    now = dt.datetime.now(dt.UTC)
    try:
        with warehouse.connect(read_only=True) as con:
            pending = pending_deliveries(con, config, now, sinks)
    except duckdb.Error as exc:  # another process holds the write lock: try on the next tick
        return dg.SkipReason(f"warehouse not readable now ({type(exc).__name__}); will retry")
    note = f" ({'; '.join(warnings)})" if warnings else ""
    if not pending.due:
        waiting = f", {len(pending.waiting)} waiting for their retry backoff" if pending.waiting else ""
        return dg.SkipReason(f"no alerts to send{waiting}{note}")
    sinks_owed = sorted({d.sink for d in pending.due})
    return dg.RunRequest(
        run_key=f"alerts-{delivery_key(pending.due)}-{now:%Y%m%dT%H}",
        tags={"marketintel/alerts_due": str(len(pending.due)), "marketintel/alert_sinks": ",".join(sinks_owed)},
    )
