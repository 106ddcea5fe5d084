"""Documents added to a request: checked by extension, size and content before anything is stored."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

import engine
from engine import uploads
from engine.audit import RequestContext
from engine.errors import InvalidInput

from ..models import Attachment, DialogueRequest


def attachment_checked(file: Any) -> tuple[str, str, int, str]:
    """(safe file name, content type, size, sha256) of an acceptable upload, or ``InvalidInput``.

    The checks are the engine's (``engine.uploads.checked_upload``: extension, size, content, zip bombs),
    shared with every workflow that takes documents.
    """
    try:
        return uploads.checked_upload(file)
    except uploads.UploadRefused as refused:
        raise InvalidInput({"file": [str(refused)]}) from None


def attachment_validate(file: Any) -> tuple[str, str, int]:
    """(safe file name, content type, size) of an acceptable upload, or ``InvalidInput``."""
    return attachment_checked(file)[:3]


def attachment_add(
    *,
    request: DialogueRequest,
    actor: Any,
    file: Any,
    description: str = "",
    context: RequestContext | None = None,
) -> Attachment:
    """Store a checked document on the request and audit it on the request's chain."""
    engine.authorize(request, actor, "document_added")
    name, content_type, size, checksum = attachment_checked(file)
    description = (description or "").strip()[:300]
    with transaction.atomic():
        engine.lock(request)
        attachment = Attachment(
            request=request,
            name=name,
            content_type=content_type,
            size=size,
            sha256=checksum,
            description=description,
            uploaded_by=actor,
            uploaded_at=timezone.now(),
        )
        attachment.file.save(name, file, save=False)
        attachment.save()
        engine.record(
            request,
            "document_added",
            actor=actor,
            data={"attachment": attachment.pk, "name": name, "size": size, "sha256": checksum, "type": content_type},
            context=context,
        )
    return attachment
