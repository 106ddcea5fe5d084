"""manage.py sla_scan [--at ISO-8601]: mark SLA warnings and breaches as of now or a given time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from engine import sla


class Command(BaseCommand):
    help = "Mark SLA warnings and breaches as of now or as of --at (idempotent), and run breach transitions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at",
            dest="at",
            default=None,
            help="ISO 8601 moment to scan as of, e.g. 2026-11-20T11:00+02:00 (no offset: Beirut time).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        moment = None
        if options["at"] is not None:
            try:
                moment = sla.parse_as_of(options["at"])
            except ValueError as exc:
                raise CommandError(str(exc), returncode=2) from exc
        result = sla.scan(moment)
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
