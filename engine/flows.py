"""Flow classes: a viewflow.fsm ``State`` plus our transition metadata (roles, guards, fields)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django import forms
from viewflow.fsm import State

from .reasons import Reason
from .roles import Role

Guard = Callable[[Any], "Reason | Iterable[Reason] | None"]


@dataclass
class TransitionSpec:
    """What the engine needs to know about a transition beyond source and target."""

    name: str
    label: Any
    sources: list[str] = field(default_factory=list)
    target: str = ""
    roles: Sequence[Role] = ()
    guards: Sequence[Guard] = ()
    form: type[forms.Form] | None = None
    # The turn passes elsewhere and will come back: pause the running clock instead of stopping it.
    pauses_clock: bool = False
    # May the engine itself (an SLA breach, a scheduled job) run it with no user?
    system: bool = False
    description: Any = ""

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


def transition(
    state: State,
    *,
    source: str | Sequence[str],
    target: str,
    label: Any = None,
    roles: Sequence[Role] = (),
    guards: Sequence[Guard] = (),
    form: type[forms.Form] | None = None,
    pauses_clock: bool = False,
    system: bool = False,
    description: Any = "",
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a transition on a flow: a viewflow transition carrying a ``TransitionSpec``."""
    sources = [source] if isinstance(source, str) else list(source)

    def decorate(func: Callable[..., Any]) -> Any:
        spec = TransitionSpec(
            name=func.__name__,
            label=label or func.__name__.replace("_", " ").capitalize(),
            sources=[str(s) for s in sources],
            target=str(target),
            roles=tuple(roles),
            guards=tuple(guards),
            form=form,
            pauses_clock=pauses_clock,
            system=system,
            description=description,
        )
        # Permission and guards are checked by the engine (with reasons), so viewflow only
        # enforces source and target here.
        return state.transition(
            source=sources, target=target, label=spec.label, permission=None, custom={"spec": spec}
        )(func)

    return decorate


class Flow:
    """Wraps a case and the acting user; subclasses declare ``state`` and transitions."""

    model: ClassVar[type]
    state: ClassVar[State]
    #: state values (strings) to their translatable labels, in lifecycle order
    state_labels: ClassVar[dict[str, Any]] = {}
    #: states with no way out but an explicit reopen; entering one stops every clock
    final_states: ClassVar[frozenset[str]] = frozenset()
    _specs: ClassVar[dict[str, TransitionSpec]]
    _pausable: ClassVar[frozenset[str]]

    def __init__(self, case: Any, user: Any = None, data: dict[str, Any] | None = None) -> None:
        self.case = case
        self.user = user
        self.data: dict[str, Any] = data or {}

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
    def spec(cls, name: str) -> TransitionSpec | None:
        return cls.specs().get(name)

    @classmethod
    def states(cls) -> list[str]:
        if cls.state_labels:
            return list(cls.state_labels)
        seen: list[str] = []
        for spec in cls.specs().values():
            for value in [*spec.sources, spec.target]:
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
