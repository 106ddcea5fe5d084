"""Audit history exports (JSON Lines and CSV) and the re-verification of a JSON Lines export.

Each exported row carries exactly the fields the chain hashes, plus ``prev_hash`` and ``hash``:

    case_type, case_id, case_reference, seq, occurred_at (UTC, ISO 8601 with microseconds),
    actor (user id), actor_label (the actor's username at the time), actor_role, action,
    from_state, to_state, data, ip_address, user_agent, prev_hash, hash
    digest (only on events that carry one: the sha256 of the case's audited fields and rows after it)

so that, for a JSON Lines row, ``hash == sha256(prev_hash + canonical_json(row without prev_hash
and hash))`` where canonical JSON has sorted keys, no whitespace and UTF-8 text. An outsider can thus
re-verify a complete export (every chain from event #1) without the database, and prove it against
a signed checkpoint. A CSV export is meant for spreadsheets: cells that a spreadsheet would run as a
formula are prefixed with an apostrophe, so only JSON Lines is a proof.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Generator, Iterable, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from .audit import _ROW_COLUMNS, PROGRESS_EVERY, CaseFailure, ChainCheck, ProgressCallback, VerifyReport, _utc_iso
from .models import AuditEvent

HASHED_FIELDS = (
    "case_type",
    "case_id",
    "case_reference",
    "seq",
    "occurred_at",
    "actor",
    "actor_label",
    "actor_role",
    "action",
    "from_state",
    "to_state",
    "data",
    "ip_address",
    "user_agent",
)
EXPORT_FIELDS = (*HASHED_FIELDS, "prev_hash", "hash", "digest")
# Events written before digests have none: their rows leave the key out, and their hash never had it.
_OPTIONAL_FIELDS = frozenset({"digest"})
FORMATS = ("jsonl", "csv")
# The database columns behind every exported row: the case type, then what verification reads.
_COLUMNS = ("case_type", *_ROW_COLUMNS)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_BARE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ExportError(Exception):
    """Bad input for an export or an export check; nothing was written (exit code 2)."""

    def __init__(self, code: str, message: Any) -> None:
        self.code = code
        self.message = message
        super().__init__(str(message))


# --- choosing what to export -------------------------------------------------------------------


def parse_moment(value: str, *, option: str, end_of_day: bool = False) -> datetime:
    """An aware datetime from ISO 8601; a bare date means its start (or, for ``--until``, its end).

    The end of a day is the start of the next one, which ``select_events`` then excludes.
    """
    text = value.strip()
    try:
        # Python parses a bare date as midnight, so tell the two apart by their shape first.
        day = parse_date(text) if _BARE_DATE.match(text) else None
        moment = None if day is not None else parse_datetime(text)
    except ValueError:
        day = moment = None
    if day is not None:
        return timezone.make_aware(datetime.combine(day + timedelta(days=1) if end_of_day else day, time.min))
    if moment is None:
        raise ExportError(
            "bad_date",
            _("%(option)s “%(value)s” is not a date or time (use ISO 8601, e.g. 2026-03-31 or 2026-03-31T14:00).")
            % {"option": option, "value": value},
        )
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def select_events(
    *, case: str | None = None, since: str | None = None, until: str | None = None
) -> QuerySet[AuditEvent]:
    """The events to export in chain order; every bad input is refused before anything is read.

    ``since`` is inclusive; ``until`` too when it is a time, and a bare date includes that whole day.
    """
    queryset = AuditEvent.objects.all()
    start = parse_moment(since, option="--since") if since else None
    end = parse_moment(until, option="--until", end_of_day=True) if until else None
    if start is not None and end is not None and start >= end:
        raise ExportError("empty_range", _("--since must be before --until."))
    if start is not None:
        queryset = queryset.filter(occurred_at__gte=start)
    if end is not None:
        whole_day = bool(until and _BARE_DATE.match(until.strip()))
        queryset = queryset.filter(occurred_at__lt=end) if whole_day else queryset.filter(occurred_at__lte=end)
    if case is not None:
        reference = case.strip().upper()
        if not reference or not AuditEvent.objects.filter(case_reference=reference).exists():
            raise ExportError("unknown_case", _("No case has the reference “%(reference)s”.") % {"reference": case})
        queryset = queryset.filter(case_reference=reference)
    return queryset.order_by("case_type", "case_id", "seq")


def iter_rows(queryset: QuerySet[AuditEvent], chunk_size: int = 2000) -> Generator[dict[str, Any], None, None]:
    """Export rows streamed from the database (constant memory)."""
    for values in queryset.values_list(*_COLUMNS).iterator(chunk_size=chunk_size):
        row = dict(zip(EXPORT_FIELDS, values, strict=True))
        row["occurred_at"] = _utc_iso(row["occurred_at"])
        if not row["digest"]:
            del row["digest"]
        yield row


# --- writing ----------------------------------------------------------------------------------


def write_jsonl(rows: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    count = 0
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        stream.write("\n")
        count += 1
    return count


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    count = 0
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in EXPORT_FIELDS])
        count += 1
    return count


def export_to(path: Path, rows: Iterable[dict[str, Any]], fmt: str) -> int:
    """Write ``rows`` to ``path`` through a temporary file, so a failure leaves no half export."""
    partial = path.with_name(path.name + ".partial")
    # UTF-8 with a byte-order mark for CSV: spreadsheets need it to read Arabic text right.
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    try:
        with partial.open("w", encoding=encoding, newline="") as handle:
            count = write_csv(rows, handle) if fmt == "csv" else write_jsonl(rows, handle)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


# --- re-verifying a JSON Lines export without the database -----------------------------------


def verify_export(
    lines: Iterable[str],
    *,
    checkpoint: dict[str, dict[str, Any]] | None = None,
    progress: ProgressCallback | None = None,
) -> VerifyReport:
    """Recompute every chain found in a JSON Lines export, each from event #1.

    Rows of different cases may come in any order, rows of one case in seq order. Memory grows
    with the number of cases in the file (one small record each), not with the number of events.
    With ``checkpoint``, each of its chains must be in the export and hash to the recorded head;
    so an export filtered by case or date only proves the chains it holds entirely.
    """
    report = VerifyReport()
    chains: dict[str, ChainCheck] = {}
    checkpoint = checkpoint or {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row = _parse_line(line, number)
        chain_id = f"{row['case_type']}:{row['case_id']}"
        chain = chains.get(chain_id)
        if chain is None:
            chain = ChainCheck(row["case_type"], row["case_id"], row["case_reference"], checkpoint.get(chain_id))
            chains[chain_id] = chain
        fields = {name: row[name] for name in HASHED_FIELDS}
        if row.get("digest"):
            fields["digest"] = row["digest"]
        chain.feed(fields, row["prev_hash"], row["hash"])
        report.events_checked += 1
        if progress is not None and report.events_checked % PROGRESS_EVERY == 0:
            progress(report.events_checked)
    for chain_id in sorted(chains):
        chain = chains[chain_id]
        chain.finish()
        if chain.failure is not None:
            report.failures.append(chain.failure)
    for chain_id in sorted(set(checkpoint) - set(chains)):
        case_type, _sep, case_id = chain_id.rpartition(":")
        wanted = checkpoint[chain_id]
        report.failures.append(
            CaseFailure(
                case_type,
                int(case_id) if case_id.isdigit() else None,
                wanted.get("reference", ""),
                1,
                "checkpoint_chain_missing",
                {"wanted": wanted["seq"]},
            )
        )
    report.cases_checked = len(set(chains) | set(checkpoint))
    if progress is not None:
        progress(report.events_checked)
    return report


def _parse_line(line: str, number: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except ValueError:
        row = None
    if (
        not isinstance(row, dict)
        or any(name not in row for name in EXPORT_FIELDS if name not in _OPTIONAL_FIELDS)
        or not isinstance(row["case_type"], str)
        or not isinstance(row["case_id"], int)
        or not isinstance(row["seq"], int)
        or not isinstance(row["prev_hash"], str)
        or not isinstance(row["hash"], str)
    ):
        raise ExportError(
            "bad_line",
            _("Line %(number)s is not an audit export row (export with --format jsonl).") % {"number": number},
        )
    return row


def read_lines(path: Path) -> Iterator[str]:
    """Lines of an export file, streamed; a missing or unreadable file is bad input."""
    try:
        handle = Path(path).open(encoding="utf-8-sig")
    except OSError as exc:
        raise ExportError(
            "unreadable", _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from exc
    with handle:
        try:
            yield from handle
        except UnicodeDecodeError as exc:
            raise ExportError("unreadable", _("%(path)s is not UTF-8 text.") % {"path": path}) from exc
