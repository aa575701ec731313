"""Asset checks: one per consistency rule, on `marts/findings`, with the rule's severity.

The findings asset runs every rule and stores what they raise; each check reports its rule's open
findings. A rule whose findings are errors (figures that cannot all be true) has a blocking check:
when it fails, the published warehouse is not refreshed, so analysts keep the last good snapshot.
"""

import dagster as dg
import polars as pl

from pipelines.assets import FINDINGS_KEY, markdown_table
from pipelines.resources import DUCKDB_POOL, WarehouseResource
from quality.rules import RULES, Rule
from warehouse.connection import query_frame

_SEVERITY = {"warn": dg.AssetCheckSeverity.WARN, "error": dg.AssetCheckSeverity.ERROR}


def build_rule_check(rule: Rule) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=FINDINGS_KEY,
        name=rule.name,
        description=f"{rule.description} (severity: {rule.severity})",
        blocking=rule.severity == "error",
        pool=DUCKDB_POOL,
        metadata={"severity": rule.severity, "reads": ", ".join(rule.kinds)},
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            found = query_frame(
                con,
                "SELECT severity, subject, message FROM findings WHERE status = 'open' AND rule = ? ORDER BY message",
                [rule.name],
            )
        errors = found.filter(pl.col("severity") == "error").height
        return dg.AssetCheckResult(
            passed=found.is_empty(),
            # a rule that can raise errors still raises plain warnings for softer cases
            severity=_SEVERITY["error" if errors else "warn"],
            metadata={
                "findings": found.height,
                "errors": errors,
                "messages": dg.MetadataValue.md(markdown_table(found, ["severity", "subject", "message"], rows=25)),
            },
        )

    return _check


rule_checks = [build_rule_check(rule) for rule in RULES]
