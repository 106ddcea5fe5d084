"""manage.py import_members FILE: organizations and their coordinators from a CSV or XLSX table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from partners.member_import import COLUMNS, ImportFileError, import_members, read_rows


class Command(BaseCommand):
    help = (
        "Import member organizations and their coordinators from a CSV (UTF-8) or XLSX file, one organization "
        f"per row; columns: {', '.join(COLUMNS)} (name, side and kind required). Every row is checked first: "
        "when any row is wrong nothing is written and each error is reported with its row and column. "
        "--dry-run checks and reports without writing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A .csv (UTF-8) or .xlsx file.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = read_rows(Path(options["file"]))
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        report = import_members(rows, dry_run=options["dry_run"])
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("%(errors)s errors in %(rows)s rows: nothing was imported.")
                % {"errors": len(report.errors), "rows": report.rows}
            )
        say = self.stdout.write
        say(_("Organizations created: %(count)s") % {"count": len(report.organizations_created)})
        for name in report.organizations_created:
            say(f"  + {name}")
        if report.organizations_kept:
            say(_("Organizations already there (kept): %(count)s") % {"count": len(report.organizations_kept)})
        say(_("Coordinators created: %(count)s") % {"count": len(report.coordinators_created)})
        for username in report.coordinators_created:
            say(f"  + {username}")
        if report.coordinators_kept:
            say(_("Coordinators already there (kept): %(count)s") % {"count": len(report.coordinators_kept)})
        if report.charters_accepted:
            say(_("Charter acceptances recorded: %(count)s") % {"count": len(report.charters_accepted)})
        if options["dry_run"]:
            say(self.style.WARNING(_("Dry run: %(rows)s rows are valid; nothing was written.") % {"rows": report.rows}))
        else:
            say(self.style.SUCCESS(_("%(rows)s rows imported.") % {"rows": report.rows}))
            if report.coordinators_created:
                say(_("New coordinators have no password yet: set one with `manage.py changepassword USERNAME`."))
