"""The dialogue series of a request: which session a unit is about, and the figures of who attended.

Reads only; the flow's units and their effects write.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Q, QuerySet

from partners.models import Side

from .models import Meeting, Participant

SIDES = [value for value, _label in Side.choices]
GENDERS = [value for value, _label in Participant.Gender.choices]


def target_session(request: Any, pk: int | None, *, statuses: tuple[str, ...] = (Meeting.Status.SCHEDULED,)) -> Any:
    """The session ``pk`` of ``request``, or (none given) the next one in ``statuses`` by start time."""
    sessions = Meeting.objects.filter(request=request)
    if pk is not None:
        return sessions.filter(pk=pk).first()
    return sessions.filter(status__in=statuses).order_by("starts_at", "number", "id").first()


def scheduled_sessions(request: Any) -> QuerySet[Meeting]:
    return Meeting.objects.filter(request=request, status=Meeting.Status.SCHEDULED)


def next_number(request: Any) -> int:
    last = Meeting.objects.filter(request=request).order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def registered_count(meeting: Meeting) -> int:
    return Participant.objects.filter(meeting=meeting, walk_in=False).count()


def figures(participants: Any) -> dict[str, Any]:
    """Attendance by side and by gender (and both) from participants' rows or dicts."""
    attended = [p for p in participants if _get(p, "attended")]
    by_side = Counter(_get(p, "side") for p in attended)
    by_gender = Counter(_get(p, "gender") for p in attended)
    by_both = Counter((_get(p, "side"), _get(p, "gender")) for p in attended)
    return {
        "registered": sum(1 for p in participants if not _get(p, "walk_in")),
        "walk_ins": sum(1 for p in participants if _get(p, "walk_in")),
        "attended": len(attended),
        "by_side": {side: by_side.get(side, 0) for side in SIDES},
        "by_gender": {gender: by_gender.get(gender, 0) for gender in GENDERS},
        "by_side_and_gender": {side: {g: by_both.get((side, g), 0) for g in GENDERS} for side in SIDES},
    }


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name)


def series(request: Any) -> list[dict[str, Any]]:
    """The sessions of ``request`` in order, with their minutes and attendance figures (JSON-friendly)."""
    sessions = list(Meeting.objects.filter(request=request).order_by("number", "id").prefetch_related("participants"))
    return series_of(sessions)


def series_of(sessions: list[Meeting]) -> list[dict[str, Any]]:
    """``series`` from sessions already loaded with their participants (the request page's prefetch)."""
    return [
        {
            "session": meeting.pk,
            "number": meeting.number,
            "kind": meeting.kind,
            "title": meeting.title,
            "status": meeting.status,
            "starts_at": meeting.starts_at.isoformat(),
            "ends_at": meeting.ends_at.isoformat(),
            "minutes": meeting.minutes,
            "figures": figures(list(meeting.participants.all())),
        }
        for meeting in sorted(sessions, key=lambda meeting: (meeting.number, meeting.pk))
    ]


def series_figures(request: Any) -> dict[str, Any]:
    """Attendance over the whole series (a person at two sessions counts twice: attendances, not people)."""
    return figures(list(Participant.objects.filter(meeting__request=request, meeting__status=Meeting.Status.HELD)))


def figures_for(requests: QuerySet[Any]) -> dict[str, Any]:
    """Attendances by side and gender over many requests' held sessions, in one query (the dashboard)."""
    rows = (
        Participant.objects.filter(meeting__request__in=requests, meeting__status=Meeting.Status.HELD, attended=True)
        .values("side", "gender")
        .annotate(n=Count("id"))
    )
    by_side: Counter[str] = Counter()
    by_gender: Counter[str] = Counter()
    by_both: Counter[tuple[str, str]] = Counter()
    for row in rows:
        by_side[row["side"]] += row["n"]
        by_gender[row["gender"]] += row["n"]
        by_both[(row["side"], row["gender"])] += row["n"]
    return {
        "attended": sum(by_side.values()),
        "by_side": {side: by_side.get(side, 0) for side in SIDES},
        "by_gender": {gender: by_gender.get(gender, 0) for gender in GENDERS},
        "by_side_and_gender": {side: {g: by_both.get((side, g), 0) for g in GENDERS} for side in SIDES},
    }


def sessions_count(requests: QuerySet[Any]) -> dict[str, int]:
    """Held and scheduled sessions over many requests."""
    counts = Meeting.objects.filter(request__in=requests).aggregate(
        held=Count("id", filter=Q(status=Meeting.Status.HELD)),
        scheduled=Count("id", filter=Q(status=Meeting.Status.SCHEDULED)),
    )
    return {"held": counts["held"] or 0, "scheduled": counts["scheduled"] or 0}
