"""Zip containers (office documents) checked before they are accepted: no zip bomb gets stored.

An office file is a zip archive; a small one can inflate to gigabytes in whoever opens it (a 306 KB
``.docx`` expanding to 300 MB was accepted before this check). The archive is refused when the sizes
its members declare add up to more than ``UPLOAD_MAX_EXPANDED_BYTES``, when they exceed the upload's
own size by more than ``UPLOAD_MAX_COMPRESSION_RATIO`` (past 25 MiB expanded), or when it has more than
``UPLOAD_MAX_ARCHIVE_MEMBERS`` members. Members are then inflated in bounded chunks: Python stops at
each declared size and checks the CRC, so an archive that lies about its sizes is refused as corrupt.
"""

from __future__ import annotations

import zipfile
import zlib

from django.conf import settings
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
