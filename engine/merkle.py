"""RFC 6962 Merkle trees over audit chain heads: a constant-size signed head, and proofs anyone can check.

Standalone on purpose (the standard library only; ``cryptography`` for the signature): an outsider
holding a published tree head checks, without our database or code base,

* that a case's chain head is in the tree (an inclusion proof, ``verify_inclusion``), and
* that a later tree extends an earlier one without rewriting it (a consistency proof,
  ``verify_consistency``).

Leaves are the chain heads a checkpoint recorded, appended in checkpoint order and, within one
checkpoint, sorted by case type and case id; a checkpoint appends a leaf for every chain whose head
moved since the one before. The leaf's bytes are the canonical JSON (keys sorted, no whitespace,
UTF-8) of ``{"chain": "<case_type>:<case_id>", "hash", "reference", "seq"}``. Hashes follow RFC 6962
(section 2.1): ``leaf = SHA-256(0x00 || bytes)``, ``node = SHA-256(0x01 || left || right)``, the
empty tree's hash is ``SHA-256("")``. Hashes travel as lowercase hex.

Command line (exit 0: holds, 1: does not hold, 2: unreadable input)::

    python engine/merkle.py inclusion HEAD.json PROOF.json
    python engine/merkle.py consistency OLD_HEAD.json NEW_HEAD.json PROOF.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from typing import Any

HEAD_FORMAT = "engine-audit-tree-head/1"


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf_bytes(case_type: str, case_id: int, seq: int, hash_: str, reference: str) -> bytes:
    return canonical({"chain": f"{case_type}:{case_id}", "hash": hash_, "reference": reference, "seq": seq})


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes; iterative, O(n) time, O(log n) extra memory."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    # Perfect subtrees of decreasing size, as a stack: merging equal neighbours gives RFC 6962's shape.
    stack: list[tuple[int, bytes]] = []
    for leaf in leaves:
        size, value = 1, leaf
        while stack and stack[-1][0] == size:
            left_size, left = stack.pop()
            size, value = left_size + size, node_hash(left, value)
        stack.append((size, value))
    size, value = stack.pop()
    while stack:
        _left_size, left = stack.pop()
        value = node_hash(left, value)
    return value


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) (RFC 6962 2.1.1): the audit path of leaf ``index``."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError("leaf index out of range")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_path(index, leaves[:k]), root(leaves[k:])]
    return [*inclusion_path(index - k, leaves[k:]), root(leaves[:k])]


def consistency_path(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) (RFC 6962 2.1.2) that the first ``old_size`` leaves' tree is a prefix of this one."""
    if not 0 < old_size <= len(leaves):
        raise ValueError("old tree size out of range")
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def verify_inclusion(leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 2.1.3.2: does ``leaf`` (a leaf hash) sit at ``index`` of the tree with ``expected_root``?"""
    if not 0 <= index < tree_size:
        return False
    fn, sn, result = index, tree_size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == expected_root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2: is the tree (``old_size``, ``old_root``) a prefix of (``new_size``, ``new_root``)?"""
    if old_size < 1 or old_size > new_size:
        return False
    if old_size == new_size:
        return not path and old_root == new_root
    proof = list(path)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node of the new tree
        proof.insert(0, old_root)
    if not proof:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = proof[0]
    for node in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first = node_hash(node, first)
            second = node_hash(node, second)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            second = node_hash(second, node)
        fn >>= 1
        sn >>= 1
    return sn == 0 and first == old_root and second == new_root


# --- published objects ------------------------------------------------------------------------


def head_signed_bytes(head: dict[str, Any]) -> bytes:
    """The bytes a tree head's Ed25519 signature covers."""
    return canonical({name: head[name] for name in ("format", "created_at", "tree_size", "root_hash", "counts")})


def check_head_signature(head: dict[str, Any]) -> bool:
    """The head's signature holds under the public key it carries (pin that key out of band)."""
    import base64

    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(head["public_key"].encode())
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(head["signature"], validate=True), head_signed_bytes(head))
    except (InvalidSignature, ValueError, TypeError, KeyError):
        return False
    return True


def check_inclusion_proof(head: dict[str, Any], proof: dict[str, Any]) -> bool:
    """An inclusion proof (``proof_for`` in ``engine.checkpoint``) against a published head."""
    leaf = proof["leaf"]
    data = leaf_bytes(leaf["case_type"], leaf["case_id"], leaf["seq"], leaf["hash"], leaf["reference"])
    return proof["tree_size"] == head["tree_size"] and verify_inclusion(
        leaf_hash(data),
        proof["index"],
        head["tree_size"],
        [bytes.fromhex(h) for h in proof["path"]],
        bytes.fromhex(head["root_hash"]),
    )


def check_consistency_proof(old: dict[str, Any], new: dict[str, Any], proof: dict[str, Any]) -> bool:
    return (
        proof["old_size"] == old["tree_size"]
        and proof["new_size"] == new["tree_size"]
        and verify_consistency(
            old["tree_size"],
            new["tree_size"],
            bytes.fromhex(old["root_hash"]),
            bytes.fromhex(new["root_hash"]),
            [bytes.fromhex(h) for h in proof["path"]],
        )
    )


def main(argv: list[str]) -> int:
    def load(path: str) -> dict[str, Any]:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    try:
        if len(argv) == 3 and argv[0] == "inclusion":
            head, proof = load(argv[1]), load(argv[2])
            holds = check_head_signature(head) and check_inclusion_proof(head, proof)
        elif len(argv) == 4 and argv[0] == "consistency":
            old, new, proof = load(argv[1]), load(argv[2]), load(argv[3])
            holds = check_head_signature(old) and check_head_signature(new) and check_consistency_proof(old, new, proof)
        else:
            print(__doc__.split("Command line")[1], file=sys.stderr)
            return 2
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"unreadable: {exc}", file=sys.stderr)
        return 2
    print("holds" if holds else "DOES NOT HOLD")
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
