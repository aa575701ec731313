"""The `marketintel` command.

`run` materializes the whole asset graph into the warehouse; `extract` and `eval` work on files
directly and never touch the warehouse. Dagster is imported only by `run`, so the others start fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from pipelines import paths

KIND_FIELDS = {
    "valuation": ("market", "amount", "currency", "year", "forecast"),
    "growth_rate": ("market", "rate_pct", "start_year", "end_year"),
    "capacity": ("company", "facility", "region", "value", "unit", "year", "measure"),
    "company": ("name", "country"),
    "regional_share": ("region", "share_pct", "qualifier", "metric", "year"),
}


def _expand(raw_paths: list[str]) -> tuple[list[Path], list[str]]:
    """Files to read and how to show each: a folder stands for the documents inside it."""
    from pipelines.reading import list_inbox

    files: list[Path] = []
    shown: list[str] = []
    for raw in raw_paths:
        path = Path(raw)
        if path.is_dir():
            inside = list_inbox(path)
            files.extend(inside)
            shown.extend(str(p) for p in inside)
        else:
            files.append(path)
            shown.append(raw)
    return files, shown


def cmd_extract(args: argparse.Namespace) -> int:
    import polars as pl

    from pipelines.reading import extract_from_paths

    files, shown = _expand(args.paths)
    docs, _, facts = extract_from_paths(files, shown)
    doc_path = dict(zip(docs["doc_id"], docs["path"], strict=True))
    out = sys.stdout
    for kind, frame in facts.items():
        if frame.is_empty():
            continue
        for row in frame.sort("doc_id", "start").iter_rows(named=True):
            record = {"doc": doc_path.get(row["doc_id"]), "kind": kind, "quote": row["quote"]}
            record.update({f: row[f] for f in KIND_FIELDS[kind]})
            record.update(start=row["start"], end=row["end"])
            out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    rejected = docs.filter(pl.col("status") == "rejected")
    for error in rejected["error"]:
        print(f"marketintel extract: error: {error}", file=sys.stderr)
    return 1 if rejected.height else 0


def cmd_check(args: argparse.Namespace) -> int:
    import polars as pl

    from pipelines.reading import extract_from_paths
    from quality.rules import run_rules

    files, shown = _expand(args.paths)
    docs, _, facts = extract_from_paths(files, shown)
    loaded = docs.filter(pl.col("status") == "loaded").unique("doc_id", maintain_order=True)
    documents = loaded.select("doc_id", "path", "source", "title", "publisher", "published", "text")
    found = run_rules({**facts, "documents": documents})
    doc_path = dict(zip(docs["doc_id"], docs["path"], strict=True))
    for row in found.sort("severity", "rule", "subject", nulls_last=True).iter_rows(named=True):
        record = {
            "rule": row["rule"],
            "severity": row["severity"],
            "subject": row["subject"],
            "message": row["message"],
            "docs": [doc_path.get(d, d) for d in row["doc_ids"]],
            "quotes": row["quotes"],
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    rejected = docs.filter(pl.col("status") == "rejected")
    for error in rejected["error"]:
        print(f"marketintel check: error: {error}", file=sys.stderr)
    severities = set(found["severity"])
    failing = {"warn": {"warn", "error"}, "error": {"error"}}.get(args.fail_on or "", set())
    if severities & failing:
        return 3
    return 1 if rejected.height else 0


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb
    import polars as pl

    from warehouse.publish import ReadOnlyViolation, check_read_only, open_published

    target = Path(args.warehouse) if args.warehouse else paths.published_path()
    try:
        con = open_published(target)
    except (FileNotFoundError, duckdb.Error) as exc:
        print(f"marketintel sql: error: {exc}", file=sys.stderr)
        return 1
    try:
        check_read_only(con, args.query)
        frame = con.sql(args.query).pl()
    except ReadOnlyViolation as exc:
        print(f"marketintel sql: error: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(f"marketintel sql: error: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    if args.format == "parquet":
        if not args.output:
            print("marketintel sql: error: --format parquet needs --output FILE", file=sys.stderr)
            return 2
        frame.write_parquet(args.output)
        print(f"wrote {frame.height} rows to {args.output}", file=sys.stderr)
        return 0
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    try:
        if args.format == "csv":
            out.write(frame.write_csv())
        elif args.format == "json":
            out.write(frame.write_json() + "\n")
        else:
            with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=200):
                out.write(f"{frame}\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from warehouse.catalog import describe_schema

    print(describe_schema())
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pipelines.evaluation import format_report, run_eval

    corpus = Path(args.corpus)
    if not corpus.is_dir():
        print(f"marketintel eval: error: corpus folder not found: {corpus}", file=sys.stderr)
        return 2
    report = run_eval(corpus)
    print(format_report(report))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.inbox:
        os.environ["MARKETINTEL_INBOX"] = str(Path(args.inbox).resolve())
    if args.warehouse:
        os.environ["MARKETINTEL_WAREHOUSE"] = str(Path(args.warehouse).resolve())
    # Run history goes to the project's own Dagster instance (dagster.yaml at the project root),
    # so runs started here show up in the UI.
    os.environ.setdefault("DAGSTER_HOME", str(paths.PROJECT_ROOT))
    os.chdir(os.environ["DAGSTER_HOME"])  # dagster.yaml's storage paths are relative to it

    import dagster as dg

    from pipelines.definitions import defs

    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("refresh_warehouse").execute_in_process(
            instance=instance, raise_on_error=False
        )
        # the alert sensor needs the Dagster daemon; a command-line run sends new findings itself
        alerts = defs.resolve_job_def("send_alerts").execute_in_process(instance=instance, raise_on_error=False)
    print(run_summary(paths.warehouse_path()))
    print(f"published for analysts: {paths.published_path()}")
    print(f"market briefs: {paths.data_dir() / 'briefs' / 'index.html'}")
    if not alerts.success:
        print("marketintel run: some alerts could not be sent; they are retried on the next run", file=sys.stderr)
    if not result.success:
        print("marketintel run: the run failed; see the Dagster logs above", file=sys.stderr)
        return 1
    return 0


def run_summary(warehouse: Path) -> str:
    """What the warehouse holds after a run: documents, facts by kind, findings."""
    from warehouse.connection import connect
    from warehouse.loads import FACT_TABLES

    with connect(warehouse, read_only=True) as con:
        status = dict(con.execute("SELECT status, count(*) FROM documents GROUP BY ALL").fetchall())
        rejected = con.execute("SELECT error FROM documents WHERE status = 'rejected' ORDER BY path").fetchall()
        facts = {
            kind: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for kind, table in FACT_TABLES.items()
        }
        findings = con.execute(
            "SELECT rule, severity, message FROM findings WHERE status = 'open' ORDER BY rule, message"
        ).fetchall()
    lines = [
        f"warehouse: {warehouse}",
        f"documents: {status.get('loaded', 0)} loaded, {status.get('rejected', 0)} rejected",
    ]
    lines += [f"  rejected: {error}" for (error,) in rejected]
    lines.append(f"facts: {sum(facts.values())}")
    lines += [f"  {kind:<15}{count:>6}" for kind, count in facts.items()]
    lines.append(f"findings: {len(findings)} open")
    lines += [f"  [{severity}] {rule}: {message}" for rule, severity, message in findings]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="marketintel", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="ingest the inbox and rebuild the warehouse (all assets and checks)")
    run.add_argument("--inbox", help="folder of documents (default: $MARKETINTEL_INBOX or samples/)")
    run.add_argument("--warehouse", help="DuckDB file (default: $MARKETINTEL_WAREHOUSE or data/warehouse.duckdb)")
    run.set_defaults(func=cmd_run)

    extract = sub.add_parser("extract", help="print the facts in documents, without touching the warehouse")
    extract.add_argument("paths", nargs="+", help="document files or folders")
    extract.add_argument("--format", choices=["jsonl"], default="jsonl", help="output format (jsonl)")
    extract.set_defaults(func=cmd_extract)

    check = sub.add_parser("check", help="extract and run every consistency rule over documents, as one corpus")
    check.add_argument("paths", nargs="+", help="document files or folders")
    check.add_argument("--format", choices=["jsonl"], default="jsonl", help="output format (jsonl)")
    check.add_argument("--fail-on", choices=["warn", "error"],
                       help="exit with status 3 when a finding of this severity or worse is raised")
    check.set_defaults(func=cmd_check)

    sql = sub.add_parser("sql", help="query the published warehouse (read-only)")
    sql.add_argument("query", help="a SQL query; statements that would write are refused")
    sql.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table")
    sql.add_argument("--output", "-o", help="write to this file instead of standard output (required for parquet)")
    sql.add_argument("--warehouse", help="DuckDB file to query (default: the published snapshot)")
    sql.set_defaults(func=cmd_sql)

    schema = sub.add_parser("schema", help="print every table and view with its documented columns")
    schema.set_defaults(func=cmd_schema)

    evaluate = sub.add_parser("eval", help="score extraction against a labelled corpus")
    evaluate.add_argument(
        "--corpus", default=str(paths.PROJECT_ROOT.parent / "shared" / "corpus" / "dev"),
        help="folder of NAME.EXT documents with NAME.gold.json labels (default: ../shared/corpus/dev)",
    )
    evaluate.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
