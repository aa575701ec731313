"""SEC filings cut into their Items ("Item 1. Business", "Item 1A. Risk Factors", "Item 7. MD&A").

Pure functions over the normalized text `transforms.documents.parse_document` makes of a filing's
HTML: one heading per line, table rows as " | "-joined lines. Offsets point into that text, like
every other offset in the warehouse, so a section can be cut out with text[start:end] and facts
can be placed in the section they came from.

Every Item heading appears at least twice in a 10-K: once in the table of contents and once
above its body (and cross-references such as "see Item 7" add more). For each Item we keep the
occurrence followed by the longest body, which is never a table-of-contents line, and then make
sure the chosen headings run in the filing's own order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

SECTION_SCHEMA = {
    "doc_id": pl.String,
    "section": pl.String,
    "title": pl.String,
    "start": pl.Int64,
    "end": pl.Int64,
}

_MAX_HEADING = 160  # characters: Item 5's title is the longest standard one (~115 with its number)
_ITEM_LINE = re.compile(
    r"^(?:PART\s+(?P<part>IV|I{1,3})\b[\s.,:;|\-\u2013\u2014]*)?"
    r"ITEMS?\s+(?P<num>\d{1,2}(?:\.\d{2})?[A-D]?)(?![\d.]\d)\.?"
    r"(?:\s*(?:,|and|&)\s*(?P<num2>\d{1,2}[A-D]?)\.?)?"
    r"(?P<rest>(?:[\s.:|\-\u2013\u2014]+.*)?)$",
    re.IGNORECASE,
)
_PART_LINE = re.compile(r"^PART\s+(IV|I{1,3})\b", re.IGNORECASE)
_STOP_LINE = re.compile(r"^(SIGNATURES?|EXHIBIT INDEX)\s*$", re.IGNORECASE)
_PAGE_REF = re.compile(r"^(?:page\s+)?[\divxlcF\-]+$", re.IGNORECASE)
_PART_RANK = {"I": 1, "II": 2, "III": 3, "IV": 4}

# Standard 10-K titles, for a heading that gives only its number ("ITEM 1A." alone on a line).
TEN_K_TITLES = {
    "1": "Business", "1A": "Risk Factors", "1B": "Unresolved Staff Comments", "1C": "Cybersecurity",
    "2": "Properties", "3": "Legal Proceedings", "4": "Mine Safety Disclosures",
    "5": "Market for Registrant's Common Equity, Related Stockholder Matters and Issuer Purchases of Equity Securities",
    "6": "[Reserved]", "7": "Management's Discussion and Analysis of Financial Condition and Results of Operations",
    "7A": "Quantitative and Qualitative Disclosures About Market Risk",
    "8": "Financial Statements and Supplementary Data",
    "9": "Changes in and Disagreements with Accountants on Accounting and Financial Disclosure",
    "9A": "Controls and Procedures", "9B": "Other Information",
    "9C": "Disclosure Regarding Foreign Jurisdictions that Prevent Inspections",
    "10": "Directors, Executive Officers and Corporate Governance", "11": "Executive Compensation",
    "12": "Security Ownership of Certain Beneficial Owners and Management and Related Stockholder Matters",
    "13": "Certain Relationships and Related Transactions, and Director Independence",
    "14": "Principal Accountant Fees and Services", "15": "Exhibits and Financial Statement Schedules",
    "16": "Form 10-K Summary",
}


@dataclass(frozen=True)
class _Heading:
    key: tuple[str | None, str]  # (part where numbering restarts per part, else None; item number)
    start: int  # offset of the heading line
    line_end: int  # offset just past the heading line
    title: str | None


def form_family(form: str | None) -> str:
    """10-K, 10-Q, 8-K or 20-F (amendments and transition reports with their base form); else other."""
    base = (form or "").upper().removesuffix("/A")
    for family in ("10-K", "10-Q", "8-K", "20-F"):
        if base.startswith(family):
            return family
    return "other"


def _clean_title(rest: str) -> str:
    """The title part of a heading line, without separators, page numbers or TOC cell bars."""
    cells = [c.strip(" .:-\u2013\u2014\t") for c in rest.split("|")]
    cells = [c for c in cells if c and not _PAGE_REF.match(c)]
    return " ".join(" ".join(cells).split())


def _order(key: tuple[str | None, str]) -> tuple[int, int, int, str]:
    """Where an Item sits in SEC's numbering: Part, number, sub-number (8-K 2.02), letter (1A)."""
    part, num = key
    m = re.match(r"(\d+)(?:\.(\d+))?([A-D]?)", num)
    assert m is not None
    return (_PART_RANK.get(part or "", 0), int(m.group(1)), int(m.group(2) or 0), m.group(3))


def _label(key: tuple[str | None, str]) -> str:
    part, num = key
    return f"Part {part} Item {num}" if part else f"Item {num}"


def _headings(text: str, family: str) -> tuple[list[_Heading], list[int]]:
    """Every line that looks like an Item heading, and the offsets of lines that end a section
    without starting one (PART II, SIGNATURES)."""
    headings: list[_Heading] = []
    stops: list[int] = []
    part: str | None = None
    lines = text.split("\n")
    offset = 0
    for i, line in enumerate(lines):
        start, line_end = offset, offset + len(line)
        offset = line_end + 1
        stripped = line.strip()
        if not stripped or len(stripped) > _MAX_HEADING:
            continue
        if _STOP_LINE.match(stripped):
            stops.append(start)
            continue
        part_match = _PART_LINE.match(stripped)
        if part_match:
            part = part_match.group(1).upper()
        m = _ITEM_LINE.match(stripped)
        if not m:
            if part_match:
                stops.append(start)
            continue
        if m.group("part"):
            part = m.group("part").upper()
        title = _clean_title(m.group("rest"))
        if title and not (title[0].isupper() or title[0] in "[(\"'\u201c"):
            continue  # "Item 7 of this report ..." is a sentence, not a heading
        if not title:
            following = next((ln.strip() for ln in lines[i + 1:i + 3] if ln.strip()), "")
            # the next line is the title when it reads like one: short, not a sentence, not a heading
            if following and len(following) <= 150 and (following.isupper() or not following.endswith(".")) \
                    and not _ITEM_LINE.match(following) and not _PART_LINE.match(following):
                title = _clean_title(following)
        nums = [m.group("num").upper()] + ([m.group("num2").upper()] if m.group("num2") else [])
        scope = part if family == "10-Q" else None
        for num in nums:
            fallback = TEN_K_TITLES.get(num) if family in ("10-K", "other") else None
            headings.append(_Heading((scope, num), start, line_end, title or fallback))
    return headings, stops


def split_sections(doc_id: str, text: str, form: str | None = None) -> pl.DataFrame:
    """The Items of one filing as (doc_id, section, title, start, end), in reading order.

    `text` is the normalized text; text[start:end] is the section from its heading to the line
    before the next section (or the signatures). "Items 1 and 2. Business and Properties" gives a
    row for each Item with the same span. A form without Items (6-K, 40-F) gives no rows.
    """
    family = form_family(form)
    headings, stops = _headings(text, family)
    if not headings:
        return pl.DataFrame(schema=SECTION_SCHEMA)
    starts = sorted({h.start for h in headings} | set(stops) | {len(text)})

    def body(h: _Heading) -> int:
        following = next(s for s in starts if s > h.start)
        return following - h.line_end

    by_key: dict[tuple[str | None, str], list[_Heading]] = {}
    for h in headings:
        by_key.setdefault(h.key, []).append(h)
    # longest body first; on a tie the later one (the body follows the table of contents)
    chosen = {k: max(hs, key=lambda h: (body(h), h.start)) for k, hs in by_key.items()}
    # then the filing's own order: an Item chosen before the previous Item's heading is re-chosen
    # among the later occurrences, or dropped
    # ("Items 1 and 2" puts Item 2 on Item 1's line, ahead of Item 1A: that is in order)
    last = -1
    picked: list[_Heading] = []
    for key in sorted(by_key, key=_order):
        best = chosen[key]
        if best.start < last and best.start not in {h.start for h in picked}:
            later = [h for h in by_key[key] if h.start >= last]
            if not later:
                continue
            best = max(later, key=lambda h: (body(h), h.start))
        picked.append(best)
        last = max(last, best.start)
    section_starts = sorted({h.start for h in picked})
    rows = []
    for h in picked:
        boundary = min([s for s in section_starts if s > h.start] + [s for s in stops if s > h.start] + [len(text)])
        end = len(text[:boundary].rstrip())
        rows.append({"doc_id": doc_id, "section": _label(h.key), "title": h.title, "start": h.start, "end": end})
    return pl.DataFrame(rows, schema=SECTION_SCHEMA).sort("start", "section")


def filing_sections(filings: pl.DataFrame) -> pl.DataFrame:
    """Sections of many filings: `filings` has doc_id, text and form (the edgar_filings form)."""
    frames = [split_sections(r["doc_id"], r["text"], r.get("form")) for r in filings.iter_rows(named=True)]
    return pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=SECTION_SCHEMA)
