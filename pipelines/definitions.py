"""The one place that builds marketintel's Dagster `Definitions`."""

from __future__ import annotations

import dagster as dg

from pipelines import paths
from pipelines.assets import (
    company_directory,
    consensus,
    fact_assets,
    findings,
    passages,
    published_warehouse,
    raw_documents,
    regions,
)
from pipelines.brief_assets import BriefsResource, brief_assets
from pipelines.checks import rule_checks
from pipelines.expectation_checks import expectation_checks
from pipelines.resources import DocumentStoreResource, WarehouseResource
from pipelines.sensors import AlertsResource, alert_sensor, send_alerts_job
from pipelines.source_assets import (
    build_sources_resource,
    daily_network_sources,
    inbox_sensor,
    network_sources_job,
    source_assets,
)

all_assets = [raw_documents, passages, *fact_assets, findings, consensus, company_directory, regions,
              published_warehouse]

refresh_job = dg.define_asset_job(
    name="refresh_warehouse",
    selection=dg.AssetSelection.all(),
    description="Ingest the inbox (and the network sources configured in sources.toml), extract every fact "
    "kind, load the warehouse, run every check, publish the snapshot and write the briefs.",
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
        "sources": build_sources_resource(),
    }


defs = dg.Definitions(
    assets=[*all_assets, *source_assets, *brief_assets],
    asset_checks=[*rule_checks, *expectation_checks],
    jobs=[refresh_job, network_sources_job, send_alerts_job],
    schedules=[daily_network_sources],
    sensors=[inbox_sensor, alert_sensor],
    resources=build_resources(),
)
