"""Flow classes: a viewflow.fsm ``State`` plus our transition metadata (roles, guards, fields)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.fsm import State

from .reasons import Reason
from .roles import Role

Guard = Callable[[Any], "Reason | Iterable[Reason] | None"]
#: In-transaction writes of an action, run by the engine after its audit event is written:
#: ``(flow, event) -> None``; whoever calls the engine (API, portal, SLA scan, committee), it runs.
Effect = Callable[[Any, Any], None]


@dataclass(frozen=True)
class EventSpec:
    """An event a flow emits: its name, its label, and who may read its actor and data.

    ``visible_to`` is a list of roles; ``None`` means anyone who may see the case. A hidden event
    still shows its sequence number and hashes, so every reader can check the chain.
    """

    name: str
    label: Any = ""
    visible_to: Sequence[Role] | None = None

    def readable_by(self, flow: Any, user: Any) -> bool:
        if self.visible_to is None:
            return True
        return any(role.admits(flow, user) for role in self.visible_to)


@dataclass
class TransitionSpec:
    """What the engine needs to know about a transition beyond source and target."""

    name: str
    label: Any
    sources: list[str] = field(default_factory=list)
    #: the usual target; ``targets`` lists every state the action may end in (the body may choose)
    target: str = ""
    targets: list[str] = field(default_factory=list)
    roles: Sequence[Role] = ()
    guards: Sequence[Guard] = ()
    form: type[forms.Form] | None = None
    # The turn passes elsewhere and will come back: pause the running clock instead of stopping it.
    pauses_clock: bool = False
    # May the engine itself (an SLA breach, a scheduled job) run it with no user?
    system: bool = False
    #: the declared outcome of its clock's allowance ending (silence is consent): the scan runs it when
    #: the time is up, and the clock stops as settled on time, never breached nor escalated
    settles_deadline: bool = False
    description: Any = ""
    #: in-transaction writes the engine always runs after the audit event (see ``Effect``)
    on_success: Effect | None = None
    #: who may read the event's actor and data (``None``: anyone who sees the case)
    visible_to: Sequence[Role] | None = None
    #: a transition moves the state machine; an action (vote, document, ...) leaves the state as is
    kind: str = "transition"

    def __post_init__(self) -> None:
        if not self.targets:
            self.targets = [self.target] if self.target else []
        if not self.target and self.targets:
            self.target = self.targets[0]

    @property
    def is_action(self) -> bool:
        return self.kind == "action"

    @property
    def event(self) -> EventSpec:
        return EventSpec(self.name, self.label, self.visible_to)

    def role_for(self, flow: Any, user: Any) -> Role | None:
        for role in self.roles:
            if role.admits(flow, user):
                return role
        return None

    def check_guards(self, flow: Any) -> list[Reason]:
        reasons: list[Reason] = []
        for guard in self.guards:
            result = guard(flow)
            if result is None:
                continue
            if isinstance(result, Reason):
                reasons.append(result)
            else:
                reasons.extend(result)
        return reasons


def chosen_target(choose: Callable[..., str], *states: str) -> Any:
    """A target the action chooses from its input, among ``states`` (viewflow's ``State.GET_STATE``).

    ``choose(flow, **cleaned)`` returns one of ``states``; diagrams and the API list every one.
    """
    return State.GET_STATE(lambda flow, *args, **kwargs: choose(flow, **kwargs), states=list(states))


def transition(
    state: State,
    *,
    source: str | Sequence[str],
    target: Any,
    label: Any = None,
    roles: Sequence[Role] = (),
    guards: Sequence[Guard] = (),
    form: type[forms.Form] | None = None,
    pauses_clock: bool = False,
    system: bool = False,
    settles_deadline: bool = False,
    description: Any = "",
    on_success: Effect | None = None,
    visible_to: Sequence[Role] | None = None,
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a transition on a flow: a viewflow transition carrying a ``TransitionSpec``.

    ``target`` is a state, or ``chosen_target(...)`` when the body's input decides among several.
    """
    sources = [source] if isinstance(source, str) else list(source)
    targets = [str(t) for t in target.states] if isinstance(target, State.GET_STATE) else [str(target)]

    def decorate(func: Callable[..., Any]) -> Any:
        spec = TransitionSpec(
            name=func.__name__,
            label=label or func.__name__.replace("_", " ").capitalize(),
            sources=[str(s) for s in sources],
            target=targets[0],
            targets=targets,
            roles=tuple(roles),
            guards=tuple(guards),
            form=form,
            pauses_clock=pauses_clock,
            system=system,
            settles_deadline=settles_deadline,
            description=description,
            on_success=on_success,
            visible_to=visible_to,
        )
        # Permission and guards are checked by the engine (with reasons), so viewflow only
        # enforces source and target here.
        return state.transition(
            source=sources, target=target, label=spec.label, permission=None, custom={"spec": spec}
        )(func)

    return decorate


def action(
    *,
    source: str | Sequence[str],
    label: Any = None,
    roles: Sequence[Role] = (),
    guards: Sequence[Guard] = (),
    form: type[forms.Form] | None = None,
    system: bool = False,
    description: Any = "",
    on_success: Effect | None = None,
    visible_to: Sequence[Role] | None = None,
) -> Callable[[Callable[..., Any]], Any]:
    """Declare an action that leaves the state as it is (a vote, a document, an action item's change).

    The engine runs it like a transition (lock, roles, guards, form, audit, ``on_success``, outbox)
    but moves no clock. The body returns the event's data; its writes belong in ``on_success``.
    """
    sources = [source] if isinstance(source, str) else list(source)

    def decorate(func: Callable[..., Any]) -> Any:
        func._action_spec = TransitionSpec(  # type: ignore[attr-defined]
            name=func.__name__,
            label=label or func.__name__.replace("_", " ").capitalize(),
            sources=[str(s) for s in sources],
            roles=tuple(roles),
            guards=tuple(guards),
            form=form,
            system=system,
            description=description,
            on_success=on_success,
            visible_to=visible_to,
            kind="action",
        )
        return func

    return decorate


class Flow:
    """Wraps a case and the acting user; subclasses declare ``state`` and transitions."""

    model: ClassVar[type]
    state: ClassVar[State]
    #: state values (strings) to their translatable labels, in lifecycle order
    state_labels: ClassVar[dict[str, Any]] = {}
    #: states with no way out but an explicit reopen; entering one stops every clock
    final_states: ClassVar[frozenset[str]] = frozenset()
    #: events the flow emits besides its transitions and actions (the platform's own notes,
    #: reminders, the SLA scan's warnings), with who may read them
    events: ClassVar[Sequence[EventSpec]] = ()
    #: Related rows audited with the case: name -> ``engine.snapshot.AuditedRows`` (the case model's own
    #: fields are its ``audited_fields``). Every event's digest covers them; audit_verify holds them to it.
    audited_rows: ClassVar[dict[str, Any]] = {}
    _specs: ClassVar[dict[str, TransitionSpec]]
    _actions: ClassVar[dict[str, TransitionSpec]]
    _events: ClassVar[dict[str, EventSpec]]
    _pausable: ClassVar[frozenset[str]]

    def __init__(self, case: Any, user: Any = None, data: dict[str, Any] | None = None) -> None:
        self.case = case
        self.user = user
        self.data: dict[str, Any] = data or {}
        #: the time the running action happens at (the scan's as-of time), set by the engine before the body
        self.now: datetime | None = None

    def clock(self) -> datetime:
        """When the running action happens: ``now`` as the engine set it, else the wall clock."""
        return self.now or timezone.now()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        state = cls.__dict__.get("state")
        if isinstance(state, State):
            state.getter()(lambda flow: flow.case.state)
            state.setter()(lambda flow, value: setattr(flow.case, "state", str(value)))

    @classmethod
    def specs(cls) -> dict[str, TransitionSpec]:
        """Every transition of the flow by name, in declaration order."""
        cached = cls.__dict__.get("_specs")
        if cached is None:
            cached = {}
            for name in dir(cls):
                attr = cls.__dict__.get(name) or next(
                    (base.__dict__[name] for base in cls.__mro__ if name in base.__dict__), None
                )
                transitions = getattr(attr, "_transitions", None)
                if not isinstance(transitions, dict) or not transitions:
                    continue
                first = next(iter(transitions.values()))
                spec = first.custom.get("spec")
                if spec is not None:
                    cached[spec.name] = spec
            order = {name: index for index, name in enumerate(cls._declaration_order())}
            cached = dict(sorted(cached.items(), key=lambda item: order.get(item[0], 10_000)))
            cls._specs = cached
        return cached

    @classmethod
    def _declaration_order(cls) -> list[str]:
        names: list[str] = []
        for base in reversed(cls.__mro__):
            names.extend(name for name in base.__dict__ if name not in names)
        return names

    @classmethod
    def actions(cls) -> dict[str, TransitionSpec]:
        """Every action that leaves the state as it is, by name, in declaration order."""
        cached = cls.__dict__.get("_actions")
        if cached is None:
            cached = {}
            for name in cls._declaration_order():
                attr = getattr(cls, name, None)
                spec = getattr(attr, "_action_spec", None)
                if isinstance(spec, TransitionSpec):
                    cached[spec.name] = spec
            cls._actions = cached
        return cached

    @classmethod
    def spec(cls, name: str) -> TransitionSpec | None:
        return cls.specs().get(name)

    @classmethod
    def unit(cls, name: str) -> TransitionSpec | None:
        """The transition or action called ``name``."""
        return cls.specs().get(name) or cls.actions().get(name)

    @classmethod
    def event_specs(cls) -> dict[str, EventSpec]:
        """Every event the flow emits (transitions, actions, declared events), by name."""
        cached = cls.__dict__.get("_events")
        if cached is None:
            cached = {"create": EventSpec("create", _("Case created"))}
            for spec in [*cls.specs().values(), *cls.actions().values()]:
                cached[spec.name] = spec.event
            for event in cls.events:
                cached[event.name] = event
            cls._events = cached
        return cached

    @classmethod
    def event_spec(cls, name: str) -> EventSpec:
        """The declared event ``name``; an undeclared name is a programming error."""
        try:
            return cls.event_specs()[name]
        except KeyError:
            raise LookupError(f"{cls.__name__} declares no event {name!r}.") from None

    @classmethod
    def viewer_ids(cls, case: Any, user_ids: Iterable[int]) -> set[int]:
        """Which of ``user_ids`` may see ``case``: ``can_view`` per person (flows may answer set-based)."""
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(pk__in=list(user_ids), is_active=True)
        return {user.pk for user in users if cls(case, user).can_view()}

    @classmethod
    def reader_ids(
        cls, case: Any, user_ids: Iterable[int], event: str, users: Mapping[int, Any] | None = None
    ) -> set[int]:
        """Which of ``user_ids`` may read event ``event`` of ``case``: the notification audiences obey this.

        ``users`` (id → user, loaded by the caller) spares the queries of the per-person rules:
        ``can_view`` and ``visible_to`` are asked of those objects (a flow with a set-based
        ``viewer_ids`` of its own still answers with it).
        """
        user_ids = list(user_ids)
        own_rule = getattr(cls.viewer_ids, "__func__", None) is not getattr(Flow.viewer_ids, "__func__", None)
        if users is not None and not own_rule:
            loaded = [users[pk] for pk in user_ids if pk in users]
            ids = {user.pk for user in loaded if user.is_active and cls(case, user).can_view()}
        else:
            ids = cls.viewer_ids(case, user_ids)
        spec = cls.event_specs().get(event)
        if spec is None or spec.visible_to is None or not ids:
            return ids
        if users is not None and all(pk in users for pk in ids):
            readers: Iterable[Any] = [users[pk] for pk in ids]
        else:
            from django.contrib.auth import get_user_model

            readers = get_user_model().objects.filter(pk__in=ids)
        return {user.pk for user in readers if spec.readable_by(cls(case, user), user)}

    def can_view(self) -> bool:
        """May ``self.user`` see the case at all? Flows override this; the default is nobody."""
        return False

    def may_read_event(self, name: str) -> bool:
        """May ``self.user`` read the actor and data of an event ``name`` of this case?"""
        spec = self.event_specs().get(name)
        return spec is None or spec.readable_by(self, self.user)

    @classmethod
    def states(cls) -> list[str]:
        if cls.state_labels:
            return list(cls.state_labels)
        seen: list[str] = []
        for spec in cls.specs().values():
            for value in [*spec.sources, *spec.targets]:
                if value not in seen:
                    seen.append(value)
        return seen

    @classmethod
    def outgoing(cls, state: str) -> list[TransitionSpec]:
        return [spec for spec in cls.specs().values() if state in spec.sources]

    @classmethod
    def pausable_states(cls) -> frozenset[str]:
        """States whose clock some transition pauses (so entering them may resume a clock)."""
        cached = cls.__dict__.get("_pausable")
        if cached is None:
            cached = frozenset(s for spec in cls.specs().values() if spec.pauses_clock for s in spec.sources)
            cls._pausable = cached
        return cached

    def audience(self, name: str) -> list[Any]:
        """Users in a named relation to the case ("requester", "secretariat", ...), for notifications.

        Flows override this; the notification router asks it who hears about an event.
        """
        return []

    def state_label(self, value: str | None = None) -> str:
        value = value if value is not None else self.case.state
        return str(self.state_labels.get(value, value))
