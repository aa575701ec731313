"""The `marketintel` command as a user runs it: a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=600,
    )


def test_extract_reports_the_seed_report_figures(corpus_dir: Path) -> None:
    seed = corpus_dir / "seed_003_refining_services_market.md"
    done = _cli("extract", str(seed), "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    facts = [json.loads(line) for line in done.stdout.splitlines()]
    assert all(f["doc"] == str(seed) and f["quote"] for f in facts)
    values = {(f["amount"], f["currency"], f["year"]) for f in facts if f["kind"] == "valuation"}
    assert (544e6, "USD", 2024) in values
    assert (878e6, "USD", 2032) in values
    assert 7.4 in {f["rate_pct"] for f in facts if f["kind"] == "growth_rate"}
    forecast = {f["year"]: f["forecast"] for f in facts if f["kind"] == "valuation"}
    assert forecast[2024] is False and forecast[2032] is True


def test_extract_quotes_are_exact_substrings(samples_dir: Path) -> None:
    from pipelines.reading import read_document

    done = _cli("extract", str(samples_dir))
    assert done.returncode == 0, done.stderr
    facts = [json.loads(line) for line in done.stdout.splitlines()]
    kinds = {f["kind"] for f in facts}
    assert {"valuation", "growth_rate"} <= kinds
    texts: dict[str, str] = {}
    for fact in facts:
        if fact["doc"] not in texts:
            read = read_document(Path(fact["doc"]))
            assert read is not None
            texts[fact["doc"]] = read.row["text"]
        assert texts[fact["doc"]][fact["start"]:fact["end"]] == fact["quote"]


def test_extract_reports_unreadable_paths_after_the_rest(samples_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no_such_report.html"
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.4\n" + os.urandom(4096))
    good = samples_dir / "magnet_materials_update.txt"
    done = _cli("extract", str(missing), str(binary), str(good))
    assert done.returncode != 0
    assert str(missing) in done.stderr and "No such file" in done.stderr
    assert str(binary) in done.stderr and "PDF" in done.stderr
    docs = {json.loads(line)["doc"] for line in done.stdout.splitlines()}
    assert docs == {str(good)}  # the good document was still extracted


def test_run_builds_the_warehouse_and_prints_a_summary(tmp_path: Path, samples_dir: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    warehouse = tmp_path / "wh.duckdb"
    env = {"DAGSTER_HOME": str(home), "MARKETINTEL_DATA": str(tmp_path / "data")}
    done = _cli("run", "--inbox", str(samples_dir), "--warehouse", str(warehouse), env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert f"warehouse: {warehouse}" in out
    assert "documents: 7 loaded, 0 rejected" in out
    assert "valuation" in out and "growth_rate" in out
    assert "cagr_mismatch" in out
    assert warehouse.exists()
    # the run is recorded in the project's Dagster instance, so the UI shows it
    assert (home / ".dagster" / "storage").is_dir()


def test_check_reports_findings_of_the_seed_report(corpus_dir: Path) -> None:
    seed = corpus_dir / "seed_003_refining_services_market.md"
    done = _cli("check", str(seed), "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    findings = [json.loads(line) for line in done.stdout.splitlines()]
    rules = {(f["rule"], f["severity"]) for f in findings}
    assert ("cagr_mismatch", "warn") in rules
    assert ("share_conflict", "warn") in rules
    for finding in findings:
        assert finding["docs"] == [str(seed)]
        assert finding["message"] and finding["quotes"] and finding["subject"]
    cagr = next(f for f in findings if f["rule"] == "cagr_mismatch")
    assert "7.4%" in cagr["message"] and "6.2%" in cagr["message"]
    # scripted use: a warning fails the build only when asked to
    assert _cli("check", str(seed), "--fail-on", "warn").returncode == 3
    assert _cli("check", str(seed), "--fail-on", "error").returncode == 0


def test_check_treats_its_documents_as_one_corpus(corpus_dir: Path) -> None:
    versions = [str(corpus_dir / "02_persistence_re_magnets_2025.md"),
                str(corpus_dir / "03_persistence_re_magnets_2026.md")]
    alone = [json.loads(line) for line in _cli("check", versions[0]).stdout.splitlines()]
    together = [json.loads(line) for line in _cli("check", *versions).stdout.splitlines()]
    assert not any(f["rule"] == "valuation_conflict" for f in alone)
    revision = [f for f in together if f["rule"] == "valuation_conflict"]
    assert revision and set(revision[0]["docs"]) == set(versions)


def test_check_of_a_consistent_document_prints_nothing(corpus_dir: Path) -> None:
    done = _cli("check", str(corpus_dir / "seed_000_refining_outside_china.txt"), "--fail-on", "warn")
    assert done.returncode == 0 and done.stdout == ""
