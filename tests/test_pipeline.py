"""The whole asset graph, materialized for real into a DuckDB file under tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.assets import FINDINGS_KEY, all_asset_keys
from pipelines.brief_assets import BRIEFS_KEY
from pipelines.checks import rule_checks
from pipelines.definitions import all_assets, defs
from pipelines.resources import DocumentStoreResource, WarehouseResource
from pipelines.source_assets import source_assets
from quality.rules import RULES
from warehouse.connection import connect
from warehouse.loads import row_counts


def _materialize(inbox: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*all_assets, *rule_checks],
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "document_store": DocumentStoreResource(inbox=str(inbox), raw_dir=str(warehouse.parent / "raw")),
        },
        raise_on_error=False,
    )


def test_definitions_are_loadable() -> None:
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    network = {a.key.to_user_string() for assets in source_assets for a in [assets]}
    assert keys == {*all_asset_keys(), BRIEFS_KEY.to_user_string(), *network}
    checks = {key.name for check in rule_checks for key in check.check_keys}
    assert checks == {rule.name for rule in RULES}


def test_full_graph_loads_the_samples(inbox: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "wh.duckdb"
    result = _materialize(inbox, warehouse)
    assert result.success
    with connect(warehouse, read_only=True) as con:
        counts = row_counts(con)
        loaded = con.execute("SELECT count(*) FROM documents WHERE status = 'loaded'").fetchone()[0]
        formats = {f for (f,) in con.execute("SELECT DISTINCT format FROM documents").fetchall()}
        bad_quotes = con.execute(
            """
            SELECT count(*) FROM valuations v JOIN document_texts t USING (doc_id)
            WHERE substr(t.text, v."start" + 1, v."end" - v."start") <> v.quote
            """
        ).fetchone()[0]
    assert loaded == len([p for p in inbox.iterdir() if p.name != "README.md"])
    assert formats == {"html", "markdown", "text", "pdf"}
    assert counts["passages"] > 50
    assert counts["valuations"] > 0 and counts["growth_rates"] > 0
    assert bad_quotes == 0
    raw_files = list((tmp_path / "raw").rglob("*"))
    assert len([p for p in raw_files if p.is_file()]) == loaded
    # materializations carry row counts for the UI
    mats = result.get_asset_materialization_events()
    assert all("dagster/row_count" in e.materialization.metadata for e in mats)


def test_rerun_leaves_every_row_count_unchanged(inbox: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "wh.duckdb"
    assert _materialize(inbox, warehouse).success
    with connect(warehouse, read_only=True) as con:
        first = row_counts(con)
        first_findings = con.execute("SELECT finding_id, first_seen FROM findings ORDER BY 1").fetchall()
    assert _materialize(inbox, warehouse).success
    with connect(warehouse, read_only=True) as con:
        assert row_counts(con) == first
        assert con.execute("SELECT finding_id, first_seen FROM findings ORDER BY 1").fetchall() == first_findings


def test_corrupt_and_binary_files_are_rejected_and_the_rest_loads(inbox: Path, tmp_path: Path) -> None:
    (inbox / "broken_report.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nend")
    (inbox / "photo.txt").write_bytes(bytes(range(256)) * 64)
    warehouse = tmp_path / "wh.duckdb"
    result = _materialize(inbox, warehouse)
    assert result.success
    with connect(warehouse, read_only=True) as con:
        rejected = dict(con.execute("SELECT path, error FROM documents WHERE status = 'rejected'").fetchall())
        loaded = con.execute("SELECT count(*) FROM documents WHERE status = 'loaded'").fetchone()[0]
    assert set(map(lambda p: Path(p).name, rejected)) == {"broken_report.pdf", "photo.txt"}
    for path, error in rejected.items():
        assert error.startswith(path)  # the reason names the file
    assert "truncated PDF" in rejected[str(inbox / "broken_report.pdf")]
    assert "binary content" in rejected[str(inbox / "photo.txt")]
    assert loaded == 7


def test_same_bytes_under_two_names_are_ingested_once(inbox: Path, tmp_path: Path) -> None:
    original = inbox / "magnet_materials_update.txt"
    (inbox / "copy_of_update.txt").write_bytes(original.read_bytes())
    warehouse = tmp_path / "wh.duckdb"
    assert _materialize(inbox, warehouse).success
    with connect(warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 7


def test_cagr_check_flags_the_inconsistent_sample(inbox: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "wh.duckdb"
    result = _materialize(inbox, warehouse)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    cagr = evaluations["cagr_mismatch"]
    assert not cagr.passed
    assert cagr.severity == dg.AssetCheckSeverity.WARN
    with connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT subject, message, evidence, doc_ids FROM findings WHERE rule = 'cagr_mismatch' AND status = 'open'"
        ).fetchall()
        flagged_paths = {
            p for (p,) in con.execute(
                "SELECT d.path FROM findings f, unnest(f.doc_ids) AS u(doc_id) JOIN documents d USING (doc_id)"
            ).fetchall()
        }
    messages = [m for _, m, _, _ in rows]
    assert any("7.4%" in m and "implies 6.2%" in m for m in messages), messages
    assert all(json.loads(e)["implied_pct"] for _, _, e, _ in rows)
    # the consistent samples (magnets 9.15%, recycling 11.1%) are not flagged
    assert {Path(p).name for p in flagged_paths} <= {
        "refining_services_outlook_2025.html", "refining_services_brief.md"
    }
    assert result.success  # a warn check does not fail the run


def test_findings_resolve_when_evidence_goes(inbox: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "wh.duckdb"
    assert _materialize(inbox, warehouse).success
    query = "SELECT status, count(*) FROM findings WHERE rule = 'cagr_mismatch' GROUP BY ALL"
    with connect(warehouse, read_only=True) as con:
        before = dict(con.execute(query).fetchall())
        others = con.execute("SELECT finding_id FROM findings WHERE rule <> 'cagr_mismatch'").fetchall()
    assert before.get("open", 0) > 0
    with connect(warehouse) as con:  # the evidence disappears (e.g. a document is withdrawn)
        con.execute("DELETE FROM growth_rates")
    result = dg.materialize(
        [a for a in all_assets if FINDINGS_KEY in a.keys],
        resources={"warehouse": WarehouseResource(path=str(warehouse))},
    )
    assert result.success
    with connect(warehouse, read_only=True) as con:
        assert dict(con.execute(query).fetchall()) == {"resolved": before["open"]}
        still_open = con.execute(
            "SELECT finding_id FROM findings WHERE rule <> 'cagr_mismatch' AND status = 'open'"
        ).fetchall()
    assert sorted(still_open) == sorted(others)  # findings whose evidence stayed are untouched


def test_a_failed_load_changes_nothing(tmp_path: Path) -> None:
    import polars as pl

    from warehouse.loads import replace_rows

    warehouse = tmp_path / "wh.duckdb"
    with connect(warehouse) as con:
        good = pl.DataFrame({"passage_id": ["a:0"], "doc_id": ["a"], "seq": [0], "start": [0], "end": [3],
                             "text": ["abc"]})
        replace_rows(con, "passages", good)
        bad = good.with_columns(pl.lit(None, dtype=pl.String).alias("text"))  # violates NOT NULL
        with pytest.raises(duckdb.ConstraintException):
            replace_rows(con, "passages", bad)
        assert con.execute("SELECT text FROM passages").fetchall() == [("abc",)]


CONFLICTING_SHARES = {
    "survey_a.txt": "Heliotrope Research, May 5, 2025 --\n"
    "Asia-Pacific accounted for over 80% of global rare earth production in 2024.\n",
    "survey_b.txt": "Quillon Minerals Review, June 9, 2025 --\n"
    "Asia-Pacific accounted for under 50% of global rare earth production in 2024.\n",
}


def test_rule_checks_carry_their_severity() -> None:
    severities = {}
    for check in rule_checks:
        for spec in check.check_specs:
            severities[spec.name] = (spec.metadata["severity"], spec.blocking)
    assert severities["cagr_mismatch"] == ("warn", False)
    assert severities["share_conflict"] == ("error", True)
    assert all(blocking == (severity == "error") for severity, blocking in severities.values())


def test_an_error_finding_blocks_publishing_and_a_warning_does_not(tmp_path: Path) -> None:
    from pipelines.assets import PUBLISHED_KEY

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, text in CONFLICTING_SHARES.items():
        (inbox / name).write_text(text)
    warehouse = tmp_path / "wh.duckdb"
    result = _materialize(inbox, warehouse)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["share_conflict"].passed
    assert evaluations["share_conflict"].severity == dg.AssetCheckSeverity.ERROR
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert FINDINGS_KEY in materialized  # the finding itself is stored
    assert PUBLISHED_KEY not in materialized  # ... but the snapshot analysts read is not replaced
    assert not (tmp_path / "published" / "wh.duckdb").exists()

    # a warning alone (a CAGR its own figures contradict) does not hold the snapshot back
    warn_inbox = tmp_path / "warn_inbox"
    warn_inbox.mkdir()
    (warn_inbox / "warn_only.txt").write_text(
        "The global terbium oxide market was valued at USD 100 million in 2024 and is projected to reach "
        "USD 200 million by 2030, growing at a CAGR of 9.5% from 2024 to 2030.\n"
    )
    result = _materialize(warn_inbox, tmp_path / "warn" / "wh.duckdb")
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["cagr_mismatch"].passed
    assert evaluations["cagr_mismatch"].severity == dg.AssetCheckSeverity.WARN
    assert PUBLISHED_KEY in {e.asset_key for e in result.get_asset_materialization_events()}
    assert (tmp_path / "warn" / "published" / "wh.duckdb").exists()
