"""The writer behind ``manage.py import_members``: organizations and their coordinators from a table.

One row per organization, with its coordinator on the same row (optional): columns

    name, name_ar, acronym, side, kind, email, registration_number, themes,
    coordinator_username, coordinator_email, coordinator_first_name, coordinator_last_name,
    charter_accepted

(``side``: public | civil; ``kind``: ministry | agency | cso | network; ``themes``: theme codes separated by
``;``; ``charter_accepted``: yes when the organization has accepted the charter in force, on paper say,
recorded as accepted by the row's coordinator). A second row naming the same organization adds another coordinator. An organization that exists
(same English name) is kept as it is; a coordinator that exists is kept and made coordinator.

Every row is checked first; when any row is wrong nothing is written, and the report names each wrong
row and column. The import is one transaction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from .models import CharterVersion, Membership, Organization, Side, Theme
from .services import organization_accept_charter

COLUMNS = [
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
    "charter_accepted",
]
REQUIRED = ["name", "side", "kind"]
# The platform's own office is made by setup_platform, not imported.
KINDS = [kind for kind in Organization.Kind.values if kind != Organization.Kind.SECRETARIAT]
YES = {"yes", "y", "true", "1", "نعم"}
NO = {"no", "n", "false", "0", "لا"}
SIDE_OF_KIND = {"ministry": Side.PUBLIC, "agency": Side.PUBLIC, "cso": Side.CIVIL, "network": Side.CIVIL}


class ImportFileError(Exception):
    """The file itself cannot be read (format, header)."""


@dataclass
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)s, %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportReport:
    rows: int = 0
    organizations_created: list[str] = field(default_factory=list)
    organizations_kept: list[str] = field(default_factory=list)
    coordinators_created: list[str] = field(default_factory=list)
    coordinators_kept: list[str] = field(default_factory=list)
    charters_accepted: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    written: bool = False


def read_rows(path: Path) -> list[dict[str, str]]:
    """The file's rows as dicts keyed by the lower-cased header (CSV in UTF-8, or the first sheet of an XLSX)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            table = _xlsx(path)
        elif suffix in {".csv", ".txt"}:
            table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        else:
            raise ImportFileError(_("%(path)s: give a .csv or .xlsx file.") % {"path": path})
    except FileNotFoundError as exc:
        raise ImportFileError(_("%(path)s: no such file.") % {"path": path}) from exc
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("%(path)s: a CSV file must be UTF-8.") % {"path": path}) from exc
    if not table:
        raise ImportFileError(_("%(path)s is empty.") % {"path": path})
    header = [str(cell or "").strip().lower() for cell in table[0]]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise ImportFileError(
            _("%(path)s: the header lacks the columns %(columns)s.") % {"path": path, "columns": ", ".join(missing)}
        )
    unknown = [column for column in header if column and column not in COLUMNS]
    if unknown:
        raise ImportFileError(
            _("%(path)s: unknown columns %(columns)s (known: %(known)s).")
            % {"path": path, "columns": ", ".join(unknown), "known": ", ".join(COLUMNS)}
        )
    rows = []
    for cells in table[1:]:
        values = {
            header[i]: str(cell if cell is not None else "").strip() for i, cell in enumerate(cells) if i < len(header)
        }
        rows.append({column: values.get(column, "") for column in COLUMNS})
    return rows


def _xlsx(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError(
            _("%(path)s is not a readable XLSX workbook: %(error)s") % {"path": path, "error": exc}
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True) if any(cell not in (None, "") for cell in row)]
    finally:
        workbook.close()


def _check(rows: list[dict[str, str]]) -> list[RowError]:
    errors: list[RowError] = []
    themes = set(Theme.objects.values_list("code", flat=True))
    model = get_user_model()
    usernames_in_file: dict[str, str] = {}
    organizations_in_file: dict[str, tuple[str, str]] = {}
    for number, row in enumerate(rows, start=2):

        def wrong(column: str, message: str, number: int = number) -> None:
            errors.append(RowError(number, column, message))

        for column in REQUIRED:
            if not row[column]:
                wrong(column, _("required"))
        if row["side"] and row["side"] not in Side.values:
            wrong("side", _("must be one of: %(values)s") % {"values": ", ".join(Side.values)})
        if row["kind"] and row["kind"] not in KINDS:
            wrong("kind", _("must be one of: %(values)s") % {"values": ", ".join(KINDS)})
        elif row["kind"] and row["side"] in Side.values and SIDE_OF_KIND[row["kind"]] != row["side"]:
            wrong(
                "kind",
                _("a %(kind)s is on the %(side)s side") % {"kind": row["kind"], "side": SIDE_OF_KIND[row["kind"]]},
            )
        for column, limit in (("name", 200), ("name_ar", 200), ("acronym", 30), ("registration_number", 60)):
            if len(row[column]) > limit:
                wrong(column, _("longer than %(limit)s characters") % {"limit": limit})
        for column in ("email", "coordinator_email"):
            if row[column]:
                try:
                    validate_email(row[column])
                except ValidationError:
                    wrong(column, _("not a valid email address"))
        for code in filter(None, (code.strip() for code in row["themes"].split(";"))):
            if code not in themes:
                wrong("themes", _("unknown theme %(code)s") % {"code": code})
        name = row["name"]
        if name:
            seen = organizations_in_file.get(name)
            if seen and seen != (row["side"], row["kind"]):
                wrong("name", _("the same organization with another side or kind on an earlier row"))
            organizations_in_file.setdefault(name, (row["side"], row["kind"]))
            existing = Organization.objects.filter(name=name).first()
            if existing and (existing.side, existing.kind) != (row["side"], row["kind"]):
                wrong(
                    "name",
                    _("exists already as a %(kind)s on the %(side)s side")
                    % {"kind": existing.kind, "side": existing.side},
                )
        accepted = row["charter_accepted"].lower()
        if accepted and accepted not in YES | NO:
            wrong("charter_accepted", _("yes or no"))
        elif accepted in YES and not row["coordinator_username"]:
            wrong("charter_accepted", _("needs the coordinator who accepted it"))
        elif accepted in YES and not CharterVersion.objects.filter(is_current=True).exists():
            wrong("charter_accepted", _("no charter version is in force"))
        username = row["coordinator_username"]
        coordinator_fields = ("coordinator_email", "coordinator_first_name", "coordinator_last_name")
        if not username:
            if any(row[column] for column in coordinator_fields):
                wrong("coordinator_username", _("required when a coordinator is given"))
            continue
        try:
            model.username_validator(username)
        except ValidationError:
            wrong("coordinator_username", _("letters, digits and @.+-_ only"))
        if len(username) > 150:
            wrong("coordinator_username", _("longer than %(limit)s characters") % {"limit": 150})
        if usernames_in_file.get(username, name) != name:
            wrong("coordinator_username", _("already coordinator of another organization on an earlier row"))
        usernames_in_file.setdefault(username, name)
        user = model.objects.filter(username=username).first()
        if user is None and not row["coordinator_email"]:
            wrong("coordinator_email", _("required for a new coordinator"))
    return errors


def import_members(rows: list[dict[str, str]], *, dry_run: bool = False) -> ImportReport:
    """Check every row, then (unless ``dry_run`` or any row is wrong) write them all in one transaction."""
    report = ImportReport(rows=len(rows))
    report.errors = _check(rows)
    if report.errors:
        return report
    with transaction.atomic():
        _write(rows, report)
        if dry_run:
            transaction.set_rollback(True)
        else:
            report.written = True
    return report


def _write(rows: list[dict[str, str]], report: ImportReport) -> None:
    model = get_user_model()
    themes = {theme.code: theme for theme in Theme.objects.all()}
    for row in rows:
        organization = Organization.objects.filter(name=row["name"]).first()
        if organization is None:
            organization = Organization.objects.create(
                name=row["name"],
                name_ar=row["name_ar"],
                acronym=row["acronym"],
                side=row["side"],
                kind=row["kind"],
                email=row["email"],
                registration_number=row["registration_number"],
                active=True,
            )
            codes = [code.strip() for code in row["themes"].split(";") if code.strip()]
            organization.themes.set([themes[code] for code in codes])
            report.organizations_created.append(organization.name)
        elif organization.name not in report.organizations_created + report.organizations_kept:
            report.organizations_kept.append(organization.name)
        username = row["coordinator_username"]
        if not username:
            continue
        user = model.objects.filter(username=username).first()
        if user is None:
            # No password: the person sets one through an administrator (`manage.py changepassword`, /admin/).
            user = model.objects.create_user(
                username=username,
                email=row["coordinator_email"],
                first_name=row["coordinator_first_name"],
                last_name=row["coordinator_last_name"],
                password=None,
            )
            report.coordinators_created.append(username)
        else:
            report.coordinators_kept.append(username)
        membership, created = Membership.objects.get_or_create(
            user=user, organization=organization, defaults={"role": Membership.Role.COORDINATOR, "active": True}
        )
        if not created and (membership.role != Membership.Role.COORDINATOR or not membership.active):
            membership.role, membership.active = Membership.Role.COORDINATOR, True
            membership.save(update_fields=["role", "active"])
        if row["charter_accepted"].lower() in YES:
            organization_accept_charter(organization=organization, actor=user)
            report.charters_accepted.append(organization.name)
