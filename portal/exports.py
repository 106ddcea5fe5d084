"""The programme report as a workbook (openpyxl) and as a PDF (fpdf2, see ``pdf``)."""

from __future__ import annotations

import io
import re

from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .pdf import Document
from .programme import Report

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = _SHEET_FORBIDDEN.sub(" ", title).strip()[:31] or "Sheet"
    name, number = base, 2
    while name.casefold() in taken:
        suffix = f" ({number})"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(name.casefold())
    return name


def _fit(sheet: Worksheet) -> None:
    for index, column in enumerate(sheet.iter_cols(), start=1):
        width = max((len(str(cell.value)) for cell in column if cell.value is not None), default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(10, width + 2))


def workbook(report: Report) -> bytes:
    """One sheet for the period and filters, then one sheet per section: a bold header row, numbers as numbers."""
    book = Workbook()
    rtl = get_language_bidi()
    taken: set[str] = set()
    summary = book.active
    assert summary is not None
    summary.title = _sheet_title(_("Report"), taken)
    summary.append([report.title])
    summary["A1"].font = Font(bold=True, size=14)
    for label, value in report.filters.describe():
        summary.append([str(label), value])
    summary.append([_("Requests in the report"), report.total])
    summary.append([])
    summary.append([_("Section"), _("Sheet")])
    sections_start = summary.max_row
    summary.cell(row=sections_start, column=1).font = Font(bold=True)
    summary.cell(row=sections_start, column=2).font = Font(bold=True)
    for section in report.sections:
        sheet = book.create_sheet(_sheet_title(str(section.title), taken))
        summary.append([str(section.title), sheet.title])
        sheet.append([str(column) for column in section.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append([value if isinstance(value, int | float) or value is None else str(value) for value in row])
        if section.note:
            sheet.append([])
            sheet.append([str(section.note)])
        sheet.freeze_panes = "A2"
        sheet.sheet_view.rightToLeft = rtl
        _fit(sheet)
    summary.sheet_view.rightToLeft = rtl
    _fit(summary)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def pdf(report: Report) -> bytes:
    subtitle = " · ".join(f"{label}: {value}" for label, value in report.filters.describe())
    document = Document(report.title, subtitle=subtitle)
    document.paragraph(_("Requests in the report: %(count)s") % {"count": report.total})
    for section in report.sections:
        document.heading(str(section.title))
        document.table(section.columns, section.rows)
        if section.note:
            document.paragraph(str(section.note))
    return document.render()
