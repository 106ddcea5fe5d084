"""manage.py workflow_graph <flow> --format dot|mermaid|svg [--output FILE]: draw a flow's state machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from engine import graph


class Command(BaseCommand):
    help = "Draw a flow's state machine from its transition definitions (DOT, Mermaid or SVG)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("flow", help="Case type of the flow, e.g. sample.ticket or partnership.dialoguerequest.")
        parser.add_argument("--format", dest="fmt", choices=graph.FORMATS, default="dot", help="Output format.")
        parser.add_argument("--output", "-o", dest="output", default=None, help="Write to this file instead of stdout.")
        parser.add_argument("--language", dest="language", default=None, help="Language of the labels, e.g. ar or en.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            flow_cls = graph.flow_named(options["flow"])
        except LookupError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        language = options["language"] or translation.get_language()
        with translation.override(language):
            text = graph.render(flow_cls, options["fmt"])
        if options["output"]:
            path = Path(options["output"])
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(
                    _("Could not write %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
                ) from exc
            self.stderr.write(_("Wrote %(path)s") % {"path": path})
        else:
            self.stdout.write(text, ending="")
