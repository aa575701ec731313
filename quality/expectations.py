"""Great Expectations suites over the warehouse tables, declared as data, and what their failures mean.

The consistency rules in `quality.rules` compare facts with each other; these suites check each
table on its own: keys present and unique, values in range, codes well formed. A suite is a plain
list of `Expectation`s per table, each with a severity: `error` for structural problems (a null
key, a duplicate id, a share of 140%) that make rows unusable downstream, `warn` for softer ones
(a year outside 1990-2100, a currency code we do not know) that deserve a look but may be right.

How GX is called, and why this way:
- GX validates pandas frames here, never DuckDB through SQL: its SQL path over duckdb_engine reads
  a cursor after the connection closed and fails every expectation silently (GX #10738, #11579).
  Frames go polars -> pandas with pyarrow-backed dtypes, which keep nullable integers as integers,
  dates as dates and NaN apart from null (numpy dtypes turn them into floats and NaN, and GX then
  cannot compare a date column with a date bound, and lets NaN pass every range check). Nested
  columns (lists) are the exception: GX's pandas metrics run pyarrow kernels that have no list
  variant, so those go over as numpy object columns.
- `import great_expectations` takes 3-4 s, so it is imported inside the functions that need it;
  importing this module (as the CLI and the Dagster definitions do) stays cheap.
- Each validation gets its own in-memory (ephemeral) GX context: no project folder, no state
  shared between Dagster steps or threads, and it costs a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from quality.findings import findings_from_rows, fingerprint

ERROR = "error"
WARN = "warn"

YEAR_RANGE = (1990, 2100)
# ISO 4217 codes the extractors may produce. A well-formed code outside this set is only a warning:
# the set can lag the documents, but "RMB" or "US$" leaking through normalization should be seen.
ISO_CURRENCIES = (
    "USD", "EUR", "GBP", "CNY", "JPY", "AUD", "CAD", "INR", "CHF", "KRW", "BRL", "RUB", "ZAR", "SEK",
    "NOK", "DKK", "HKD", "SGD", "MXN", "IDR", "NZD", "TWD", "SAR", "AED", "MYR", "THB", "PHP", "VND",
    "CLP", "PEN", "ARS", "COP", "TRY", "PLN", "CZK", "HUF", "ILS", "KZT", "MNT", "NGN", "EGP", "PKR",
)
# GX keeps this many unexpected values and row positions per expectation; findings name the
# documents of those rows, messages show the first few values.
SAMPLE_ROWS = 20
EXAMPLES_SHOWN = 5


@dataclass(frozen=True)
class Expectation:
    """One declared expectation: which GX expectation on which columns, how bad a failure is, and
    how to tell an analyst about the failing rows (`problem` completes "3 of 120 rows in <table> ...").
    """

    name: str
    gx_type: str  # class name in great_expectations.expectations
    kwargs: Mapping[str, Any]
    severity: str
    problem: str  # plural predicate: "have share_pct outside [0, 100]"
    when: tuple[str, str] | None = None  # only rows where column == value

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the expectation reads (including its row condition's), to spot missing ones."""
        cols = [self.kwargs[k] for k in ("column", "column_A", "column_B") if k in self.kwargs]
        if self.when:
            cols.append(self.when[0])
        return tuple(cols)


def not_null(column: str, severity: str = ERROR) -> Expectation:
    return Expectation(f"{column}_not_null", "ExpectColumnValuesToNotBeNull", {"column": column}, severity,
                       f"have no {column}")


def unique(column: str) -> Expectation:
    return Expectation(f"{column}_unique", "ExpectColumnValuesToBeUnique", {"column": column}, ERROR,
                       f"share their {column} with another row")


def between(column: str, low: float | dt.date | None, high: float | dt.date | None, severity: str, name: str,
            problem: str | None = None, **extra: Any) -> Expectation:
    kwargs = {"column": column, "min_value": low, "max_value": high, **extra}
    return Expectation(name, "ExpectColumnValuesToBeBetween", kwargs, severity,
                       problem or f"have {column} outside [{low}, {high}]")


def positive(column: str) -> Expectation:
    return between(column, 0, None, ERROR, f"{column}_positive", f"have {column} of zero or below", strict_min=True)


def not_negative(column: str) -> Expectation:
    return between(column, 0, None, ERROR, f"{column}_not_negative", f"have a negative {column}")


def plausible_year(column: str) -> Expectation:
    low, high = YEAR_RANGE
    return between(column, low, high, WARN, f"{column}_plausible", f"have {column} outside {low}-{high}")


def in_set(column: str, values: Sequence[str], severity: str, name: str | None = None,
           problem: str | None = None) -> Expectation:
    shown = ", ".join(values) if len(values) <= 8 else ", ".join(values[:8]) + ", ..."
    return Expectation(name or f"{column}_in_set", "ExpectColumnValuesToBeInSet",
                       {"column": column, "value_set": list(values)}, severity,
                       problem or f"have {column} not in {{{shown}}}")


def non_empty(column: str, severity: str = ERROR) -> Expectation:
    """Blank or whitespace-only text; nulls are left to `not_null`."""
    return Expectation(f"{column}_not_empty", "ExpectColumnValuesToMatchRegex", {"column": column, "regex": r"\S"},
                       severity, f"have an empty {column}")


def after(later: str, earlier: str, name: str, problem: str, or_equal: bool = False) -> Expectation:
    """`later` > `earlier` (>= with or_equal) on rows where both are present; nulls are `not_null`'s job.

    Rows with one side null must be skipped explicitly: with pyarrow-backed integers GX otherwise
    evaluates `NA > 3` and fails the whole expectation with "boolean value of NA is ambiguous".
    """
    kwargs = {"column_A": later, "column_B": earlier, "or_equal": or_equal, "ignore_row_if": "either_value_is_missing"}
    return Expectation(name, "ExpectColumnPairValuesAToBeGreaterThanB", kwargs, ERROR, problem)


def iso_currency(column: str) -> list[Expectation]:
    return [
        Expectation(f"{column}_iso_format", "ExpectColumnValuesToMatchRegex",
                    {"column": column, "regex": r"^[A-Z]{3}$"}, ERROR,
                    f"have a {column} that is not three upper-case letters"),
        in_set(column, ISO_CURRENCIES, WARN, f"{column}_known", f"have a {column} code outside the known ISO set"),
    ]


def _provenance() -> list[Expectation]:
    """What every fact row needs so an analyst can go from the figure back to the words."""
    return [
        not_null("fact_id"),
        unique("fact_id"),
        *(not_null(c) for c in ("doc_id", "passage_id", "start", "end", "quote", "extractor_version")),
        non_empty("quote"),
        not_negative("start"),
        after("end", "start", "end_after_start", "have end not after start"),
    ]


SUITES: dict[str, tuple[Expectation, ...]] = {
    "documents": (
        not_null("doc_id"),
        unique("doc_id"),
        *(not_null(c) for c in ("source", "path", "ingested_at", "status")),
        in_set("status", ("loaded", "rejected"), ERROR),
        # A rejected document without its reason is inconvenient, not wrong data: warn.
        Expectation("rejected_have_error", "ExpectColumnValuesToNotBeNull", {"column": "error"}, WARN,
                    "have no error saying why", when=("status", "rejected")),
        in_set("format", ("html", "markdown", "text", "pdf"), WARN),
        in_set("source", ("file", "web", "edgar"), WARN),
        not_negative("size_bytes"),
        between("published", dt.date(YEAR_RANGE[0], 1, 1), dt.date(YEAR_RANGE[1], 12, 31), WARN,
                "published_plausible", f"have a published date outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}"),
    ),
    "document_texts": (
        not_null("doc_id"),
        unique("doc_id"),
        not_null("text"),
        non_empty("text", WARN),
    ),
    "passages": (
        not_null("passage_id"),
        unique("passage_id"),
        *(not_null(c) for c in ("doc_id", "seq", "start", "end", "text")),
        not_negative("seq"),
        not_negative("start"),
        after("end", "start", "end_after_start", "have end not after start"),
        non_empty("text", WARN),
    ),
    "valuations": (
        *_provenance(),
        not_null("amount"),
        positive("amount"),
        not_null("currency"),
        *iso_currency("currency"),
        plausible_year("year"),
    ),
    "growth_rates": (
        *_provenance(),
        not_null("rate_pct"),
        between("rate_pct", -100, None, ERROR, "rate_pct_above_minus_100",
                "have rate_pct of -100% or below (a market cannot shrink by more than all of it)", strict_min=True),
        between("rate_pct", -50, 100, WARN, "rate_pct_plausible", "have rate_pct outside [-50, 100]"),
        plausible_year("start_year"),
        plausible_year("end_year"),
        after("end_year", "start_year", "period_in_order", "have end_year before start_year", or_equal=True),
    ),
    "capacities": (
        *_provenance(),
        not_null("value"),
        positive("value"),
        plausible_year("year"),
        in_set("measure", ("capacity", "planned_capacity", "planned_capacity_addition", "production"), WARN),
    ),
    "companies": (
        *_provenance(),
        not_null("name"),
        non_empty("name"),
    ),
    "regional_shares": (
        *_provenance(),
        not_null("share_pct"),
        between("share_pct", 0, 100, ERROR, "share_pct_in_0_100"),
        plausible_year("year"),
        in_set("qualifier", ("over", "under", "approximately", "nearly", "at_least", "up_to"), WARN),
    ),
    "findings": (
        not_null("finding_id"),
        unique("finding_id"),
        *(not_null(c) for c in ("rule", "severity", "message", "first_seen", "last_seen", "status")),
        in_set("severity", ("warn", "error"), ERROR),
        in_set("status", ("open", "resolved"), ERROR),
        non_empty("message"),
        after("last_seen", "first_seen", "seen_in_order", "were last seen before they were first seen", or_equal=True),
        Expectation("evidence_is_json", "ExpectColumnValuesToBeJsonParseable", {"column": "evidence"}, WARN,
                    "have evidence that is not valid JSON"),
    ),
}


def suite_name(table: str) -> str:
    """The GX suite's name, as Data Docs and the Dagster check metadata show it."""
    return f"marketintel_{table}"


@dataclass(frozen=True)
class ExpectationResult:
    """How one expectation fared on one table."""

    table: str
    expectation: Expectation
    success: bool
    element_count: int | None
    unexpected_count: int | None
    unexpected_values: tuple[str, ...]  # first few distinct failing values, as text
    doc_ids: tuple[str, ...]  # documents of the sampled failing rows
    quotes: tuple[str, ...]  # quotes of the sampled failing rows (fact tables)
    error: str | None = None  # why it could not be evaluated (missing column, GX exception)

    @property
    def name(self) -> str:
        return self.expectation.name

    @property
    def severity(self) -> str:
        return self.expectation.severity

    @property
    def rule(self) -> str:
        return f"expectation:{self.table}.{self.expectation.name}"

    @property
    def message(self) -> str:
        """What failed, in an analyst's words: "3 of 120 rows in regional_shares have share_pct outside [0, 100]"."""
        exp = self.expectation
        if self.error:
            return f"could not check that no rows in {self.table} {exp.problem}: {self.error}"
        if self.success:
            return f"no rows in {self.table} {exp.problem}"
        scope = f" with {exp.when[0]} = {exp.when[1]}" if exp.when else ""
        count = self.unexpected_count or 0
        problem = exp.problem if count != 1 else _singular(exp.problem)
        text = f"{count} of {self.element_count} rows in {self.table}{scope} {problem}"
        if self.unexpected_values and exp.gx_type != "ExpectColumnValuesToNotBeNull":
            text += ": " + ", ".join(self.unexpected_values[:EXAMPLES_SHOWN])
        return text


def _singular(problem: str) -> str:
    for plural, single in (("have ", "has "), ("share their ", "shares its "), ("were ", "was ")):
        if problem.startswith(plural):
            return single + problem[len(plural):]
    return problem


@dataclass(frozen=True)
class SuiteResult:
    """One table's suite run: overall success and every expectation's result.

    `gx_result` keeps GX's own validation result so Data Docs can be built from it later.
    """

    table: str
    suite_name: str
    success: bool
    row_count: int
    results: tuple[ExpectationResult, ...]
    seconds: float
    gx_result: Any = field(default=None, repr=False, compare=False)

    @property
    def failed(self) -> tuple[ExpectationResult, ...]:
        return tuple(r for r in self.results if not r.success)

    @property
    def failed_errors(self) -> tuple[ExpectationResult, ...]:
        return tuple(r for r in self.failed if r.severity == ERROR)


def has_error_expectations(table: str) -> bool:
    """Whether any expectation of the table's suite is an error (its Dagster check then blocks)."""
    return any(e.severity == ERROR for e in SUITES[table])


def to_gx_pandas(frame: pl.DataFrame) -> Any:
    """The frame as pandas for GX: pyarrow-backed dtypes, numpy object columns for nested types.

    Why pyarrow dtypes: numpy conversion turns nullable ints into floats, bools with nulls into
    objects, dates into datetime64 (GX then raises comparing them with a `date` bound) and nulls
    into NaN (so a NaN share would pass [0, 100]). Why not for lists: GX's uniqueness and value
    counts call pyarrow `dictionary_encode`, which has no kernel for list arrays.
    """
    nested = [c for c, t in frame.schema.items() if t.is_nested()]
    pdf = frame.drop(nested).to_pandas(use_pyarrow_extension_array=True)
    for column in nested:
        pdf[column] = _object_series(frame[column])
    return pdf[frame.columns]


def _object_series(series: pl.Series) -> Any:
    """A nested polars column as a pandas object column of Python lists/dicts (None for null)."""
    import pandas as pd

    return pd.Series(series.to_list(), dtype=object, name=series.name)


def _gx_context(data_docs_dir: Path | None = None) -> Any:
    """A fresh in-memory GX context (no project folder), progress bars off, optionally a docs site."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    sites = {}
    if data_docs_dir is not None:
        sites = {
            "marketintel": {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(data_docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites=sites,
        analytics_enabled=False,
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _gx_suite(table: str) -> Any:
    """The table's declarations as a GX ExpectationSuite; `meta` carries our name and severity."""
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column

    expectations = []
    for exp in SUITES[table]:
        kwargs = {k: v for k, v in exp.kwargs.items() if v is not None}
        if exp.when:
            kwargs["row_condition"] = Column(exp.when[0]) == exp.when[1]
        meta = {"name": exp.name, "severity": exp.severity, "problem": exp.problem}
        expectations.append(getattr(gx.expectations, exp.gx_type)(**kwargs, meta=meta))
    return gx.ExpectationSuite(name=suite_name(table), expectations=expectations)


def _exception_message(info: Mapping[str, Any]) -> str | None:
    """GX's exception_info is flat for expectation errors and keyed by metric id for metric errors."""
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    messages = [
        v.get("exception_message") for v in info.values() if isinstance(v, Mapping) and v.get("raised_exception")
    ]
    return "; ".join(str(m) for m in messages) if messages else None


def _text(value: Any) -> str:
    """A failing value as an analyst reads it: null, 140 (not 140.0), (5, 3) for pairs."""
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_text(v) for v in value) + ")"
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return "null"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if value.is_integer():
            return str(int(value))
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _sampled(frame: pl.DataFrame, positions: Sequence[Any], column: str) -> tuple[str, ...]:
    """Distinct values of `column` at the failing row positions GX reported (None skipped)."""
    if column not in frame.columns:
        return ()
    rows = [p for p in positions if isinstance(p, int) and 0 <= p < frame.height]
    values = frame[column].gather(rows).to_list() if rows else []
    return tuple(dict.fromkeys(str(v) for v in values if v is not None))


def validate_table(table: str, frame: pl.DataFrame) -> SuiteResult:
    """Run the table's suite over `frame` (a whole table as read from the warehouse) with GX."""
    if table not in SUITES:
        raise ValueError(f"no expectation suite for table {table!r}; known: {', '.join(SUITES)}")
    started = time.perf_counter()
    declared = {e.name: e for e in SUITES[table]}
    context = _gx_context()
    batch = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(name=table)
        .add_batch_definition_whole_dataframe("whole_table")
        .get_batch(batch_parameters={"dataframe": to_gx_pandas(frame)})
    )
    gx_result = batch.validate(
        _gx_suite(table), result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}
    )
    by_name = {r.expectation_config.meta["name"]: r for r in gx_result.results}
    results = []
    for name, exp in declared.items():  # declaration order, not GX's
        res = by_name[name]
        detail = dict(res.result or {})
        missing = [c for c in exp.columns if c not in frame.columns]
        error = f"column {', '.join(missing)} is missing" if missing else _exception_message(res.exception_info or {})
        positions = detail.get("partial_unexpected_index_list") or []
        # Distinct failing values, first seen first: "1850" once, not five times.
        examples = list(dict.fromkeys(_text(v) for v in detail.get("partial_unexpected_list") or []))
        results.append(
            ExpectationResult(
                table=table,
                expectation=exp,
                success=bool(res.success) and error is None,
                element_count=detail.get("element_count"),
                unexpected_count=detail.get("unexpected_count"),
                unexpected_values=tuple(examples[:EXAMPLES_SHOWN]),
                doc_ids=_sampled(frame, positions, "doc_id"),
                quotes=_sampled(frame, positions, "quote"),
                error=error,
            )
        )
    return SuiteResult(
        table=table,
        suite_name=suite_name(table),
        success=all(r.success for r in results),
        row_count=frame.height,
        results=tuple(results),
        seconds=time.perf_counter() - started,
        gx_result=gx_result,
    )


def _as_list(results: SuiteResult | Iterable[SuiteResult]) -> list[SuiteResult]:
    return [results] if isinstance(results, SuiteResult) else list(results)


def expectation_findings(results: SuiteResult | Iterable[SuiteResult]) -> pl.DataFrame:
    """One finding (quality.findings.FINDING_SCHEMA) per failed expectation.

    The fingerprint is rule + table only, so a finding keeps its id (and first_seen) while the
    problem persists, whatever the counts; message, documents and evidence are refreshed each run.
    """
    rows = []
    for suite in _as_list(results):
        for r in suite.failed:
            exp = r.expectation
            evidence = {
                "table": r.table,
                "suite": suite.suite_name,
                "expectation": exp.name,
                "gx_expectation": exp.gx_type,
                "kwargs": {k: v for k, v in exp.kwargs.items() if k != "value_set"},
                "rows": suite.row_count,
                "checked_rows": r.element_count,
                "unexpected_count": r.unexpected_count,
                "unexpected_examples": list(r.unexpected_values),
                "sampled_rows": SAMPLE_ROWS,
                "error": r.error,
            }
            rows.append(
                {
                    "finding_id": fingerprint(r.rule, r.table),
                    "rule": r.rule,
                    "severity": r.severity,
                    "subject": r.table,
                    "message": r.message,
                    "doc_ids": list(r.doc_ids),
                    "quotes": list(r.quotes),
                    "evidence": json.dumps(evidence, default=str, sort_keys=True),
                }
            )
    return findings_from_rows(rows)


def render_data_docs(results: SuiteResult | Iterable[SuiteResult], out_dir: str | Path, use_gx: bool = True) -> Path:
    """Write the results as HTML under `out_dir` and return the page to open.

    GX Data Docs are built from an in-memory context into `out_dir/gx` (rebuilt whole each time)
    and their index is returned. Their pages load Bootstrap and jQuery from CDNs, and the index
    lists validations only through JavaScript, so `out_dir/summary.html`, a self-contained page
    with every suite and expectation, is always written as well; it is returned when GX cannot
    build its docs or `use_gx` is False.
    """
    suites = _as_list(results)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = out / "summary.html"
    summary.write_text(summary_html(suites), encoding="utf-8")
    if not use_gx:
        return summary
    try:
        return _build_gx_docs(suites, out / "gx")
    except Exception as exc:  # GX docs are a nicety; the summary page holds the same facts
        summary.write_text(summary_html(suites, note=f"GX Data Docs could not be built: {exc}"), encoding="utf-8")
        return summary


def _build_gx_docs(suites: list[SuiteResult], site_dir: Path) -> Path:
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    if site_dir.exists():
        shutil.rmtree(site_dir)
    context = _gx_context(site_dir)
    run_id = RunIdentifier(run_name="marketintel", run_time=dt.datetime.now(dt.UTC))
    for suite in suites:
        if suite.gx_result is None:
            continue
        context.suites.add(_gx_suite(suite.table))
        # batch.validate leaves these out; the result pages show them as run name and time.
        suite.gx_result.meta.update(run_id=run_id, validation_time=run_id.run_time)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.suite_name),
            run_id=run_id,
            batch_identifier=suite.table,
        )
        context.validation_results_store.set(key, suite.gx_result)
    urls = context.build_data_docs()
    index = site_dir / "index.html"
    if not urls or not index.is_file():
        raise RuntimeError(f"no index page in {site_dir}")
    return index


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222;max-width:80rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}.pass{color:#17702f;font-weight:600}.fail{color:#b3261e;font-weight:600}
.warn{color:#8a5a00;font-weight:600}code{font-size:12px}.note{background:#fff4d6;padding:.5rem}
"""


def summary_html(suites: Sequence[SuiteResult], note: str | None = None) -> str:
    """Every suite and expectation with pass/fail, counts and failing examples, in one page with no
    external assets (analysts open it offline)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>marketintel expectations</title>",
        f"<style>{_CSS}</style></head><body><h1>marketintel data expectations</h1>",
        f"<p>Generated {e(dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC'))}; "
        f"{sum(s.success for s in suites)} of {len(suites)} suites passed.</p>",
    ]
    if note:
        parts.append(f"<p class='note'>{e(note)}</p>")
    parts.append("<table><tr><th>suite</th><th>table</th><th>rows</th><th>result</th><th>failed</th></tr>")
    for s in suites:
        status = "<span class='pass'>passed</span>" if s.success else "<span class='fail'>failed</span>"
        parts.append(
            f"<tr><td><a href='#{e(s.suite_name)}'>{e(s.suite_name)}</a></td><td>{e(s.table)}</td>"
            f"<td>{s.row_count}</td><td>{status}</td><td>{len(s.failed)} of {len(s.results)}</td></tr>"
        )
    parts.append("</table>")
    for s in suites:
        parts.append(
            f"<h2 id='{e(s.suite_name)}'>{e(s.suite_name)} <small>({e(s.table)}, {s.row_count} rows)</small></h2>"
        )
        parts.append(
            "<table><tr><th>expectation</th><th>severity</th><th>result</th><th>unexpected</th>"
            "<th>message</th><th>examples</th><th>GX expectation</th></tr>"
        )
        for r in s.results:
            if r.success:
                status = "<span class='pass'>pass</span>"
            else:
                status = f"<span class='{'fail' if r.severity == ERROR else 'warn'}'>fail</span>"
            unexpected = "" if r.unexpected_count is None else f"{r.unexpected_count} of {r.element_count}"
            kwargs = ", ".join(f"{k}={v!r}" for k, v in r.expectation.kwargs.items() if k != "value_set")
            parts.append(
                f"<tr><td>{e(r.name)}</td><td>{e(r.severity)}</td><td>{status}</td><td>{e(unexpected)}</td>"
                f"<td>{'' if r.success else e(r.message)}</td><td>{e(', '.join(r.unexpected_values))}</td>"
                f"<td><code>{e(r.expectation.gx_type)}({e(kwargs)})</code></td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def results_markdown(result: SuiteResult) -> str:
    """Per-expectation results as a Markdown table, for the Dagster check metadata."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| expectation | severity | result | unexpected | examples |", "|---|---|---|---|---|"]
    for r in result.results:
        outcome = "pass" if r.success else ("**FAIL**" if r.severity == ERROR else "fail")
        if r.error:
            unexpected = cell(r.error)
        else:
            unexpected = "" if r.unexpected_count is None else f"{r.unexpected_count} of {r.element_count}"
        examples = cell(", ".join(r.unexpected_values))
        lines.append(f"| {r.name} | {r.severity} | {outcome} | {unexpected} | {examples} |")
    return "\n".join(lines)
