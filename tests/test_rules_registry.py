"""The rule registry: every rule declared once, with a valid severity and the kinds it reads."""

from __future__ import annotations

import polars as pl

from quality.findings import FINDING_SCHEMA, SEVERITIES
from quality.rules import RULES, run_rules
from transforms.facts import FACT_KINDS, FACT_SCHEMAS

EXPECTED = {
    "cagr_mismatch": "warn",
    "share_conflict": "error",
    "share_sum_over_100": "error",
    "child_share_exceeds_parent": "error",
    "valuation_conflict": "warn",
    "production_conflict": "error",
    "total_mismatch": "warn",
    "company_country_conflict": "warn",
}


def test_every_rule_is_registered_once_with_its_severity() -> None:
    assert {r.name: r.severity for r in RULES} == EXPECTED
    assert len({r.name for r in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.severity in SEVERITIES
        assert rule.kinds and all(k in FACT_KINDS for k in rule.kinds)
        assert rule.description


def test_rules_run_over_empty_and_partial_facts() -> None:
    empty = {kind: pl.DataFrame(schema=FACT_SCHEMAS[kind]) for kind in FACT_KINDS}
    assert run_rules(empty).schema == pl.Schema(FINDING_SCHEMA)
    assert run_rules({}).is_empty()
    for rule in RULES:
        out = rule.run({})
        assert out.is_empty() and out.schema == pl.Schema(FINDING_SCHEMA)


def test_only_runs_the_named_rules() -> None:
    shares = pl.DataFrame(
        [{"doc_id": "d", "passage_id": "p", "start": i, "end": i + 1, "quote": "q", "region": r, "share_pct": v,
          "qualifier": None, "metric": "production", "year": 2024} for i, (r, v) in enumerate([("China", 90.0),
                                                                                             ("China", 50.0)])],
        schema=FACT_SCHEMAS["regional_share"],
    )
    assert run_rules({"regional_share": shares})["rule"].to_list() == ["share_conflict"]
    assert run_rules({"regional_share": shares}, only=["cagr_mismatch"]).is_empty()
