"""manage.py demo --password PASS: build the bilingual demo platform (idempotent: a second run changes nothing)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.partnership.demo import DemoError, build_demo, counts_lines, login_lines


class Command(BaseCommand):
    # An administrator's tool: its output is English whatever the site's language.
    help = (
        "Build a complete, bilingual demo (organizations, people in every role, dialogue requests in every state "
        "with their history, votes, meetings, outcomes, follow-up and SLA clocks) on an empty database. "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", required=True, help="Password of every demo login.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if not password or not password.strip():
            raise CommandError("Give a non-empty --password for the demo logins.")
        try:
            result = build_demo(password=password, log=self.stdout.write)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Demo built in {result.seconds:.1f} s."))
        else:
            self.stdout.write(self.style.WARNING("The demo is already loaded on this database: nothing was changed."))
        for line in counts_lines(result.counts):
            self.stdout.write(f"  {line}")
        self.stdout.write("")
        if result.password_matches:
            self.stdout.write(f"Logins (password for all of them: {password}):")
        else:
            self.stdout.write(
                "Logins (the password given is not the demo's: use the one of the first run, "
                "or `manage.py changepassword USERNAME`):"
            )
        width = max(len(username) for username, _ in login_lines())
        for username, role in login_lines():
            self.stdout.write(f"  {username:<{width}}  {role}")
        self.stdout.write("")
        # SITE_URL follows the port served (`dev.py demo PORT` sets PORT); the default is :8000.
        url = f"{settings.SITE_URL}/"
        self.stdout.write(f"Open {url} (start the server with `manage.py runserver` if it is not running).")
