"""`valuation_conflict` over small frames: same-year gaps, projections by a document's own rate, revisions."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from quality.findings import FINDING_SCHEMA
from quality.valuations import document_info, valuation_conflicts
from transforms.facts import FACT_SCHEMAS

B = 1e9


def sizes(*rows: tuple) -> pl.DataFrame:
    """(doc_id, market, amount, year[, currency]) rows as valuation facts."""
    out = []
    for i, (doc, market, amount, year, *cur) in enumerate(rows):
        out.append({"doc_id": doc, "passage_id": "p", "start": 10 * i, "end": 10 * i + 8,
                    "quote": f"{market} {amount / B:g} billion in {year}", "market": market, "amount": amount,
                    "currency": cur[0] if cur else "USD", "year": year, "forecast": year > 2024})
    return pl.DataFrame(out, schema=FACT_SCHEMAS["valuation"])


def rates(*rows: tuple) -> pl.DataFrame:
    """(doc_id, market, rate_pct, start_year, end_year) rows as growth-rate facts."""
    out = [{"doc_id": doc, "passage_id": "p", "start": 500 + i, "end": 510 + i, "quote": f"CAGR of {rate}%",
            "market": market, "rate_pct": rate, "start_year": s, "end_year": e}
           for i, (doc, market, rate, s, e) in enumerate(rows)]
    return pl.DataFrame(out, schema=FACT_SCHEMAS["growth_rate"])


def documents(*rows: tuple) -> pl.DataFrame:
    """(doc_id, title, published, text[, source]) rows."""
    return pl.DataFrame(
        [{"doc_id": d, "path": f"{d}.md", "source": src[0] if src else "file", "title": t, "published": p,
          "text": x} for d, t, p, x, *src in rows],
        schema={"doc_id": pl.String, "path": pl.String, "source": pl.String, "title": pl.String,
                "published": pl.Date, "text": pl.String},
    )


# the two versions of one report: 31.3 (2025) at 12.1%, then 15.8 (2026) at 9.8%
MAGNETS_2025 = sizes(("old", "rare earth magnets", 31.3 * B, 2025), ("old", "rare earth magnets", 69.7 * B, 2032))
MAGNETS_2026 = sizes(("new", "Global Rare Earth Magnets Market Size", 15.8 * B, 2026),
                     ("new", "rare earth magnets", 30.4 * B, 2033))
MAGNET_RATES = rates(("old", "rare earth magnets", 12.1, 2025, 2032), ("old", "rare earth magnets", 11.6, 2019, 2024),
                     ("new", "rare earth magnets", 9.8, 2026, 2033))
SAME_REPORT = documents(("old", "ID: PMRREP35599", dt.date(2025, 9, 10), "ID: PMRREP35599\nThe global ..."),
                        ("new", "Rare earth magnets", dt.date(2026, 1, 8), "ID: PMRREP35599| 220 Pages"))


def test_same_publisher_revision_found_by_projection() -> None:
    found = valuation_conflicts(pl.concat([MAGNETS_2025, MAGNETS_2026]), MAGNET_RATES, SAME_REPORT)
    assert found.columns == list(FINDING_SCHEMA)
    row = found.row(0, named=True)
    assert found.height == 1
    assert (row["rule"], row["severity"], row["subject"]) == ("valuation_conflict", "warn", "rare earth magnets")
    assert "revised its figure from USD 31.3B (2025" in row["message"]
    assert "USD 35.09B in 2026" in row["message"] and "to USD 15.8B (2026)" in row["message"]
    evidence = json.loads(row["evidence"])
    assert evidence["kind"] == "revision" and evidence["same_publisher"] == ["report_id", "PMRREP35599"]
    assert evidence["projection"]["rate_pct"] == 12.1
    assert row["doc_ids"] == ["old", "new"]
    assert "CAGR of 12.1%" in row["quotes"]


def test_different_publishers_conflict() -> None:
    docs = documents(("old", "A report", dt.date(2025, 9, 10), "see https://www.alpha-research.com/x"),
                     ("new", "B report", dt.date(2026, 1, 8), "see https://www.beta-insights.com/y"))
    found = valuation_conflicts(pl.concat([MAGNETS_2025, MAGNETS_2026]), MAGNET_RATES, docs)
    assert json.loads(found["evidence"][0])["kind"] == "conflict"
    assert "two publishers disagree" in found["message"][0]


def test_same_host_is_one_publisher_but_a_newswire_is_not() -> None:
    same = documents(("old", "x", None, "https://www.alpha-research.com/a"), ("new", "y", None,
                                                                             "https://alpha-research.com/b"))
    wire = documents(("old", "x", None, "https://www.globenewswire.com/a"), ("new", "y", None,
                                                                            "https://www.globenewswire.com/b"))
    facts = pl.concat([MAGNETS_2025, MAGNETS_2026])
    assert json.loads(valuation_conflicts(facts, MAGNET_RATES, same)["evidence"][0])["kind"] == "revision"
    assert json.loads(valuation_conflicts(facts, MAGNET_RATES, wire)["evidence"][0])["kind"] == "conflict"
    assert document_info(wire)["host"].to_list() == [None, None]


def test_same_year_within_tolerance_passes_beyond_it_warns() -> None:
    close = sizes(("a", "rare earth metals", 7.66 * B, 2023), ("b", "Rare Earth Metals Market", 8.2 * B, 2023))
    assert valuation_conflicts(close).is_empty()  # 7% apart
    far = sizes(("a", "rare earth metals", 7.66 * B, 2023), ("b", "rare earth metals", 8.6 * B, 2023))
    found = valuation_conflicts(far)
    assert found.height == 1 and json.loads(found["evidence"][0])["comparison"] == "same_year"
    assert "USD 7.66B for 2023" in found["message"][0] and "USD 8.6B for 2023" in found["message"][0]


def test_revision_message_runs_from_the_older_document() -> None:
    facts = sizes(("z-new", "rare earth metals", 9.0 * B, 2023), ("a-old", "rare earth metals", 7.66 * B, 2023))
    docs = documents(("z-new", "Rare Earth Metals Market Size Share And Forecast", dt.date(2026, 1, 1), ""),
                     ("a-old", "Rare Earth Metals Market Size, Share and Forecast", dt.date(2025, 1, 1), ""))
    row = valuation_conflicts(facts, None, docs).row(0, named=True)
    assert "revised its figure from USD 7.66B for 2023 to USD 9B for 2023 (+17%)" in row["message"]
    assert row["doc_ids"] == ["a-old", "z-new"]


def test_short_generic_titles_do_not_make_one_publisher() -> None:
    facts = sizes(("a", "rare earth metals", 9.0 * B, 2023), ("b", "rare earth metals", 7.66 * B, 2023))
    docs = documents(("a", "Rare Earth Metals Market", None, ""), ("b", "Rare Earth Metals Market", None, ""))
    assert json.loads(valuation_conflicts(facts, None, docs)["evidence"][0])["kind"] == "conflict"


def test_projection_that_agrees_passes() -> None:
    facts = sizes(("a", "samarium cobalt magnets", 420e6, 2024), ("a", "samarium cobalt magnets", 640e6, 2031),
                  ("b", "samarium cobalt magnets", 445e6, 2025), ("b", "samarium cobalt magnets", 595e6, 2030))
    growth = rates(("a", "samarium cobalt magnets", 6.2, 2024, 2031), ("b", "samarium cobalt magnets", 6.0, 2025, 2030))
    assert valuation_conflicts(facts, growth).is_empty()


def test_a_long_projection_that_agrees_does_not_hide_a_short_one_that_does_not() -> None:
    # b's series is 22% above a's in 2025, though a's 6.2% carried to b's 2030 lands near b's 2030 figure
    facts = sizes(("a", "samarium cobalt magnets", 420e6, 2024), ("a", "samarium cobalt magnets", 640e6, 2031),
                  ("b", "samarium cobalt magnets", 545e6, 2025), ("b", "samarium cobalt magnets", 600e6, 2030))
    growth = rates(("a", "samarium cobalt magnets", 6.2, 2024, 2031), ("b", "samarium cobalt magnets", 1.9, 2025, 2030))
    found = valuation_conflicts(facts, growth)
    evidence = json.loads(found["evidence"][0])
    assert evidence["comparison"] == "projected" and evidence["projection"]["doc_id"] == "a"
    assert "USD 446M in 2025" in found["message"][0]


def test_no_rate_covering_the_other_year_means_no_comparison() -> None:
    facts = sizes(("a", "rare earth magnets", 31.3 * B, 2025), ("b", "rare earth magnets", 15.8 * B, 2029))
    growth = rates(("a", "rare earth magnets", 11.6, 2019, 2024))  # historical only
    assert valuation_conflicts(facts, growth).is_empty()


def test_market_names_match_across_spellings_and_plurals() -> None:
    found = valuation_conflicts(sizes(("a", "Global Permanent Magnets Market Size", 32.9 * B, 2024),
                                      ("b", "permanent magnet", 40.0 * B, 2024)))
    assert found.height == 1 and found["subject"][0] == "permanent magnets"


def test_markets_and_currencies_must_match() -> None:
    assert valuation_conflicts(sizes(("a", "rare earth magnets", 31.3 * B, 2025),
                                     ("b", "rare earth recycling", 15.8 * B, 2025))).is_empty()
    assert valuation_conflicts(sizes(("a", "rare earth magnets", 31.3 * B, 2025),
                                     ("b", "rare earth magnets", 15.8 * B, 2025, "EUR"))).is_empty()


def test_one_document_alone_never_conflicts_with_itself() -> None:
    assert valuation_conflicts(sizes(("a", "rare earth magnets", 31.3 * B, 2025),
                                     ("a", "rare earth magnets", 15.8 * B, 2025))).is_empty()


def test_finding_id_is_stable() -> None:
    facts = pl.concat([MAGNETS_2025, MAGNETS_2026])
    first = valuation_conflicts(facts, MAGNET_RATES, SAME_REPORT)["finding_id"].to_list()
    again = valuation_conflicts(facts.reverse(), MAGNET_RATES.reverse(), SAME_REPORT.reverse())["finding_id"].to_list()
    assert first == again and len(first) == 1
