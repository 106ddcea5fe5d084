"""User text that cannot rearrange what is shown around it: bidi controls out of single-line fields.

Right-to-left override characters (U+202E and friends) in a title make "exe.fdp" read as "pdf.exe",
reverse the words of a notification's subject or an invitation's summary, and leak into whatever
follows. Single-line fields (titles, names, locations) lose them at input, through one form field
used by the portal's forms and, through the same forms, by the API; places that show user text next
to other text isolate it (``<bdi>`` / ``dir="auto"`` in pages, first-strong isolates in plain text).
"""

from __future__ import annotations

from typing import Any

from django import forms

#: LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI; LRM, RLM; the Arabic letter mark.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_REMOVE = {ord(character): None for character in BIDI_CONTROLS}
_LINE_BREAKS = {ord(character): " " for character in "\r\n\t\v\f\x85\u2028\u2029"}

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def strip_bidi_controls(text: str) -> str:
    """``text`` without any bidi embedding, override, isolate or mark character."""
    return text.translate(_REMOVE)


def single_line(text: str) -> str:
    """``text`` on one line, without bidi controls, spaces collapsed."""
    return " ".join(strip_bidi_controls(text).translate(_LINE_BREAKS).split())


def isolate(text: Any) -> str:
    """Plain-text ``<bdi>``: ``text`` cleaned, between a first-strong isolate and its pop."""
    return f"{FIRST_STRONG_ISOLATE}{single_line(str(text))}{POP_DIRECTIONAL_ISOLATE}"


class SingleLineField(forms.CharField):
    """A one-line text field (title, name, location): bidi controls and line breaks are removed."""

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        return single_line(text) if isinstance(text, str) else text


def join_words(items: Any) -> str:
    """Items as a list in the active language: the Arabic comma (،) in a right-to-left language."""
    from django.utils.translation import get_language_bidi

    return ("، " if get_language_bidi() else ", ").join(str(item) for item in items)
