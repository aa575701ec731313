"""Filing text cut into Items: table of contents skipped, offsets exact, 10-Q parts, 8-K items."""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl
import pytest

from transforms.documents import parse_document
from transforms.filings import SECTION_SCHEMA, filing_sections, form_family, split_sections

ARCHIVES = Path(__file__).resolve().parent / "fixtures" / "edgar" / "Archives" / "edgar" / "data"


def fixture_text(relative: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bs4 notes the XML declaration iXBRL files start with
        return parse_document(Path(relative).name, (ARCHIVES / relative).read_bytes()).text


def sections(text: str, form: str | None = "10-K") -> dict[str, dict]:
    frame = split_sections("doc", text, form)
    return {r["section"]: r for r in frame.iter_rows(named=True)}


def test_ten_k_items_skip_the_table_of_contents() -> None:
    text = fixture_text("9900001/000990000125000004/nsre-20241231.htm")
    found = sections(text)
    assert list(found)[:7] == ["Item 1", "Item 1A", "Item 1B", "Item 1C", "Item 2", "Item 3", "Item 4"]
    assert {"Item 7", "Item 7A", "Item 8", "Item 9A", "Item 15"} <= set(found)
    toc_end = text.index("Item 15. | Exhibits and Financial Statement Schedules | 75")
    assert all(s["start"] > toc_end for s in found.values())  # none of them in the contents
    business = text[found["Item 1"]["start"]:found["Item 1"]["end"]]
    assert business.startswith("Item 1. Business\nOverview")
    assert "REO in concentrate produced (metric tons) | 38,450 | 41,020 | 39,880" in business  # tables as rows
    assert business.endswith("all located in the United States.")
    risk = text[found["Item 1A"]["start"]:found["Item 1A"]["end"]]
    assert risk.startswith("Item 1A. Risk Factors") and "nameplate capacity" in risk and "Item 1B" not in risk
    mdna = found["Item 7"]
    assert mdna["title"] == "Management's Discussion and Analysis of Financial Condition and Results of Operations"
    assert "Revenue | $ 218,640 | $ 262,315 | (17)%" in text[mdna["start"]:mdna["end"]]
    assert found["Item 6"]["title"] == "[Reserved]"
    # the last Item stops at the signatures; a Part heading is not inside the Item before it
    assert "SIGNATURES" not in text[found["Item 15"]["start"]:found["Item 15"]["end"]]
    assert "PART II" not in text[found["Item 4"]["start"]:found["Item 4"]["end"]]
    # the inline cross-reference "discussed further in Item 7. Management's..." is not a heading
    assert found["Item 7"]["start"] > found["Item 1A"]["start"]


def test_ten_q_items_are_numbered_per_part() -> None:
    text = fixture_text("9900001/000990000125000011/nsre-20250331.htm")
    found = sections(text, "10-Q")
    assert list(found) == ["Part I Item 1", "Part I Item 2", "Part I Item 3", "Part I Item 4", "Part II Item 1",
                           "Part II Item 1A", "Part II Item 4", "Part II Item 6"]
    mdna = found["Part I Item 2"]
    assert "402 metric tons of separated NdPr oxide" in text[mdna["start"]:mdna["end"]]
    assert text[found["Part II Item 1"]["start"]:found["Part II Item 1"]["end"]] == "Item 1. Legal Proceedings\nNone."


def test_eight_k_items() -> None:
    text = fixture_text("9900001/000990000125000012/nsre-20250508.htm")
    found = sections(text, "8-K")
    assert list(found) == ["Item 2.02", "Item 9.01"]
    assert found["Item 2.02"]["title"] == "Results of Operations and Financial Condition"
    assert "record 402 metric tons" in text[found["Item 2.02"]["start"]:found["Item 2.02"]["end"]]


def test_combined_items_and_upper_case_headings() -> None:
    text = fixture_text("9900002/000990000225000003/bsnm-20241231.htm")
    found = sections(text)
    assert found["Item 1"]["start"] == found["Item 2"]["start"]  # "ITEMS 1 AND 2. BUSINESS AND PROPERTIES"
    assert found["Item 2"]["title"] == "BUSINESS AND PROPERTIES"
    assert "Antimony trisulfide (short tons) | 184 | 96" in text[found["Item 2"]["start"]:found["Item 2"]["end"]]
    assert list(found) == ["Item 1", "Item 2", "Item 1A", "Item 7", "Item 8"]


def test_number_alone_on_its_line_takes_the_next_line_as_title() -> None:
    text = ("FORM 10-K\nTable of Contents\nItem 1A. | Risk Factors | 9\nItem 2. | Properties | 14\n"
            "ITEM 1A.\nRISK FACTORS\nOur prices are volatile.\nDemand may fall.\n"
            "ITEM 2.\nOur mine covers 2,000 acres in Nevada.\nIt has a mill.")
    found = sections(text)
    assert found["Item 1A"]["title"] == "RISK FACTORS"
    assert found["Item 1A"]["start"] == text.index("ITEM 1A.")
    assert found["Item 2"]["title"] == "Properties"  # a sentence is no title: the standard one stands in
    assert text[found["Item 2"]["start"]:found["Item 2"]["end"]].endswith("It has a mill.")


def test_a_sentence_starting_with_item_is_not_a_heading() -> None:
    text = ("Item 7. Management's Discussion and Analysis\nRevenue rose.\n"
            "Item 7 of this report explains our liquidity in detail.\nCash was $4 million.\n"
            "Item 8. Financial Statements\nSee page F-1.")
    found = sections(text)
    assert list(found) == ["Item 7", "Item 8"]
    assert "Cash was $4 million." in text[found["Item 7"]["start"]:found["Item 7"]["end"]]


def test_a_long_gap_after_the_contents_does_not_fool_it() -> None:
    """The contents' last line is followed by pages of forward-looking statements, longer than the
    real (short) last Item: the order of Items still puts it after the others."""
    toc = "".join(f"Item {n}. | {t} | {p}\n" for n, t, p in
                  [("1", "Business", 3), ("1A", "Risk Factors", 8), ("16", "Form 10-K Summary", 40)])
    caution = "CAUTIONARY NOTE REGARDING FORWARD-LOOKING STATEMENTS\n" + "This report contains forecasts.\n" * 40
    body = ("Item 1. Business\n" + "We mine rare earths.\n" * 30 + "Item 1A. Risk Factors\n" + "Prices vary.\n" * 30
            + "Item 16. Form 10-K Summary\nNone.\nSIGNATURES\nSigned.")
    text = "TABLE OF CONTENTS\n" + toc + caution + body
    found = sections(text)
    assert found["Item 16"]["start"] == text.index("Item 16. Form 10-K Summary\nNone.")
    assert text[found["Item 16"]["start"]:found["Item 16"]["end"]] == "Item 16. Form 10-K Summary\nNone."


def test_forms_without_items_and_many_filings() -> None:
    assert split_sections("d", "Press release\nRevenue rose 5%.", "6-K").schema == pl.Schema(SECTION_SCHEMA)
    assert split_sections("d", "", "40-F").is_empty()
    assert [form_family(f) for f in ("10-K/A", "10-KT", "10-Q", "8-K/A", "20-F", "6-K", None)] == \
        ["10-K", "10-K", "10-Q", "8-K", "20-F", "other", "other"]
    frame = pl.DataFrame({
        "doc_id": ["a", "b"],
        "text": [fixture_text("9900001/000990000125000012/nsre-20250508.htm"),
                 fixture_text("9900002/000990000225000007/bsnm-20250417.htm")],
        "form": ["8-K", "8-K"],
    })
    out = filing_sections(frame)
    assert out.filter(pl.col("doc_id") == "b")["section"].to_list() == ["Item 1.01", "Item 8.01", "Item 9.01"]
    assert filing_sections(frame.clear()).is_empty()


@pytest.mark.parametrize("relative", [
    "9900001/000990000125000004/nsre-20241231.htm",
    "9900001/000990000125000011/nsre-20250331.htm",
    "9900002/000990000225000003/bsnm-20241231.htm",
])
def test_offsets_point_at_headings_in_order(relative: str) -> None:
    text = fixture_text(relative)
    form = "10-Q" if "20250331" in relative else "10-K"
    frame = split_sections("doc", text, form).sort("start")
    starts = frame["start"].to_list()
    ends = frame["end"].to_list()
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        body = text[start:end]
        assert body.lower().startswith("item") and body == body.rstrip()
        if i + 1 < len(starts) and starts[i + 1] != start:
            assert end <= starts[i + 1]  # no overlap with the next heading
