"""The one idempotency store: every POST with an ``Idempotency-Key``, creation included.

A key belongs to one person and names one action on one case (or the creation of one case) with one
body. Its repeat with the same body replays the first answer and changes nothing; with another body
or for another action it is refused (``IdempotencyKeyReused``). The record is written in the
action's own transaction, so it exists exactly when the action happened.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .audit import jsonable
from .errors import IdempotencyKeyReused
from .models import IdempotencyRecord

#: (case type, case id or None for a creation, action name)
Scope = tuple[str, "int | None", str]


def fingerprint(data: Any) -> str:
    """A digest of a request body, independent of key order (uploaded files count by name and size)."""
    if hasattr(data, "lists"):
        data = {key: values if len(values) != 1 else values[0] for key, values in data.lists()}
    text = json.dumps(jsonable(_without_files(data)), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _without_files(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _without_files(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_without_files(value) for value in data]
    if hasattr(data, "read"):
        return {"file": getattr(data, "name", ""), "size": getattr(data, "size", None)}
    return data


def lookup(actor: Any, key: str, *, scope: Scope, body: Any = None) -> IdempotencyRecord | None:
    """The earlier use of ``key`` by ``actor``, if it was the same action with the same body; else None.

    Raises ``IdempotencyKeyReused`` when the key was used for something else.
    """
    record = IdempotencyRecord.objects.filter(actor=actor if actor is not None else None, key=key).first()
    if record is None:
        return None
    case_type, case_id, name = scope
    same_action = record.case_type == case_type and record.transition == name
    if case_id is not None:
        same_action = same_action and record.case_id == case_id
    if not same_action or (body is not None and record.fingerprint and record.fingerprint != fingerprint(body)):
        raise IdempotencyKeyReused()
    return record


def remember(
    actor: Any,
    key: str,
    *,
    scope: Scope,
    case_id: int | None = None,
    result: dict[str, Any] | None = None,
    body: Any = None,
    response: Any = None,
    status_code: int = 200,
) -> IdempotencyRecord:
    """Record the first use of ``key`` (a unique constraint makes a racing twin fail)."""
    case_type, scoped_id, name = scope
    return IdempotencyRecord.objects.create(
        key=key,
        actor=actor,
        case_type=case_type,
        case_id=case_id if case_id is not None else (scoped_id or 0),
        transition=name,
        result=result or {},
        fingerprint=fingerprint(body) if body is not None else "",
        response=response,
        status_code=status_code,
    )


def attach_response(actor: Any, key: str, response: Any, status_code: int) -> None:
    """Store the HTTP answer given for ``key`` (in the same transaction as the action)."""
    IdempotencyRecord.objects.filter(actor=actor, key=key).update(response=response, status_code=status_code)
