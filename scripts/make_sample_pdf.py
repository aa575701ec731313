"""Generate the bundled sample PDF ``samples/usgs_style_production_2025.pdf``.

The PDF is a short statistics sheet written in the style of a government
minerals summary (our own wording, not a copy of any published document).
It exists so the PDF extraction path of the pipeline has a small, stable
input to work on.

The output is deterministic: the creation date is pinned and only the
built-in Helvetica core font (latin-1 text) is used, so re-running the
script produces byte-identical output.

Usage (from the repository root)::

    python scripts/make_sample_pdf.py
"""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "samples" / "usgs_style_production_2025.pdf"

# Pinned so that the output bytes never change between runs.
CREATION_DATE = datetime(2025, 1, 31, tzinfo=UTC)

# Core PDF fonts only cover latin-1, so the title uses a plain hyphen
# instead of an em dash.
TITLE = "Rare Earths - Mineral Statistics Summary 2025"
SUBTITLE = "Figures in metric tons of rare-earth-oxide (REO) equivalent unless noted otherwise."

PARAGRAPHS: tuple[str, ...] = (
    # Kept short so the headline figure stays on a single extracted line.
    "World mine production was estimated at 390,000 tons of rare-earth-oxide equivalent in 2024.",
    "Overview: The 2024 estimate sits slightly above the revised figure for the year before. "
    "Most of the increase came from operations in Asia and Africa, while some older sources "
    "reported lower tonnages.",
    "Domestic notes: A single bastnaesite operation in California supplied the bulk of "
    "United States mine output. Separation and metal-making capacity at home remained "
    "small next to mine output, so much of the concentrate was shipped abroad for "
    "further processing.",
)

TABLE_TITLE = "World mine production (metric tons REO)"
TABLE_HEADER: tuple[str, str, str] = ("Country", "2023", "2024")
TABLE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("United States", "41,600", "45,000"),
    ("Australia", "16,000", "13,000"),
    ("Burma", "43,000", "31,000"),
    ("China", "255,000", "270,000"),
    ("India", "2,900", "2,900"),
    ("Nigeria", "7,200", "13,000"),
    ("Thailand", "3,600", "13,000"),
    ("Other", "6,700", "2,100"),
    ("World total (rounded)", "376,000", "390,000"),
)

FOOTNOTE = (
    "Estimates for the latest year are preliminary. Totals are rounded and may not "
    "equal the sum of the listed countries."
)

COL_WIDTHS: tuple[float, float, float] = (80.0, 35.0, 35.0)
ROW_HEIGHT = 7.0


def _table_row(pdf: FPDF, cells: tuple[str, str, str], *, bold: bool = False) -> None:
    """Draw one table row as a line of bordered cells."""
    pdf.set_font("Helvetica", style="B" if bold else "", size=10)
    for index, (text, width) in enumerate(zip(cells, COL_WIDTHS, strict=True)):
        last = index == len(cells) - 1
        pdf.cell(
            width,
            ROW_HEIGHT,
            text,
            border=1,
            align="L" if index == 0 else "R",
            new_x=XPos.LMARGIN if last else XPos.RIGHT,
            new_y=YPos.NEXT if last else YPos.TOP,
        )


def build_pdf() -> FPDF:
    """Lay out the statistics sheet and return the document object."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(TITLE)
    pdf.set_author("marketintel sample generator")
    pdf.set_subject("Sample rare earth production statistics")
    pdf.set_creator("scripts/make_sample_pdf.py")
    pdf.set_producer("fpdf2")
    pdf.set_creation_date(CREATION_DATE)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    pdf.set_font("Helvetica", style="B", size=15)
    pdf.cell(0, 10, TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", style="I", size=9)
    pdf.cell(0, 6, SUBTITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    pdf.set_font("Helvetica", size=10)
    for paragraph in PARAGRAPHS:
        pdf.multi_cell(0, 5, paragraph, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    pdf.ln(2)
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.cell(0, 8, TABLE_TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _table_row(pdf, TABLE_HEADER, bold=True)
    for row in TABLE_ROWS[:-1]:
        _table_row(pdf, row)
    _table_row(pdf, TABLE_ROWS[-1], bold=True)

    pdf.ln(3)
    pdf.set_font("Helvetica", style="I", size=8)
    pdf.multi_cell(0, 4, FOOTNOTE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return pdf


def main(output: Path = OUTPUT) -> int:
    """Write the sample PDF and print its path and SHA-256 digest."""
    output.parent.mkdir(parents=True, exist_ok=True)
    data = bytes(build_pdf().output())
    output.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    print(f"wrote {output} ({len(data)} bytes, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
