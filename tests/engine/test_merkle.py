"""Checkpoints as RFC 6962 Merkle tree heads: constant size, inclusion and consistency proofs an outsider checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine import checkpoint, merkle
from engine.models import AuditCheckpoint, AuditTreeLeaf
from workflows.sample.models import Ticket

from . import test_checkpoint
from .test_checkpoint import run

# The checkpoint tests' fixtures: tickets with a history, a fresh signing key and folder.
staff, tickets, signing = test_checkpoint.staff, test_checkpoint.tickets, test_checkpoint.signing

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(n)]


# --- the tree itself ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31])
def test_every_leaf_proves_and_every_earlier_tree_is_consistent(size):
    leaves = _leaves(size)
    head = merkle.root(leaves)
    for index in range(size):
        path = merkle.inclusion_path(index, leaves)
        assert merkle.verify_inclusion(leaves[index], index, size, path, head)
    for old in range(1, size + 1):
        proof = merkle.consistency_path(old, leaves)
        assert merkle.verify_consistency(old, size, merkle.root(leaves[:old]), head, proof)


def test_the_empty_and_single_trees_follow_rfc_6962():
    assert merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    leaf = merkle.leaf_hash(b"")
    assert leaf.hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert merkle.root([leaf]) == leaf


def test_tampering_with_a_leaf_a_path_a_size_or_a_root_fails():
    leaves = _leaves(11)
    head = merkle.root(leaves)
    path = merkle.inclusion_path(6, leaves)
    assert merkle.verify_inclusion(leaves[6], 6, 11, path, head)
    assert not merkle.verify_inclusion(leaves[5], 6, 11, path, head)  # another leaf
    assert not merkle.verify_inclusion(leaves[6], 7, 11, path, head)  # another place
    assert not merkle.verify_inclusion(leaves[6], 6, 7, path, head)  # another size
    assert not merkle.verify_inclusion(leaves[6], 6, 11, [path[0][::-1], *path[1:]], head)  # a forged node
    assert not merkle.verify_inclusion(leaves[6], 6, 11, path[:-1], head)  # a short path
    consistency = merkle.consistency_path(6, leaves)
    assert merkle.verify_consistency(6, 11, merkle.root(leaves[:6]), head, consistency)
    rewritten = [*leaves[:2], merkle.leaf_hash(b"rewritten"), *leaves[3:6]]
    assert not merkle.verify_consistency(6, 11, merkle.root(rewritten), head, consistency)
    assert not merkle.verify_consistency(5, 11, merkle.root(leaves[:6]), head, consistency)


# --- checkpoints publish a constant-size head ----------------------------------------------------


def _sign() -> AuditCheckpoint:
    status, _output = run("audit_checkpoint")
    assert status == 0
    return AuditCheckpoint.objects.order_by("-pk").first()


def test_the_published_head_has_the_same_size_for_3_cases_as_for_40(tickets, signing, staff):
    small = _sign().tree_head
    for number in range(37):
        engine.create_case(Ticket, actor=staff, title=f"More {number}", owner=staff)
    large = _sign().tree_head
    assert (small["tree_size"], large["tree_size"]) == (3, 40)
    assert len(json.dumps(large)) - len(json.dumps(small)) <= 6  # digits of the three counts only
    assert merkle.check_head_signature(small) and merkle.check_head_signature(large)


def test_each_case_proves_its_head_against_the_published_head(tickets, signing):
    head = _sign().tree_head
    for ticket in Ticket.objects.all():
        proof = checkpoint.inclusion_proof("sample.ticket", ticket.pk)
        assert proof["leaf"] == {
            "case_type": "sample.ticket",
            "case_id": ticket.pk,
            "seq": ticket.audit_seq,
            "hash": ticket.audit_hash,
            "reference": ticket.reference,
        }
        assert merkle.check_inclusion_proof(head, proof)
        # a different head for this case does not prove
        forged = {**proof, "leaf": {**proof["leaf"], "seq": proof["leaf"]["seq"] + 1}}
        assert not merkle.check_inclusion_proof(head, forged)


def test_a_later_checkpoint_extends_the_earlier_one_and_proves_it(tickets, signing, staff):
    first = _sign()
    engine.run(tickets[0], "answer", actor=staff, data={"note": "Third floor"})
    engine.create_case(Ticket, actor=staff, title="New", owner=staff)
    unchanged = _sign()
    assert unchanged.tree_size == 5  # the moved head and the new case appended; the others not again
    proof = checkpoint.consistency_proof(first.pk, unchanged.pk)
    assert merkle.check_consistency_proof(first.tree_head, unchanged.tree_head, proof)
    # the moved case proves its new head against the new tree, its old head against the old one
    assert checkpoint.inclusion_proof("sample.ticket", tickets[0].pk)["leaf"]["seq"] == 4
    old = checkpoint.inclusion_proof("sample.ticket", tickets[0].pk, first.pk)
    assert old["leaf"]["seq"] == 3 and merkle.check_inclusion_proof(first.tree_head, old)
    # a head whose root was swapped does not carry a valid signature, nor prove consistency
    swapped = {**first.tree_head, "root_hash": unchanged.root_hash}
    assert not merkle.check_head_signature(swapped)
    assert not merkle.check_consistency_proof(swapped, unchanged.tree_head, proof)


def test_rewritten_leaves_fail_consistency(tickets, signing, staff):
    first = _sign()
    engine.create_case(Ticket, actor=staff, title="New", owner=staff)
    second = _sign()
    # given someone rewrote a leaf the first checkpoint covered, and re-derived the second tree
    AuditTreeLeaf.objects.filter(position=1).update(hash="f" * 64)
    proof = checkpoint.consistency_proof(first.pk, second.pk)
    assert not merkle.check_consistency_proof(first.tree_head, second.tree_head, proof)
    assert not merkle.check_inclusion_proof(
        second.tree_head, checkpoint.inclusion_proof("sample.ticket", tickets[2].pk)
    )


def test_an_outsider_checks_proofs_with_the_standalone_verifier(tickets, signing, staff, tmp_path):
    first = _sign()
    engine.create_case(Ticket, actor=staff, title="New", owner=staff)
    second = _sign()
    files = {
        "old.json": first.tree_head,
        "new.json": second.tree_head,
        "inclusion.json": checkpoint.inclusion_proof("sample.ticket", tickets[1].pk),
        "consistency.json": checkpoint.consistency_proof(first.pk, second.pk),
    }
    for name, content in files.items():
        (tmp_path / name).write_text(json.dumps(content))

    def verifier(*args: str) -> subprocess.CompletedProcess:
        # Run from a bare folder: the verifier needs neither the database nor the project's settings.
        return subprocess.run(
            [sys.executable, str(ROOT / "engine" / "merkle.py"), *args], cwd=tmp_path, capture_output=True, text=True
        )

    assert verifier("inclusion", "new.json", "inclusion.json").returncode == 0
    assert verifier("consistency", "old.json", "new.json", "consistency.json").returncode == 0
    tampered = {**files["inclusion.json"], "leaf": {**files["inclusion.json"]["leaf"], "hash": "0" * 64}}
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    result = verifier("inclusion", "new.json", "tampered.json")
    assert result.returncode == 1 and "DOES NOT HOLD" in result.stdout
    assert verifier("consistency", "new.json", "old.json", "consistency.json").returncode == 1
    assert verifier("inclusion", "missing.json", "inclusion.json").returncode == 2


def test_asking_a_proof_for_a_case_no_checkpoint_covers_is_a_clear_error(tickets, signing, staff):
    _sign()
    later = engine.create_case(Ticket, actor=staff, title="Later", owner=staff)
    with pytest.raises(checkpoint.ProofError) as caught:
        checkpoint.inclusion_proof("sample.ticket", later.pk)
    assert caught.value.code == "not_in_tree"
