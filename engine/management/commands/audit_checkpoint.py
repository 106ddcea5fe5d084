"""manage.py audit_checkpoint: sign the set of audit chain heads (Ed25519) and publish the document."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from engine.checkpoint import (
    CheckpointError,
    CheckpointRefused,
    create_checkpoint,
    key_id,
    key_path,
    load_or_create_signing_key,
    public_key_pem,
)

from .audit_verify import EXIT_BAD_INPUT, EXIT_BROKEN, TerminalProgress, what_to_do_next, write_failures


class Command(BaseCommand):
    # Evaluated once, in the language active when the command loads (argparse needs a str).
    help = _(
        "Verify every audit chain, then sign the set of chain heads with the Ed25519 key in "
        "ENGINE['CHECKPOINT_KEY_PATH'] (created when missing). The checkpoint is stored and written "
        "as a JSON file for publication; audit_verify --checkpoint FILE proves it later."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output", metavar="FILE", help=_("Write the checkpoint here instead of ENGINE['CHECKPOINT_DIR'].")
        )
        parser.add_argument(
            "--show-public-key",
            action="store_true",
            help=_("Print the public key (PEM) to publish for outsiders, and stop."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["show_public_key"]:
                self.show_public_key()
                return
            progress = TerminalProgress(self.stdout)
            try:
                created = create_checkpoint(
                    output=Path(options["output"]) if options["output"] else None, progress=progress
                )
            finally:
                progress.clear()
        except CheckpointError as exc:
            raise CommandError(str(exc.message), returncode=EXIT_BAD_INPUT) from exc
        except CheckpointRefused as exc:
            self.stdout.write(self.style.ERROR(str(exc)))
            write_failures(self.stdout, exc.report, self.style)
            self.stdout.write("")
            for line in what_to_do_next():
                self.stdout.write(line)
            sys.exit(EXIT_BROKEN)

        if created.key_created:
            self.stdout.write(
                self.style.WARNING(
                    _("No signing key was found: a new Ed25519 key was generated at %(path)s (mode 0600). Back it up.")
                    % {"path": created.key_path}
                )
            )
        document = created.checkpoint.document
        self.stdout.write(
            self.style.SUCCESS(
                _("Checkpoint signed: %(chains)s chains, %(events)s events, digest %(digest)s, key %(key)s.")
                % {
                    "chains": document["counts"]["chains"],
                    "events": document["counts"]["events"],
                    "digest": document["digest"],
                    "key": document["key_id"],
                }
            )
        )
        self.stdout.write(_("Written to %(path)s") % {"path": created.path})
        self.stdout.write(
            _("Publish this file; anyone holding it can run: manage.py audit_verify --checkpoint %(path)s")
            % {"path": created.path}
        )

    def show_public_key(self) -> None:
        path = key_path()
        key, created = load_or_create_signing_key(path)
        if created:
            self.stderr.write(_("A new Ed25519 key was generated at %(path)s (mode 0600).") % {"path": path})
        self.stderr.write(_("Key id: %(key)s") % {"key": key_id(key.public_key())})
        self.stdout.write(public_key_pem(key.public_key()), ending="")
