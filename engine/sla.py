"""SLA clocks: started, paused, resumed and stopped by transitions; scanned set-based.

A clock is the time one party owes on one case in one state (``SlaPolicy`` rows say how many
business days, and whose turn it is). Entering a state with a policy starts a clock; leaving it stops
the clock, or pauses it when the transition hands the turn elsewhere (``pauses_clock=True``); coming
back resumes it with the time already used. Only running time counts.

Cost per transition (policies cached): a self-loop touches nothing; entering a final state, or a
state with no policy, is one UPDATE; entering a state with a policy is one UPDATE and one INSERT;
coming back to a state whose clock was paused is one SELECT and one UPDATE.
"""

from __future__ import annotations

import threading
import time as time_module
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from . import calendar
from .models import SlaClock, SlaPolicy

_policy_lock = threading.Lock()
_policies: dict[tuple[str, str], SlaPolicy] | None = None
_resume_sources_cache: dict[tuple[type, str], frozenset[str]] = {}
# Like the calendar: other processes learn of an edited policy through a generation number in
# Django's cache (checked every few seconds), and reload anyway after a while.
_POLICY_GENERATION_KEY = "engine:sla:policies:generation"
_RECHECK_SECONDS = 5.0
_RELOAD_SECONDS = 300.0
_policy_state: dict[str, Any] = {"generation": None, "checked_at": 0.0, "loaded_at": 0.0}

Status = SlaClock.Status


def forget_policies() -> None:
    """Drop this process's cached policies (no database or cache access)."""
    global _policies
    with _policy_lock:
        _policies = None


def invalidate_policies() -> None:
    """Forget cached policies (called when an administrator edits them), here and, after commit, everywhere."""
    forget_policies()
    transaction.on_commit(_bump_policy_generation)


def _bump_policy_generation() -> None:
    forget_policies()
    try:
        cache.set(_POLICY_GENERATION_KEY, time_module.time_ns(), timeout=None)
    except Exception:  # noqa: BLE001  (a cache outage must not undo an administrator's save)
        pass


def _policy_generation() -> Any:
    try:
        return cache.get(_POLICY_GENERATION_KEY)
    except Exception:  # noqa: BLE001  (fall back to the time-based reload)
        return _policy_state["generation"]


def policy_for(case_type: str, state: str) -> SlaPolicy | None:
    """The active policy for ``state`` of ``case_type`` (cached), or None."""
    global _policies
    now = time_module.monotonic()
    with _policy_lock:
        if _policies is not None and now - _policy_state["checked_at"] > _RECHECK_SECONDS:
            _policy_state["checked_at"] = now
            stale = now - _policy_state["loaded_at"] > _RELOAD_SECONDS
            if stale or _policy_generation() != _policy_state["generation"]:
                _policies = None
        if _policies is None:
            _policy_state["generation"] = _policy_generation()
            _policies = {(p.flow, p.state): p for p in SlaPolicy.objects.filter(active=True)}
            _policy_state["loaded_at"] = _policy_state["checked_at"] = now
        return _policies.get((case_type, state))


def default_warning_ratio() -> Decimal:
    """The warning threshold new policies get unless they say otherwise (settings, 0.75)."""
    return Decimal(str(settings.ENGINE.get("SLA_WARNING_RATIO", 0.75)))


def _warning_ratio(policy: SlaPolicy) -> float:
    ratio = policy.warning_ratio if policy.warning_ratio is not None else default_warning_ratio()
    return min(1.0, max(0.0, float(ratio)))


def _open_clocks(case: Any) -> Any:
    return SlaClock.objects.filter(case_type=case.case_type(), case_id=case.pk, stopped_at__isnull=True)


def clock_start(case: Any, policy: SlaPolicy, now: datetime) -> SlaClock:
    """Start a clock for ``case`` under ``policy`` at ``now`` (one INSERT)."""
    due_at = calendar.add_business_days(now, policy.allowance_days)
    allowance = max(1, calendar.business_seconds_between(now, due_at))
    warn_at = calendar.add_business_seconds(now, int(allowance * _warning_ratio(policy)))
    return SlaClock.objects.create(
        case_type=case.case_type(),
        case_id=case.pk,
        case_reference=case.reference,
        policy=policy,
        state=policy.state,
        owner=policy.owner,
        started_at=now,
        allowance_seconds=allowance,
        running_since=now,
        warn_at=warn_at,
        due_at=due_at,
    )


def _resume_in_memory(clock: SlaClock, now: datetime) -> None:
    """Carry on a paused clock: the paused time does not count against its owner."""
    paused_at = clock.paused_at or now
    consumed = clock.consumed_seconds + calendar.business_seconds_between(
        clock.running_since or clock.started_at, paused_at
    )
    remaining = max(0, clock.allowance_seconds - consumed)
    warn_total = int(clock.allowance_seconds * _warning_ratio(clock.policy))
    clock.consumed_seconds = consumed
    clock.running_since = now
    clock.paused_at = None
    clock.due_at = calendar.add_business_seconds(now, remaining)
    clock.warn_at = calendar.add_business_seconds(now, max(0, warn_total - consumed))


def clock_resume(clock: SlaClock, now: datetime) -> None:
    """Resume one paused clock at ``now`` and save it."""
    _resume_in_memory(clock, now)
    clock.save(update_fields=["consumed_seconds", "running_since", "paused_at", "due_at", "warn_at"])


def resume_sources(flow_cls: Any, state: str) -> frozenset[str]:
    """States from which entering ``state`` may find a clock of ``state`` paused.

    A paused clock of S exists only if the case left S by a pausing transition and has not been back
    since, so the case now comes from a state reachable from that transition's target without passing
    through S or a final state (which stops every clock). Entering S from anywhere else needs no
    look-up, which keeps ordinary transitions at two statements.
    """
    key = (flow_cls, state)
    cached = _resume_sources_cache.get(key)
    if cached is not None:
        return cached
    specs = list(flow_cls.specs().values())
    frontier = [t for spec in specs if spec.pauses_clock and state in spec.sources for t in spec.targets if t != state]
    reached: set[str] = set()
    while frontier:
        current = frontier.pop()
        if current in reached or current == state or current in flow_cls.final_states:
            continue
        reached.add(current)
        frontier.extend(t for spec in specs if current in spec.sources for t in spec.targets)
    result = frozenset(reached)
    _resume_sources_cache[key] = result
    return result


_RESUME_FIELDS = ["paused_at", "stopped_at", "status", "consumed_seconds", "running_since", "due_at", "warn_at"]


def _leave_running(clock: SlaClock, spec: Any, now: datetime) -> None:
    if spec.pauses_clock:
        clock.paused_at = now
    else:
        clock.stopped_at = now
        clock.status = Status.STOPPED


def _try_resume(case: Any, spec: Any, to_state: str, now: datetime) -> bool:
    clocks = list(
        _open_clocks(case)
        .filter(Q(paused_at__isnull=True) | Q(state=to_state))
        .select_related("policy")
        .order_by("-started_at", "-id")
    )
    paused = next((c for c in clocks if c.paused_at is not None and c.state == to_state), None)
    if paused is None:
        return False
    changed = []
    for clock in clocks:
        if clock.paused_at is None:
            _leave_running(clock, spec, now)
            changed.append(clock)
    _resume_in_memory(paused, now)
    changed.append(paused)
    # One UPDATE with CASE per field, whatever the number of rows.
    SlaClock.objects.bulk_update(changed, _RESUME_FIELDS)
    return True


def on_transition(case: Any, flow_cls: Any, spec: Any, from_state: str, to_state: str, now: datetime) -> None:
    """Move the case's clocks for a transition from ``from_state`` to ``to_state``."""
    if from_state == to_state:
        # A self-loop (a reschedule, one party's confirmation) leaves the state's clock running.
        return
    clocks = _open_clocks(case)
    if to_state in flow_cls.final_states:
        # Paused clocks keep paused_at: their last running stretch ended then, not now.
        clocks.update(stopped_at=now, status=Status.STOPPED)
        return
    policy = policy_for(case.case_type(), to_state)
    if policy is not None and from_state in resume_sources(flow_cls, to_state):
        if _try_resume(case, spec, to_state, now):
            return
    running = clocks.filter(paused_at__isnull=True)
    if spec.pauses_clock:
        running.update(paused_at=now)
    elif from_state not in flow_cls.final_states:
        # Entering a final state stopped every clock, so leaving one (a reopen) has nothing to stop.
        running.update(stopped_at=now, status=Status.STOPPED)
    if policy is not None:
        clock_start(case, policy, now)


def clocks_for(case: Any) -> list[SlaClock]:
    """Every clock of ``case``, oldest first."""
    return list(SlaClock.objects.filter(case_type=case.case_type(), case_id=case.pk).order_by("started_at", "id"))


def recompute_due_dates(since: date) -> int:
    """Move the warning and due times of running clocks after the calendar changed on ``since`` or later.

    An administrator closing a day (a strike) or moving a holiday shifts the deadlines that span it;
    clocks already breached keep their breach. Returns how many clocks moved. Paused clocks need
    nothing: their times are recomputed when they resume.
    """
    calendar.forget_cached()  # in a worker, do not wait for the shared generation check
    start = datetime.combine(since, time(0, 0), tzinfo=calendar.local_zone())
    clocks = (
        SlaClock.objects.filter(stopped_at__isnull=True, paused_at__isnull=True, due_at__gte=start)
        .exclude(status=Status.BREACHED)
        .select_related("policy")
        .order_by("id")
    )
    changed = []
    for clock in clocks.iterator(chunk_size=2000):
        since_resume = clock.running_since or clock.started_at
        warn_total = int(clock.allowance_seconds * _warning_ratio(clock.policy))
        due_at = calendar.add_business_seconds(since_resume, max(0, clock.allowance_seconds - clock.consumed_seconds))
        warn_at = calendar.add_business_seconds(since_resume, max(0, warn_total - clock.consumed_seconds))
        if (due_at, warn_at) != (clock.due_at, clock.warn_at):
            clock.due_at, clock.warn_at = due_at, warn_at
            changed.append(clock)
    SlaClock.objects.bulk_update(changed, ["due_at", "warn_at"], batch_size=500)
    return len(changed)


# --- reading clocks -------------------------------------------------------------------------


def consumed_seconds(clock: SlaClock, now: datetime | None = None) -> int:
    """Business seconds the owner has used so far (paused stretches excluded)."""
    now = now or timezone.now()
    ends = [moment for moment in (clock.paused_at, clock.stopped_at, now) if moment is not None]
    end = min(ends)
    start = clock.running_since or clock.started_at
    return clock.consumed_seconds + calendar.business_seconds_between(start, end)


def live_status(clock: SlaClock, now: datetime | None = None) -> str:
    """``on_track``, ``warning``, ``breached`` or ``stopped`` as of ``now``, whether or not a scan ran."""
    now = now or timezone.now()
    if clock.stopped_at is not None and clock.stopped_at <= now:
        return Status.STOPPED
    if clock.breached_at is not None and clock.breached_at <= now:
        return Status.BREACHED
    if clock.paused:
        used = consumed_seconds(clock, now)
        if used >= clock.allowance_seconds:
            return Status.BREACHED
        if clock.warned_at is not None or used >= int(clock.allowance_seconds * _warning_ratio(clock.policy)):
            return Status.WARNING
        return Status.ON_TRACK
    if clock.due_at is not None and clock.due_at <= now:
        return Status.BREACHED
    if (clock.warned_at is not None and clock.warned_at <= now) or (clock.warn_at is not None and clock.warn_at <= now):
        return Status.WARNING
    return Status.ON_TRACK


def clock_view(clock: SlaClock, now: datetime | None = None) -> dict[str, Any]:
    """What a user or the API is shown about one clock as of ``now``.

    ``business_days_left`` is the owner's remaining working time in nominal working days (negative
    when overdue, None once stopped); a paused clock shows what will remain when it resumes.
    """
    now = now or timezone.now()
    status = live_status(clock, now)
    left: float | None
    if status == Status.STOPPED:
        left = None
    elif clock.paused:
        left = (clock.allowance_seconds - consumed_seconds(clock, now)) / calendar.workday_seconds()
    elif clock.due_at is not None and clock.due_at >= now:
        left = calendar.business_seconds_between(now, clock.due_at) / calendar.workday_seconds()
    else:
        left = -calendar.business_seconds_between(clock.due_at or now, now) / calendar.workday_seconds()
    return {
        "id": clock.pk,
        "state": clock.state,
        "owner": clock.owner,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "paused": clock.paused,
        "status": str(status),
        "business_days_left": None if left is None else round(left, 2),
    }


def clock_views(case: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    """``clock_view`` of every clock of ``case`` (one query)."""
    now = now or timezone.now()
    clocks = SlaClock.objects.filter(case_type=case.case_type(), case_id=case.pk).select_related("policy")
    return [clock_view(clock, now) for clock in clocks.order_by("started_at", "id")]


def time_by_case_and_party(
    case_type: str, case_ids: Iterable[int] | None = None, now: datetime | None = None
) -> dict[int, dict[str, int]]:
    """Business seconds each party has held each case (one query; paused time excluded)."""
    now = now or timezone.now()
    clocks = SlaClock.objects.filter(case_type=case_type, started_at__lte=now)
    if case_ids is not None:
        clocks = clocks.filter(case_id__in=list(case_ids))
    fields = ("case_id", "owner", "started_at", "running_since", "paused_at", "stopped_at", "consumed_seconds")
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for case_id, owner, started_at, running_since, paused_at, stopped_at, consumed in clocks.values_list(*fields):
        end = min(moment for moment in (paused_at, stopped_at, now) if moment is not None)
        seconds = consumed + calendar.business_seconds_between(running_since or started_at, end)
        totals[case_id][owner] += seconds
    return {case_id: dict(parties) for case_id, parties in totals.items()}


def time_by_party(case_type: str, case_ids: Iterable[int] | None = None, now: datetime | None = None) -> dict[str, int]:
    """Where the time went: business seconds held by each party over the given cases (or all)."""
    result: dict[str, int] = defaultdict(int)
    for parties in time_by_case_and_party(case_type, case_ids, now).values():
        for party, seconds in parties.items():
            result[party] += seconds
    return dict(result)


# --- the scan -------------------------------------------------------------------------------


def parse_as_of(text: str) -> datetime:
    """An ISO 8601 date and time for ``scan``; one without an offset is local (Beirut) time.

    A bare date means the start of that day. Raises ``ValueError`` with a translated message.
    """
    value = (text or "").strip()
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            moment = datetime.combine(day, time(0, 0)) if day is not None else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(
            _("“%(value)s” is not an ISO 8601 date and time; write it like 2026-11-20T11:00 or 2026-11-20T11:00+02:00.")
            % {"value": text}
        )
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=calendar.local_zone())
    return moment


@dataclass
class ScanResult:
    at: datetime | None = None
    warned: int = 0
    breached: int = 0
    transitioned: int = 0
    escalated: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat() if self.at else None,
            "warned": self.warned,
            "breached": self.breached,
            "escalated": self.escalated,
            "transitioned": self.transitioned,
            "errors": list(self.errors),
        }


_RETURNED = ("id", "case_type", "case_id", "case_reference", "state", "owner", "due_at", "policy_id")


def _as_datetime(value: Any) -> datetime | None:
    # Raw cursors return SQLite datetimes as text in UTC.
    if value is None or isinstance(value, datetime):
        return value if value is None or timezone.is_aware(value) else value.replace(tzinfo=UTC)
    parsed = parse_datetime(str(value))
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def _quoted_table() -> str:
    return connection.ops.quote_name(SlaClock._meta.db_table)


# Both rules in ONE statement (one pass over the two partial indexes of clocks due for something):
# a running clock on track whose warning time has come, but not its due time, becomes ``warning``;
# one on track or warned whose due time has come becomes ``breached`` (a late scan skips the warning).
_MARK = """
UPDATE {table} SET
    "status" = CASE WHEN "due_at" <= %(at)s THEN %(breached)s ELSE %(warning)s END,
    "warned_at" = CASE WHEN "due_at" <= %(at)s THEN "warned_at" ELSE %(at)s END,
    "breached_at" = CASE WHEN "due_at" <= %(at)s THEN %(at)s ELSE "breached_at" END
WHERE "stopped_at" IS NULL AND "paused_at" IS NULL AND "started_at" <= %(at)s
  AND (("status" = %(on_track)s AND "warn_at" <= %(at)s AND "due_at" > %(at)s)
       OR ("status" IN (%(on_track)s, %(warning)s) AND "due_at" <= %(at)s))
"""


def _mark_params(at: datetime) -> dict[str, Any]:
    return {
        "at": connection.ops.adapt_datetimefield_value(at),
        "on_track": Status.ON_TRACK,
        "warning": Status.WARNING,
        "breached": Status.BREACHED,
    }


def _mark(at: datetime) -> tuple[list[dict], list[dict]]:
    """Move every running clock due for a warning or a breach in ONE statement; return (warned, breached)."""
    returning = ", ".join(connection.ops.quote_name(column) for column in (*_RETURNED, "status"))
    sql = _MARK.format(table=_quoted_table()) + f"RETURNING {returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, _mark_params(at))
        rows = cursor.fetchall()
    warned: list[dict] = []
    breached: list[dict] = []
    for row in rows:
        moved = dict(zip(_RETURNED, row[:-1], strict=True))
        moved["due_at"] = _as_datetime(moved["due_at"])
        (breached if row[-1] == Status.BREACHED else warned).append(moved)
    warned.sort(key=lambda row: row["id"])
    breached.sort(key=lambda row: row["id"])
    return warned, breached


def mark_only(at: datetime) -> int:
    """The marking statement alone, returning nothing but its count (what the benchmark compares to a raw UPDATE)."""
    with connection.cursor() as cursor:
        cursor.execute(_MARK.format(table=_quoted_table()), _mark_params(at))
        return cursor.rowcount


def _iso_sql(column: str) -> str:
    """``column`` (timestamptz) as DjangoJSONEncoder writes an aware UTC datetime: milliseconds, ``Z``."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        f"|| CASE WHEN mod(date_part('microseconds', {utc})::bigint, 1000000) <> 0 "
        f"THEN '.' || to_char({utc}, 'MS') ELSE '' END || 'Z'"
    )


def _scan_in_database(at: datetime, result: ScanResult) -> list[tuple[dict, str]]:
    """Mark, and write the outbox rows, in ONE statement: no clock row travels to Python.

    For the engine's default router (one recipient-less row per event) on PostgreSQL: the rows are
    exactly those ``outbox.default_router`` builds for ``_event``. Only the breaches whose policy
    runs a transition come back, to be run one by one afterwards.
    """
    from . import outbox
    from .models import OutboxMessage

    table = _quoted_table()
    policies = connection.ops.quote_name(SlaPolicy._meta.db_table)
    box = connection.ops.quote_name(OutboxMessage._meta.db_table)
    returning = ", ".join(f'"{column}"' for column in (*_RETURNED, "status"))
    sql = f"""
        WITH moved AS ({_MARK.format(table=table)} RETURNING {returning}),
        judged AS (
            SELECT m.*, m.status = %(breached)s AS is_breach,
                   coalesce(p.on_breach, 'escalate') AS on_breach, coalesce(p.breach_transition, '') AS transition
              FROM moved m LEFT JOIN {policies} p ON p.id = m.policy_id
        ),
        written AS (
            INSERT INTO {box} (created_at, event, case_type, case_id, case_reference, channel, payload,
                               dedupe_key, status, attempts, last_error)
            SELECT %(now)s, CASE WHEN j.is_breach THEN 'sla_breach' ELSE 'sla_warning' END,
                   j.case_type, j.case_id, j.case_reference, 'event',
                   jsonb_build_object('clock', j.id, 'state', j.state, 'owner', j.owner,
                                      'due_at', {_iso_sql("j.due_at")})
                   || CASE WHEN NOT j.is_breach THEN '{{}}'::jsonb
                           ELSE jsonb_build_object('on_breach', j.on_breach, 'escalate', j.on_breach = 'escalate')
                                || CASE WHEN j.on_breach = 'transition' AND j.transition <> ''
                                        THEN jsonb_build_object('transition', j.transition) ELSE '{{}}'::jsonb END
                      END,
                   'sla:' || j.id || CASE WHEN j.is_breach THEN ':breach' ELSE ':warning' END,
                   'pending', 0, ''
              FROM judged j
             WHERE NOT j.is_breach OR j.on_breach <> 'mark'
             ORDER BY j.is_breach, j.id
            RETURNING id
        )
        SELECT (SELECT count(*) FILTER (WHERE NOT is_breach) FROM judged),
               (SELECT count(*) FILTER (WHERE is_breach) FROM judged),
               (SELECT count(*) FILTER (WHERE is_breach AND on_breach = 'escalate') FROM judged),
               (SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM written),
               (SELECT coalesce(json_agg(json_build_object('id', id, 'case_type', case_type, 'case_id', case_id,
                                                           'case_reference', case_reference, 'state', state,
                                                           'owner', owner, 'due_at', due_at, 'policy_id', policy_id,
                                                           'transition', transition) ORDER BY id), '[]')
                  FROM judged WHERE is_breach AND on_breach = 'transition' AND transition <> '')
    """  # noqa: S608 - names from the models, values are parameters
    params = {**_mark_params(at), "now": timezone.now()}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        warned, breached, escalated, ids, to_run = cursor.fetchone()
    result.warned, result.breached, result.escalated = warned, breached, escalated
    send = outbox.dispatcher()
    if send is not None and ids:
        transaction.on_commit(lambda: send(list(ids)))
    runs = []
    for row in to_run if isinstance(to_run, list) else []:
        row["due_at"] = _as_datetime(row["due_at"])
        runs.append((row, row.pop("transition")))
    return runs


def _set_based() -> bool:
    from . import outbox

    return connection.vendor == "postgresql" and outbox.router() is outbox.default_router


def scan(at: datetime | None = None) -> ScanResult:
    """Mark warnings and breaches as of ``at`` with a constant number of queries, then run breach transitions.

    One UPDATE … RETURNING moves every clock due for a warning or a breach (``_MARK``); then one read
    of the policies involved and one bulk insert of outbox rows (``sla_warning``, ``sla_breach``;
    keyed ``sla:<clock>:warning|breach`` so nothing is announced twice). With the engine's default
    router on PostgreSQL, marking and outbox rows are one statement and no clock row comes to Python.
    Only the clocks breached by this run, under a ``transition`` policy, get their transition, each
    in its own transaction. Running it again changes nothing.
    """
    from . import outbox

    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValueError("scan() needs an aware datetime")
    result = ScanResult(at=at)
    # Deadlines whose declared outcome is a transition (silence is consent) end in it, not in a breach:
    # run them first, so the marking below finds their clocks stopped.
    result.transitioned += _settle_deadlines(at, result)
    with transaction.atomic():
        if _set_based():
            to_run = _scan_in_database(at, result)
        else:
            to_run = _scan_in_python(at, result, outbox)
    for row, name in to_run:
        if _run_breach_transition(row, name, at, result):
            result.transitioned += 1
    return result


def _settles(flow: str, name: str) -> bool:
    from . import registry

    try:
        spec = registry.flow_for(flow).spec(name)
    except LookupError:
        return False
    return spec is not None and spec.settles_deadline


def _settle_deadlines(at: datetime, result: ScanResult) -> int:
    """Run the settling transition of every running clock whose allowance ended by ``at``; stop it on time.

    One SELECT of the running clocks due by ``at`` under a ``transition`` policy; those whose
    transition settles the deadline (``settles_deadline``: silence is consent) get it, and their clock
    is stopped as of the transition's time with no ``breached_at``: no ``sla_breach`` is announced and
    reports count it as kept. A transition that cannot run (the case moved on, an error) leaves its
    clock to the ordinary marking, which reports the breach.
    """
    rows = (
        SlaClock.objects.filter(
            stopped_at__isnull=True,
            paused_at__isnull=True,
            status__in=[Status.ON_TRACK, Status.WARNING],
            due_at__lte=at,
            started_at__lte=at,
            policy__on_breach=SlaPolicy.OnBreach.TRANSITION,
            policy__active=True,
        )
        .exclude(policy__breach_transition="")
        .order_by("id")
        .values(*_RETURNED, "policy__flow", "policy__breach_transition")
    )
    ran = 0
    for row in rows:
        flow, name = row.pop("policy__flow"), row.pop("policy__breach_transition")
        if not _settles(flow, name):
            continue
        if _run_breach_transition(row, name, at, result):
            ran += 1
            SlaClock.objects.filter(pk=row["id"], stopped_at__isnull=True).update(
                stopped_at=at, paused_at=None, status=Status.STOPPED
            )
    return ran


def _scan_in_python(at: datetime, result: ScanResult, outbox: Any) -> list[tuple[dict, str]]:
    warned, breached = _mark(at)
    result.warned, result.breached = len(warned), len(breached)
    policies = SlaPolicy.objects.in_bulk({row["policy_id"] for row in breached}) if breached else {}
    events = [_event("sla_warning", "warning", row, {}) for row in warned]
    to_run: list[tuple[dict, str]] = []
    for row in breached:
        policy = policies.get(row["policy_id"])
        on_breach = policy.on_breach if policy else SlaPolicy.OnBreach.ESCALATE
        if on_breach == SlaPolicy.OnBreach.MARK:
            continue
        extra: dict[str, Any] = {"on_breach": on_breach, "escalate": on_breach == SlaPolicy.OnBreach.ESCALATE}
        if on_breach == SlaPolicy.OnBreach.TRANSITION and policy and policy.breach_transition:
            extra["transition"] = policy.breach_transition
            to_run.append((row, policy.breach_transition))
        result.escalated += int(extra["escalate"])
        events.append(_event("sla_breach", "breach", row, extra))
    outbox.emit(events)
    return to_run


def _event(name: str, kind: str, row: dict, extra: dict[str, Any]) -> Any:
    from . import outbox

    return outbox.OutboxEvent(
        event=name,
        case_type=row["case_type"],
        case_id=row["case_id"],
        case_reference=row["case_reference"],
        key=f"sla:{row['id']}:{kind}",
        payload={"clock": row["id"], "state": row["state"], "owner": row["owner"], "due_at": row["due_at"], **extra},
    )


def _run_breach_transition(row: dict, name: str, at: datetime, result: ScanResult) -> bool:
    from . import errors, registry, service

    try:
        model = registry.flow_for(row["case_type"]).model
    except LookupError as exc:
        result.errors.append(f"{row['case_reference']}: {exc}")
        return False
    try:
        case = model.objects.get(pk=row["case_id"])
        if case.state != row["state"]:
            return False
        service.run(
            case,
            name,
            actor=None,
            # As of the scan's time, but never before the case's last change: history stays in order.
            occurred_at=max(at, case.updated_at),
            audit_data={"sla_clock": row["id"], "sla_due_at": row["due_at"]},
        )
    except errors.TransitionNotAllowedError:
        # Someone moved the case on between the breach and now: nothing left to do.
        return False
    except (errors.EngineError, model.DoesNotExist) as exc:
        result.errors.append(f"{row['case_reference']}: {name}: {exc}")
        return False
    return True
