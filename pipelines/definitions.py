"""The one place that builds marketintel's Dagster `Definitions`."""

from __future__ import annotations

import dagster as dg

from pipelines import paths
from pipelines.assets import consensus, fact_assets, findings, passages, published_warehouse, raw_documents
from pipelines.brief_assets import BriefsResource, brief_assets
from pipelines.checks import rule_checks
from pipelines.expectation_checks import expectation_checks
from pipelines.resources import DocumentStoreResource, WarehouseResource
from pipelines.sensors import AlertsResource, alert_sensor, send_alerts_job

all_assets = [raw_documents, passages, *fact_assets, findings, consensus, published_warehouse]

refresh_job = dg.define_asset_job(
    name="refresh_warehouse",
    selection=dg.AssetSelection.all(),
    description="Ingest the inbox, extract every fact kind, load the warehouse and run every check.",
)

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Refresh the warehouse every morning at 06:00 UTC (turn it on in the UI or with "
    "`dagster schedule start daily_refresh`).",
)


def build_resources() -> dict[str, dg.ConfigurableResource]:
    """Resources from the environment (see pipelines.paths), read when definitions load."""
    return {
        "warehouse": WarehouseResource(
            path=str(paths.warehouse_path()), published_path=str(paths.published_path())
        ),
        "document_store": DocumentStoreResource(inbox=str(paths.inbox_dir()), raw_dir=str(paths.raw_dir())),
        "alerts": AlertsResource(),
        "briefs": BriefsResource(),
    }


defs = dg.Definitions(
    assets=[*all_assets, *brief_assets],
    asset_checks=[*rule_checks, *expectation_checks],
    jobs=[refresh_job, send_alerts_job],
    schedules=[daily_refresh],
    sensors=[alert_sensor],
    resources=build_resources(),
)
