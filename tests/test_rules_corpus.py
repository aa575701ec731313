"""Acceptance: the rules over real documents of the labelled corpus, through the real extractors.

These run end to end (read -> passages -> facts -> rules), so a failure here is either a rule or an
extractor regression; the assertion messages print the facts the rule saw to tell which.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipelines.reading import extract_from_paths
from quality.rules import run_rules

CORPUS = Path(__file__).resolve().parents[1].parent / "shared/corpus/dev"
DOCUMENT_COLUMNS = ("doc_id", "path", "source", "title", "publisher", "published", "text")

SEED_ESSAY = "seed_000_refining_outside_china.txt"
SEED_REPORT = "seed_003_refining_services_market.md"
METALS = "01_sns_rare_earth_metals_gnw.txt"
MAGNETS_2025 = "02_persistence_re_magnets_2025.md"
MAGNETS_2026 = "03_persistence_re_magnets_2026.md"
RECYCLING = "09_sns_rare_earth_recycling_hackmd.md"


def check(*names: str) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    """Findings (and the facts behind them) for the named corpus files read together as one corpus."""
    paths = [CORPUS / name for name in names]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        pytest.fail(f"corpus files missing: {missing}")
    docs, _, facts = extract_from_paths(paths, [p.name for p in paths])
    loaded = docs.filter(pl.col("status") == "loaded").unique("doc_id", maintain_order=True)
    assert loaded.height == len(paths), docs.select("path", "status", "error").rows()
    documents = loaded.select([c for c in DOCUMENT_COLUMNS if c in loaded.columns])
    return run_rules({**facts, "documents": documents}), facts


def show(facts: dict[str, pl.DataFrame], kind: str, columns: list[str]) -> str:
    return str(facts[kind].select(columns).rows())


def test_seed_report_raises_cagr_mismatch_and_asia_pacific_share_warning() -> None:
    found, facts = check(SEED_REPORT)
    cagr = found.filter(pl.col("rule") == "cagr_mismatch")
    assert cagr.height >= 1, "valuations/growth rates seen: " + show(facts, "valuation", ["market", "amount", "year"]) \
        + show(facts, "growth_rate", ["market", "rate_pct", "start_year", "end_year"])
    assert "7.4%" in cagr["message"][0]
    share = found.filter((pl.col("rule") == "share_conflict") & (pl.col("subject") == "Asia-Pacific"))
    assert share["severity"].to_list() == ["warn"], \
        "shares seen: " + show(facts, "regional_share", ["region", "share_pct", "qualifier", "metric", "year"])
    assert any("80%" in q for q in share["quotes"][0]) and any("70%" in q for q in share["quotes"][0])


def test_gold_expected_findings_are_raised() -> None:
    for gold in sorted(CORPUS.glob("*.gold.json")):
        expected = json.loads(gold.read_text()).get("expected_findings") or []
        if not expected:
            continue
        found, _ = check(json.loads(gold.read_text())["_doc"])
        for item in expected:
            assert item["rule"] in set(found["rule"]), f"{gold.name}: {item['rule']} not raised ({item['why']})"


def test_recycling_release_raises_cagr_mismatch() -> None:
    found, facts = check(RECYCLING)
    assert "cagr_mismatch" in set(found["rule"]), \
        show(facts, "valuation", ["market", "amount", "year"]) + show(facts, "growth_rate",
                                                                      ["market", "rate_pct", "start_year", "end_year"])


def test_two_versions_of_one_magnet_report_raise_a_revision() -> None:
    found, facts = check(MAGNETS_2025, MAGNETS_2026)
    magnets = found.filter((pl.col("rule") == "valuation_conflict") & pl.col("subject").str.contains("magnet"))
    assert magnets.height >= 1, show(facts, "valuation", ["doc_id", "market", "amount", "year"])
    evidence = json.loads(magnets["evidence"][0])
    # the brief accepts a revision or a conflict; both texts carry report ID PMRREP35599, so: a revision
    assert evidence["kind"] == "revision" and "revised" in magnets["message"][0]
    assert len(set(magnets["doc_ids"][0])) == 2


def test_metals_release_has_a_consistent_cagr() -> None:
    found, facts = check(METALS)
    assert "cagr_mismatch" not in set(found["rule"]), found["message"].to_list()


def test_the_seed_essay_raises_nothing() -> None:
    found, _ = check(SEED_ESSAY)
    assert found.is_empty(), found.select("rule", "message").rows()


def test_the_whole_dev_corpus_raises_no_error() -> None:
    """Nothing in the dev corpus is labelled impossible; an `error` here is a false alarm to explain."""
    names = [p.name for p in sorted(CORPUS.iterdir())
             if p.is_file() and p.name != "README.md" and not p.name.endswith((".gold.json", ".source.txt"))]
    found, _ = check(*names)
    errors = found.filter(pl.col("severity") == "error")
    assert errors.is_empty(), errors.select("rule", "subject", "message").rows()
    # the same documents, read again, give the same finding ids
    again, _ = check(*names)
    assert sorted(found["finding_id"]) == sorted(again["finding_id"])
