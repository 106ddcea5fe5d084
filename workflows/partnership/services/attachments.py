"""Documents added to a request: checked by extension, size and content before anything is stored."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import PurePath
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

import engine
from engine.audit import RequestContext
from engine.errors import InvalidInput
from engine.uploads import zip_archive_problem

from ..models import Attachment, DialogueRequest

MAX_BYTES = 10 * 1024 * 1024
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
}
# Office documents are zip archives; this member tells a Word file from a spreadsheet.
OFFICE_MARKERS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


def _head(file: Any, size: int = 8192) -> bytes:
    file.seek(0)
    head = file.read(size)
    file.seek(0)
    return head if isinstance(head, bytes) else head.encode()


def _content_matches(extension: str, file: Any) -> bool:
    head = _head(file)
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if extension in OFFICE_MARKERS:
        if not head.startswith(b"PK\x03\x04"):
            return False
        file.seek(0)
        try:
            content = file.read()
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                # A zip bomb is refused with its own reason, before anything is stored.
                problem = zip_archive_problem(archive, compressed_size=len(content))
                if problem:
                    raise InvalidInput({"file": [problem]})
                return OFFICE_MARKERS[extension] in archive.namelist()
        except zipfile.BadZipFile:
            return False
        finally:
            file.seek(0)
    if extension == "txt":
        if b"\x00" in head:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            return exc.start >= len(head) - 3
        return True
    return False


def attachment_validate(file: Any) -> tuple[str, str, int]:
    """(safe file name, content type, size) of an acceptable upload, or ``InvalidInput``."""
    if file is None:
        raise InvalidInput({"file": [str(_("Choose a file to upload."))]})
    raw_name = PurePath(str(getattr(file, "name", "") or "")).name
    name = get_valid_filename(raw_name)[:200] if raw_name else ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in CONTENT_TYPES:
        allowed = ", ".join(sorted({"pdf", "docx", "xlsx", "png", "jpg", "txt"}))
        raise InvalidInput(
            {"file": [str(_("Files of this type are not accepted. Accepted types: %(types)s.") % {"types": allowed})]}
        )
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(0)
    if size == 0:
        raise InvalidInput({"file": [str(_("The file is empty."))]})
    if size > MAX_BYTES:
        raise InvalidInput({"file": [str(_("The file is larger than 10 MB."))]})
    if not _content_matches(extension, file):
        raise InvalidInput(
            {"file": [str(_("The file's content does not match its .%(ext)s extension.") % {"ext": extension})]}
        )
    return name, CONTENT_TYPES[extension], int(size)


def _sha256(file: Any) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(65536), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


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
    name, content_type, size = attachment_validate(file)
    description = (description or "").strip()[:300]
    checksum = _sha256(file)
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
