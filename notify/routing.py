"""Who hears what: event → audiences → channels, and the outbox router that applies it.

Each workflow registers its own table (``register_routes``; the partnership's is in
``workflows/partnership/notifications.py``): read it top to bottom to know who is told about what. Audiences are names the case's flow
resolves (``flow.audience(name)``: requester, counterparts, parties, secretariat, secretariat_lead,
committee, pending_voters, chair, invitees, action_owners). Four names, starting with ``$``, are
resolved here: ``OWNER`` (the party whose SLA clock it is), ``RECIPIENTS`` (users the event's payload
names: reminders about one meeting or action item), ``INVITEES`` (the invitees in the event's data,
else the flow's "invitees": the meeting row is written after its transition, so the transition's
own data is the reliable list) and ``ACTION_OWNER`` (who owns the action item the event is about,
when it is new or changed owner).
Channels are the defaults; each person can switch a kind of notification on or off per channel
(``notify.models.ChannelPreference``) and take email as a daily digest (``UserSettings.digest``).
The actor of an event is never told about their own action.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection
from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils import timezone

from engine import registry
from engine.audit import jsonable
from engine.models import OutboxMessage
from engine.outbox import OutboxEvent, new_row

logger = logging.getLogger(__name__)

IN_APP, EMAIL = "in_app", "email"
# Email held back for the daily digest: a pending row the digest task groups per person and day.
DIGEST = "digest"
# One recipient-less row per event occurrence: the record that it happened (and its dedupe key).
EVENT = "event"
BOTH = (IN_APP, EMAIL)

OWNER = "$owner"
RECIPIENTS = "$recipients"
INVITEES = "$invitees"
ACTION_OWNER = "$action_owner"


@dataclass(frozen=True)
class Rule:
    audiences: tuple[str, ...]
    channels: tuple[str, ...] = BOTH
    #: kind of message (``notify.messages``); the event's own name when empty
    kind: str = ""
    #: attach the meeting's .ics to the email
    ics: bool = False


#: case type ("partnership.dialoguerequest") → event → rules. Each workflow registers its own table
#: (``register_routes``, from its app's ``ready``): one workflow's ``submit`` is not another's.
ROUTES: dict[str, dict[str, tuple[Rule, ...]]] = {}


#: The engine's own events, for every case type whose workflow does not route them itself: the SLA
#: scan's warnings go to the party whose clock it is, breaches escalate too.
ENGINE_ROUTES: dict[str, tuple[Rule, ...]] = {
    "sla_warning": (Rule((OWNER,)),),
    "sla_breach": (Rule((OWNER, "secretariat_lead", "chair")),),
}


def register_routes(case_type: str, routes: dict[str, tuple[Rule, ...]]) -> None:
    """Declare who hears about each event of ``case_type`` (replaces an earlier table of that type)."""
    ROUTES[case_type] = dict(routes)


def routes_for(case_type: str) -> dict[str, tuple[Rule, ...]]:
    """The (mutable) routing table of ``case_type``; empty when its workflow routes nothing."""
    return ROUTES.setdefault(case_type, {})


def rules_for(case_type: str, event: str) -> tuple[Rule, ...]:
    """The rules of ``event`` for ``case_type``: its workflow's, else the engine's defaults."""
    return ROUTES.get(case_type, {}).get(event) or ENGINE_ROUTES.get(event, ())


def _all_routes() -> list[tuple[str, tuple[Rule, ...]]]:
    tables = [ENGINE_ROUTES, *ROUTES.values()]
    return [(event, rules) for table in tables for event, rules in table.items()]


# An SLA clock's owning party → the flow's audience name for its people.
# The committee's clock is the business of those who have not voted yet.
OWNER_AUDIENCES = {"committee": "pending_voters", "counterpart": "counterparts", "party": "parties"}


def kinds() -> list[str]:
    """Every kind of notification a person can receive, in routing order."""
    seen: list[str] = []
    for event, rules in _all_routes():
        for rule in rules:
            kind = rule.kind or event
            if kind not in seen:
                seen.append(kind)
    return seen


def default_channels(kind: str) -> tuple[str, ...]:
    """The channels a kind of notification uses when the person has not chosen."""
    channels: list[str] = []
    for event, rules in _all_routes():
        for rule in rules:
            if (rule.kind or event) == kind:
                channels.extend(c for c in rule.channels if c not in channels)
    return tuple(channels)


@dataclass
class _Delivery:
    event: OutboxEvent
    case: Any
    rule: Rule
    kind: str
    user_ids: list[int]
    flow: Any = None


def _user_id(user: Any) -> int | None:
    return user if isinstance(user, int) else getattr(user, "pk", None)


def _load_cases(events: list[OutboxEvent]) -> dict[tuple[str, int], Any]:
    """Cases the events did not carry (the SLA scan sends ids only): one query per case type."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if (
            event.case is None
            and event.case_id is not None
            and event.case_type
            and rules_for(event.case_type, event.event)
        ):
            wanted[event.case_type].add(event.case_id)
    cases: dict[tuple[str, int], Any] = {}
    for case_type, ids in wanted.items():
        try:
            model = registry.flow_for(case_type).model
        except LookupError:
            continue
        for pk, case in model.objects.in_bulk(ids).items():
            cases[(case_type, pk)] = case
    return cases


def _audience(flow: Any, name: str, event: OutboxEvent) -> list[Any]:
    if name == RECIPIENTS:
        return list(event.payload.get("recipients") or [])
    if name == ACTION_OWNER:
        from .partnership import action_owner_ids

        return action_owner_ids(event.payload)
    if name == INVITEES:
        named = (event.payload.get("data") or {}).get("invitees")
        if named:
            return list(named)
        name = "invitees"
    if name == OWNER:
        owner = str(event.payload.get("owner") or "")
        if not owner or flow is None:
            return []
        name = OWNER_AUDIENCES.get(owner, owner)
    if flow is None:
        return []
    found = flow.audience(name)
    if isinstance(found, QuerySet):
        # Ids are all the router needs: no need to load whole user rows.
        return list(found.values_list("pk", flat=True))
    return list(found or [])


def _plan(events: list[OutboxEvent], failures: dict[int, str]) -> list[_Delivery]:
    cases = _load_cases(events)
    plans: list[_Delivery] = []
    for event in events:
        rules = rules_for(event.case_type, event.event)
        if not rules:
            continue
        try:
            plans.extend(_plan_event(event, rules, cases))
        except DatabaseError:
            # The transaction is unusable now: let the change fail rather than commit half of it.
            raise
        except Exception as exc:  # noqa: BLE001 - a notification bug must not block the business action
            logger.exception("Could not work out who hears about %s on %s", event.event, event.case_reference)
            failures[id(event)] = f"routing failed: {type(exc).__name__}: {exc}"[:2000]
    return plans


def _plan_event(event: OutboxEvent, rules: tuple[Rule, ...], cases: dict[tuple[str, int], Any]) -> list[_Delivery]:
    case = event.case if event.case is not None else cases.get((event.case_type, event.case_id))
    flow = None
    if case is not None:
        try:
            flow = registry.flow_for(event.case_type or type(case))(case)
        except LookupError:
            flow = None
    actor_id = _user_id(event.actor)
    resolved: dict[str, list[int]] = {}
    plans: list[_Delivery] = []
    for rule in rules:
        user_ids: list[int] = []
        for name in rule.audiences:
            if name not in resolved:
                resolved[name] = [uid for uid in map(_user_id, _audience(flow, name, event)) if uid is not None]
            user_ids.extend(uid for uid in resolved[name] if uid != actor_id and uid not in user_ids)
        plans.append(
            _Delivery(event=event, case=case, rule=rule, kind=rule.kind or event.event, user_ids=user_ids, flow=flow)
        )
    return plans


def _readable(plans: list[_Delivery], users: dict[int, Any], failures: dict[int, str]) -> list[_Delivery]:
    """The plans without anyone who may not read their event: the flow's visibility decides.

    Nobody hears of an event they could not read on the case's page. The recipients are already
    loaded (``users``, active ones), so a flow that decides person by person asks no query here.
    """
    by_event: dict[int, list[_Delivery]] = defaultdict(list)
    for plan in plans:
        by_event[id(plan.event)].append(plan)
    kept: list[_Delivery] = []
    for event_plans in by_event.values():
        first = event_plans[0]
        everyone = {uid for plan in event_plans for uid in plan.user_ids if uid in users}
        if first.flow is None or not everyone:
            kept.extend(event_plans)
            continue
        try:
            readers = type(first.flow).reader_ids(first.case, everyone, first.event.event, users=users)
        except DatabaseError:
            raise
        except Exception as exc:  # noqa: BLE001 - a notification bug must not block the business action
            event = first.event
            logger.exception("Could not work out who may read %s on %s", event.event, event.case_reference)
            failures[id(event)] = f"routing failed: {type(exc).__name__}: {exc}"[:2000]
            continue
        for plan in event_plans:
            plan.user_ids = [uid for uid in plan.user_ids if uid in readers]
            kept.append(plan)
    return kept


@dataclass(frozen=True)
class _Choice:
    """A person's channel choice for one kind of notification (``ChannelPreference``'s two switches)."""

    in_app: bool
    email: bool


def _recipients(user_ids: set[int], kinds: set[str]) -> tuple[dict[int, Any], dict[tuple[int, str], Any]]:
    """Everything the router needs about the recipients, in one query whatever their number.

    The people (active ones only, whole rows: the flow's visibility rules are asked of them), their
    digest settings and their channel choices for these kinds of notification come in one
    statement: a row per person, or per person and choice made. On PostgreSQL the statement's text
    is built once (the ids and kinds are two array parameters), not by the ORM per transition.
    """
    if connection.vendor == "postgresql":
        sql = _recipients_sql()
        rows: Iterable[Any] = get_user_model().objects.raw(sql, [sorted(kinds), sorted(user_ids)])
    else:
        rows = _recipients_query(user_ids, kinds)
    return _recipients_from(rows)


def _recipients_query(user_ids: set[int], kinds: set[str]) -> QuerySet:
    """The recipients' query through the ORM (every database): ``_recipients_sql`` is its PostgreSQL text."""
    chosen = FilteredRelation("notify_preferences", condition=Q(notify_preferences__kind__in=kinds))
    return (
        get_user_model()
        .objects.filter(pk__in=user_ids, is_active=True)
        .annotate(chosen=chosen)
        .annotate(
            notify_digest=F("notify_settings__digest"),
            notify_digest_hour=F("notify_settings__digest_hour"),
            notify_chosen_kind=F("chosen__kind"),
            notify_chosen_in_app=F("chosen__in_app"),
            notify_chosen_email=F("chosen__email"),
        )
    )


@lru_cache(maxsize=1)
def _recipients_sql() -> str:
    """``_recipients_query`` as PostgreSQL text with two array parameters (the user ids, the kinds)."""
    from .models import ChannelPreference, UserSettings

    quote = connection.ops.quote_name
    user_meta = get_user_model()._meta
    pk = quote(user_meta.pk.column)

    def column(meta: Any, name: str) -> str:
        return quote(meta.get_field(name).column)

    settings_meta, choice_meta = UserSettings._meta, ChannelPreference._meta
    selected = [f"u.{quote(field.column)}" for field in user_meta.concrete_fields]
    selected += [
        f"s.{column(settings_meta, 'digest')} AS notify_digest",
        f"s.{column(settings_meta, 'digest_hour')} AS notify_digest_hour",
        f"p.{column(choice_meta, 'kind')} AS notify_chosen_kind",
        f"p.{column(choice_meta, 'in_app')} AS notify_chosen_in_app",
        f"p.{column(choice_meta, 'email')} AS notify_chosen_email",
    ]
    return (
        f"SELECT {', '.join(selected)} FROM {quote(user_meta.db_table)} u "  # noqa: S608 - names from the models
        f"LEFT OUTER JOIN {quote(settings_meta.db_table)} s ON s.{column(settings_meta, 'user')} = u.{pk} "
        f"LEFT OUTER JOIN {quote(choice_meta.db_table)} p ON p.{column(choice_meta, 'user')} = u.{pk} "
        f"AND p.{column(choice_meta, 'kind')} = ANY(%s) "
        f"WHERE u.{pk} = ANY(%s) AND u.{column(user_meta, 'is_active')}"
    )


def _recipients_from(rows: Iterable[Any]) -> tuple[dict[int, Any], dict[tuple[int, str], Any]]:
    users: dict[int, Any] = {}
    preferences: dict[tuple[int, str], _Choice] = {}
    for user in rows:
        users.setdefault(user.pk, user)
        if user.notify_chosen_kind is not None:
            choice = _Choice(user.notify_chosen_in_app, user.notify_chosen_email)
            preferences[(user.pk, user.notify_chosen_kind)] = choice
    return users, preferences


def _channels(rule: Rule, preference: Any) -> tuple[str, ...]:
    if preference is None:
        return rule.channels
    return tuple(c for c in BOTH if getattr(preference, c))


# What a recipient's row keeps of the event (the event's own row keeps all of it): the words of a
# notification use only these, and minutes or long texts need not be copied once per recipient.
_KEPT = ("from_state", "to_state", "state", "owner", "due_at", "escalate")
#: not shown, but needed to deliver: which session of a series a calendar file is about
_KEPT_DATA = ("session",)


def _slim(payload: dict[str, Any]) -> dict[str, Any]:
    from .messages import DETAIL_LABELS

    data = payload.get("data") or {}
    return {
        **{key: payload[key] for key in _KEPT if key in payload},
        "data": {key: data[key] for key in (*DETAIL_LABELS, *_KEPT_DATA) if key in data},
    }


def _case_payload(event: OutboxEvent, case: Any) -> dict[str, Any]:
    actor = event.actor
    extra: dict[str, Any] = {
        "actor_id": _user_id(actor),
        "actor_name": (actor.get_full_name() or actor.get_username()) if hasattr(actor, "get_username") else "",
    }
    if case is not None:
        extra["title"] = str(getattr(case, "title", "") or "")
        if hasattr(case, "get_absolute_url"):
            try:
                extra["url"] = case.get_absolute_url()
            except Exception:  # noqa: BLE001 - a link is a nicety; the notification must still go out
                extra["url"] = ""
    return extra


def route_events(events: Iterable[OutboxEvent]) -> list[OutboxMessage]:
    """The engine's outbox router: one row per event, plus one per recipient and channel.

    Runs inside the event's transaction, so it only reads and builds rows: a handful of queries
    per batch (the flow's audience look-ups; the recipients with their settings and preferences in
    one; a set-based visibility rule's own), never per person, and one INSERT for all the rows.
    """
    from .digest import next_digest_time

    events = list(events)
    failures: dict[int, str] = {}
    plans = _plan(events, failures)
    user_ids = {uid for plan in plans for uid in plan.user_ids}
    users: dict[int, Any] = {}
    preferences: dict[tuple[int, str], Any] = {}
    if user_ids:
        users, preferences = _recipients(user_ids, {plan.kind for plan in plans})
        plans = _readable(plans, users, failures)
    # A routing failure shows on the event's own row (failed, with the error) for the secretariat.
    created = timezone.now()
    rows = [
        new_row(
            created_at=created,
            event=e.event,
            case_type=e.case_type,
            case_id=e.case_id,
            case_reference=e.case_reference,
            audit_seq=e.audit_seq,
            channel=EVENT,
            payload=jsonable(e.payload),
            dedupe_key=e.occurrence_key,
            status=OutboxMessage.Status.FAILED if id(e) in failures else OutboxMessage.Status.SKIPPED,
            last_error=failures.get(id(e), ""),
        )
        for e in events
    ]
    if not users:
        return rows
    base_payloads: dict[int, dict[str, Any]] = {}
    taken: set[tuple[int, int, str]] = set()
    for plan in plans:
        event = plan.event
        key = id(event)
        if key not in base_payloads:
            base_payloads[key] = jsonable({**_slim(event.payload), **_case_payload(event, plan.case)})
        for uid in plan.user_ids:
            user = users.get(uid)
            if user is None:
                continue
            for channel in _channels(plan.rule, preferences.get((uid, plan.kind))):
                if (key, uid, channel) in taken or (channel == EMAIL and not user.email):
                    continue
                taken.add((key, uid, channel))
                stored_channel, deliver_after = channel, None
                if channel == EMAIL and user.notify_digest == "daily":
                    stored_channel = DIGEST
                    deliver_after = next_digest_time(user.notify_digest_hour)
                rows.append(
                    new_row(
                        created_at=created,
                        event=event.event,
                        case_type=event.case_type,
                        case_id=event.case_id,
                        case_reference=event.case_reference,
                        audit_seq=event.audit_seq,
                        recipient_id=uid,
                        channel=stored_channel,
                        payload={**base_payloads[key], "kind": plan.kind, "ics": plan.rule.ics},
                        dedupe_key=f"{event.occurrence_key}:{uid}:{stored_channel}",
                        deliver_after=deliver_after,
                    )
                )
    return rows
