"""Helpers for the deployment tests: member files in CSV and XLSX."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

HEADER = [
    "name",
    "name_ar",
    "acronym",
    "side",
    "kind",
    "email",
    "registration_number",
    "themes",
    "coordinator_username",
    "coordinator_email",
    "coordinator_first_name",
    "coordinator_last_name",
]
GOOD_ROWS = [
    ["Ministry of Social Affairs", "وزارة الشؤون الاجتماعية", "MoSA", "public", "ministry", "info@mosa.example.gov.lb",
     "GOV-1", "disability-rights;juvenile-justice", "mosa-coordinator", "rana@mosa.example.gov.lb", "Rana", "Haddad"],
    ["Cedar Association for Juvenile Justice", "جمعية الأرز لعدالة الأحداث", "CAJJ", "civil", "cso", "",
     "ILM-77", "juvenile-justice", "cajj-coordinator", "karim@cajj.example.org", "Karim", "Saab"],
    ["Cedar Association for Juvenile Justice", "", "", "civil", "cso", "", "", "", "cajj-deputy",
     "lina@cajj.example.org", "Lina", "Aoun"],
]  # fmt: skip


@pytest.fixture
def member_file(tmp_path):
    """Write ``rows`` (with the header) as ``name`` (.csv or .xlsx); returns its path."""

    def write(rows: list[list[str]], name: str = "members.csv", header: list[str] = HEADER) -> Path:
        path = tmp_path / name
        if path.suffix == ".xlsx":
            from openpyxl import Workbook

            workbook = Workbook()
            sheet = workbook.active
            sheet.append(header)
            for row in rows:
                sheet.append(row)
            workbook.save(path)
        else:
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows(rows)
        return path

    return write


# The domain's test world (people with every role, organizations, the committee).
from tests.workflows.partnership.conftest import partnership_world  # noqa: E402, F401
