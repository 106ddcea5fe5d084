"""manage.py setup_platform: the first organization, secretariat lead, charter, committee and calendar."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from partners import platform_setup as setup

# Every flag can come from the environment instead (for automated installs with --no-input).
ENV = {
    "organization_name": "SETUP_ORGANIZATION_NAME",
    "organization_name_ar": "SETUP_ORGANIZATION_NAME_AR",
    "organization_acronym": "SETUP_ORGANIZATION_ACRONYM",
    "organization_email": "SETUP_ORGANIZATION_EMAIL",
    "lead_username": "SETUP_LEAD_USERNAME",
    "lead_email": "SETUP_LEAD_EMAIL",
    "lead_password": "SETUP_LEAD_PASSWORD",
    "charter": "SETUP_CHARTER_FILE",
    "seat": "SETUP_SEATS",
    "chair": "SETUP_CHAIR",
    "closure_day": "SETUP_CLOSURE_DAYS",
}


class Command(BaseCommand):
    help = (
        "Set up an empty production database: the platform's organization (the secretariat office), the first "
        "secretariat lead, the charter text (bundled bilingual text or --charter FILE), the committee seats and "
        "the calendar's closure days. Asks for what is missing unless --no-input; every flag can also come from "
        "an environment variable (SETUP_...). Running it again changes nothing that is there already."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive")
        parser.add_argument("--organization-name", help="English name (env SETUP_ORGANIZATION_NAME).")
        parser.add_argument("--organization-name-ar", help="Arabic name (env SETUP_ORGANIZATION_NAME_AR).")
        parser.add_argument("--organization-acronym", help="Acronym (env SETUP_ORGANIZATION_ACRONYM).")
        parser.add_argument("--organization-email", help="Contact address (env SETUP_ORGANIZATION_EMAIL).")
        parser.add_argument("--lead-username", help="The first secretariat lead (env SETUP_LEAD_USERNAME).")
        parser.add_argument("--lead-email", help="Their email address (env SETUP_LEAD_EMAIL).")
        parser.add_argument(
            "--lead-password", help="Their password (env SETUP_LEAD_PASSWORD; prefer the variable or the prompt)."
        )
        parser.add_argument(
            "--charter", help="JSON file of the charter (env SETUP_CHARTER_FILE); default: the bundled text."
        )
        parser.add_argument(
            "--seat",
            action="append",
            help="USERNAME:SIDE[:EMAIL], side public or civil; repeat (env SETUP_SEATS, comma-separated).",
        )
        parser.add_argument("--chair", help="USERNAME of the seat that chairs the committee (env SETUP_CHAIR).")
        parser.add_argument(
            "--closure-day",
            action="append",
            help="YYYY-MM-DD[:REASON] the administration is closed; repeat (env SETUP_CLOSURE_DAYS, comma-separated).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        values = self._values(options)
        interactive = options["interactive"]
        if interactive:
            self._ask(values)
        try:
            self._setup(values)
        except setup.SetupError as exc:
            raise CommandError(_("Nothing was changed: %(error)s") % {"error": exc}) from exc
        self.stdout.write(self.style.SUCCESS(_("The platform is set up.")))

    def _values(self, options: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, variable in ENV.items():
            given = options.get(key)
            from_env = os.environ.get(variable, "")
            if key in {"seat", "closure_day"}:
                values[key] = list(given or []) or [item.strip() for item in from_env.split(",") if item.strip()]
            else:
                values[key] = given if given is not None else from_env
        return values

    def _ask(self, values: dict[str, Any]) -> None:
        def ask(key: str, question: str) -> None:
            while not values[key]:
                values[key] = input(f"{question}: ").strip()

        ask("organization_name", _("Platform organization, English name"))
        if not values["organization_name_ar"]:
            values["organization_name_ar"] = input(_("Platform organization, Arabic name") + ": ").strip()
        ask("lead_username", _("Secretariat lead, username"))
        ask("lead_email", _("Secretariat lead, email"))
        lead_exists = get_user_model().objects.filter(username=values["lead_username"]).exists()
        while not values["lead_password"] and not lead_exists:
            first = getpass.getpass(_("Secretariat lead, password") + ": ")
            if first and first == getpass.getpass(_("Password again") + ": "):
                values["lead_password"] = first
            else:
                self.stderr.write(_("The passwords differ or are empty; again."))
        if not values["seat"]:
            line = input(_("Committee seats, USERNAME:SIDE[:EMAIL] separated by commas (empty: none yet)") + ": ")
            values["seat"] = [item.strip() for item in line.split(",") if item.strip()]
        if values["seat"] and not values["chair"]:
            values["chair"] = input(_("Chair of the committee, USERNAME (empty: none yet)") + ": ").strip()

    @transaction.atomic
    def _setup(self, values: dict[str, Any]) -> None:
        say = self.stdout.write
        organization, line = setup.platform_organization(
            name=values["organization_name"] or "",
            name_ar=values["organization_name_ar"] or "",
            acronym=values["organization_acronym"] or "",
            email=values["organization_email"] or "",
        )
        say(line)
        lead, line = setup.secretariat_lead(
            organization=organization,
            username=values["lead_username"] or "",
            email=values["lead_email"] or "",
            password=values["lead_password"] or None,
        )
        say(line)
        text = setup.load_charter(Path(values["charter"]) if values["charter"] else None)
        _version, line = setup.charter(text=text, actor=lead)
        say(line)
        seats = [setup.parse_seat(value) for value in values["seat"]]
        chair = (values["chair"] or "").strip()
        if chair:
            matching = [seat for seat in seats if seat.username == chair]
            if not matching:
                raise setup.SetupError(_("The chair %(username)s is not one of the seats given.") % {"username": chair})
            matching[0].chair = True
        for line in setup.committee(seats):
            say(line)
        for line in setup.closure_days(values["closure_day"]):
            say(line)
