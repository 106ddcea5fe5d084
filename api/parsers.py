"""A JSON parser that refuses what the database could not store, before any view sees it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.parsers import JSONParser

from .errors import ApiError

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def max_body_bytes() -> int:
    return int(getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def unstorable_text(value: str) -> bool:
    """NUL characters and lone surrogates: valid in JSON, refused by PostgreSQL and UTF-8."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check(value: Any) -> None:
    if isinstance(value, str):
        if unstorable_text(value):
            raise ApiError(
                "malformed", _("The text contains characters that cannot be stored (NUL or lone surrogates).")
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key)
            _check(item)
    elif isinstance(value, list):
        for item in value:
            _check(item)


class SafeJSONParser(JSONParser):
    """Strict JSON (no NaN), bounded in size, with only storable text."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        request = (parser_context or {}).get("request")
        limit = max_body_bytes()
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            too_large = length is not None and int(length) > limit
        except ValueError:
            too_large = False
        if too_large:
            raise ApiError(
                "too_large",
                _("The request body is too large."),
                status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            data = super().parse(stream, media_type, parser_context)
            _check(data)
        except RecursionError:
            # JSON nested deeper than Python's recursion limit ("[[[[...").
            raise ApiError("malformed", _("The request body is nested too deeply.")) from None
        return data
