"""Signed checkpoints: sign the chain heads, and prove later that nothing before them was rewritten."""

from __future__ import annotations

import base64
import io
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

import engine
from engine.audit import compute_hash, event_fields, verify_all
from engine.checkpoint import latest_public_checkpoint
from engine.models import AuditCheckpoint, AuditEvent
from workflows.sample.models import Ticket

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
        engine.run(ticket, "open", actor=staff)
        engine.run(ticket, "ask", actor=staff, data={"note": "Which floor?"})
        made.append(ticket)
    return made


@pytest.fixture
def signing(settings, tmp_path):
    """Key and checkpoint folder in a fresh place; the key does not exist yet."""
    settings.ENGINE = {
        **settings.ENGINE,
        "CHECKPOINT_KEY_PATH": str(tmp_path / "secret" / "keys" / "audit.pem"),
        "CHECKPOINT_DIR": str(tmp_path / "published"),
    }
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


def sign(signing) -> tuple[str, dict]:
    status, _output = run("audit_checkpoint")
    assert status == 0
    (path,) = (signing / "published").glob("checkpoint-*.json")
    return str(path), json.loads(path.read_text())


def drop_audit_triggers() -> None:
    with connection.cursor() as cursor:
        for name in ("engine_auditevent_no_update", "engine_auditevent_no_delete"):
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER {name} ON engine_auditevent")
            else:
                cursor.execute(f"DROP TRIGGER {name}")


def raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def rewrite_history(ticket: Ticket, seq: int, **changes) -> None:
    """A thorough forger: change event ``seq``, re-hash it and everything after, move the case's head."""
    drop_audit_triggers()
    prev_hash = AuditEvent.objects.get(case_id=ticket.pk, seq=seq).prev_hash
    for event in AuditEvent.objects.filter(case_id=ticket.pk, seq__gte=seq).order_by("seq"):
        for name, value in (changes if event.seq == seq else {}).items():
            setattr(event, name, value)
        event.prev_hash = prev_hash
        event.hash = compute_hash(prev_hash, event_fields(event))
        raw(
            "UPDATE engine_auditevent SET actor_label = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.actor_label, event.prev_hash, event.hash, event.pk],
        )
        prev_hash = event.hash
    raw("UPDATE sample_ticket SET audit_hash = %s WHERE id = %s", [prev_hash, ticket.pk])


def verify(path: str, *extra: str) -> tuple[int, dict]:
    status, output = run("audit_verify", "--checkpoint", path, "--json", *extra)
    return status, json.loads(output)


# --- signing ----------------------------------------------------------------------------------


def test_first_checkpoint_generates_a_private_key_and_publishes_a_signed_file(tickets, signing):
    # when
    status, output = run("audit_checkpoint")
    # then the key was created, private to its owner, and the user was told
    key = signing / "secret" / "keys" / "audit.pem"
    assert status == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "generated" in output and str(key) in output
    # and the checkpoint was stored and written where the output says
    (path,) = (signing / "published").glob("checkpoint-*.json")
    assert str(path) in output
    document = json.loads(path.read_text())
    row = AuditCheckpoint.objects.get()
    assert row.document == document and row.digest == document["digest"]
    assert (row.heads_count, row.events_count) == (3, 9)
    assert document["chains"] == {
        f"sample.ticket:{t.pk}": {"seq": 3, "hash": Ticket.objects.get(pk=t.pk).audit_hash, "reference": t.reference}
        for t in tickets
    }
    assert latest_public_checkpoint() == document


def test_second_checkpoint_reuses_the_key_and_output_can_be_chosen(tickets, signing):
    _path, first = sign(signing)
    target = signing / "elsewhere.json"
    status, output = run("audit_checkpoint", "--output", str(target))
    assert status == 0 and "generated" not in output
    second = json.loads(target.read_text())
    assert second["public_key"] == first["public_key"]
    assert latest_public_checkpoint() == second


def test_an_outsider_can_check_the_signature_with_any_ed25519_library(tickets, signing):
    _path, document = sign(signing)
    signed = {name: document[name] for name in ("format", "created_at", "chains", "counts", "signing")}
    body = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    public_key = serialization.load_pem_public_key(document["public_key"].encode())
    public_key.verify(base64.b64decode(document["signature"]), body)  # raises if forged


def test_broken_history_is_not_signed(tickets, signing):
    raw("UPDATE sample_ticket SET state = 'resolved' WHERE id = %s", [tickets[0].pk])
    status, output = run("audit_checkpoint")
    assert status == 1
    assert tickets[0].reference in output
    assert not AuditCheckpoint.objects.exists()
    assert not (signing / "published").exists()
    assert not (signing / "secret").exists()


def test_an_unreadable_signing_key_is_bad_input(tickets, signing):
    key = signing / "secret" / "keys" / "audit.pem"
    key.parent.mkdir(parents=True)
    key.write_text("not a key")
    with pytest.raises(CommandError) as refused:
        call_command("audit_checkpoint", stdout=io.StringIO())
    assert refused.value.returncode == 2
    assert not AuditCheckpoint.objects.exists()


# --- proving ----------------------------------------------------------------------------------


def test_untouched_history_proves_against_the_checkpoint(tickets, signing):
    path, document = sign(signing)
    status, report = verify(path)
    assert status == 0
    assert report["ok"] and report["checkpoint"]["signature_valid"]
    assert report["checkpoint"]["digest"] == document["digest"]


def test_history_after_the_checkpoint_may_extend_the_chains(tickets, signing, staff):
    path, _document = sign(signing)
    engine.run(tickets[0], "answer", actor=staff, data={"note": "Second floor"})
    engine.create_case(Ticket, actor=staff, title="New after checkpoint", owner=staff)
    status, report = verify(path)
    assert status == 0, report
    assert report["events_checked"] == 11


def test_tampering_before_the_checkpoint_fails_naming_the_case(tickets, signing):
    path, _document = sign(signing)
    drop_audit_triggers()
    raw("UPDATE engine_auditevent SET actor_label = 'ghost' WHERE case_id = %s AND seq = 2", [tickets[1].pk])
    status, report = verify(path)
    assert status == 1
    assert [(f["reference"], f["seq"], f["code"]) for f in report["failures"]] == [
        (tickets[1].reference, 2, "hash_mismatch")
    ]


def test_a_consistent_rewrite_passes_plain_verification_but_not_the_checkpoint(tickets, signing):
    # given a forger who re-hashed the rest of the chain and moved the case's head
    path, _document = sign(signing)
    rewrite_history(tickets[2], 2, actor_label="ghost")
    assert verify_all().ok
    # when
    status, report = verify(path)
    # then
    assert status == 1
    assert [(f["reference"], f["seq"], f["code"]) for f in report["failures"]] == [
        (tickets[2].reference, 3, "checkpoint_mismatch")
    ]
    status, output = run("audit_verify", "--checkpoint", path)
    assert status == 1 and tickets[2].reference in output


def test_a_vanished_case_and_its_history_fail_against_the_checkpoint(tickets, signing):
    path, _document = sign(signing)
    drop_audit_triggers()
    raw("DELETE FROM engine_auditevent WHERE case_id = %s", [tickets[0].pk])
    raw("DELETE FROM sample_ticket WHERE id = %s", [tickets[0].pk])
    assert verify_all().ok
    status, report = verify(path)
    assert status == 1
    assert [(f["reference"], f["code"]) for f in report["failures"]] == [
        (tickets[0].reference, "checkpoint_chain_missing")
    ]


def test_a_forged_signature_is_rejected(tickets, signing):
    path, document = sign(signing)
    forger = Ed25519PrivateKey.generate()
    document["signature"] = base64.b64encode(forger.sign(b"anything")).decode()
    forged = signing / "forged.json"
    forged.write_text(json.dumps(document))
    status, report = verify(str(forged))
    assert status == 1
    assert report["checkpoint"] == {
        "signature_valid": False,
        "code": "bad_signature",
        "problem": report["checkpoint"]["problem"],
    }


def test_a_checkpoint_edited_after_signing_is_rejected(tickets, signing):
    path, document = sign(signing)
    first = next(iter(document["chains"]))
    document["chains"][first]["seq"] = 2
    edited = signing / "edited.json"
    edited.write_text(json.dumps(document))
    status, report = verify(str(edited))
    assert status == 1 and report["checkpoint"]["code"] == "digest_mismatch"


def test_a_checkpoint_re_signed_with_another_key_fails_when_the_real_key_is_pinned(tickets, signing):
    # given the genuine public key, published earlier
    path, document = sign(signing)
    genuine = signing / "genuine.pem"
    genuine.write_text(document["public_key"])
    # and a forger who rewrote history and signed a fresh checkpoint with their own key
    rewrite_history(tickets[0], 2, actor_label="ghost")
    from engine.checkpoint import sign_heads

    report = verify_all(collect_heads=True)
    forged = sign_heads(report.heads, report.events_checked, Ed25519PrivateKey.generate(), document["created_at"])
    forged_path = signing / "forged.json"
    forged_path.write_text(json.dumps(forged))
    # then the forgery holds on its own terms …
    assert verify(str(forged_path))[0] == 0
    # … but not against the key the outsider trusts
    status, result = verify(str(forged_path), "--public-key", str(genuine))
    assert status == 1 and result["checkpoint"]["code"] == "untrusted_key"
    # while the genuine checkpoint, pinned to the genuine key (as PEM file or raw base64), shows the rewrite
    raw_key = base64.b64encode(
        serialization.load_pem_public_key(document["public_key"].encode()).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    ).decode()
    for pinned in (str(genuine), raw_key):
        status, result = verify(path, "--public-key", pinned)
        assert status == 1 and result["checkpoint"]["key_pinned"]
        assert [(f["reference"], f["code"]) for f in result["failures"]] == [
            (tickets[0].reference, "checkpoint_mismatch")
        ]


def test_an_export_proves_against_the_checkpoint_without_the_database(tickets, signing, staff):
    path, _document = sign(signing)
    engine.run(tickets[1], "answer", actor=staff, data={"note": "Later"})
    export = signing / "history.jsonl"
    assert run("audit_export", "--output", str(export))[0] == 0
    status, output = run("audit_verify", "--export", str(export), "--checkpoint", path)
    assert status == 0, output
    # and a single-case export does not hold the other checkpointed chains
    single = signing / "one.jsonl"
    run("audit_export", "--case", tickets[1].reference, "--output", str(single))
    status, report = verify(path, "--export", str(single))
    assert status == 1
    assert {f["code"] for f in report["failures"]} == {"checkpoint_chain_missing"}
    assert len(report["failures"]) == 2


@pytest.mark.parametrize(
    ("content", "extra"),
    [
        (None, ()),
        ("{not json", ()),
        ('{"format": "something-else"}', ()),
        ("VALID", ("--public-key", "not-a-key")),
    ],
    ids=["missing", "not-json", "not-a-checkpoint", "bad-pinned-key"],
)
def test_bad_checkpoint_input_is_refused_with_status_2(tickets, signing, content, extra):
    given = signing / "given.json"
    if content == "VALID":
        given = Path(sign(signing)[0])
    elif content is not None:
        given.write_text(content)
    with pytest.raises(CommandError) as refused:
        call_command("audit_verify", "--checkpoint", str(given), *extra, stdout=io.StringIO())
    assert refused.value.returncode == 2


def test_public_key_option_needs_a_checkpoint():
    with pytest.raises(CommandError) as refused:
        call_command("audit_verify", "--public-key", "x", stdout=io.StringIO())
    assert refused.value.returncode == 2


def test_latest_public_checkpoint_is_none_before_any_signing():
    assert latest_public_checkpoint() is None


def test_the_public_key_can_be_printed_for_publication(tickets, signing):
    _path, document = sign(signing)
    out = io.StringIO()
    call_command("audit_checkpoint", "--show-public-key", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == document["public_key"]
