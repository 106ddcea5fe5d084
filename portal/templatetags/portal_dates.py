from __future__ import annotations

from typing import Any

from django import template

from .. import dates

register = template.Library()


@register.inclusion_tag("portal/dates/_day_note.html")
def day_note(field: Any) -> dict[str, Any]:
    """The calendar's warning for the date a bound field holds now (a refused form, a reschedule's current date)."""
    return {"note": dates.day_note(dates.day_of(field.value()))}
