"""Precision: documents we wrote to agree with themselves and each other raise no finding at all.

tests/fixtures/consistent/ holds four small documents (Markdown, HTML, two text files) covering
every fact kind: two publishers sizing one market with rates that carry each figure to the
other's years, regional shares of that market, a production table whose rows add up to its
rounded world total, and a company update whose capacity and country match the player lists.
Each figure was chosen to sit inside the rules' tolerances for a reason, so a finding here is a
false alarm (or an extraction error). The mutation tests then change one figure each and expect
the matching rule to fire, which shows the silence above is not an accident of nothing compared.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines.reading import extract_from_paths
from quality.rules import run_rules
from transforms.facts import FACT_KINDS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "consistent"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared/corpus/dev"
DOCUMENT_COLUMNS = ("doc_id", "path", "source", "title", "publisher", "published", "text")
SHARED_RUN_WORDS = 12


def fixture_paths(folder: Path = FIXTURES) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in {".md", ".txt", ".html"})


def check(paths: list[Path]) -> tuple[pl.DataFrame, dict[str, pl.DataFrame]]:
    docs, _, facts = extract_from_paths(paths, [p.name for p in paths])
    loaded = docs.filter(pl.col("status") == "loaded").unique("doc_id", maintain_order=True)
    assert loaded.height == len(paths), docs.select("path", "status", "error").rows()
    documents = loaded.select([c for c in DOCUMENT_COLUMNS if c in loaded.columns])
    return run_rules({**facts, "documents": documents}), facts


def test_there_are_at_least_four_documents_in_three_formats() -> None:
    paths = fixture_paths()
    assert len(paths) >= 4
    assert {p.suffix for p in paths} == {".md", ".txt", ".html"}


def test_consistent_documents_raise_no_finding() -> None:
    found, _ = check(fixture_paths())
    assert found.is_empty(), found.select("rule", "severity", "subject", "message").rows()


def test_every_fact_kind_is_exercised() -> None:
    _, facts = check(fixture_paths())
    missing = [kind for kind in FACT_KINDS if facts[kind].is_empty()]
    assert not missing, f"no facts of kind {missing} extracted from the consistent fixtures"
    # the cross-document comparisons the silence depends on actually had something to compare
    assert facts["valuation"]["doc_id"].n_unique() >= 2
    assert facts["company"].filter(pl.col("country").is_not_null())["doc_id"].n_unique() >= 2
    assert facts["capacity"].filter(pl.col("region").str.starts_with("World")).height >= 1


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def test_fixtures_are_our_own_writing() -> None:
    """No run of 12 words in a fixture appears anywhere in the labelled corpus."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not present: {CORPUS}")
    runs: set[tuple[str, ...]] = set()
    for path in CORPUS.iterdir():
        if path.suffix in {".md", ".txt", ".html", ".json"}:
            words = _words(path.read_text(errors="ignore"))
            runs.update(tuple(words[i:i + SHARED_RUN_WORDS]) for i in range(len(words) - SHARED_RUN_WORDS + 1))
    for path in fixture_paths():
        words = _words(path.read_text())
        shared = [" ".join(words[i:i + SHARED_RUN_WORDS]) for i in range(len(words) - SHARED_RUN_WORDS + 1)
                  if tuple(words[i:i + SHARED_RUN_WORDS]) in runs]
        assert not shared, f"{path.name} shares text with the corpus: {shared[:3]}"


# --- one changed figure, one finding --------------------------------------------------------------

@pytest.mark.parametrize(
    ("file", "changes", "rule"),
    [
        # the second publisher's whole series 22% higher: still self-consistent, but not with the first
        ("smco_market_note.html", {"USD 445 million in 2025": "USD 545 million in 2025",
                                   "USD 595 million in 2030": "USD 729 million in 2030"}, "valuation_conflict"),
        # 420 -> 640 is 6.2%/yr over 7 years (7.3% over 6): 8.2% fits no period count
        ("smco_magnet_outlook.md", {"a CAGR of 6.2%": "a CAGR of 8.2%"}, "cagr_mismatch"),
        ("mine_output_by_country.txt", {"300,000   350,000": "300,000   320,000"}, "total_mismatch"),
        ("smco_market_note.html", {"Kestrel Rare Metals Ltd. (Australia)": "Kestrel Rare Metals Ltd. (Canada)"},
         "company_country_conflict"),
        ("smco_market_note.html", {"was about 21% in 2024": "was about 35% in 2024"}, "share_conflict"),
    ],
)
def test_one_changed_figure_is_caught(tmp_path: Path, file: str, changes: dict[str, str], rule: str) -> None:
    folder = tmp_path / "changed"
    shutil.copytree(FIXTURES, folder)
    text = (folder / file).read_text()
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    (folder / file).write_text(text)
    found, _ = check(fixture_paths(folder))
    assert found["rule"].to_list() == [rule], found.select("rule", "message").rows()
