"""audit_verify and audit_export as an operator and an outside auditor use them."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

import engine
from engine.models import AuditEvent
from workflows.sample.models import Ticket

# Tickets audit no fields or rows (no digests to compare) and nothing read the access log.
NO_DIGESTS = {"digests_checked": 0, "cases_without_digest": 0, "access_entries_checked": 0}

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    # No password: hashing one costs more than the rest of a test.
    return django_user_model.objects.create_user("staff", is_staff=True)


@pytest.fixture
def tickets(staff):
    made = []
    for number in range(3):
        ticket = engine.create_case(Ticket, actor=staff, title=f"Printer {number}", owner=staff)
        engine.run(ticket, "open", actor=staff, context=engine.RequestContext("10.0.0.7", "Firefox/140"))
        engine.run(ticket, "ask", actor=staff, data={"note": f"Which floor? الطابق {number}"})
        made.append(ticket)
    return made


def drop_audit_triggers() -> None:
    with connection.cursor() as cursor:
        for name in ("engine_auditevent_no_update", "engine_auditevent_no_delete"):
            cursor.execute(
                f"DROP TRIGGER {name} ON engine_auditevent"
                if connection.vendor == "postgresql"
                else f"DROP TRIGGER {name}"
            )


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def run(*args: str) -> tuple[int, str]:
    """Run a command as the shell would: (exit status, standard output)."""
    out = io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


# --- audit_verify -----------------------------------------------------------------------------


def test_verify_exits_0_and_reports_counts_when_intact(tickets):
    status, output = run("audit_verify")
    assert status == 0
    assert "9 events in 3 cases" in output
    assert "\r" not in output  # no progress line when output is not a terminal


def test_verify_json_is_the_api_report(tickets):
    status, output = run("audit_verify", "--json")
    assert status == 0
    assert json.loads(output) == {"ok": True, "cases_checked": 3, "events_checked": 9, **NO_DIGESTS, "failures": []}


def test_verify_exits_1_naming_each_broken_case_and_event_and_what_to_do(tickets):
    # given one event's data rewritten, and another case's state written directly
    drop_audit_triggers()
    raw(
        "UPDATE engine_auditevent SET data = %s WHERE case_id = %s AND seq = 3",
        [json.dumps({"note": "nothing to see"}), tickets[0].pk],
    )
    raw("UPDATE sample_ticket SET state = 'resolved' WHERE id = %s", [tickets[2].pk])
    # when
    status, output = run("audit_verify")
    # then
    assert status == 1
    lines = output.splitlines()
    assert any(tickets[0].reference in line and "#3" in line for line in lines)
    assert any(tickets[2].reference in line and "resolved" in line for line in lines)
    assert tickets[1].reference not in output
    assert "What to do next" in output and "--checkpoint" in output


def test_verify_json_lists_failures_with_codes(tickets):
    drop_audit_triggers()
    raw("DELETE FROM engine_auditevent WHERE case_id = %s AND seq = 2", [tickets[1].pk])
    status, output = run("audit_verify", "--json")
    report = json.loads(output)
    assert status == 1
    assert report["ok"] is False and report["events_checked"] == 8
    assert [(f["reference"], f["seq"], f["code"]) for f in report["failures"]] == [
        (tickets[1].reference, 2, "missing_event")
    ]
    assert report["failures"][0]["problem"]


def test_verify_shows_a_progress_line_on_a_terminal(tickets, monkeypatch):
    from engine import audit

    monkeypatch.setattr(audit, "PROGRESS_EVERY", 1)
    terminal = FakeTerminal()
    call_command("audit_verify", stdout=terminal)
    shown = terminal.getvalue()
    assert "\r9 / 9" in shown or "\r1 / 9" in shown
    assert "events/s" in shown


# --- audit_export -----------------------------------------------------------------------------


def exported_jsonl(*args: str) -> list[dict]:
    status, output = run("audit_export", "--format", "jsonl", *args)
    assert status == 0
    return [json.loads(line) for line in output.splitlines()]


def test_jsonl_export_carries_every_chain_field_of_every_event(tickets, staff):
    rows = exported_jsonl()
    events = list(AuditEvent.objects.order_by("case_type", "case_id", "seq"))
    assert len(rows) == len(events) == 9
    for row, event in zip(rows, events, strict=True):
        assert row == {
            "case_type": "sample.ticket",
            "case_id": event.case_id,
            "case_reference": event.case_reference,
            "seq": event.seq,
            "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": staff.pk,
            "actor_label": "staff",
            "actor_role": event.actor_role,
            "action": event.action,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "data": event.data,
            "ip_address": event.ip_address,
            "user_agent": event.user_agent,
            "prev_hash": event.prev_hash,
            "hash": event.hash,
        }
    opened = [row for row in rows if row["action"] == "open"]
    assert {(row["ip_address"], row["user_agent"], row["actor_role"]) for row in opened} == {
        ("10.0.0.7", "Firefox/140", "staff")
    }


def test_an_outsider_can_recompute_every_hash_of_a_jsonl_export_without_our_code(tickets):
    # given only the export and the documented recipe
    rows = exported_jsonl()
    heads: dict[tuple, str] = {}
    # then each hash is sha256(prev_hash ‖ canonical JSON of the row without the two hashes)
    for row in rows:
        key = (row["case_type"], row["case_id"])
        assert row["prev_hash"] == heads.get(key, "0" * 64)
        body = {name: value for name, value in row.items() if name not in ("prev_hash", "hash")}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert hashlib.sha256(row["prev_hash"].encode() + canonical).hexdigest() == row["hash"]
        heads[key] = row["hash"]


def test_csv_export_has_the_same_rows_for_spreadsheets(tickets):
    status, output = run("audit_export", "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(output.lstrip("\ufeff"))))
    jsonl = exported_jsonl()
    assert len(rows) == 9
    # (tickets audit nothing: their JSON rows have no digest, the CSV leaves that last column empty)
    assert list(rows[0]) == [*jsonl[0], "digest"]
    assert rows[0]["digest"] == ""
    for row, expected in zip(rows, jsonl, strict=True):
        assert row["hash"] == expected["hash"] and row["seq"] == str(expected["seq"])
        assert json.loads(row["data"]) == expected["data"]
        assert row["ip_address"] == (expected["ip_address"] or "")


def test_csv_export_defuses_spreadsheet_formulas(staff):
    ticket = engine.create_case(Ticket, actor=staff, title="x", owner=staff)
    engine.run(ticket, "open", actor=staff, context=engine.RequestContext(None, '=HYPERLINK("http://evil")'))
    _status, output = run("audit_export", "--format", "csv")
    row = list(csv.DictReader(io.StringIO(output.lstrip("\ufeff"))))[1]
    assert row["user_agent"] == '\'=HYPERLINK("http://evil")'


def test_export_of_one_case_by_reference(tickets):
    rows = exported_jsonl("--case", tickets[1].reference.lower())
    assert [(row["case_reference"], row["seq"]) for row in rows] == [(tickets[1].reference, seq) for seq in (1, 2, 3)]


def test_export_by_dates(tickets, staff):
    # given one event dated far back
    old = engine.create_case(Ticket, actor=staff, title="Old", owner=staff)
    engine.run(
        old, "open", actor=staff, occurred_at=datetime(2025, 3, 31, 23, 30, tzinfo=timezone.get_current_timezone())
    )
    # then a bare --until date includes that whole day, and --since excludes earlier days
    assert [row["case_reference"] for row in exported_jsonl("--since", "2025-03-31", "--until", "2025-03-31")] == [
        old.reference
    ]
    assert len(exported_jsonl("--since", "2025-04-01")) == 10
    assert exported_jsonl("--until", "2025-03-31T23:00") == []


def test_export_to_a_file_then_verify_that_file_offline(tickets, tmp_path):
    target = tmp_path / "history.jsonl"
    assert run("audit_export", "--output", str(target))[0] == 0
    status, output = run("audit_verify", "--export", str(target))
    assert status == 0
    assert "9 events in 3 cases" in output
    assert not (tmp_path / "history.jsonl.partial").exists()


def test_a_tampered_export_fails_verification_naming_the_event(tickets, tmp_path):
    # given an export whose second case's event #2 was edited, and whose third case lost event #2
    rows = exported_jsonl()
    edited = [row for row in rows if not (row["case_id"] == tickets[2].pk and row["seq"] == 2)]
    for row in edited:
        if row["case_id"] == tickets[1].pk and row["seq"] == 2:
            row["actor_label"] = "someone-else"
    target = tmp_path / "history.jsonl"
    target.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in edited), encoding="utf-8")
    # when
    status, output = run("audit_verify", "--export", str(target), "--json")
    # then
    assert status == 1
    assert [(f["reference"], f["seq"], f["code"]) for f in json.loads(output)["failures"]] == [
        (tickets[1].reference, 2, "hash_mismatch"),
        (tickets[2].reference, 2, "missing_event"),
    ]


def test_an_export_that_starts_mid_chain_cannot_be_proven(tickets, tmp_path):
    target = tmp_path / "partial.jsonl"
    rows = [row for row in exported_jsonl() if row["seq"] > 1]
    target.write_text("".join(json.dumps(row) + "\n" for row in rows))
    status, output = run("audit_verify", "--export", str(target), "--json")
    assert status == 1
    assert {(f["seq"], f["code"]) for f in json.loads(output)["failures"]} == {(1, "missing_event")}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--case", "TCK-2020-0404"), "TCK-2020-0404"),
        (("--since", "yesterday"), "yesterday"),
        (("--until", "2026-02-30"), "2026-02-30"),
        (("--since", "2026-05-01", "--until", "2026-04-01"), "--since"),
    ],
    ids=["unknown-case", "not-a-date", "impossible-date", "reversed-range"],
)
def test_bad_export_input_is_refused_with_status_2_and_writes_nothing(tickets, tmp_path, args, words):
    target = tmp_path / "out.jsonl"
    with pytest.raises(CommandError) as refused:
        call_command("audit_export", *args, "--output", str(target), stdout=io.StringIO(), stderr=io.StringIO())
    assert refused.value.returncode == 2
    assert words in str(refused.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content", [None, "not json\n", '{"case_type": "x"}\n'], ids=["missing-file", "not-json", "not-a-row"]
)
def test_verifying_a_file_that_is_not_an_export_is_bad_input(tmp_path, content):
    target = tmp_path / "given.jsonl"
    if content is not None:
        target.write_text(content)
    with pytest.raises(CommandError) as refused:
        call_command("audit_verify", "--export", str(target), stdout=io.StringIO())
    assert refused.value.returncode == 2
