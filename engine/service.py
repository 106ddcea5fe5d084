"""The one entry point that changes a case: lock, check, apply, audit, clocks, outbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit, idempotency, outbox, registry, sla, writes
from . import snapshot as snapshots
from .errors import (
    ConcurrentChange,
    GuardFailed,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowedError,
    UnknownTransition,
)
from .flows import Flow, TransitionSpec
from .models import AuditEvent
from .reasons import Reason
from .text import join_words

# Events that a unit's ``on_success`` records on its own case (``record``) wait here until the unit's
# event is sealed with the snapshot of every row the unit wrote; they then follow it on the chain.
_deferred: ContextVar[dict[tuple[str, Any], list[dict[str, Any]]] | None] = ContextVar(
    "engine_deferred_records", default=None
)


@contextmanager
def _unit_open(case: Any) -> Iterator[list[dict[str, Any]]]:
    pending = dict(_deferred.get() or {})
    key = (case.case_type(), case.pk)
    queued: list[dict[str, Any]] = []
    pending[key] = queued
    token = _deferred.set(pending)
    try:
        yield queued
    finally:
        _deferred.reset(token)


@dataclass
class TransitionResult:
    case: Any
    transition: str
    from_state: str
    to_state: str
    event: AuditEvent | None
    replayed: bool = False
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class AvailableTransition:
    name: str
    label: str
    target: str
    allowed: bool
    reasons: list[Reason]
    spec: TransitionSpec

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "target": self.target,
            "targets": list(self.spec.targets),
            "allowed": self.allowed,
            "reasons": [reason.as_dict() for reason in self.reasons],
        }


def lock(case: Any) -> Any:
    """The case's row, locked until the end of the current transaction."""
    return type(case).objects.select_for_update().get(pk=case.pk)


def _copy_into(target: Any, source: Any) -> None:
    if target is source:
        return
    for model_field in source._meta.concrete_fields:
        setattr(target, model_field.attname, getattr(source, model_field.attname))


class _RoleLabels:
    """The roles' names, joined when the reason is rendered, so they come out in the reader's language."""

    def __init__(self, roles: Any) -> None:
        self.roles = roles

    def __str__(self) -> str:
        return join_words(role.label for role in self.roles)


def _not_permitted(spec: TransitionSpec, flow: Flow | None = None, user: Any = None) -> NotPermitted:
    """Refused for lack of a role: a role's own explanation (recused, no seat) if it has one."""
    for role in spec.roles:
        explained = role.refusal(flow, user) if flow is not None else None
        if explained is not None:
            return NotPermitted(reasons=[explained])
    reason = Reason("not_permitted", _("Only %(roles)s may do this."), params={"roles": _RoleLabels(spec.roles)})
    return NotPermitted(reasons=[reason])


def _validate(spec: TransitionSpec, flow: Flow, data: dict[str, Any], files: Any) -> dict[str, Any]:
    if spec.form is None:
        return {}
    form = spec.form(data=data, files=files)
    if hasattr(form, "bind_flow"):
        form.bind_flow(flow)
    if not form.is_valid():
        errors = {name: [str(message) for message in messages] for name, messages in form.errors.items()}
        raise InvalidInput(errors)
    return dict(form.cleaned_data)


def run(
    case: Any,
    name: str,
    *,
    actor: Any,
    data: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    expected_version: int | None = None,
    context: audit.RequestContext | None = None,
    occurred_at: datetime | None = None,
    audit_data: dict[str, Any] | None = None,
    files: Any = None,
) -> TransitionResult:
    """Run the transition or action ``name`` on ``case`` for ``actor`` atomically; ``case`` is updated in place.

    The one shape of every change: lock the case, check roles and guards (with reasons), validate
    the input, run the body, write the audit event, run the declared ``on_success`` writes, move
    the clocks (transitions only), write the outbox rows and remember the idempotency key.
    """
    flow_cls = registry.flow_for(type(case))
    spec = flow_cls.unit(name)
    if spec is None:
        raise UnknownTransition()
    try:
        with transaction.atomic():
            result = _run_locked(
                case,
                flow_cls,
                spec,
                actor=actor,
                data=data or {},
                idempotency_key=idempotency_key,
                expected_version=expected_version,
                context=context,
                occurred_at=occurred_at,
                audit_data=audit_data,
                files=files,
            )
    except IntegrityError as exc:
        # Two requests with one idempotency key, or a unique seq taken by a racing writer.
        raise ConcurrentChange() from exc
    return result


def _run_locked(
    case: Any,
    flow_cls: type[Flow],
    spec: TransitionSpec,
    *,
    actor: Any,
    data: dict[str, Any],
    idempotency_key: str | None,
    expected_version: int | None,
    context: audit.RequestContext | None,
    occurred_at: datetime | None,
    audit_data: dict[str, Any] | None,
    files: Any,
) -> TransitionResult:
    locked = lock(case)
    case_type = locked.case_type()
    if idempotency_key:
        record = idempotency.lookup(actor, idempotency_key, scope=(case_type, locked.pk, spec.name), body=data)
        if record is not None:
            _copy_into(case, locked)
            return TransitionResult(
                case=case,
                transition=record.transition,
                from_state=record.result.get("from_state", ""),
                to_state=record.result.get("to_state", ""),
                event=None,
                replayed=True,
                data=record.result,
            )
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentChange()

    version_locked = locked.version
    flow = flow_cls(locked, actor)
    now = occurred_at or timezone.now()
    flow.now = now  # roles, guards and the body read the action's time (the scan's as-of time), like the event
    from_state = locked.state
    if from_state not in spec.sources:
        if case.version != locked.version:
            # The caller saw an older version: someone else moved the case first.
            raise ConcurrentChange()
        raise TransitionNotAllowedError()
    if actor is None:
        if not spec.system:
            raise _not_permitted(spec)
        role_code = "system"
    else:
        role = spec.role_for(flow, actor)
        if role is None:
            raise _not_permitted(spec, flow, actor)
        role_code = role.code

    cleaned = _validate(spec, flow, data, files)
    flow.data = cleaned
    reasons = spec.check_guards(flow)
    if reasons:
        if len(reasons) == 1 and reasons[0].error is not None:
            raise reasons[0].error(reasons=reasons)
        raise GuardFailed(reasons=reasons)

    body_result = getattr(flow, spec.name)(**cleaned)
    to_state = locked.state
    if not spec.is_action:
        locked.version += 1
        locked.updated_at = now

    event_data = {key: value for key, value in cleaned.items() if not hasattr(value, "read")}
    if isinstance(body_result, dict):
        event_data.update(body_result)
    if audit_data:
        event_data.update(audit_data)
    event = audit.build_event(
        locked,
        action=spec.name,
        actor=actor,
        actor_role=role_code,
        # An action moves nothing: its event names no states, like every other event that is not a move.
        from_state="" if spec.is_action else from_state,
        to_state="" if spec.is_action else to_state,
        data=event_data,
        context=context,
        occurred_at=now,
    )
    with _unit_open(locked) as queued:
        if not spec.is_action:
            sla.on_transition(locked, flow_cls, spec, from_state, to_state, now)
        if spec.on_success is not None:
            # The action's own rows (a meeting, an outcome, a vote), in this transaction, before the
            # outbox router reads them to work out who hears about it. The event is not saved yet:
            # its digest covers these rows (``engine.snapshot``), and ``record`` calls on this case
            # from here follow it on the chain.
            spec.on_success(flow, event)
    # The case's audited fields and rows as the unit leaves them, inside the event's hash.
    snapshot = snapshots.take(locked, flow_cls) if snapshots.audits_anything(flow_cls) else None
    audit.seal(event, locked, snapshot)
    followers = [
        (audit.build_event(locked, snapshot=snapshot, **fields), notify) for fields, notify in _unqueue(queued)
    ]
    # The case row (version-checked), the events and the outbox rows: one statement where it can (engine.writes).
    writes.save_unit(
        locked,
        moved=not spec.is_action,
        version=version_locked,
        events=[event, *(follower for follower, _notify in followers)],
        notices=[
            _outbox_event(locked, event, actor, {"from_state": from_state, "to_state": to_state}),
            *(_outbox_event(locked, follower, follower.actor, {}) for follower, notify in followers if notify),
        ],
    )
    result_data = {"from_state": from_state, "to_state": to_state, "seq": event.seq, "version": locked.version}
    if idempotency_key:
        idempotency.remember(
            actor, idempotency_key, scope=(case_type, locked.pk, spec.name), result=result_data, body=data
        )
    _copy_into(case, locked)
    return TransitionResult(
        case=case, transition=spec.name, from_state=from_state, to_state=to_state, event=event, data=result_data
    )


def _outbox_event(case: Any, event: AuditEvent, actor: Any, extra: dict[str, Any]) -> outbox.OutboxEvent:
    return outbox.OutboxEvent(
        event=event.action,
        case_type=case.case_type(),
        case_id=case.pk,
        case_reference=case.reference,
        case=case,
        actor=actor,
        audit_seq=event.seq,
        payload={**extra, "data": event.data},
    )


def record(
    case: Any,
    action: str,
    *,
    actor: Any,
    actor_role: str = "",
    data: dict[str, Any] | None = None,
    context: audit.RequestContext | None = None,
    notify: bool = True,
    occurred_at: datetime | None = None,
) -> AuditEvent | None:
    """Audit an event the flow declares (``Flow.events``) that no action of its own runs.

    The platform's notes (a tie, an automatic recusal), field edits of a draft, documents added.
    Runs in the caller's transaction and locks the case row to extend its chain; the event carries
    the digest of the case's audited fields and rows as they are now (write the rows first).
    Called from a unit's ``on_success`` on the same case, the event is written right after the
    unit's own (with the same digest) and None is returned.
    Reads are not recorded here: see ``engine.access_log`` (no case lock).
    ``occurred_at``: the time the event happened, when the service ran it as of another time (the
    time it gave ``authorize``); now by default.
    """
    flow_cls = registry.flow_for(type(case))
    flow_cls.event_spec(action)  # undeclared events are a programming error
    fields = {"action": action, "actor": actor, "actor_role": actor_role, "data": data, "context": context}
    if occurred_at is not None:
        fields["occurred_at"] = occurred_at
    queued = (_deferred.get() or {}).get((case.case_type(), case.pk))
    if queued is not None:
        # Inside a unit's ``on_success`` on this very case: written right after the unit's own event.
        queued.append({"fields": fields, "notify": notify})
        return None
    with transaction.atomic():
        locked = lock(case)
        snapshot = snapshots.take(locked, flow_cls) if snapshots.audits_anything(flow_cls) else None
        event = audit.build_event(locked, snapshot=snapshot, **fields)
        writes.save_unit(
            locked,
            moved=False,
            version=locked.version,
            events=[event],
            notices=[_outbox_event(locked, event, actor, {})] if notify else [],
        )
        case.audit_seq, case.audit_hash = locked.audit_seq, locked.audit_hash
    return event


def _unqueue(queued: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], bool]]:
    for item in queued:
        yield item["fields"], item["notify"]


def _options(flow: Flow, user: Any, specs: list[TransitionSpec]) -> list[AvailableTransition]:
    options = []
    for spec in specs:
        if spec.role_for(flow, user) is None:
            reasons = list(_not_permitted(spec, flow, user).reasons)
        else:
            reasons = spec.check_guards(flow)
        options.append(
            AvailableTransition(
                name=spec.name,
                label=str(spec.label),
                target=spec.target,
                allowed=not reasons,
                reasons=reasons,
                spec=spec,
            )
        )
    return options


def available_transitions(case: Any, user: Any) -> list[AvailableTransition]:
    """Every transition out of the current state, with whether ``user`` may run it and why not."""
    flow_cls = registry.flow_for(type(case))
    return _options(flow_cls(case, user), user, flow_cls.outgoing(case.state))


@dataclass
class Capabilities:
    """What one person may do on one case now, and why not: the one answer every screen asks."""

    case: Any
    user: Any
    can_view: bool
    transitions: list[AvailableTransition]
    actions: list[AvailableTransition]
    flow: Flow

    def option(self, name: str) -> AvailableTransition | None:
        return next((o for o in [*self.transitions, *self.actions] if o.name == name), None)

    def can(self, name: str) -> bool:
        option = self.option(name)
        return option is not None and option.allowed

    def reasons(self, name: str) -> list[Reason]:
        option = self.option(name)
        return option.reasons if option is not None else []

    def allowed(self) -> list[AvailableTransition]:
        return [o for o in self.transitions if o.allowed]

    def allows(self, name: str, data: dict[str, Any]) -> bool:
        """Whether the action ``name`` is open to this person for what ``data`` names (an item, an owner)."""
        spec = type(self.flow).unit(name)
        if spec is None or self.case.state not in spec.sources:
            return False
        flow = type(self.flow)(self.case, self.user, data)
        return spec.role_for(flow, self.user) is not None and not spec.check_guards(flow)

    def may_read_event(self, name: str) -> bool:
        return self.can_view and self.flow.may_read_event(name)


def authorize(
    case: Any, user: Any, name: str, data: dict[str, Any] | None = None, *, at: datetime | None = None
) -> TransitionSpec:
    """Refuse, with reasons, unless ``user`` may take action ``name`` on ``case`` now (or as of ``at``).

    For services that write an action's rows themselves (documents, follow-up items) before
    recording its event: the same state, role and guard checks the engine's ``run`` makes. Guards
    read ``at`` through ``flow.clock()``, as ``run`` gives them its ``occurred_at``.
    """
    flow_cls = registry.flow_for(type(case))
    spec = flow_cls.unit(name)
    if spec is None:
        raise UnknownTransition()
    flow = flow_cls(case, user, data)
    flow.now = at
    # Who before when: a person who may never take the action is told so whatever the state.
    if spec.role_for(flow, user) is None:
        raise _not_permitted(spec, flow, user)
    if case.state not in spec.sources:
        raise TransitionNotAllowedError()
    reasons = spec.check_guards(flow)
    if reasons:
        if len(reasons) == 1 and reasons[0].error is not None:
            raise reasons[0].error(reasons=reasons)
        raise GuardFailed(reasons=reasons)
    return spec


def capabilities(case: Any, user: Any, data: dict[str, Any] | None = None) -> Capabilities:
    """``user``'s capabilities on ``case``: visibility, transitions and actions with their reasons.

    ``data`` is what an action is about (e.g. ``{"item": item}``) when that decides who may take it.
    """
    flow_cls = registry.flow_for(type(case))
    flow = flow_cls(case, user, data)
    actions = [spec for spec in flow_cls.actions().values() if case.state in spec.sources]
    return Capabilities(
        case=case,
        user=user,
        can_view=flow.can_view(),
        transitions=_options(flow, user, flow_cls.outgoing(case.state)),
        actions=_options(flow, user, actions),
        flow=flow,
    )


def create_case(
    model: Any,
    *,
    actor: Any,
    context: audit.RequestContext | None = None,
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> Any:
    """Create a case with its reference and the first link of its audit chain."""
    from .references import next_reference

    with transaction.atomic():
        now = timezone.now()
        flow_cls = registry.flow_for(model)
        initial = str(fields.pop("state", None) or flow_cls.state._default)
        case = model(state=initial, created_at=now, updated_at=now, **fields)
        year = timezone.localtime(now).year
        case.reference = next_reference(model.REFERENCE_PREFIX, year)
        case.save(force_insert=True)
        # A new case has no audited rows yet: its snapshot needs no query.
        snapshot = snapshots.take(case, flow_cls, rows=False) if snapshots.audits_anything(flow_cls) else None
        event = audit.build_event(
            case,
            snapshot=snapshot,
            action="create",
            actor=actor,
            actor_role="",
            to_state=initial,
            data=data,
            context=context,
            occurred_at=now,
        )
        type(case).objects.filter(pk=case.pk).update(audit_seq=case.audit_seq, audit_hash=case.audit_hash)
        event.save(force_insert=True)
        sla_policy = sla.policy_for(case.case_type(), initial)
        if sla_policy is not None:
            sla.clock_start(case, sla_policy, now)
    return case
