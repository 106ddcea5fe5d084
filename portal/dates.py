"""What the calendar says about a day a person is about to pick (a warning before saving).

The rule stays the flow's (``business_day_or_override`` refuses a meeting on a weekend or holiday
without the override); this only tells the person early, as they type the date.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from engine import calendar
from engine.dates import DayFirstDateTimeField, parse_date


def day_of(value: Any) -> datetime.date | None:
    """The calendar day (in the platform's time zone) of a typed date-time or date, else None."""
    if isinstance(value, datetime.datetime):
        moment = value if timezone.is_aware(value) else timezone.make_aware(value)
        return timezone.localtime(moment, calendar.local_zone()).date()
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = DayFirstDateTimeField(required=False).clean(value)
    except forms.ValidationError:
        moment = None
    if moment is not None:
        return day_of(moment)
    return parse_date(value.split()[0])


def day_note(day: datetime.date | None) -> str:
    """ "Saturday 28 November 2026 is a weekend day…", "… is a public holiday: …", or "" for a business day."""
    if day is None or calendar.is_business_day(day):
        return ""
    params = {"day": formats.date_format(day, "l j F Y")}
    holiday = calendar.holiday_name(day)
    if holiday:
        note = _("%(day)s is a public holiday on the Lebanese calendar: %(holiday)s.") % {**params, "holiday": holiday}
    else:
        note = _("%(day)s is a weekend day on the Lebanese calendar.") % params
    return f"{note} {_('To meet on it anyway, tick the override below and give the reason.')}"
