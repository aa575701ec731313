"""The extractor against the labelled corpus in ../shared/corpus/dev (read there, never copied here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from pipelines.evaluation import EvalReport, format_report, labelled_documents, run_eval
from pipelines.reading import extract_from_paths

CORPUS = Path(__file__).resolve().parents[1].parent / "shared/corpus/dev"
MY_KINDS = ("valuation", "growth_rate")
OTHER_KINDS = ("capacity", "company", "regional_share")


@pytest.fixture(scope="module")
def report() -> EvalReport:
    if not CORPUS.is_dir():
        pytest.fail(f"the labelled corpus is missing: {CORPUS} (CI clones it beside the project)")
    return run_eval(CORPUS)


@pytest.mark.parametrize("kind", MY_KINDS)
def test_valuations_and_growth_rates_meet_the_bar(report: EvalReport, kind: str) -> None:
    score = report.kind(kind)
    assert score.labels > 0
    assert score.precision >= 0.95, format_report(report)
    assert score.recall >= 0.90, format_report(report)


@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_other_kinds_meet_the_bar(report: EvalReport, kind: str) -> None:
    score = report.kind(kind)
    assert score.labels > 0
    assert score.precision >= 0.95, format_report(report)
    assert score.recall >= 0.90, format_report(report)


def test_every_labelled_document_was_read(report: EvalReport) -> None:
    names = {d.name for d in report.documents}
    assert len(names) == len(labelled_documents(CORPUS)) >= 10
    assert not any(name.endswith(".source.txt") for name in names)
    assert all(d.status == "loaded" for d in report.documents), [d.error for d in report.documents]


def test_the_essay_yields_no_facts(report: EvalReport) -> None:
    essay = report.document("seed_000_refining_outside_china.txt").scores
    assert all(score.predicted == 0 for score in essay.kinds.values()), essay.spurious


def _distractor_spans(text: str, distractors: list[str]) -> list[tuple[str, int, int]]:
    """Where each distractor stands in the text (its trailing "(note)" dropped); ones not verbatim are skipped."""
    spans = []
    for note in distractors:
        phrase = re.sub(r"\s*\([^)]*\)\s*$", "", note).strip()
        spans += [(phrase, m.start(), m.end()) for m in re.finditer(re.escape(phrase), text)] if phrase else []
    return spans


@pytest.fixture(scope="module")
def distractor_hits() -> dict[str, list[str]]:
    """Per kind, facts whose quote overlaps a labelled distractor in any corpus document."""
    pairs = labelled_documents(CORPUS)
    docs, _, facts = extract_from_paths([doc for doc, _ in pairs])
    hits: dict[str, list[str]] = {kind: [] for kind in facts}
    for (doc, gold), row in zip(pairs, docs.iter_rows(named=True), strict=True):
        distractors = json.loads(gold.read_text(encoding="utf-8")).get("distractors") or []
        spans = _distractor_spans(row["text"] or "", distractors)
        for kind, frame in facts.items():
            mine = frame.filter(pl.col("doc_id") == row["doc_id"])
            for phrase, lo, hi in spans:
                overlapping = mine.filter((pl.col("start") < hi) & (pl.col("end") > lo))
                hits[kind] += [f"{doc.name}: {phrase!r} in {q!r}" for q in overlapping["quote"]]
    return hits


def test_distractors_are_never_extracted_as_valuations_or_growth_rates(distractor_hits: dict[str, list[str]]) -> None:
    assert all(not distractor_hits[kind] for kind in MY_KINDS), {k: distractor_hits[k] for k in MY_KINDS}


def test_distractors_are_never_extracted_as_other_kinds(distractor_hits: dict[str, list[str]]) -> None:
    assert all(not distractor_hits[kind] for kind in OTHER_KINDS), {k: distractor_hits[k] for k in OTHER_KINDS}


def test_report_lists_the_table_and_the_misses(report: EvalReport) -> None:
    text = format_report(report)
    header = text.splitlines()[2].split()
    assert header == ["kind", "labels", "predicted", "precision", "recall", "F1"]
    assert re.search(r"^micro\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+$", text, re.MULTILINE)
    assert f"misses ({len(report.scores.misses)}):" in text
    assert f"spurious ({len(report.scores.spurious)}):" in text
