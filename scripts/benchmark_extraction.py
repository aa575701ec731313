"""Extraction throughput against a bare number scan, on a synthetic corpus shaped like real reports.

Builds N MB (default 100) of report-like text from our own templates (market sizes, CAGRs,
capacities, company lists, regional shares, distractors, flattened tables, filler prose), then
measures in one run:
  - bare scan: one polars regex finding every number (`str.extract_all(r"\\d[\\d,.]*")`);
  - extraction: normalized text to fact rows (passages + every fact kind).
It reports both in MB/s and their ratio (the issue's bar: extraction >= 1/10 of the bare scan),
and, separately, HTML parsing throughput (beautifulsoup4 with lxml, and lxml.html alone), which
dominates wherever documents arrive as HTML.

    python scripts/benchmark_extraction.py [--mb 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.documents import html_to_text  # noqa: E402
from transforms.facts import extract_facts  # noqa: E402
from transforms.passages import split_passages  # noqa: E402

MARKETS = ["rare earth refining services", "neodymium oxide", "rare earth magnets", "scandium alloys",
           "terbium recycling", "lanthanum catalysts", "critical minerals processing", "dysprosium metal"]
REGIONS = ["Asia-Pacific", "North America", "Europe", "China", "Australia", "Latin America", "Japan"]
COMPANIES = ["Northwind Separation Ltd.", "Kestrel Oxides Inc.", "Blue Ridge Magnetics Corp.", "Tasman Rare Metals",
             "Ostara Refining GmbH", "Harbour Point Materials plc", "Coralline Minerals Co., Ltd."]
# Prose without figures, as most of a real report is: drivers, restraints, segment descriptions.
PROSE = [
    "Producers are weighing new solvent extraction circuits against the cost of permitting.",
    "Buyers continue to ask for traceable supply chains with audited environmental performance.",
    "Analysts expect contract structures to shift toward longer offtake terms with price floors.",
    "Separation remains the hardest step, because neighbouring elements behave almost identically in solution.",
    "Several governments have opened grant programmes for processing plants outside the dominant supplier.",
    "Magnet makers in Europe and North America are qualifying new oxide suppliers for automotive programmes.",
    "Recycling of swarf and end-of-life motors is moving from pilot lines toward commercial operation.",
    "Environmental reviews of tailings storage have lengthened the time needed to bring a refinery online.",
    "The report segments the market by type, application, end user and region.",
    "Hydrometallurgical routes dominate, although membrane and ion-exchange methods are being trialled.",
    "Demand from wind turbines depends on the share of direct-drive designs in new installations.",
    "Price volatility in oxide markets has pushed consumers to hold larger safety stocks.",
    "Exploration companies report promising grades in ionic clay deposits across several continents.",
    "Workforce shortages in process chemistry slow the commissioning of new circuits.",
    "Downstream integration lets some miners capture more of the value of finished alloys.",
    "Trade measures and export licensing continue to shape where separation capacity is built.",
]


def _document(rng: random.Random) -> str:
    market = rng.choice(MARKETS)
    start, end = rng.choice([(2023, 2030), (2024, 2032), (2025, 2033)])
    size = rng.uniform(50, 900)
    rate = rng.uniform(2, 14)
    final = size * (1 + rate / 100) ** (end - start)
    region, other = rng.sample(REGIONS, 2)
    company = rng.choice(COMPANIES)
    players = ", ".join(rng.sample(COMPANIES, 4))
    parts = [
        f"{market.title()} Market Report {start}-{end}",
        f"The global {market} market was valued at USD {size:,.1f} million in {start} and is expected to reach "
        f"USD {final:,.1f} million by {end}, growing at a CAGR of {rate:.2f}% from {start} to {end}.",
        f"Report Attributes Details Market Size in {start} USD {size:,.2f} Million Market Size by {end} "
        f"USD {final:,.2f} Million CAGR CAGR of {rate:.2f}% From {start} to {end} Base Year {start - 1}",
        f"{region} accounted for over {rng.randint(30, 80)}% of global {market} production in {start}, while "
        f"{other} held approximately {rng.randint(5, 20)}% of refined output.",
        f"{company} operates a separation plant with a capacity of {rng.randint(2, 90) * 1000:,} tonnes per year.",
        f"Each electric vehicle uses {rng.randint(1, 3)} kg of magnet material, and the company committed "
        f"${rng.randint(1, 9)} billion to new lines, targeting purity above 99.{rng.randint(5, 99)}%.",
        f"Key players include {players}, and others.",
        f"Country | {start - 1} | {start}\n"
        + "\n".join(f"{r} | {rng.randint(100, 90000):,} | {rng.randint(100, 90000):,}" for r in REGIONS[:5]),
    ]
    # interleave figure-bearing lines with paragraphs of prose, roughly as real releases do
    out: list[str] = []
    for part in parts:
        out.append(part)
        out.append(" ".join(rng.choice(PROSE) for _ in range(rng.randint(3, 9))))
    return "\n".join(out)


def build_corpus(megabytes: float, seed: int = 7) -> pl.DataFrame:
    rng = random.Random(seed)
    texts: list[str] = []
    total = 0
    target = int(megabytes * 1_000_000)
    while total < target:
        doc = "\n".join(_document(rng) for _ in range(8))
        texts.append(doc)
        total += len(doc.encode())
    return pl.DataFrame({
        "doc_id": [f"doc{i:06d}" for i in range(len(texts))],
        "title": [t.split("\n", 1)[0] for t in texts],
        "published": [None] * len(texts),
        "text": texts,
    }, schema={"doc_id": pl.String, "title": pl.String, "published": pl.Date, "text": pl.String})


def _best(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0, help="corpus size in MB (default 100)")
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions; the best is reported")
    args = parser.parse_args()

    docs = build_corpus(args.mb)
    megabytes = docs["text"].str.len_bytes().sum() / 1e6
    print(f"corpus: {docs.height:,} documents, {megabytes:,.1f} MB of text")

    scan_s, numbers = _best(
        lambda: docs.select(pl.col("text").str.extract_all(r"\d[\d,.]*").list.len().sum()).item(), args.repeat
    )

    def extract() -> dict[str, pl.DataFrame]:
        passages = split_passages(docs.select("doc_id", "text"))
        return extract_facts(passages, docs)

    extract_s, facts = _best(extract, args.repeat)
    rows = sum(f.height for f in facts.values())  # type: ignore[union-attr]
    scan_rate, extract_rate = megabytes / scan_s, megabytes / extract_s
    print(f"bare number scan : {scan_rate:8.1f} MB/s  ({numbers:,} numbers, {scan_s:.2f} s)")
    print(f"extraction       : {extract_rate:8.1f} MB/s  ({rows:,} fact rows, {extract_s:.2f} s)")
    for kind, frame in facts.items():  # type: ignore[union-attr]
        print(f"    {kind:<15}{frame.height:>10,}")
    print(f"ratio extraction / bare scan: {extract_rate / scan_rate:.3f}  (bar: >= 0.100)")

    html = "".join(
        f"<html><body><h1>{t.splitlines()[0]}</h1>" + "".join(f"<p>{line}</p>" for line in t.splitlines()[1:])
        + "</body></html>" for t in docs["text"].head(200)
    )
    html_mb = len(html.encode()) / 1e6
    bs4_s, _ = _best(lambda: html_to_text(html), 1)
    import lxml.html

    lxml_s, _ = _best(lambda: lxml.html.fromstring(html).text_content(), 1)
    print(f"HTML parsing ({html_mb:.1f} MB): beautifulsoup4+lxml {html_mb / bs4_s:.1f} MB/s, "
          f"lxml.html {html_mb / lxml_s:.1f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
