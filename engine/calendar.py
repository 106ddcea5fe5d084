"""The business calendar: weekends, Lebanese public holidays, administrator closures."""

from __future__ import annotations

import threading
import time as time_module
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

_CACHE_SECONDS = 300
_lock = threading.Lock()
_cache: dict[str, object] = {"loaded_at": 0.0, "closures": {}, "overrides": {}}


def _conf() -> dict:
    return settings.ENGINE


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def workday_bounds() -> tuple[time, time]:
    return _hhmm(_conf()["WORKDAY_START"]), _hhmm(_conf()["WORKDAY_END"])


def workday_seconds() -> int:
    start, end = workday_bounds()
    return (end.hour * 3600 + end.minute * 60) - (start.hour * 3600 + start.minute * 60)


def invalidate() -> None:
    """Forget cached closures and overrides (called when an administrator edits them)."""
    with _lock:
        _cache["loaded_at"] = 0.0


def _admin_days() -> tuple[dict[date, str], dict[date, date | None]]:
    with _lock:
        if time_module.monotonic() - float(_cache["loaded_at"]) > _CACHE_SECONDS:
            from .models import ClosureDay, HolidayOverride

            _cache["closures"] = dict(ClosureDay.objects.values_list("date", "reason"))
            _cache["overrides"] = dict(HolidayOverride.objects.values_list("estimated_date", "actual_date"))
            _cache["loaded_at"] = time_module.monotonic()
        return _cache["closures"], _cache["overrides"]  # type: ignore[return-value]


@lru_cache(maxsize=64)
def _public_holidays(year: int, country: str) -> dict[date, str]:
    return dict(holidays.country_holidays(country, years=year))


def holiday_name(day: date) -> str | None:
    """The public holiday or closure on ``day``, after administrator overrides, else None."""
    closures, overrides = _admin_days()
    if day in closures:
        return closures[day]
    for estimated, actual in overrides.items():
        if actual == day:
            return _public_holidays(estimated.year, _conf()["HOLIDAY_COUNTRY"]).get(estimated, "holiday")
    if day in overrides:
        return None
    return _public_holidays(day.year, _conf()["HOLIDAY_COUNTRY"]).get(day)


def is_business_day(day: date) -> bool:
    if day.isoweekday() in _conf()["WEEKEND"]:
        return False
    return holiday_name(day) is None


def next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def end_of_workday(day: date) -> datetime:
    return datetime.combine(day, workday_bounds()[1], tzinfo=local_zone())


def start_of_workday(day: date) -> datetime:
    return datetime.combine(day, workday_bounds()[0], tzinfo=local_zone())


def add_business_days(start: datetime, days: int) -> datetime:
    """End of the working day ``days`` business days after ``start`` (in local time)."""
    day = start.astimezone(local_zone()).date()
    for _ in range(days):
        day = next_business_day(day)
    if days == 0 and not is_business_day(day):
        day = next_business_day(day)
    return end_of_workday(day)


def business_seconds_between(start: datetime, end: datetime) -> int:
    """Working seconds between two moments (0 if ``end`` is not after ``start``)."""
    if end <= start:
        return 0
    zone = local_zone()
    start, end = start.astimezone(zone), end.astimezone(zone)
    total = 0
    day = start.date()
    while day <= end.date():
        if is_business_day(day):
            open_at = max(start, start_of_workday(day))
            close_at = min(end, end_of_workday(day))
            if close_at > open_at:
                total += int((close_at - open_at).total_seconds())
        day += timedelta(days=1)
    return total


def business_days_between(start: datetime, end: datetime) -> float:
    """Working days (fractions included) between two moments."""
    return business_seconds_between(start, end) / workday_seconds()


def add_business_seconds(start: datetime, seconds: int) -> datetime:
    """The moment ``seconds`` of working time after ``start``."""
    zone = local_zone()
    moment = start.astimezone(zone)
    remaining = max(0, int(seconds))
    day = moment.date()
    while True:
        if is_business_day(day):
            open_at = max(moment, start_of_workday(day))
            close_at = end_of_workday(day)
            available = int((close_at - open_at).total_seconds()) if close_at > open_at else 0
            if remaining <= available and (available > 0 or remaining == 0):
                return open_at + timedelta(seconds=remaining)
            remaining -= available
        day += timedelta(days=1)
        moment = start_of_workday(day)
