"""manage.py demo --password PASS: every installed workflow's demo, in the order they registered (engine.demo)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from engine import demo


class Command(BaseCommand):
    # An administrator's tool: its output is English whatever the site's language.
    help = (
        "Build the bilingual demo of every installed workflow (organizations, people in every role, cases in "
        "every state with their history) on an empty database. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", required=True, help="Password of every demo login.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"]
        if not password or not password.strip():
            raise CommandError("Give a non-empty --password for the demo logins.")
        registered = demo.hooks()
        if not registered:
            raise CommandError("No installed workflow has a demo.")
        for entry in registered:
            entry.hook(password=password, stdout=self.stdout._out, stderr=self.stderr._out)
