"""`marketintel eval`: run the extractor over a labelled corpus and score it against the labels.

A labelled document is NAME.EXT (a document suffix) with NAME.gold.json beside it; NAME.source.txt
files are provenance notes, not documents. All documents are read and extracted in one call of
`extract_from_paths`, exactly as `extract` and the pipeline read them, then scored one document
at a time (`quality.extraction_scores`). No Dagster and no warehouse: this is a pure read.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.reading import DOCUMENT_SUFFIXES, extract_from_paths
from quality.extraction_scores import KINDS, ExtractionScores, KindScore, combine, score_extraction


@dataclass(frozen=True)
class DocumentResult:
    """One labelled document: how it was read and how its facts scored."""

    name: str
    status: str  # loaded | rejected
    error: str | None
    scores: ExtractionScores


@dataclass
class EvalReport:
    """Scores over a corpus, per document and pooled, and how fast extraction ran."""

    corpus: Path
    documents: list[DocumentResult] = field(default_factory=list)
    scores: ExtractionScores = field(default_factory=ExtractionScores)
    seconds: float = 0.0  # reading, parsing and extracting all documents
    text_chars: int = 0  # normalized text extracted from

    def kind(self, kind: str) -> KindScore:
        return self.scores.kind(kind)

    def document(self, name: str) -> DocumentResult:
        return next(d for d in self.documents if d.name == name)


def labelled_documents(corpus_dir: Path) -> list[tuple[Path, Path]]:
    """(document, labels) pairs of a corpus folder, sorted by name."""
    pairs = []
    for path in sorted(corpus_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in DOCUMENT_SUFFIXES and not path.name.startswith("."):
            gold = path.with_name(path.stem + ".gold.json")
            if gold.is_file():
                pairs.append((path, gold))
    return pairs


def run_eval(corpus_dir: Path) -> EvalReport:
    """Extract every labelled document of `corpus_dir` and score it against its NAME.gold.json."""
    pairs = labelled_documents(Path(corpus_dir))
    report = EvalReport(corpus=Path(corpus_dir))
    if not pairs:
        return report
    began = time.perf_counter()
    docs, _, facts = extract_from_paths([doc for doc, _ in pairs], [doc.name for doc, _ in pairs])
    report.seconds = time.perf_counter() - began
    loaded = docs.filter(pl.col("status") == "loaded").unique("doc_id")
    report.text_chars = int(loaded["text"].str.len_chars().sum() or 0)
    by_doc = {kind: frame.partition_by("doc_id", as_dict=True) for kind, frame in facts.items()}
    for (path, gold_path), row in zip(pairs, docs.iter_rows(named=True), strict=True):
        labels = json.loads(gold_path.read_text(encoding="utf-8"))
        mine = {kind: parts.get((row["doc_id"],), facts[kind].clear()) for kind, parts in by_doc.items()}
        if row["status"] != "loaded":
            mine = {}
        report.documents.append(
            DocumentResult(path.name, row["status"], row["error"], score_extraction(mine, labels, path.name))
        )
    report.scores = combine(d.scores for d in report.documents)
    return report


def _row(score: KindScore, name: str) -> str:
    return (
        f"{name:<16} {score.labels:>6} {score.predicted:>9} {score.precision:>9.3f} {score.recall:>7.3f} "
        f"{score.f1:>6.3f}"
    )


def format_report(report: EvalReport) -> str:
    """The scores as a table (kind | labels | predicted | precision | recall | F1, then micro),
    followed by every miss and spurious fact with its document and quote."""
    lines = [
        f"corpus: {report.corpus} ({len(report.documents)} labelled documents)",
        "",
        f"{'kind':<16} {'labels':>6} {'predicted':>9} {'precision':>9} {'recall':>7} {'F1':>6}",
    ]
    lines += [_row(report.kind(kind), kind) for kind in KINDS]
    lines.append(_row(report.scores.micro, "micro"))
    lines.append(f"\nread, parse and extract: {report.seconds:.2f} s ({report.text_chars:,} characters of text)")
    rejected = [d for d in report.documents if d.status != "loaded"]
    if rejected:
        lines.append("\nunreadable documents (their labels all count as misses):")
        lines += [f"  {d.name}: {d.error}" for d in rejected]
    for title, refs in (("misses", report.scores.misses), ("spurious", report.scores.spurious)):
        lines.append(f"\n{title} ({len(refs)}):")
        for ref in refs:
            quote = " ".join((ref.quote or "").split())
            lines.append(f"  [{ref.kind}] {ref.document}: {ref.fact} -- \"{quote}\"")
    return "\n".join(lines)
