"""Zip containers (office documents) checked before they are accepted: no zip bomb gets stored.

An office file is a zip archive; a small one can inflate to gigabytes in whoever opens it (a 306 KB
``.docx`` expanding to 300 MB was accepted before this check). The archive is refused when the sizes
its members declare add up to more than ``UPLOAD_MAX_EXPANDED_BYTES``, when they exceed the upload's
own size by more than ``UPLOAD_MAX_COMPRESSION_RATIO`` (past 25 MiB expanded), or when it has more than
``UPLOAD_MAX_ARCHIVE_MEMBERS`` members. Members are then inflated in bounded chunks: Python stops at
each declared size and checks the CRC, so an archive that lies about its sizes is refused as corrupt.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

DEFAULT_MAX_EXPANDED_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_RATIO = 100
DEFAULT_MAX_MEMBERS = 10_000
RATIO_FLOOR_BYTES = 25 * 1024 * 1024
_CHUNK = 1024 * 1024


def _limits() -> tuple[int, float, int]:
    return (
        int(getattr(settings, "UPLOAD_MAX_EXPANDED_BYTES", DEFAULT_MAX_EXPANDED_BYTES)),
        float(getattr(settings, "UPLOAD_MAX_COMPRESSION_RATIO", DEFAULT_MAX_RATIO)),
        int(getattr(settings, "UPLOAD_MAX_ARCHIVE_MEMBERS", DEFAULT_MAX_MEMBERS)),
    )


def zip_archive_problem(archive: zipfile.ZipFile, *, compressed_size: int) -> str | None:
    """Why ``archive`` must be refused (a translated sentence), or None when it is safe to keep."""
    max_bytes, max_ratio, max_members = _limits()
    members = archive.infolist()
    if len(members) > max_members:
        return _("The document holds too many parts (%(count)s) to be opened safely.") % {"count": len(members)}
    expanded = sum(member.file_size for member in members)
    if expanded > max_bytes:
        return _("The document expands to %(size)s MB when opened, more than the %(limit)s MB accepted.") % {
            "size": expanded // (1024 * 1024),
            "limit": max_bytes // (1024 * 1024),
        }
    # Repetitive XML compresses well (a text-only document can reach 300:1), so the ratio only counts once
    # the expanded size is worth worrying about.
    if expanded > RATIO_FLOOR_BYTES and expanded > max_ratio * max(compressed_size, 1):
        return _(
            "The document inflates %(ratio)s times when opened, far more than an ordinary document: it is refused as a possible zip bomb."
        ) % {"ratio": expanded // max(compressed_size, 1)}
    inflated = 0
    try:
        for member in members:
            with archive.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    inflated += len(chunk)
                    if inflated > max_bytes:
                        return _("The document expands to more than the %(limit)s MB accepted.") % {
                            "limit": max_bytes // (1024 * 1024)
                        }
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError, OSError):
        return _("The document is damaged or protected and cannot be checked.")
    return None


# --- a document a person uploads: checked by extension, size and content before anything is stored ---------

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
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


class UploadRefused(ValueError):
    """The upload is not accepted; ``str(error)`` is the translated reason, for the ``file`` field."""


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
                problem = zip_archive_problem(archive, compressed_size=len(content))
                if problem:
                    raise UploadRefused(problem)
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
            return exc.start >= len(head) - 3  # a multi-byte character cut at the end of the sample is still text
        return True
    return False


def checked_upload(file: Any) -> tuple[str, str, int, str]:
    """(safe file name, content type, size, sha256) of an acceptable upload; ``UploadRefused`` otherwise.

    The same checks as the partnership workflow's documents, for any workflow: an accepted extension, not
    empty, at most 10 MB, content that matches the extension, and no zip bomb.
    """
    if file is None:
        raise UploadRefused(_("Choose a file to upload."))
    raw_name = PurePath(str(getattr(file, "name", "") or "")).name
    name = get_valid_filename(raw_name)[:200] if raw_name else ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in CONTENT_TYPES:
        allowed = ", ".join(sorted({"pdf", "docx", "xlsx", "png", "jpg", "txt"}))
        raise UploadRefused(_("Files of this type are not accepted. Accepted types: %(types)s.") % {"types": allowed})
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
        file.seek(0)
    if size == 0:
        raise UploadRefused(_("The file is empty."))
    if size > MAX_UPLOAD_BYTES:
        raise UploadRefused(_("The file is larger than 10 MB."))
    if not _content_matches(extension, file):
        raise UploadRefused(_("The file's content does not match its .%(ext)s extension.") % {"ext": extension})
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(65536), b""):
        digest.update(chunk)
    file.seek(0)
    return name, CONTENT_TYPES[extension], int(size), digest.hexdigest()
