"""manage.py audit_verify: recompute every audit chain; exit 1 naming the first broken event of each case."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils.translation import gettext as _

from engine.access_log import LOG_TYPE
from engine.audit import VerifyReport, verify_all
from engine.checkpoint import CheckpointError, CheckpointInvalid, check_signature, load_public_key, read_document
from engine.exporting import ExportError, read_lines, verify_export
from engine.models import AuditEvent
from engine.snapshot import NO_DIGEST_NOTE

EXIT_BROKEN = 1
EXIT_BAD_INPUT = 2


class TerminalProgress:
    """One updating line (done / total and rate) on a terminal; silent when output is piped."""

    def __init__(self, stream: OutputWrapper, total: int | None = None, noun: str = "") -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.total = total
        self.noun = noun or _("events checked")
        self.started = time.monotonic()
        self.shown_at = 0.0
        self.shown = False

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.shown_at < 0.2:
            return
        self.shown_at = now
        rate = done / max(now - self.started, 1e-6)
        count = f"{done:,}"
        if self.total:
            count += f" / {self.total:,} ({min(done * 100 // self.total, 100)}%)"
        self.stream.write(f"\r{count} {self.noun} · {rate:,.0f}/s\x1b[K", ending="")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K", ending="")
            self.stream.flush()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def write_failures(stream: OutputWrapper, report: VerifyReport, style: Any) -> None:
    access = [failure for failure in report.failures if failure.case_type == LOG_TYPE]
    for failure in report.failures:
        if failure.case_type == LOG_TYPE:
            continue
        where = failure.case_reference or failure.chain_id
        event = _("event #%(seq)s") % {"seq": failure.seq} if failure.seq is not None else "—"
        stream.write(style.ERROR(f"  {where} ({failure.chain_id}), {event}: ") + failure.problem)
    if access:
        stream.write(_("Access log of restricted reads:"))
        for failure in access:
            stream.write(style.ERROR("  ") + failure.problem)


def write_coverage(stream: OutputWrapper, report: VerifyReport, style: Any) -> None:
    """What the digests and the access log covered (the chains are reported above)."""
    stream.write(
        _("Audited fields and rows of %(count)s cases compared with the digest of their last event.")
        % {"count": report.digests_checked}
    )
    if report.cases_without_digest:
        stream.write(style.WARNING(str(NO_DIGEST_NOTE % {"count": report.cases_without_digest})))
    stream.write(
        _("Access log of restricted reads: %(count)s entries checked (a chain of its own).")
        % {"count": report.access_entries_checked}
    )


def what_to_do_next() -> list[str]:
    return [
        _("What to do next:"),
        _("  1. Change nothing else: copy the database now (pg_dump, or the SQLite file) as evidence."),
        _(
            "  2. Find what changed: run audit_verify --checkpoint with the latest signed checkpoint, "
            "and compare the named events with the last export or backup."
        ),
        _(
            "  3. Restore the named rows from a backup taken before the change, then run audit_verify "
            "again until it passes."
        ),
        _(
            "  4. Report the incident to the oversight body and find who could write to the database "
            "outside the application."
        ),
    ]


class Command(BaseCommand):
    # Evaluated once, in the language active when the command loads (argparse needs a str).
    help = _(
        "Recompute every audit hash chain and check that each case's state and chain head match its "
        "history, that its audited fields and rows match the digest of its last event, and that the "
        "access log of restricted reads is intact. Exit status 0 when all is intact, 1 when something is broken (the first broken event "
        "of each case is named), 2 on bad input."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help=_("Print the report as JSON."))
        parser.add_argument(
            "--checkpoint",
            metavar="FILE",
            help=_("Also prove that no history covered by this signed checkpoint was rewritten."),
        )
        parser.add_argument(
            "--public-key",
            metavar="PEM",
            help=_("Trust only this Ed25519 public key (PEM file, PEM text or base64) for --checkpoint."),
        )
        parser.add_argument(
            "--export",
            metavar="FILE",
            help=_("Verify the chains inside a JSON Lines export instead of the database."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_json = options["json"]
        if options["public_key"] and not options["checkpoint"]:
            raise CommandError(_("--public-key needs --checkpoint."), returncode=EXIT_BAD_INPUT)
        if not options["public_key"]:
            self.warn_unpinned(with_checkpoint=bool(options["checkpoint"]))
        signature: dict[str, Any] | None = None
        heads: dict[str, dict[str, Any]] | None = None
        try:
            if options["checkpoint"]:
                trusted = load_public_key(options["public_key"]) if options["public_key"] else None
                document = read_document(Path(options["checkpoint"]))
                try:
                    check = check_signature(document, trusted)
                except CheckpointInvalid as exc:
                    self.refuse_checkpoint(exc, as_json)
                signature, heads = check.as_dict(), check.chains
            if options["export"]:
                report, elapsed = self.verify_file(Path(options["export"]), heads, quiet=as_json)
            else:
                report, elapsed = self.verify_database(heads, quiet=as_json)
        except (CheckpointError, ExportError) as exc:
            raise CommandError(str(exc.message), returncode=EXIT_BAD_INPUT) from exc

        if as_json:
            body = report.as_dict()
            if signature is not None:
                body["checkpoint"] = signature
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            self.write_report(report, elapsed, signature, source=options["export"])
        if not report.ok:
            sys.exit(EXIT_BROKEN)

    def warn_unpinned(self, *, with_checkpoint: bool) -> None:
        """On stderr (the report and --json stay clean on stdout): what this run cannot prove."""
        lines = [
            _("WARNING: no pinned checkpoint key."),
            _(
                "A chain that was rewritten as a whole, consistently, verifies as intact: only a signed "
                "checkpoint checked against the public key you trust proves that history was not replaced."
            )
            if not with_checkpoint
            else _(
                "The checkpoint's signature is checked against the key inside the file itself: whoever "
                "rewrote the history could have signed a new checkpoint too."
            ),
            _("Run: manage.py audit_verify --checkpoint FILE --public-key PEM (the key published by the platform)."),
        ]
        for line in lines:
            self.stderr.write(self.style.WARNING(line))

    def verify_database(self, heads: dict[str, dict[str, Any]] | None, *, quiet: bool) -> tuple[VerifyReport, float]:
        total = AuditEvent.objects.count() if not quiet and self.stdout.isatty() else None
        progress = TerminalProgress(self.stdout, total)
        progress.enabled = progress.enabled and not quiet
        try:
            report = verify_all(progress=progress, checkpoint=heads)
        finally:
            progress.clear()
        return report, progress.elapsed

    def verify_file(
        self, path: Path, heads: dict[str, dict[str, Any]] | None, *, quiet: bool
    ) -> tuple[VerifyReport, float]:
        progress = TerminalProgress(self.stdout)
        progress.enabled = progress.enabled and not quiet
        try:
            report = verify_export(read_lines(path), checkpoint=heads, progress=progress)
        finally:
            progress.clear()
        return report, progress.elapsed

    def refuse_checkpoint(self, exc: CheckpointInvalid, as_json: bool) -> NoReturn:
        if as_json:
            body = {
                "ok": False,
                "cases_checked": 0,
                "events_checked": 0,
                "failures": [],
                "checkpoint": {"signature_valid": False, "code": exc.code, "problem": str(exc.message)},
            }
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(self.style.ERROR(_("Checkpoint REJECTED: %(problem)s") % {"problem": exc.message}))
            self.stdout.write(
                _(
                    "Do not rely on this file. Get the checkpoint again from where it was published, and pin the key you trust with --public-key."
                )
            )
        sys.exit(EXIT_BROKEN)

    def write_report(
        self, report: VerifyReport, elapsed: float, signature: dict[str, Any] | None, *, source: str | None
    ) -> None:
        rate = report.events_checked / elapsed if elapsed > 0 else 0.0
        numbers = {
            "events": report.events_checked,
            "cases": report.cases_checked,
            "seconds": f"{elapsed:.1f}",
            "rate": f"{rate:,.0f}",
            "broken": len(report.failures),
            "source": source or "",
        }
        if signature is not None:
            self.stdout.write(
                _(
                    "Checkpoint of %(created)s: signature valid (key %(key)s%(pinned)s), %(chains)s chains, %(events)s events."
                )
                % {
                    "created": signature["created_at"],
                    "key": signature["key_id"],
                    "pinned": _(", pinned")
                    if signature["key_pinned"]
                    else _(" taken from the file itself: pin the key you trust with --public-key"),
                    "chains": signature["chains"],
                    "events": signature["events"],
                }
            )
        if report.ok:
            if source:
                message = _("Export %(source)s verified: %(events)s events in %(cases)s cases, every chain intact.")
            else:
                message = _(
                    "Audit trail verified: %(events)s events in %(cases)s cases; every chain is intact and "
                    "every case's state and chain head match its history."
                )
            if signature is not None:
                message += " " + _("No history covered by the checkpoint was rewritten.")
            self.stdout.write(self.style.SUCCESS(message % numbers))
            if not source:
                write_coverage(self.stdout, report, self.style)
            self.stdout.write(_("(%(seconds)s s, %(rate)s events/s)") % numbers)
            return
        self.stdout.write(
            self.style.ERROR(
                _("Audit verification FAILED: %(broken)s of %(cases)s cases are broken (%(events)s events checked).")
                % numbers
            )
        )
        write_failures(self.stdout, report, self.style)
        if not source:
            write_coverage(self.stdout, report, self.style)
        self.stdout.write("")
        for line in what_to_do_next():
            self.stdout.write(line)
