"""Every consistency rule, run over the fact tables as one corpus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from quality.cagr import cagr_mismatches
from quality.findings import conform_findings, empty_findings

# Fact kind -> frame (transforms.facts.FACT_SCHEMAS columns, plus fact_id when read from the
# warehouse), and "documents" -> doc_id, path, source, title, published, text.
Facts = dict[str, pl.DataFrame]


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str  # the most severe level the rule raises: warn or error
    kinds: tuple[str, ...]  # fact kinds it reads (the first is the table it guards); never "documents"
    description: str
    run: Callable[[Facts], pl.DataFrame]


RULES: tuple[Rule, ...] = (
    Rule(
        "cagr_mismatch",
        "warn",
        ("growth_rate", "valuation"),
        "A stated CAGR that the same document's start and end market sizes contradict.",
        lambda f: cagr_mismatches(f["valuation"], f["growth_rate"]),
    ),
)


def run_rules(facts: Facts, only: list[str] | None = None) -> pl.DataFrame:
    """Findings of every rule (or the named ones) over `facts` (kind -> frame)."""
    frames = [rule.run(facts) for rule in RULES if only is None or rule.name in only]
    frames = [f for f in frames if not f.is_empty()]
    return conform_findings(pl.concat(frames)) if frames else empty_findings()
