"""The meeting as iCalendar: one UID across reschedules, a rising SEQUENCE, CANCEL when cancelled."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from engine.text import isolate, single_line

from ..models import Meeting


def _address(user: object) -> vCalAddress:
    email = getattr(user, "email", "") or f"{getattr(user, 'username', 'user')}@invalid"
    address = vCalAddress(f"mailto:{email}")
    name = (getattr(user, "get_full_name", lambda: "")() or getattr(user, "username", "")).strip()
    if name:
        address.params["CN"] = vText(name)
    return address


def meeting_ics(meeting: Meeting) -> bytes:
    """An iCalendar document for ``meeting`` in Beirut time (METHOD:CANCEL once it is cancelled)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    cancelled = meeting.status == Meeting.Status.CANCELLED
    request = meeting.request
    calendar = Calendar()
    calendar.add("prodid", "-//Partnership Dialogue Platform//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now().astimezone(ZoneInfo("UTC")))
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    summary = f"{request.reference} {isolate(request.title)}"
    if meeting.number > 1 or meeting.title:
        # A session of a series: which one, in the calendar's own line.
        label = isolate(meeting.title) if meeting.title else str(meeting.get_kind_display())
        summary = f"{summary} · {meeting.number}: {label}"
    event.add("summary", summary)
    description = meeting.agenda
    if meeting.online_url:
        description = f"{description}\n\n{meeting.online_url}"
        event.add("url", meeting.online_url)
    event.add("description", description)
    event.add("location", single_line(meeting.location))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event["organizer"] = _address(meeting.organizer)
    for invitee in meeting.invitees.all():
        attendee = _address(invitee)
        attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
        attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
        attendee.params["RSVP"] = vText("TRUE")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
