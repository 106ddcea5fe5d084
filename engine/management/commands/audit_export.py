"""manage.py audit_export: stream audit events as JSON Lines or CSV (constant memory)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from engine.exporting import FORMATS, ExportError, export_to, iter_rows, select_events, write_csv, write_jsonl

from .audit_verify import EXIT_BAD_INPUT


class Command(BaseCommand):
    # Evaluated once, in the language active when the command loads (argparse needs a str).
    help = _(
        "Export audit events with every chain field (seq, time, actor, role, action, states, data, IP, "
        "user agent, previous hash, hash). A complete JSON Lines export can be re-verified without the "
        "database: manage.py audit_verify --export FILE."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", choices=FORMATS, default="jsonl", help=_("jsonl (default) or csv"))
        parser.add_argument("--case", metavar="REF", help=_("Only this case, by reference (e.g. TCK-2026-0007)."))
        parser.add_argument("--since", metavar="ISO", help=_("Events at or after this date or time."))
        parser.add_argument(
            "--until", metavar="ISO", help=_("Events up to this time; a bare date includes that whole day.")
        )
        parser.add_argument("--output", metavar="FILE", help=_("Write to this file instead of standard output."))

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        try:
            events = select_events(case=options["case"], since=options["since"], until=options["until"])
        except ExportError as exc:
            raise CommandError(str(exc.message), returncode=EXIT_BAD_INPUT) from exc
        rows = iter_rows(events)
        if not options["output"]:
            # Straight to the real stream: the data must not pass through the command's styling.
            stream: IO[str] = getattr(self.stdout, "_out", sys.stdout)
            try:
                (write_csv if fmt == "csv" else write_jsonl)(rows, stream)
                stream.flush()
            except BrokenPipeError:
                # The reader stopped early (``| head``): not an error; keep Python quiet at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            finally:
                rows.close()
            return
        path = Path(options["output"])
        if path.is_dir() or not path.parent.is_dir():
            raise CommandError(
                _("Cannot write to %(path)s: its folder does not exist or it is a folder.") % {"path": path},
                returncode=EXIT_BAD_INPUT,
            )
        count = export_to(path, rows, fmt)
        self.stderr.write(_("Exported %(count)s events to %(path)s.") % {"count": count, "path": path})
