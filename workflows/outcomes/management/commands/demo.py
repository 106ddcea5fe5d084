"""manage.py demo: the partnership and accession demos, then the outcome register's (idempotent).

The app is listed before ``workflows.accession`` so that this command, which extends accession's, is the
one Django runs; a demo hook registry would replace this chain.
"""

from __future__ import annotations

from typing import Any

from workflows.accession.management.commands import demo as accession_demo
from workflows.outcomes.demo import build_outcomes_demo, login_lines


class Command(accession_demo.Command):
    help = accession_demo.Command.help + " Adds harvested outcomes in every state and recommendations' progress."

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
        if build_outcomes_demo(password=options["password"], log=self.stdout.write):
            self.stdout.write("Outcome register logins (same password):")
            for username, role in login_lines():
                self.stdout.write(f"  {username}  {role}")
