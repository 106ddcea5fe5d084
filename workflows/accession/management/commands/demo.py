"""manage.py demo: the partnership demo, then the accession demo's applicants and applications (idempotent)."""

from __future__ import annotations

from typing import Any

from workflows.accession.demo import build_accession_demo, login_lines
from workflows.partnership.management.commands import demo as partnership_demo


class Command(partnership_demo.Command):
    help = partnership_demo.Command.help + " Adds the membership applicants and their applications."

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        if build_accession_demo(password=options["password"], log=self.stdout.write):
            self.stdout.write("Accession logins (same password):")
            for username, role in login_lines():
                self.stdout.write(f"  {username}  {role}")
