"""The business calendar: weekends, Lebanese public holidays, administrator closures and overrides.

Every deadline in the engine is counted in business days on this calendar, in local time
(``settings.ENGINE["TIME_ZONE"]``, else ``settings.TIME_ZONE``: Asia/Beirut). Durations are real
elapsed seconds (computed in UTC), so a daylight-saving change inside a working day counts the hour
that actually passed, not the one the wall clock shows.

Administrator data (``ClosureDay``, ``HolidayOverride``) is cached per process. ``invalidate()`` (called
by signals when an administrator saves or deletes a row) forgets it at once in this process and, after
the transaction commits, bumps a generation number in Django's cache so other processes (web workers,
the Celery worker running the SLA scan) reload within ``_RECHECK_SECONDS``.
"""

from __future__ import annotations

import threading
import time as time_module
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import translation

# Longest stretch searched for a business day before the calendar is declared misconfigured
# (every weekday a weekend, or years of closures).
_MAX_SCAN_DAYS = 3 * 366
# How often a process asks the shared cache whether another process changed the calendar.
_RECHECK_SECONDS = 5.0
# Upper bound on staleness when the shared cache is per-process (no Redis).
_RELOAD_SECONDS = 300.0
_GENERATION_KEY = "engine:calendar:generation"

_lock = threading.RLock()


class _AdminDays:
    """The administrator's closures and overrides as loaded by this process."""

    def __init__(self) -> None:
        self.loaded = False
        self.loaded_at = 0.0
        self.checked_at = 0.0
        self.generation: object = None
        self.closures: dict[date, str] = {}
        # estimated date → official date (None: cancelled)
        self.overrides: dict[date, date | None] = {}
        # official date → estimated date it was moved from
        self.moved_to: dict[date, date] = {}
        self.closed_by_year: dict[int, frozenset[date]] = {}


_state = _AdminDays()


def _conf() -> dict:
    return settings.ENGINE


def local_zone() -> ZoneInfo:
    """The zone business days are counted in (Asia/Beirut)."""
    return ZoneInfo(_conf().get("TIME_ZONE") or settings.TIME_ZONE)


@lru_cache(maxsize=8)
def _bounds(start: str, end: str) -> tuple[time, time]:
    opening, closing = (time(int(value.split(":")[0]), int(value.split(":")[1])) for value in (start, end))
    if closing <= opening:
        raise ValueError("ENGINE WORKDAY_END must be later than WORKDAY_START")
    return opening, closing


def workday_bounds() -> tuple[time, time]:
    """Opening and closing time of a working day, local wall-clock."""
    return _bounds(_conf()["WORKDAY_START"], _conf()["WORKDAY_END"])


def workday_seconds() -> int:
    """Length of a nominal working day in seconds (8 hours by default)."""
    start, end = workday_bounds()
    return (end.hour * 3600 + end.minute * 60) - (start.hour * 3600 + start.minute * 60)


def _weekend() -> frozenset[int]:
    return frozenset(int(day) for day in _conf()["WEEKEND"])


# --- administrator data -------------------------------------------------------------------


def forget_cached() -> None:
    """Drop this process's copy of the administrator's days (no database or cache access)."""
    with _lock:
        _state.loaded = False


def invalidate() -> None:
    """Forget cached closures and overrides (called when an administrator edits them)."""
    forget_cached()
    # Other processes must not reload before the change is visible to them.
    transaction.on_commit(_bump_generation)


def _bump_generation() -> None:
    with _lock:
        _state.loaded = False
    try:
        cache.set(_GENERATION_KEY, time_module.time_ns(), timeout=None)
    except Exception:  # noqa: BLE001  (a cache outage must not undo an administrator's save)
        pass


def _shared_generation() -> object:
    try:
        return cache.get(_GENERATION_KEY)
    except Exception:  # noqa: BLE001  (fall back to the time-based reload)
        return _state.generation


def _admin_days() -> _AdminDays:
    now = time_module.monotonic()
    with _lock:
        if _state.loaded and now - _state.checked_at > _RECHECK_SECONDS:
            _state.checked_at = now
            if _shared_generation() != _state.generation or now - _state.loaded_at > _RELOAD_SECONDS:
                _state.loaded = False
        if not _state.loaded:
            _load(now)
        return _state


def _load(now: float) -> None:
    from .models import ClosureDay, HolidayOverride

    generation = _shared_generation()
    _state.closures = dict(ClosureDay.objects.values_list("date", "reason"))
    _state.overrides = dict(HolidayOverride.objects.values_list("estimated_date", "actual_date"))
    _state.moved_to = {actual: estimated for estimated, actual in _state.overrides.items() if actual is not None}
    _state.closed_by_year = {}
    _state.generation = generation
    _state.loaded_at = _state.checked_at = now
    _state.loaded = True


# --- public holidays ------------------------------------------------------------------------


def _holiday_language() -> str | None:
    """The holidays package's language closest to the active Django language."""
    language = (translation.get_language() or "").lower()
    if language.startswith("ar"):
        return "ar"
    if language.startswith("fr"):
        return "fr"
    if language.startswith("en"):
        return "en_US"
    return None


@lru_cache(maxsize=128)
def _public_holidays(year: int, country: str, language: str | None = "en_US") -> dict[date, str]:
    return dict(holidays.country_holidays(country, years=year, language=language))


def public_holidays(year: int, language: str | None = None) -> dict[date, str]:
    """The package's public holidays for ``year`` (before administrator overrides), by date."""
    return _public_holidays(year, _conf()["HOLIDAY_COUNTRY"], language or _holiday_language())


def public_holiday_name(day: date) -> str | None:
    """The package's name for the public holiday on ``day`` (ignoring overrides), translated."""
    return public_holidays(day.year).get(day)


def _closed_days(year: int, admin: _AdminDays | None = None) -> frozenset[date]:
    """Days of ``year`` that are holidays or closures, whatever their weekday."""
    admin = admin or _admin_days()
    closed = admin.closed_by_year.get(year)
    if closed is None:
        days = {day for day in _public_holidays(year, _conf()["HOLIDAY_COUNTRY"]) if day not in admin.overrides}
        days.update(day for day in admin.moved_to if day.year == year)
        days.update(day for day in admin.closures if day.year == year)
        closed = frozenset(days)
        admin.closed_by_year[year] = closed
    return closed


class _Calendar:
    """One call's view of the settings and the administrator's days, read once rather than per day."""

    __slots__ = ("weekend", "opening", "closing", "zone", "admin")

    def __init__(self) -> None:
        self.weekend = _weekend()
        self.opening, self.closing = workday_bounds()
        self.zone = local_zone()
        self.admin = _admin_days()

    def is_business_day(self, day: date) -> bool:
        return day.isoweekday() not in self.weekend and day not in _closed_days(day.year, self.admin)

    def next_business_day(self, day: date) -> date:
        for _ in range(_MAX_SCAN_DAYS):
            day += timedelta(days=1)
            if self.is_business_day(day):
                return day
        raise ValueError("The business calendar has no working day: check ENGINE WEEKEND and closure days.")

    def start_of(self, day: date) -> datetime:
        return datetime.combine(day, self.opening, tzinfo=self.zone)

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day, self.closing, tzinfo=self.zone)


def holiday_name(day: date) -> str | None:
    """The public holiday or closure on ``day``, after administrator overrides, else None."""
    admin = _admin_days()
    if day in admin.closures:
        return admin.closures[day]
    estimated = admin.moved_to.get(day)
    if estimated is not None:
        return public_holidays(estimated.year).get(estimated) or str(day)
    if day in admin.overrides:
        return None
    return public_holiday_name(day)


def is_business_day(day: date) -> bool:
    """Not a weekend day, not a public holiday (as overridden), not a closure day."""
    return _Calendar().is_business_day(day)


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day``."""
    return _Calendar().next_business_day(day)


# --- moments --------------------------------------------------------------------------------


def start_of_workday(day: date) -> datetime:
    """Opening time of ``day`` (local, aware)."""
    return datetime.combine(day, workday_bounds()[0], tzinfo=local_zone())


def end_of_workday(day: date) -> datetime:
    """Closing time of ``day`` (local, aware): when a deadline falling on ``day`` expires."""
    return datetime.combine(day, workday_bounds()[1], tzinfo=local_zone())


def _seconds(start: datetime, end: datetime) -> int:
    # Real elapsed seconds: aware datetimes sharing one tzinfo subtract as wall-clock times,
    # which would be an hour off across a daylight-saving change.
    return int(round((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()))


def _plus(moment: datetime, seconds: int, zone: ZoneInfo) -> datetime:
    return (moment.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(zone)


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("Business-calendar arithmetic needs aware datetimes.")


def add_business_days(start: datetime, days: int) -> datetime:
    """The deadline ``days`` business days after ``start``: the end of that working day, local time.

    The day of ``start`` itself never counts (as for legal deadlines, the day of receipt is not a
    day of the period), so a request received on Friday at 11:00 with one day is due Monday at the
    end of the working day. With ``days=0`` the deadline is the end of the current working day, or
    of the next one when ``start`` is already past it.
    """
    _require_aware(start)
    if days < 0:
        raise ValueError("days must not be negative")
    cal = _Calendar()
    local = start.astimezone(cal.zone)
    day = local.date()
    if days == 0:
        if cal.is_business_day(day) and local < cal.end_of(day):
            return cal.end_of(day)
        return cal.end_of(cal.next_business_day(day))
    for _ in range(days):
        day = cal.next_business_day(day)
    return cal.end_of(day)


def business_days_between(start: datetime, end: datetime) -> int:
    """Business days after ``start``'s local day up to and including ``end``'s (0 if not later).

    The inverse of ``add_business_days``: ``business_days_between(s, add_business_days(s, n)) == n``.
    """
    _require_aware(start, end)
    cal = _Calendar()
    first, last = start.astimezone(cal.zone).date(), end.astimezone(cal.zone).date()
    count = 0
    day = first + timedelta(days=1)
    while day <= last:
        count += cal.is_business_day(day)
        day += timedelta(days=1)
    return count


def business_seconds_between(start: datetime, end: datetime) -> int:
    """Working seconds between two moments (0 if ``end`` is not after ``start``)."""
    _require_aware(start, end)
    if end <= start:
        return 0
    cal = _Calendar()
    start, end = start.astimezone(cal.zone), end.astimezone(cal.zone)
    full_day = workday_seconds()
    total = 0
    day, last = start.date(), end.date()
    while day <= last:
        if cal.is_business_day(day):
            open_at, close_at = cal.start_of(day), cal.end_of(day)
            if start <= open_at and close_at <= end and close_at.utcoffset() == open_at.utcoffset():
                total += full_day  # a whole ordinary day: no need to subtract
            else:
                open_at, close_at = max(start, open_at), min(end, close_at)
                if close_at > open_at:
                    total += _seconds(open_at, close_at)
        day += timedelta(days=1)
    return total


def business_days_elapsed(start: datetime, end: datetime) -> float:
    """Working time between two moments in (fractional) nominal working days."""
    return business_seconds_between(start, end) / workday_seconds()


def add_business_seconds(start: datetime, seconds: int) -> datetime:
    """The moment ``seconds`` of working time after ``start`` (``start`` itself for 0)."""
    _require_aware(start)
    cal = _Calendar()
    remaining = max(0, int(seconds))
    moment = start.astimezone(cal.zone)
    if remaining == 0:
        return moment
    day = moment.date()
    for _ in range(_MAX_SCAN_DAYS * 10):
        if cal.is_business_day(day):
            open_at = max(moment, cal.start_of(day))
            close_at = cal.end_of(day)
            available = _seconds(open_at, close_at) if close_at > open_at else 0
            if remaining <= available:
                return _plus(open_at, remaining, cal.zone)
            remaining -= available
        day += timedelta(days=1)
        moment = cal.start_of(day)
    raise ValueError("The business calendar has no working day: check ENGINE WEEKEND and closure days.")
