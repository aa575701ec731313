"""Every consistency rule, run over the fact tables as one corpus.

Severities: `error` when the figures cannot all be true (share intervals that do not overlap,
shares of disjoint regions above 100%, a country above its region, one quantity stated more than
10% apart); `warn` when they need an analyst's eye but may have an explanation (revised or
competing market sizes, a stated CAGR off its endpoints, small production differences, totals off
their rows, a company in two countries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from quality.cagr import cagr_mismatches
from quality.companies import run_company_country_conflict
from quality.findings import conform_findings, empty_findings
from quality.production import run_production_conflict, run_total_mismatch
from quality.shares import run_child_share, run_share_conflict, run_share_sum
from quality.valuations import run_valuation_conflict
from transforms.facts import FACT_KINDS, empty_facts

# Fact kind -> frame (transforms.facts.FACT_SCHEMAS columns, plus fact_id when read from the
# warehouse), and "documents" -> doc_id, path, source, title, published, text.
Facts = dict[str, pl.DataFrame]


def _complete(run: Callable[[Facts], pl.DataFrame]) -> Callable[[Facts], pl.DataFrame]:
    """`run` over `facts` with every missing fact kind as an empty table, so a caller holding only
    some kinds (a test, a partial load) gets no findings from the others instead of a KeyError."""
    def wrapped(facts: Facts) -> pl.DataFrame:
        return run({**{kind: empty_facts(kind) for kind in FACT_KINDS if kind not in facts}, **facts})
    return wrapped


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
        _complete(lambda f: cagr_mismatches(f["valuation"], f["growth_rate"])),
    ),
    Rule(
        "share_conflict",
        "error",
        ("regional_share", "valuation"),
        "Shares of one region for a comparable metric and year that cannot both hold (error), or that "
        "differ widely or mix related metrics in one document (warn).",
        _complete(run_share_conflict),
    ),
    Rule(
        "share_sum_over_100",
        "error",
        ("regional_share", "valuation"),
        "Shares of regions that do not contain one another whose lower bounds add up past 100%.",
        _complete(run_share_sum),
    ),
    Rule(
        "child_share_exceeds_parent",
        "error",
        ("regional_share", "valuation"),
        "A country or sub-region given a larger share than the region that contains it.",
        _complete(run_child_share),
    ),
    Rule(
        "valuation_conflict",
        "warn",
        ("valuation", "growth_rate"),
        "Documents sizing one market more than 10% apart for a year, directly or once a document's own "
        "growth rate carries its figure there; a publisher's own change is reported as a revision.",
        _complete(run_valuation_conflict),
    ),
    Rule(
        "production_conflict",
        "error",
        ("capacity",),
        "One country's or company's production or capacity for a year stated differently by two "
        "documents: more than 1% apart warns, more than 10% is an error.",
        _complete(run_production_conflict),
    ),
    Rule(
        "total_mismatch",
        "warn",
        ("capacity",),
        "A table's stated World total that the sum of its rows contradicts beyond rounding.",
        _complete(run_total_mismatch),
    ),
    Rule(
        "company_country_conflict",
        "warn",
        ("company",),
        "One company (after name resolution) placed in different countries.",
        _complete(run_company_country_conflict),
    ),
)


def run_rules(facts: Facts, only: list[str] | None = None) -> pl.DataFrame:
    """Findings of every rule (or the named ones) over `facts` (kind -> frame)."""
    frames = [rule.run(facts) for rule in RULES if only is None or rule.name in only]
    frames = [f for f in frames if not f.is_empty()]
    return conform_findings(pl.concat(frames)) if frames else empty_findings()
