"""manage.py sla_scan [--at ISO-8601 [--allow-future]]: mark SLA warnings and breaches as of now or a given time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import sla


def wall_clock() -> datetime:
    """The real time, against which ``--at`` is judged (tests move it)."""
    return timezone.now()


class Command(BaseCommand):
    help = "Mark SLA warnings and breaches as of now or as of --at (idempotent), and run breach transitions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at",
            dest="at",
            default=None,
            help="ISO 8601 moment to scan as of, e.g. 2026-11-20T11:00+02:00 (no offset: Beirut time); "
            "not later than now unless --allow-future.",
        )
        parser.add_argument(
            "--allow-future",
            action="store_true",
            dest="allow_future",
            help="Rehearse a scan as of a future --at: print what it would do, then roll everything back.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        moment = None
        if options["at"] is not None:
            try:
                moment = sla.parse_as_of(options["at"])
            except ValueError as exc:
                raise CommandError(str(exc), returncode=2) from exc
        rehearsal = moment is not None and moment > wall_clock()
        if rehearsal and not options["allow_future"]:
            raise CommandError(
                _(
                    "%(at)s is later than now: a scan carries out lapses and silent consents that cannot be undone, "
                    "so it never runs as of the future. Add --allow-future to rehearse it (nothing is kept)."
                )
                % {"at": timezone.localtime(moment).isoformat(timespec="seconds")},
                returncode=2,
            )
        if rehearsal:
            # Nothing future-dated may enter the audit chain: run it all, report, and roll it all back.
            with transaction.atomic():
                result = sla.scan(moment)
                transaction.set_rollback(True)
        else:
            result = sla.scan(moment)
        if rehearsal:
            self.stdout.write(_("Rehearsal as of a future time: this is what the scan WOULD do; nothing was kept."))
        self.stdout.write(
            _(
                "SLA scan as of %(at)s: %(warned)d warned, %(breached)d breached, %(escalated)d escalated, "
                "%(transitioned)d transitions run, %(errors)d errors."
            )
            % {
                "at": timezone.localtime(result.at).isoformat(timespec="seconds") if result.at else "-",
                "warned": result.warned,
                "breached": result.breached,
                "escalated": result.escalated,
                "transitioned": result.transitioned,
                "errors": len(result.errors),
            }
        )
        for error in result.errors:
            self.stderr.write(error)
