"""Great Expectations suites: good tables pass, each kind of bad row fails the expectation meant for
it with the declared severity, findings and Data Docs come out, and the Dagster checks run them
over a real warehouse file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.assets import FINDINGS_KEY, fact_key
from pipelines.checks import rule_checks
from pipelines.definitions import all_assets
from pipelines.expectation_checks import SUITE_ASSETS, check_name, expectation_checks
from pipelines.resources import DocumentStoreResource, WarehouseResource
from quality import expectations as qe
from quality.expectations import ERROR, SUITES, WARN, expectation_findings, render_data_docs, validate_table
from quality.findings import FINDING_SCHEMA
from warehouse.connection import connect
from warehouse.loads import read_table

ROOT = Path(__file__).resolve().parents[1]

# Two good rows per table, inserted through DuckDB so the frames have the warehouse's real dtypes.
# Columns are named so that columns other migrations add (nullable ones) do not break the inserts.
_PROVENANCE = "fact_id, doc_id, passage_id, start, \"end\", quote, extractor_version"
_FACT = "'{fid}', 'd1', 'd1-0', {start}, {end}, 'quoted words', '0.3.0'"
_TS = "TIMESTAMPTZ '2025-01-01 00:00+00'"
GOOD_ROWS: dict[str, tuple[str, list[str]]] = {
    "documents": (
        "doc_id, source, path, title, published, format, size_bytes, ingested_at, status, error",
        [
            f"('d1', 'file', 'a.txt', 'A', DATE '2024-05-01', 'text', 10, {_TS}, 'loaded', NULL)",
            f"('d2', 'file', 'b.pdf', NULL, NULL, 'pdf', 3, {_TS}, 'rejected', 'b.pdf: truncated')",
        ],
    ),
    "document_texts": ("doc_id, text", ["('d1', 'Some text.')", "('d2', 'Other text.')"]),
    "passages": (
        "passage_id, doc_id, seq, start, \"end\", text",
        ["('d1-0', 'd1', 0, 0, 10, 'Some text.')", "('d1-1', 'd1', 1, 11, 20, 'More text')"],
    ),
    "valuations": (
        f"{_PROVENANCE}, market, amount, currency, year, forecast",
        [
            f"({_FACT.format(fid='v1', start=0, end=12)}, 'magnets', 544e6, 'USD', 2024, false)",
            f"({_FACT.format(fid='v2', start=20, end=32)}, 'magnets', 8.8e8, 'EUR', 2032, true)",
        ],
    ),
    "growth_rates": (
        f"{_PROVENANCE}, market, rate_pct, start_year, end_year",
        [
            f"({_FACT.format(fid='g1', start=0, end=12)}, 'magnets', 7.4, 2025, 2032)",
            f"({_FACT.format(fid='g2', start=20, end=32)}, 'magnets', -3.5, NULL, NULL)",
        ],
    ),
    "capacities": (
        f"{_PROVENANCE}, company, facility, region, value, unit, year, measure",
        [
            f"({_FACT.format(fid='c1', start=0, end=12)}, 'Lynas', 'Kalgoorlie', 'Australia', 70000, 'tpa', 2024, "
            "'capacity')",
            f"({_FACT.format(fid='c2', start=20, end=32)}, NULL, NULL, 'China', 2.7e5, 't', NULL, 'production')",
        ],
    ),
    "companies": (
        f"{_PROVENANCE}, name, country",
        [
            f"({_FACT.format(fid='k1', start=0, end=12)}, 'Lynas Rare Earths', 'Australia')",
            f"({_FACT.format(fid='k2', start=20, end=32)}, 'Iluka', NULL)",
        ],
    ),
    "regional_shares": (
        f"{_PROVENANCE}, region, share_pct, qualifier, metric, year",
        [
            f"({_FACT.format(fid='s1', start=0, end=12)}, 'China', 90, 'approximately', 'production', 2025)",
            f"({_FACT.format(fid='s2', start=20, end=32)}, 'Europe', 35.5, NULL, 'capacity', NULL)",
        ],
    ),
    "findings": (
        "finding_id, rule, severity, subject, message, doc_ids, quotes, evidence, first_seen, last_seen, status",
        [
            f"('f1', 'cagr_mismatch', 'warn', 'magnets', 'CAGR 7.4% vs 6.2%', ['d1'], ['q'], '{{\"gap\": 1.2}}', "
            f"{_TS}, {_TS} + INTERVAL 1 DAY, 'open')",
            f"('f2', 'share_conflict', 'error', 'China', 'two shares', ['d1'], ['q'], NULL, {_TS}, {_TS}, 'resolved')",
        ],
    ),
}


def _insert_good_rows(con: duckdb.DuckDBPyConnection, table: str) -> None:
    columns, rows = GOOD_ROWS[table]
    con.execute(f"INSERT INTO {table} ({columns}) VALUES " + ", ".join(rows))


@pytest.fixture(scope="module")
def good_frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    path = tmp_path_factory.mktemp("good") / "good.duckdb"
    with connect(path) as con:
        for table in GOOD_ROWS:
            _insert_good_rows(con, table)
        return {table: read_table(con, table) for table in GOOD_ROWS}


@pytest.fixture(scope="module")
def good_results(good_frames: dict[str, pl.DataFrame]) -> list[qe.SuiteResult]:
    return [validate_table(table, frame) for table, frame in good_frames.items()]


def _failed(result: qe.SuiteResult) -> dict[str, qe.ExpectationResult]:
    return {r.name: r for r in result.failed}


def test_every_table_has_a_suite_and_a_frame_to_test_it() -> None:
    assert set(SUITES) == set(GOOD_ROWS) == set(SUITE_ASSETS)
    for table, suite in SUITES.items():
        names = [e.name for e in suite]
        assert len(names) == len(set(names)), f"duplicate expectation names in {table}"
        assert {e.severity for e in suite} <= {ERROR, WARN}


def test_good_frames_pass_every_suite(good_results: list[qe.SuiteResult]) -> None:
    for result in good_results:
        assert result.success, (result.table, [r.message for r in result.failed])
        assert result.row_count == 2
        assert all(r.unexpected_count == 0 for r in result.results if r.expectation.when is None)
    assert expectation_findings(good_results).is_empty()


def test_declarations_cover_the_required_checks() -> None:
    names = {table: {e.name for e in suite} for table, suite in SUITES.items()}
    for table in ("valuations", "growth_rates", "capacities", "companies", "regional_shares"):
        assert {"fact_id_unique", "quote_not_null", "quote_not_empty", "end_after_start", "doc_id_not_null",
                "passage_id_not_null", "start_not_null", "end_not_null"} <= names[table]
    key_values = {"valuations": "amount", "growth_rates": "rate_pct", "capacities": "value",
                  "companies": "name", "regional_shares": "share_pct"}
    for table, column in key_values.items():
        assert f"{column}_not_null" in names[table]
    assert {"doc_id_unique", "status_in_set", "rejected_have_error"} <= names["documents"]
    assert "passage_id_unique" in names["passages"] and "finding_id_unique" in names["findings"]
    assert {"currency_iso_format", "currency_known", "amount_positive", "year_plausible"} <= names["valuations"]
    assert "value_positive" in names["capacities"] and "share_pct_in_0_100" in names["regional_shares"]


@pytest.mark.parametrize(
    ("table", "change", "expectation", "severity"),
    [
        ("valuations", {"quote": [None, "quoted words"]}, "quote_not_null", ERROR),
        ("regional_shares", {"share_pct": [140.0, 35.5]}, "share_pct_in_0_100", ERROR),
        ("regional_shares", {"share_pct": [float("nan"), 35.5]}, "share_pct_in_0_100", ERROR),
        ("valuations", {"currency": ["usd", "EUR"]}, "currency_iso_format", ERROR),
        ("valuations", {"currency": ["RMB", "EUR"]}, "currency_known", WARN),
        ("valuations", {"fact_id": ["v1", "v1"]}, "fact_id_unique", ERROR),
        ("valuations", {"amount": [-5.0, 1.0]}, "amount_positive", ERROR),
        ("valuations", {"year": pl.Series([1850, 2032], dtype=pl.Int32)}, "year_plausible", WARN),
        ("companies", {"quote": ["   ", "quoted words"]}, "quote_not_empty", ERROR),
        ("capacities", {"start": [12, 20], "end": [12, 32]}, "end_after_start", ERROR),
        ("growth_rates", {"start_year": pl.Series([2032, None], dtype=pl.Int32),
                          "end_year": pl.Series([2025, None], dtype=pl.Int32)}, "period_in_order", ERROR),
        ("growth_rates", {"rate_pct": [180.0, 7.0]}, "rate_pct_plausible", WARN),
        ("passages", {"passage_id": ["d1-0", "d1-0"]}, "passage_id_unique", ERROR),
        ("documents", {"status": ["loaded", "failed"]}, "status_in_set", ERROR),
        ("documents", {"error": [None, None]}, "rejected_have_error", WARN),
        ("document_texts", {"doc_id": ["d1", "d1"]}, "doc_id_unique", ERROR),
        ("findings", {"severity": ["warn", "fatal"]}, "severity_in_set", ERROR),
        ("findings", {"evidence": ["{not json", None]}, "evidence_is_json", WARN),
    ],
)
def test_a_bad_value_fails_the_expectation_meant_for_it(
    good_frames: dict[str, pl.DataFrame], table: str, change: dict, expectation: str, severity: str
) -> None:
    frame = good_frames[table]
    bad = frame.with_columns(pl.Series(c, v).cast(frame.schema[c]) for c, v in change.items())
    result = validate_table(table, bad)
    failed = _failed(result)
    assert not result.success
    assert expectation in failed, [r.message for r in result.failed]
    hit = failed[expectation]
    assert hit.severity == severity
    assert hit.unexpected_count and hit.unexpected_count >= 1
    assert hit.error is None


def test_results_carry_counts_examples_and_an_analyst_message(good_frames: dict[str, pl.DataFrame]) -> None:
    shares = good_frames["regional_shares"]
    many = pl.concat([shares.with_columns(pl.lit(f"s{i}-").add(pl.col("fact_id")).alias("fact_id")) for i in range(60)])
    bad = many.with_columns(
        pl.when(pl.int_range(pl.len()) < 3).then(pl.lit(140.0)).otherwise(pl.col("share_pct")).alias("share_pct")
    )
    result = validate_table("regional_shares", bad)
    hit = _failed(result)["share_pct_in_0_100"]
    assert (hit.unexpected_count, hit.element_count) == (3, 120)
    assert hit.unexpected_values == ("140",)
    assert hit.message.startswith("3 of 120 rows in regional_shares have share_pct outside [0, 100]")
    assert hit.doc_ids == ("d1",) and hit.quotes == ("quoted words",)
    assert set(_failed(result)) == {"share_pct_in_0_100"}

    one = validate_table("valuations", good_frames["valuations"].with_columns(pl.Series("currency", ["usd", "EUR"])))
    assert _failed(one)["currency_iso_format"].message == (
        "1 of 2 rows in valuations has a currency that is not three upper-case letters: usd"
    )
    docs = validate_table("documents", good_frames["documents"].with_columns(pl.lit(None, pl.String).alias("error")))
    assert _failed(docs)["rejected_have_error"].message == (
        "1 of 1 rows in documents with status = rejected has no error saying why"
    )


def test_frames_reach_gx_with_arrow_dtypes_and_lists_as_objects(good_frames: dict[str, pl.DataFrame]) -> None:
    pdf = qe.to_gx_pandas(good_frames["findings"])
    assert list(pdf.columns) == good_frames["findings"].columns
    assert str(pdf["first_seen"].dtype).startswith("timestamp[us")  # pyarrow-backed, tz kept
    assert pdf["doc_ids"].dtype == object and pdf["doc_ids"][0] == ["d1"]
    years = qe.to_gx_pandas(good_frames["regional_shares"])["year"]
    assert str(years.dtype) == "int32[pyarrow]" and years.isna().tolist() == [False, True]


def test_a_missing_column_fails_with_the_reason(good_frames: dict[str, pl.DataFrame]) -> None:
    result = validate_table("regional_shares", good_frames["regional_shares"].drop("share_pct"))
    failed = _failed(result)
    assert {"share_pct_not_null", "share_pct_in_0_100"} <= set(failed)
    assert failed["share_pct_in_0_100"].error == "column share_pct is missing"
    assert "could not check" in failed["share_pct_in_0_100"].message


def test_empty_tables_pass(good_frames: dict[str, pl.DataFrame]) -> None:
    for table, frame in good_frames.items():
        assert validate_table(table, frame.clear()).success, table


def test_unknown_table_is_refused() -> None:
    with pytest.raises(ValueError, match="no expectation suite"):
        validate_table("nope", pl.DataFrame({"a": [1]}))


def test_findings_have_rule_names_severities_and_stable_ids(good_frames: dict[str, pl.DataFrame]) -> None:
    bad = good_frames["valuations"].with_columns(
        pl.Series("quote", [None, "quoted words"]), pl.Series("currency", ["RMB", "EUR"])
    )
    found = expectation_findings([validate_table("valuations", bad)])
    assert found.schema == pl.Schema(FINDING_SCHEMA)
    by_rule = {row["rule"]: row for row in found.iter_rows(named=True)}
    assert set(by_rule) == {"expectation:valuations.quote_not_null", "expectation:valuations.currency_known"}
    assert by_rule["expectation:valuations.quote_not_null"]["severity"] == "error"
    assert by_rule["expectation:valuations.currency_known"]["severity"] == "warn"
    assert all(row["subject"] == "valuations" for row in by_rule.values())
    assert by_rule["expectation:valuations.quote_not_null"]["message"] == "1 of 2 rows in valuations has no quote"
    assert by_rule["expectation:valuations.currency_known"]["doc_ids"] == ["d1"]
    evidence = json.loads(by_rule["expectation:valuations.currency_known"]["evidence"])
    assert evidence["unexpected_count"] == 1 and evidence["unexpected_examples"] == ["RMB"]
    # Same problem with other counts next run: same finding id, so first_seen is kept.
    worse = bad.with_columns(pl.Series("currency", ["RMB", "XBT"]))
    again = expectation_findings(validate_table("valuations", worse))
    assert set(again["finding_id"]) == set(found["finding_id"])


def test_great_expectations_is_not_imported_by_importing_the_modules() -> None:
    code = (
        "import sys, quality.expectations, pipelines.expectation_checks; "
        "assert 'great_expectations' not in sys.modules, 'great_expectations imported eagerly'"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr


def test_data_docs_are_written(good_results: list[qe.SuiteResult], good_frames: dict[str, pl.DataFrame],
                               tmp_path: Path) -> None:
    shares = good_frames["regional_shares"].with_columns(pl.Series("share_pct", [140.0, 1.0]))
    bad = validate_table("regional_shares", shares)
    results = [r for r in good_results if r.table != "regional_shares"] + [bad]
    index = render_data_docs(results, tmp_path / "docs")
    assert index == tmp_path / "docs" / "gx" / "index.html"
    page = index.read_text(encoding="utf-8")
    summary = (tmp_path / "docs" / "summary.html").read_text(encoding="utf-8")
    for table in SUITES:
        assert qe.suite_name(table) in page
        assert qe.suite_name(table) in summary
        assert (index.parent / "expectations" / f"{qe.suite_name(table)}.html").is_file()
    assert "share_pct_in_0_100" in summary and "140" in summary and "https://" not in summary
    # Rebuilding replaces the GX site rather than piling up old runs.
    render_data_docs(results, tmp_path / "docs")
    assert len(list((index.parent / "validations").rglob("*.html"))) == len(results)


def test_data_docs_fall_back_to_the_summary_page(good_results: list[qe.SuiteResult], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert render_data_docs(good_results, tmp_path / "plain", use_gx=False) == tmp_path / "plain" / "summary.html"

    def broken(*_: object) -> Path:
        raise RuntimeError("no docs today")

    monkeypatch.setattr(qe, "_build_gx_docs", broken)
    page = render_data_docs(good_results, tmp_path / "fallback")
    assert page.name == "summary.html"
    text = page.read_text(encoding="utf-8")
    assert "no docs today" in text
    assert all(qe.suite_name(t) in text for t in SUITES)


# --- Dagster -------------------------------------------------------------------------------------

def _resources(warehouse: Path) -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(path=str(warehouse)),
        "document_store": DocumentStoreResource(inbox=str(ROOT / "samples"), raw_dir=str(warehouse.parent / "raw")),
    }


def test_checks_are_declared_on_the_right_assets_and_block() -> None:
    specs = {spec.name: spec for check in expectation_checks for spec in check.check_specs}
    assert set(specs) == {check_name(t) for t in SUITES}
    assert specs["expectations_documents"].asset_key == dg.AssetKey(["raw", "documents"])
    assert specs["expectations_regional_shares"].asset_key == dg.AssetKey(["staging", "regional_shares"])
    assert specs["expectations_passages"].asset_key == dg.AssetKey(["staging", "passages"])
    assert all(spec.blocking for spec in specs.values())  # every suite has error expectations


def test_checks_load_beside_the_rule_checks() -> None:
    defs = dg.Definitions(assets=all_assets, asset_checks=[*rule_checks, *expectation_checks],
                          resources=_resources(Path("unused.duckdb")))
    dg.Definitions.validate_loadable(defs)


def test_checks_pass_on_the_samples_and_fail_on_inserted_bad_rows(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh.duckdb"
    result = dg.materialize([*all_assets, *expectation_checks], resources=_resources(warehouse))
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {check_name(t) for t in SUITES}
    assert all(e.passed for e in evaluations.values()), {n: e.description for n, e in evaluations.items()}
    assert "| share_pct_in_0_100 | error | pass |" in evaluations["expectations_regional_shares"].metadata[
        "results"].value

    with connect(warehouse) as con:
        con.execute(
            "UPDATE regional_shares SET share_pct = 140 WHERE fact_id = (SELECT min(fact_id) FROM regional_shares)"
        )
        con.execute("UPDATE valuations SET currency = lower(currency)")
        con.execute("UPDATE growth_rates SET rate_pct = 250")  # implausible, not impossible: a warning
        bad_valuations = con.execute("SELECT count(*) FROM valuations").fetchall()[0][0]
    checks_only = dg.materialize(
        [*all_assets, *expectation_checks],
        resources=_resources(warehouse),
        selection=dg.AssetSelection.all_asset_checks(),
        raise_on_error=False,
    )
    evaluations = {e.check_name: e for e in checks_only.get_asset_check_evaluations()}
    shares = evaluations["expectations_regional_shares"]
    assert not shares.passed and shares.severity == dg.AssetCheckSeverity.ERROR
    assert shares.metadata["unexpected_counts"].value == {"share_pct_in_0_100": 1}
    assert "| share_pct_in_0_100 | error | **FAIL** | 1 of " in shares.metadata["results"].value
    valuations = evaluations["expectations_valuations"]
    assert not valuations.passed and valuations.severity == dg.AssetCheckSeverity.ERROR
    assert valuations.metadata["unexpected_counts"].value["currency_iso_format"] == bad_valuations
    growth = evaluations["expectations_growth_rates"]
    assert not growth.passed and growth.severity == dg.AssetCheckSeverity.WARN
    assert growth.metadata["failed_errors"].value == 0
    assert evaluations["expectations_passages"].passed and evaluations["expectations_documents"].passed


def test_a_failed_error_expectation_blocks_downstream_assets(tmp_path: Path) -> None:
    """A staging table with an impossible share stops what is built from it."""
    bad_shares = pl.DataFrame(
        {"fact_id": ["s1"], "doc_id": ["d1"], "passage_id": ["d1-0"], "start": [0], "end": [5], "quote": ["x 140%"],
         "extractor_version": ["0"], "share_pct": [140.0]}
    )

    @dg.asset(key=fact_key("regional_share"))
    def regional_shares(warehouse: WarehouseResource) -> None:
        with warehouse.connect() as con:
            con.register("_bad", bad_shares.to_arrow())
            con.execute("INSERT INTO regional_shares BY NAME SELECT * FROM _bad")

    @dg.asset(key=FINDINGS_KEY, deps=[fact_key("regional_share")])
    def findings() -> None:
        return None

    check = next(c for c in expectation_checks if check_name("regional_shares") in {s.name for s in c.check_specs})
    result = dg.materialize([regional_shares, findings, check], resources=_resources(tmp_path / "wh.duckdb"),
                            raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert fact_key("regional_share") in materialized and FINDINGS_KEY not in materialized
