"""Asset checks: one per consistency rule, on the fact table the rule guards.

The check runs the rule over the warehouse's facts; it fails when the rule raises anything, with
the rule's severity, and lists what it found. Findings themselves are stored by `marts/findings`.
"""


import dagster as dg

from pipelines.assets import fact_key, markdown_table, read_facts
from pipelines.resources import WarehouseResource
from quality.rules import RULES, Rule

_SEVERITY = {"warn": dg.AssetCheckSeverity.WARN, "error": dg.AssetCheckSeverity.ERROR}


def build_rule_check(rule: Rule) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=fact_key(rule.kinds[0]),
        additional_deps=[fact_key(k) for k in rule.kinds[1:]],
        name=rule.name,
        description=f"{rule.description} (severity: {rule.severity})",
        blocking=rule.severity == "error",
        metadata={"severity": rule.severity},
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        found = rule.run(read_facts(warehouse))
        return dg.AssetCheckResult(
            passed=found.is_empty(),
            severity=_SEVERITY[rule.severity],
            metadata={
                "findings": found.height,
                "messages": dg.MetadataValue.md(markdown_table(found, ["subject", "message"], rows=25)),
            },
        )

    return _check


rule_checks = [build_rule_check(rule) for rule in RULES]
