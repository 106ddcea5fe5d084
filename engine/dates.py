"""Dates as people in Lebanon type them: day first, Western or Arabic-Indic digits, ISO too.

One place for every date and date-time input of the platform's forms (and, through the portal's
format modules, for Django's own date fields): ``23/11/2026``, ``23-11-2026``, ``23.11.2026``,
``23/11/2026 14:30``, ``2026-11-23`` and ``٢٣/١١/٢٠٢٦`` are all the 23rd of November; ``03/04/2027``
is the 3rd of April, never March 4. A value that does not parse is refused with a translated
message naming the pattern expected.
"""

from __future__ import annotations

import datetime
import re
import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

#: the date patterns accepted, day first; ISO (year first) last
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d"]
#: the date-time patterns accepted: a date above, a space (or ISO's T), hours:minutes[:seconds]
DATETIME_INPUT_FORMATS = [
    f"{date}{sep}{time}"
    for date in DATE_INPUT_FORMATS
    for sep in (" ", "T")
    for time in ("%H:%M", "%H:%M:%S")
    if sep == " " or date == "%Y-%m-%d"
]
#: how a date and a date-time are shown back in a text input (the first pattern)
DATE_DISPLAY = "%d/%m/%Y"
DATETIME_DISPLAY = "%d/%m/%Y %H:%M"

# Arabic-Indic (U+0660..) and Eastern Arabic-Indic (U+06F0..) digits to Western ones; the Arabic
# date separator to a slash; the direction marks a right-to-left keyboard or a paste may add go.
_DIGITS = {**{0x0660 + n: str(n) for n in range(10)}, **{0x06F0 + n: str(n) for n in range(10)}}
_TRANSLATE = {**_DIGITS, 0x060D: "/", 0x2215: "/", 0xFF0F: "/"}
_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_AROUND_SEPARATOR = re.compile(r"\s*([/.:-])\s*")


def normalize(value: str) -> str:
    """``value`` with Western digits, no direction marks, single spaces and no spaces around separators."""
    text = _MARKS.sub("", value.translate(_TRANSLATE))
    text = _AROUND_SEPARATOR.sub(r"\1", " ".join(text.split()))
    return text


def parse_date(value: str) -> datetime.date | None:
    """The date ``value`` names (any accepted pattern), or None."""
    text = normalize(value)
    for pattern in DATE_INPUT_FORMATS:
        try:
            return datetime.date(*time.strptime(text, pattern)[:3])
        except ValueError:
            continue
    return None


class DayFirstDateInput(forms.DateInput):
    """A text box (not the browser's date picker, whose order follows the browser's locale)."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # Digits and slashes read left to right in an Arabic page too.
        defaults = {"dir": "ltr", "autocomplete": "off", "spellcheck": "false", "size": "12"}
        super().__init__(attrs={**defaults, **(attrs or {})}, format=DATE_DISPLAY)


class DayFirstDateTimeInput(forms.DateTimeInput):
    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {"dir": "ltr", "autocomplete": "off", "spellcheck": "false", "size": "18"}
        super().__init__(attrs={**defaults, **(attrs or {})}, format=DATETIME_DISPLAY)


class DayFirstDateField(forms.DateField):
    widget = DayFirstDateInput
    input_formats = DATE_INPUT_FORMATS
    default_error_messages = {"invalid": _("Enter a date as day/month/year, for example 23/11/2026.")}

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = normalize(value)
        return super().to_python(value)


class DayFirstDateTimeField(forms.DateTimeField):
    widget = DayFirstDateTimeInput
    input_formats = DATETIME_INPUT_FORMATS
    default_error_messages = {
        "invalid": _("Enter a date and time as day/month/year hours:minutes, for example 23/11/2026 14:30."),
    }

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = normalize(value)
        return super().to_python(value)
