"""PDF documents with Arabic shaped and laid out right to left, from PyPI alone (no system libraries).

fpdf2 writes the PDF; with ``set_text_shaping(True)`` it shapes text with HarfBuzz (the uharfbuzz
wheel) and orders mixed Arabic/Latin lines with the Unicode bidi algorithm. The font is Noto Naskh
Arabic (SIL Open Font License, ``pdf_fonts/OFL.txt``), shipped as TTF because PDF embedding needs
TrueType outlines (the portal's woff2 files are for browsers); it has Latin glyphs too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

FONT_DIR = Path(__file__).resolve().parent / "pdf_fonts"
FONT = "NotoNaskhArabic"


class Document(FPDF):
    """An A4 document in the active language's direction: headings, paragraphs, facts and tables."""

    def __init__(self, title: str, *, subtitle: str = "") -> None:
        super().__init__(format="A4")
        self.rtl = get_language_bidi()
        self.start: Align = Align.R if self.rtl else Align.L
        self.add_font(FONT, "", str(FONT_DIR / "NotoNaskhArabic-Regular.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "NotoNaskhArabic-Bold.ttf"))
        self.set_text_shaping(True)
        self.set_title(title)
        self.set_creator("Policy dialogue platform")
        self.set_auto_page_break(True, margin=18)
        self.doc_title = title
        self.add_page()
        self.set_font(FONT, "B", 16)
        self.multi_cell(0, 10, title, align=self.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.set_font(FONT, "", 10)
            self.multi_cell(0, 6, subtitle, align=self.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        stamp = date_format(timezone.localtime(), "DATETIME_FORMAT")
        text = _("Page %(page)s · generated %(when)s") % {"page": self.page_no(), "when": stamp}
        self.cell(0, 8, text, align=Align.C)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FONT, "B", 13)
        self.multi_cell(0, 8, str(text), align=self.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 10)

    def paragraph(self, text: str) -> None:
        if not text:
            return
        self.set_font(FONT, "", 10)
        self.multi_cell(0, 6, str(text), align=self.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def facts(self, pairs: Sequence[tuple[Any, Any]]) -> None:
        """Label and value lines ("Theme: Juvenile justice")."""
        for label, value in pairs:
            if value in (None, ""):
                continue
            self.set_font(FONT, "B", 10)
            self.multi_cell(0, 6, f"{label}:", align=self.start, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.paragraph(str(value))

    def bullets(self, items: Sequence[Any]) -> None:
        for item in items:
            self.paragraph(f"• {item}")

    def table(self, columns: Sequence[Any], rows: Sequence[Sequence[Any]], *, empty: str = "") -> None:  # type: ignore[override]
        """A table with a header row; numbers formatted for the language; columns mirrored right to left."""
        self.set_font(FONT, "", 9)
        if not rows:
            self.paragraph(empty or _("No data yet."))
            return
        order = list(range(len(columns)))
        if self.rtl:
            order.reverse()
        widths = [2 if index == 0 else 1 for index in order]
        align = "RIGHT" if self.rtl else "LEFT"
        with super().table(col_widths=widths, text_align=align, first_row_as_headings=True) as table:
            header = table.row()
            for index in order:
                header.cell(str(columns[index]))
            for values in rows:
                row = table.row()
                for index in order:
                    row.cell(_cell(values[index] if index < len(values) else None))
        self.ln(2)

    def render(self) -> bytes:
        return bytes(self.output())


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return number_format(value, decimal_pos=1 if isinstance(value, float) else 0)
    return str(value)
