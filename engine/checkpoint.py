"""Signed audit checkpoints: an Ed25519 signature over the set of chain heads.

A checkpoint document is plain JSON that an outsider can check with any Ed25519 library::

    {
      "format": "engine-audit-checkpoint/1",
      "created_at": "2026-11-23T09:22:00.000000+00:00",
      "chains": {"sample.ticket:12": {"seq": 4, "hash": "<sha256 hex>", "reference": "TCK-2026-0012"}, ...},
      "counts": {"chains": 1, "events": 4},
      "signing": "<how it was signed, in words>",
      "digest": "<sha256 hex of the signed bytes>",
      "algorithm": "Ed25519",
      "key_id": "<first 16 hex digits of sha256(raw public key)>",
      "public_key": "-----BEGIN PUBLIC KEY-----...",
      "signature": "<base64>"
    }

The signed bytes are the canonical JSON (sorted keys, no whitespace, UTF-8) of the five fields
``format``, ``created_at``, ``chains``, ``counts`` and ``signing``. Holding a checkpoint, anyone can
later prove that every chain still hashes to the recorded head at the recorded seq: history after
the checkpoint may extend a chain, but nothing before it can have been rewritten or removed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import merkle
from .audit import ProgressCallback, VerifyReport, canonical, verify_all
from .models import AuditCheckpoint, AuditTreeLeaf

FORMAT = "engine-audit-checkpoint/1"
SIGNED_FIELDS = ("format", "created_at", "chains", "counts", "signing")
SIGNING_NOTE = (
    "Ed25519 signature over the canonical JSON (keys sorted, no whitespace, UTF-8) of the fields "
    "format, created_at, chains, counts and signing; digest is the SHA-256 of those same bytes. "
    "Each chain's hash is sha256(prev_hash || canonical JSON of the event), starting from 64 zeros."
)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class CheckpointError(Exception):
    """Bad input: an unreadable or malformed checkpoint file or key (exit code 2)."""

    def __init__(self, code: str, message: Any) -> None:
        self.code = code
        self.message = message
        super().__init__(str(message))


class CheckpointInvalid(Exception):
    """A well-formed checkpoint that does not hold: forged, altered, or signed by another key."""

    def __init__(self, code: str, message: Any) -> None:
        self.code = code
        self.message = message
        super().__init__(str(message))


class CheckpointRefused(Exception):
    """The chains do not verify now, so their heads must not be signed."""

    def __init__(self, report: VerifyReport) -> None:
        self.report = report
        super().__init__(str(_("The audit trail does not verify; no checkpoint was signed.")))


@dataclass
class CreatedCheckpoint:
    checkpoint: AuditCheckpoint
    path: Path
    key_path: Path
    key_created: bool
    report: VerifyReport


@dataclass
class SignatureCheck:
    """A checkpoint whose digest and signature hold."""

    document: dict[str, Any]
    key_id: str
    pinned: bool

    @property
    def chains(self) -> dict[str, dict[str, Any]]:
        return self.document["chains"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "signature_valid": True,
            "created_at": self.document["created_at"],
            "digest": self.document["digest"],
            "key_id": self.key_id,
            "key_pinned": self.pinned,
            "chains": self.document["counts"]["chains"],
            "events": self.document["counts"]["events"],
        }


# --- keys -------------------------------------------------------------------------------------


def key_path() -> Path:
    return Path(str(settings.ENGINE["CHECKPOINT_KEY_PATH"]))


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw(public_key)).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_or_create_signing_key(path: Path | None = None) -> tuple[Ed25519PrivateKey, bool]:
    """The signing key at ``path``; a new one is generated (mode 0600) when the file is missing."""
    path = path or key_path()
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # O_EXCL: never overwrite a key another process has just written.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_or_create_signing_key(path)
        except OSError as exc:
            raise CheckpointError(
                "key_unwritable", _("Cannot create the signing key %(path)s: %(error)s") % {"path": path, "error": exc}
            ) from exc
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(pem)
        return key, True
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(
            "key_unreadable", _("Cannot read the signing key %(path)s: %(error)s") % {"path": path, "error": exc}
        ) from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise CheckpointError("key_unreadable", _("The signing key %(path)s is not an Ed25519 key.") % {"path": path})
    return loaded, False


def load_public_key(value: str) -> Ed25519PublicKey:
    """A trusted public key given as a PEM file path, PEM text, or the raw 32 bytes in base64."""
    text = value.strip()
    candidate = Path(text)
    if "-----BEGIN" not in text and len(text) < 4096 and candidate.is_file():
        try:
            text = candidate.read_text().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise CheckpointError(
                "key_unreadable", _("Cannot read the public key %(path)s: %(error)s") % {"path": value, "error": exc}
            ) from exc
    try:
        if "-----BEGIN" in text:
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise CheckpointError(
            "key_unreadable",
            _("“%(value)s” is neither a PEM public key (or its file) nor a base64 Ed25519 key.")
            % {"value": value[:80]},
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError("key_unreadable", _("The public key is not an Ed25519 key."))
    return key


# --- signing ----------------------------------------------------------------------------------


def signed_bytes(document: dict[str, Any]) -> bytes:
    return canonical({name: document[name] for name in SIGNED_FIELDS})


def sign_heads(
    heads: dict[str, dict[str, Any]], events: int, key: Ed25519PrivateKey, created_at: str
) -> dict[str, Any]:
    """The signed checkpoint document for ``heads`` ("case_type:case_id" → {seq, hash, reference})."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "created_at": created_at,
        "chains": heads,
        "counts": {"chains": len(heads), "events": events},
        "signing": SIGNING_NOTE,
    }
    body = signed_bytes(document)
    public_key = key.public_key()
    document.update(
        digest=hashlib.sha256(body).hexdigest(),
        algorithm="Ed25519",
        key_id=key_id(public_key),
        public_key=public_key_pem(public_key),
        signature=base64.b64encode(key.sign(body)).decode(),
    )
    return document


def _default_path(document: dict[str, Any]) -> Path:
    moment = document["created_at"].replace("-", "").replace(":", "")[:15]
    return Path(str(settings.ENGINE["CHECKPOINT_DIR"])) / f"checkpoint-{moment}Z-{document['digest'][:12]}.json"


def write_document(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(partial, path)


def create_checkpoint(
    *, output: Path | None = None, signing_key_path: Path | None = None, progress: ProgressCallback | None = None
) -> CreatedCheckpoint:
    """Verify every chain, sign their heads, store the checkpoint and write it as a JSON file.

    Raises ``CheckpointRefused`` when the audit trail does not verify: signing broken history
    would certify it.
    """
    signing_key_path = signing_key_path or key_path()
    # An existing key is read first so a bad one fails fast; a missing one is only created once
    # there is something to sign.
    existing = load_or_create_signing_key(signing_key_path) if signing_key_path.exists() else None
    started = timezone.now().astimezone(UTC).isoformat(timespec="microseconds")
    report = verify_all(progress=progress, collect_heads=True)
    if not report.ok:
        raise CheckpointRefused(report)
    key, created = existing or load_or_create_signing_key(signing_key_path)
    assert report.heads is not None
    document = sign_heads(report.heads, report.events_checked, key, started)
    path = output or _default_path(document)
    with transaction.atomic():
        checkpoint = AuditCheckpoint.objects.create(
            created_at=timezone.now(),
            heads_count=document["counts"]["chains"],
            events_count=document["counts"]["events"],
            digest=document["digest"],
            public_key=document["public_key"],
            signature=document["signature"],
            document=document,
        )
        document["tree_head"] = grow_tree(checkpoint, report.heads, key, started, report.events_checked)
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(document=document)
        # Inside the transaction: a file that cannot be written leaves no row behind either.
        try:
            write_document(document, path)
        except OSError as exc:
            raise CheckpointError(
                "output_unwritable", _("Cannot write %(path)s: %(error)s") % {"path": path, "error": exc}
            ) from exc
    return CreatedCheckpoint(checkpoint, path, signing_key_path, created, report)


# --- checking ---------------------------------------------------------------------------------


def read_document(path: Path) -> dict[str, Any]:
    """A checkpoint document read from ``path``; its shape is checked, not yet its signature."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CheckpointError("not_found", _("No checkpoint file at %(path)s.") % {"path": path}) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(
            "unreadable", _("%(path)s is not a readable checkpoint: %(error)s") % {"path": path, "error": exc}
        ) from exc
    check_shape(document)
    return document


def check_shape(document: Any) -> None:
    malformed = CheckpointError("malformed", _("This file is not an audit checkpoint (or it is damaged)."))
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise malformed
    text_fields = ("created_at", "signing", "digest", "public_key", "signature")
    if any(not isinstance(document.get(name), str) for name in text_fields):
        raise malformed
    chains, counts = document.get("chains"), document.get("counts")
    if not isinstance(chains, dict) or not isinstance(counts, dict):
        raise malformed
    for chain_id, head in chains.items():
        if (
            ":" not in chain_id
            or not isinstance(head, dict)
            or not isinstance(head.get("seq"), int)
            or head["seq"] < 1
            or not isinstance(head.get("hash"), str)
            or not _HEX64.match(head["hash"])
        ):
            raise malformed
    if not isinstance(counts.get("chains"), int) or not isinstance(counts.get("events"), int):
        raise malformed


def check_signature(document: dict[str, Any], trusted_key: Ed25519PublicKey | None = None) -> SignatureCheck:
    """Prove the document is unaltered and signed by its key (or by ``trusted_key`` when pinned)."""
    check_shape(document)
    body = signed_bytes(document)
    if hashlib.sha256(body).hexdigest() != document["digest"]:
        raise CheckpointInvalid("digest_mismatch", _("The checkpoint was altered after signing: its digest differs."))
    try:
        embedded = serialization.load_pem_public_key(document["public_key"].encode())
    except (ValueError, TypeError) as exc:
        raise CheckpointInvalid("bad_key", _("The checkpoint's public key cannot be read.")) from exc
    if not isinstance(embedded, Ed25519PublicKey):
        raise CheckpointInvalid("bad_key", _("The checkpoint's public key is not an Ed25519 key."))
    if trusted_key is not None and _raw(trusted_key) != _raw(embedded):
        raise CheckpointInvalid(
            "untrusted_key",
            _("The checkpoint was signed with key %(found)s, not with the key you trust (%(trusted)s).")
            % {"found": key_id(embedded), "trusted": key_id(trusted_key)},
        )
    try:
        signature = base64.b64decode(document["signature"], validate=True)
        (trusted_key or embedded).verify(signature, body)
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise CheckpointInvalid("bad_signature", _("The checkpoint's signature is not valid: it was forged.")) from exc
    return SignatureCheck(document=document, key_id=key_id(embedded), pinned=trusted_key is not None)


def verify_against(document: dict[str, Any], *, progress: ProgressCallback | None = None) -> VerifyReport:
    """Verify the database now, also demanding each chain of the (signature-checked) checkpoint."""
    return verify_all(progress=progress, checkpoint=document["chains"])


def latest_public_checkpoint() -> dict[str, Any] | None:
    """The newest signed checkpoint document, as published on the transparency portal."""
    return AuditCheckpoint.objects.order_by("-created_at", "-pk").values_list("document", flat=True).first()


# --- the Merkle tree over chain heads (constant-size heads, proofs) ------------------------------


def _leaf_hashes(upto: int | None = None) -> list[bytes]:
    rows = AuditTreeLeaf.objects.order_by("position")
    if upto is not None:
        rows = rows.filter(position__lt=upto)
    return [
        merkle.leaf_hash(merkle.leaf_bytes(case_type, case_id, seq, hash_, reference))
        for case_type, case_id, seq, hash_, reference in rows.values_list(
            "case_type", "case_id", "seq", "hash", "reference"
        ).iterator(chunk_size=5000)
    ]


def grow_tree(
    checkpoint: AuditCheckpoint,
    heads: dict[str, dict[str, Any]],
    key: Ed25519PrivateKey,
    created_at: str,
    events: int,
) -> dict[str, Any]:
    """Append a leaf for every chain whose head moved since the last checkpoint; sign the new tree head.

    Leaves are appended in (case type, case id) order, so the tree only ever grows: any earlier
    head is a prefix of this one, which a consistency proof shows.
    """
    recorded: dict[tuple[str, int], tuple[int, str]] = {}
    for case_type, case_id, seq, hash_ in (
        AuditTreeLeaf.objects.order_by("position").values_list("case_type", "case_id", "seq", "hash").iterator()
    ):
        recorded[(case_type, case_id)] = (seq, hash_)
    position = AuditTreeLeaf.objects.count()
    chains: list[tuple[str, int, dict[str, Any]]] = []
    for chain_id, head in heads.items():
        chain_type, _sep, chain_case = chain_id.rpartition(":")
        chains.append((chain_type, int(chain_case), head))
    new_leaves: list[AuditTreeLeaf] = []
    for case_type, case_id, head in sorted(chains, key=lambda item: (item[0], item[1])):
        if recorded.get((case_type, case_id)) == (head["seq"], head["hash"]):
            continue
        new_leaves.append(
            AuditTreeLeaf(
                position=position + len(new_leaves),
                checkpoint=checkpoint,
                case_type=case_type,
                case_id=case_id,
                seq=head["seq"],
                hash=head["hash"],
                reference=head.get("reference", ""),
            )
        )
    AuditTreeLeaf.objects.bulk_create(new_leaves, batch_size=5000)
    size = position + len(new_leaves)
    root = merkle.root(_leaf_hashes()).hex()
    tree_head: dict[str, Any] = {
        "format": merkle.HEAD_FORMAT,
        "created_at": created_at,
        "tree_size": size,
        "root_hash": root,
        "counts": {"chains": len(heads), "events": events},
    }
    public_key = key.public_key()
    tree_head.update(
        algorithm="Ed25519",
        key_id=key_id(public_key),
        public_key=public_key_pem(public_key),
        signature=base64.b64encode(key.sign(merkle.head_signed_bytes(tree_head))).decode(),
    )
    AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(tree_size=size, root_hash=root, tree_head=tree_head)
    checkpoint.tree_size, checkpoint.root_hash, checkpoint.tree_head = size, root, tree_head
    return tree_head


class ProofError(Exception):
    """No proof can be given (unknown case, chain not in that checkpoint, sizes out of order)."""

    def __init__(self, code: str, message: Any) -> None:
        self.code = code
        self.message = message
        super().__init__(str(message))


def _checkpoint(pk: int | None) -> AuditCheckpoint:
    checkpoints = AuditCheckpoint.objects.filter(tree_size__gt=0)
    found = checkpoints.filter(pk=pk).first() if pk is not None else checkpoints.order_by("-tree_size", "-pk").first()
    if found is None:
        raise ProofError("no_checkpoint", _("No such checkpoint with a Merkle tree head."))
    return found


def inclusion_proof(case_type: str, case_id: int, checkpoint_id: int | None = None) -> dict[str, Any]:
    """The proof that the chain's latest head recorded by checkpoint ``checkpoint_id`` (default: newest) is in its tree."""
    checkpoint = _checkpoint(checkpoint_id)
    leaf = (
        AuditTreeLeaf.objects.filter(case_type=case_type, case_id=case_id, position__lt=checkpoint.tree_size)
        .order_by("-position")
        .first()
    )
    if leaf is None:
        raise ProofError("not_in_tree", _("This case's history is not covered by that checkpoint."))
    path = merkle.inclusion_path(leaf.position, _leaf_hashes(checkpoint.tree_size))
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "index": leaf.position,
        "leaf": {
            "case_type": leaf.case_type,
            "case_id": leaf.case_id,
            "seq": leaf.seq,
            "hash": leaf.hash,
            "reference": leaf.reference,
        },
        "path": [node.hex() for node in path],
    }


def consistency_proof(old_id: int, new_id: int) -> dict[str, Any]:
    """The proof that checkpoint ``new_id``'s tree extends checkpoint ``old_id``'s without rewriting it."""
    old, new = _checkpoint(old_id), _checkpoint(new_id)
    if old.tree_size > new.tree_size:
        raise ProofError("out_of_order", _("The first checkpoint must be the older one."))
    path = merkle.consistency_path(old.tree_size, _leaf_hashes(new.tree_size))
    return {"old_size": old.tree_size, "new_size": new.tree_size, "path": [node.hex() for node in path]}
