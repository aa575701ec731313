"""Extracted facts against hand-checked labels: precision, recall and F1 per kind, with the misses.

Pure: predictions (kind -> fact frame) and labels (the corpus's gold JSON, kind -> list of dicts)
in, an `ExtractionScores` out. The matching rules are exactly the corpus README's:

| kind           | a prediction matches a label when                                          |
|----------------|----------------------------------------------------------------------------|
| valuation      | amount in currency units within 0.5% and the same year                      |
| growth_rate    | rate within 0.01 percentage points                                          |
| capacity       | value within 0.5%                                                           |
| company        | names equal after normalisation (lower-case, no punctuation, no legal       |
|                | suffixes), or one contains the other                                        |
| regional_share | share within 0.05 points and regions equal after the same normalisation     |
|                | (Asia-Pacific = APAC = Asia Pacific)                                        |

Precision is the share of predictions that match some label of their kind in the same document
(repeated mentions of one fact are not penalised); recall is the share of labels matched by some
prediction. A kind with nothing predicted has precision 1 (nothing wrong was said), one with no
labels has recall 1. Score one document at a time and `combine` the results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

# gold JSON key -> fact kind
GOLD_KINDS = {
    "valuations": "valuation",
    "growth_rates": "growth_rate",
    "capacities": "capacity",
    "companies": "company",
    "regional_shares": "regional_share",
}
KINDS = tuple(GOLD_KINDS.values())

_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_RELATIVE = 0.005  # valuation amounts, capacity values
_RATE_POINTS = 0.01
_SHARE_POINTS = 0.05
_EPS = 1e-9  # float noise: 8.47 - 8.46 is not exactly 0.01

_LEGAL_SUFFIXES = (
    "ltd|limited|inc|incorporated|corp|corporation|co|company|plc|group|holding|holdings|gmbh|kg|ag|sa|"
    "llc|llp|lp|nv|bv|pty|pte|spa|srl|ab|asa|oyj|se|kk|bhd|sdn|tbk|jsc|pjsc|sas|sarl|ulc|limitada|ltda"
)

# what each kind's predictions and labels are compared on (prediction column, label key)
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "valuation": (("amount", "amount"), ("year", "year")),
    "growth_rate": (("rate_pct", "rate_pct"),),
    "capacity": (("value", "value"),),
    "company": (("name", "name"),),
    "regional_share": (("region", "region"), ("share_pct", "share_pct")),
}
_DTYPES: dict[str, pl.DataType] = {
    "amount": pl.Float64(), "year": pl.Int64(), "rate_pct": pl.Float64(), "value": pl.Float64(),
    "name": pl.String(), "region": pl.String(), "share_pct": pl.Float64(),
}


@dataclass(frozen=True)
class KindScore:
    """Counts for one kind (or all kinds, as "micro"), and the rates derived from them."""

    kind: str
    labels: int
    predicted: int
    correct: int  # predictions that match some label
    found: int  # labels that some prediction matches

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.labels if self.labels else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: KindScore) -> KindScore:
        return KindScore(self.kind, self.labels + other.labels, self.predicted + other.predicted,
                         self.correct + other.correct, self.found + other.found)


@dataclass(frozen=True)
class FactRef:
    """A label nobody found (a miss) or a prediction no label supports (spurious), for the report."""

    kind: str
    document: str
    fact: str  # the fact in words: "USD 544,000,000 (2024)", "7.4%", "Lynas Corporation"
    quote: str | None


@dataclass
class ExtractionScores:
    """Per-kind counts plus the misses and spurious facts behind them."""

    kinds: dict[str, KindScore] = field(default_factory=dict)
    misses: list[FactRef] = field(default_factory=list)
    spurious: list[FactRef] = field(default_factory=list)

    @property
    def micro(self) -> KindScore:
        """All kinds pooled: every prediction and every label counts once."""
        total = KindScore("micro", 0, 0, 0, 0)
        for score in self.kinds.values():
            total = total + KindScore("micro", score.labels, score.predicted, score.correct, score.found)
        return total

    def kind(self, kind: str) -> KindScore:
        return self.kinds.get(kind, KindScore(kind, 0, 0, 0, 0))


def normalize_name(expr: pl.Expr) -> pl.Expr:
    """Company/region name for comparison: lower-case, no punctuation, no legal suffixes, APAC spelled out."""
    return (
        expr.str.to_lowercase()
        .str.replace_all(r"[^\w\s]|_", " ")
        .str.replace_all(rf"\b(?:{_LEGAL_SUFFIXES})\b", " ")
        .str.replace_all(r"\bapac\b", "asia pacific")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _label_frame(kind: str, labels: Sequence[Mapping]) -> pl.DataFrame:
    rows = []
    for label in labels:
        row = {key: label.get(key) for _, key in _FIELDS[kind]}
        if kind == "valuation":
            value = label.get("value")
            scale = _SCALES.get(str(label.get("scale") or "").lower(), 1.0)
            row["amount"] = None if value is None else float(value) * scale
        rows.append(row)
    schema = {key: _DTYPES[key] for _, key in _FIELDS[kind]}
    return pl.DataFrame(rows, schema=schema).with_row_index("_li")


def _prediction_frame(kind: str, predictions: pl.DataFrame | None) -> pl.DataFrame:
    columns = [col for col, _ in _FIELDS[kind]]
    if predictions is None or predictions.is_empty() or not set(columns) <= set(predictions.columns):
        return pl.DataFrame(schema={c: _DTYPES[c] for c in columns}).with_row_index("_pi")
    return predictions.select([pl.col(c).cast(_DTYPES[c]) for c in columns]).with_row_index("_pi")


def _within(pred: str, gold: str, tolerance: float, relative: bool) -> pl.Expr:
    limit = pl.col(gold).abs() * tolerance if relative else pl.lit(tolerance)
    return (pl.col(pred) - pl.col(gold)).abs() <= limit + _EPS


def _match(kind: str) -> pl.Expr:
    """Whether a (prediction, label) pair matches; label columns carry the suffix "_gold"."""
    if kind == "valuation":
        return _within("amount", "amount_gold", _RELATIVE, True) & pl.col("year").eq_missing(pl.col("year_gold"))
    if kind == "growth_rate":
        return _within("rate_pct", "rate_pct_gold", _RATE_POINTS, False)
    if kind == "capacity":
        return _within("value", "value_gold", _RELATIVE, True)
    a, b = normalize_name(pl.col("name" if kind == "company" else "region")), normalize_name(
        pl.col("name_gold" if kind == "company" else "region_gold")
    )
    if kind == "company":
        padded_a = pl.concat_str(pl.lit(" "), a, pl.lit(" "))
        padded_b = pl.concat_str(pl.lit(" "), b, pl.lit(" "))
        contains = padded_a.str.contains(padded_b, literal=True) | padded_b.str.contains(padded_a, literal=True)
        return (a.str.len_chars() > 0) & (b.str.len_chars() > 0) & ((a == b) | contains)
    return (a == b) & _within("share_pct", "share_pct_gold", _SHARE_POINTS, False)


def describe(kind: str, row: Mapping) -> str:
    """A fact in words, for reports."""
    if kind == "valuation":
        amount = row.get("amount")
        money = f"{row.get('currency') or ''} {amount:,.0f}".strip() if amount is not None else "?"
        return f"{money} ({row.get('year')})"
    if kind == "growth_rate":
        period = ""
        if row.get("start_year") or row.get("end_year"):
            period = f" ({row.get('start_year') or '?'}-{row.get('end_year') or '?'})"
        return f"{row.get('rate_pct')}%{period}"
    if kind == "capacity":
        return f"{row.get('value')} {row.get('unit') or ''}".strip()
    if kind == "company":
        return str(row.get("name"))
    return f"{row.get('region')} {row.get('share_pct')}%"


def score_extraction(predictions: Mapping[str, pl.DataFrame], labels: Mapping[str, Sequence[Mapping]],
                     document: str = "") -> ExtractionScores:
    """Score one document's predictions (kind -> frame) against its labels (gold JSON or kind -> list)."""
    gold = {GOLD_KINDS.get(key, key): value for key, value in labels.items() if GOLD_KINDS.get(key, key) in KINDS}
    scores = ExtractionScores()
    for kind in KINDS:
        label_list = list(gold.get(kind) or [])
        frame = predictions.get(kind)
        preds = _prediction_frame(kind, frame)
        golds = _label_frame(kind, label_list)
        pairs = preds.join(golds, how="cross", suffix="_gold").filter(_match(kind))
        matched_preds = set(pairs["_pi"].to_list())
        matched_labels = set(pairs["_li"].to_list())
        scores.kinds[kind] = KindScore(kind, golds.height, preds.height, len(matched_preds), len(matched_labels))
        for i, label in enumerate(label_list):
            if i not in matched_labels:
                row = dict(label)
                if kind == "valuation" and label.get("value") is not None:
                    row["amount"] = float(label["value"]) * _SCALES.get(str(label.get("scale") or "").lower(), 1.0)
                scores.misses.append(FactRef(kind, document, describe(kind, row), label.get("quote")))
        if preds.height and frame is not None:
            for i, row in enumerate(frame.iter_rows(named=True)):  # one document's facts: a handful
                if i not in matched_preds:
                    scores.spurious.append(FactRef(kind, document, describe(kind, row), row.get("quote")))
    return scores


def combine(parts: Iterable[ExtractionScores]) -> ExtractionScores:
    """Scores of several documents added up (counts summed, misses and spurious facts concatenated)."""
    total = ExtractionScores()
    for part in parts:
        for kind, score in part.kinds.items():
            total.kinds[kind] = total.kinds[kind] + score if kind in total.kinds else score
        total.misses.extend(part.misses)
        total.spurious.extend(part.spurious)
    return total
