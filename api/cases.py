"""The endpoints every flow's cases get for free, generated from the flow's transition definitions.

A workflow describes how its cases are exposed with a ``CaseEndpoints`` (model, URL prefix, answer
serializer, who sees what) and includes ``endpoints.urls()``; this module then serves, for each case:

- ``{prefix}/{ref}/transitions/``: every transition out of the current state, allowed or not and why;
- ``{prefix}/{ref}/transitions/{name}/``: one URL, one view class and one documented request body per
  transition in ``Flow.specs()``, typed from the transition's form; adding a transition to the flow adds
  it here and to the OpenAPI schema, with no hand-written view;
- ``{prefix}/{ref}/history/`` and ``{prefix}/{ref}/sla/``: the audit chain and the SLA clocks.

Views parse, call the engine (or the workflow's runner) and render; the rules live in the flow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import URLPattern, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

import engine
from engine import idempotency, registry
from engine.audit import RequestContext
from engine.errors import ConcurrentChange, NotPermitted, TransitionNotAllowedError, UnknownTransition
from engine.flows import Flow, TransitionSpec
from engine.models import AuditEvent, IdempotencyRecord, SlaClock
from engine.reasons import Reason
from engine.roles import SYSTEM
from engine.service import TransitionResult

from .errors import ApiError
from .inputs import check_body, serializer_for_form
from .pagination import Pagination
from .schema import ReasonSerializer, error_response
from .views import ApiView, GenericApiView

REFERENCE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9-]{0,31}"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Any unique string (1-200 visible ASCII characters, e.g. a UUID). A repeat with the same key "
        "returns the first answer and changes nothing; the same key for another action gives 422."
    ),
)
IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The case `version` you last read: if the case has changed since, the answer is 409 `conflict`.",
)


def platform_only(spec: TransitionSpec) -> bool:
    """A step only the platform takes (an SLA breach, the committee's settled vote): no person's role admits it."""
    return spec.system and all(role.code == SYSTEM.code for role in spec.roles)


def system_only_reason() -> Reason:
    return Reason("system_only", _("The platform takes this step by itself once its rules are met."))


# --- answers --------------------------------------------------------------------------------


class AvailableTransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField(help_text="The state the case usually moves to.")
    targets = serializers.ListField(
        child=serializers.CharField(), help_text="Every state it may end in (the input may choose, e.g. a decision)."
    )
    allowed = serializers.BooleanField(help_text="Whether the caller may run it now.")
    reasons = ReasonSerializer(many=True, help_text="Why not, when not allowed.")


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField(
        help_text="Username; empty for the system or when hidden from the caller."
    )
    actor_role = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField()
    redacted = serializers.SerializerMethodField(
        help_text="True when the flow does not let the caller read this event's actor and data "
        "(e.g. a committee member's vote, for the parties); its seq and hashes still let the chain be checked."
    )

    def _hidden(self, event: AuditEvent) -> bool:
        readable = self.context.get("readable")
        return readable is not None and not readable(event.action)

    def get_actor(self, event: AuditEvent) -> str | None:
        return None if self._hidden(event) else event.actor_label

    def get_actor_role(self, event: AuditEvent) -> str:
        return "" if self._hidden(event) else event.actor_role

    def get_data(self, event: AuditEvent) -> Any:
        return {} if self._hidden(event) else event.data

    def get_redacted(self, event: AuditEvent) -> bool:
        return self._hidden(event)

    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "occurred_at",
            "actor",
            "actor_role",
            "action",
            "from_state",
            "to_state",
            "data",
            "redacted",
            "prev_hash",
            "hash",
        ]


class SlaClockSerializer(serializers.ModelSerializer):
    paused = serializers.BooleanField()
    status = serializers.ChoiceField(choices=SlaClock.Status.choices)

    class Meta:
        model = SlaClock
        fields = ["state", "owner", "status", "started_at", "due_at", "paused", "paused_at", "stopped_at"]


class HistoryPagination(Pagination):
    page_size = 100
    max_page_size = 1000


def _method(func: Callable[..., Any]) -> Callable[..., Any]:
    """A fresh handler calling ``func``: each generated view class documents its own copy."""

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return func(self, *args, **kwargs)

    method.__name__ = func.__name__.lstrip("_")
    method.__doc__ = func.__doc__
    return method


# --- configuration --------------------------------------------------------------------------


@dataclass
class CaseEndpoints:
    """How one flow's cases are exposed over HTTP."""

    model: type
    #: URL segment under /api/v1/, e.g. "requests"
    prefix: str
    #: the case as answered by the detail endpoint and by every transition
    serializer_class: type[serializers.BaseSerializer]
    #: the cases ``user`` may see (object-level visibility: invisible means 404)
    visible: Callable[[Any], QuerySet]
    #: name used in operation ids and component names, e.g. "request"
    basename: str = ""
    tag: str = ""
    #: runs a transition; defaults to ``engine.run`` (a workflow may route through its services)
    runner: Callable[..., Any] | None = None
    #: adds what an answer shows to a queryset of cases (select_related/prefetch: constant query count)
    with_details: Callable[[QuerySet], QuerySet] | None = None
    #: extra serializer context for the answer
    serializer_context: Callable[[Request], dict[str, Any]] | None = None
    #: may ``user`` read ``case``'s audit history (it may hold restricted material)?
    history_allowed: Callable[[Any, Any], bool] | None = None
    #: called after a case has been read in full (e.g. to audit a restricted read)
    on_read: Callable[[Request, Any], None] | None = None
    _views: dict[str, type] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.basename = self.basename or self.model._meta.model_name
        self.tag = self.tag or self.prefix

    @property
    def flow(self) -> type[Flow]:
        return registry.flow_for(self.model)

    def get_case(self, request: Request, reference: str, *, details: bool = False) -> Any:
        """The case at ``reference`` if the caller may see it; 404 otherwise (never 403: no leak).

        ``details`` fetches what the answer shows in the same queries (for a read rendered as is).
        """
        queryset = self.visible(request.user)
        if details and self.with_details is not None:
            queryset = self.with_details(queryset)
        case = queryset.filter(reference=reference).first()
        if case is None:
            raise ApiError("not_found", status_code=404)
        return case

    def render(self, request: Request, case: Any, *, fresh: bool = True) -> Any:
        """The answer for ``case``; ``fresh`` reads it again (after a change) with its details."""
        if fresh and self.with_details is not None:
            case = self.with_details(self.model._default_manager.all()).get(pk=case.pk)
        context = {"request": request, **(self.serializer_context(request) if self.serializer_context else {})}
        return self.serializer_class(case, context=context).data

    def precheck(self, case: Any, name: str, user: Any) -> None:
        """The engine's state and role checks, before the body is looked at (the engine checks again).

        A caller who may not act, or a case that cannot move, is told so before any field error.
        """
        spec = self.flow.spec(name)
        if spec is None:
            raise UnknownTransition()
        if case.state not in spec.sources:
            raise TransitionNotAllowedError()
        if platform_only(spec):
            raise NotPermitted(reasons=[system_only_reason()])
        if spec.role_for(self.flow(case, user), user) is None:
            option = next(option for option in engine.available_transitions(case, user) if option.name == name)
            raise NotPermitted(reasons=option.reasons)

    def available(self, case: Any, user: Any) -> list[dict[str, Any]]:
        """``engine.available_transitions``, with steps only the platform takes explained as such."""
        options = []
        for option in engine.available_transitions(case, user):
            if platform_only(option.spec):
                reasons = [system_only_reason(), *option.spec.check_guards(self.flow(case, user))]
                option = replace(option, allowed=False, reasons=reasons)
            options.append(option.as_dict())
        return options

    def api_specs(self) -> list[TransitionSpec]:
        """Transitions a person can run: those only the platform runs get no endpoint of their own."""
        return [spec for spec in self.flow.specs().values() if not platform_only(spec)]

    def run(self, case: Any, name: str, **kwargs: Any) -> tuple[Any, bool]:
        """Run the transition; (the case, whether the engine replayed an earlier run of the same key).

        A runner may return the engine's ``TransitionResult`` or the case itself (a workflow service);
        a transition always bumps the version, so an unchanged version means a replay.
        """
        before = case.version
        result = (self.runner or engine.run)(case, name, **kwargs)
        if isinstance(result, TransitionResult):
            return result.case, result.replayed
        return result, result.version == before

    # -- URLs ---------------------------------------------------------------------------------

    def urls(self) -> list[URLPattern]:
        ref = rf"^{re.escape(self.prefix)}/(?P<reference>{REFERENCE_PATTERN})"
        patterns = [
            re_path(rf"{ref}/transitions/$", self._transitions_view().as_view(), name=f"{self.basename}-transitions"),
        ]
        for spec in self.api_specs():
            patterns.append(
                re_path(
                    rf"{ref}/transitions/{re.escape(spec.name)}/$",
                    self.transition_view(spec).as_view(),
                    name=f"{self.basename}-transition-{spec.name}",
                )
            )
        patterns += [
            re_path(rf"{ref}/transitions/(?P<name>[^/]{{1,100}})/$", self._unknown_view().as_view()),
            re_path(rf"{ref}/history/$", self._history_view().as_view(), name=f"{self.basename}-history"),
            re_path(rf"{ref}/sla/$", self._sla_view().as_view(), name=f"{self.basename}-sla"),
        ]
        return patterns

    def _class(self, base: type, suffix: str, attrs: dict[str, Any]) -> type:
        name = f"{self.model.__name__}{suffix}View"
        if name not in self._views:
            self._views[name] = type(name, (base,), {"endpoints": self, **attrs})
        return self._views[name]

    def _transitions_view(self) -> type:
        schema = extend_schema(
            operation_id=f"{self.basename}_transitions_list",
            tags=[self.tag],
            summary=str(_("Transitions out of the current state")),
            description="Every transition from the case's current state, whether the caller may run it now, "
            "and the reasons (with the charter article) when not.",
            responses={200: AvailableTransitionSerializer(many=True)},
        )
        return self._class(CaseTransitionsView, "Transitions", {"get": schema(_method(CaseTransitionsView._get))})

    def transition_view(self, spec: TransitionSpec) -> type:
        """The view class of one transition, with its own documented request body."""
        camel = "".join(part.capitalize() for part in spec.name.split("_"))
        input_serializer = serializer_for_form(spec.form, f"{self.model.__name__}{camel}Input")
        description = str(spec.description or "") or (spec.form.__doc__ if spec.form else "") or ""
        roles = ", ".join(str(role.label) for role in spec.roles) or "-"
        schema = extend_schema(
            operation_id=f"{self.basename}_transition_{spec.name}",
            tags=[self.tag],
            summary=str(spec.label),
            description=(
                f"{description}\n\nFrom: {', '.join(spec.sources)} → to: {spec.target}. Who: {roles}."
            ).strip(),
            request=input_serializer,
            parameters=[IDEMPOTENCY_PARAMETER, IF_MATCH_PARAMETER],
            responses={
                200: self.serializer_class,
                409: error_response(409),
                422: error_response(422, "The Idempotency-Key was already used for another action."),
            },
            examples=[
                OpenApiExample(
                    "replayed key",
                    value={
                        "code": "idempotency_key_reused",
                        "message": "This Idempotency-Key was used for another action.",
                    },
                    response_only=True,
                    status_codes=["422"],
                )
            ],
        )
        return self._class(
            CaseTransitionView,
            f"Transition{camel}",
            {
                "transition": spec.name,
                "input_serializer": input_serializer,
                "post": schema(_method(CaseTransitionView._post)),
            },
        )

    def _unknown_view(self) -> type:
        return self._class(UnknownTransitionView, "UnknownTransition", {})

    def _history_view(self) -> type:
        schema = extend_schema(
            operation_id=f"{self.basename}_history",
            tags=[self.tag],
            summary=str(_("Audit history")),
            description="The case's hash-chained audit events, oldest first.",
            responses={200: AuditEventSerializer(many=True)},
        )
        return self._class(CaseHistoryView, "History", {"get": schema(_method(CaseHistoryView._get))})

    def _sla_view(self) -> type:
        schema = extend_schema(
            operation_id=f"{self.basename}_sla",
            tags=[self.tag],
            summary=str(_("SLA clocks")),
            description="Every clock of the case: whose time it is, when it is due, whether it is paused.",
            responses={200: SlaClockSerializer(many=True)},
        )
        return self._class(CaseSlaView, "Sla", {"get": schema(_method(CaseSlaView._get))})


# --- views ------------------------------------------------------------------------------------


class _CaseView(ApiView):
    endpoints: CaseEndpoints


class CaseTransitionsView(_CaseView):
    def _get(self, request: Request, reference: str) -> Response:
        case = self.endpoints.get_case(request, reference)
        return Response(AvailableTransitionSerializer(self.endpoints.available(case, request.user), many=True).data)


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.match(key):
        raise ApiError(
            "invalid",
            errors={"Idempotency-Key": [str(_("Use 1 to 200 visible ASCII characters, for example a UUID."))]},
        )
    return key


def expected_version(request: Request) -> int | None:
    value = request.headers.get("If-Match")
    if value is None or value.strip() == "*":
        return None
    match = _IF_MATCH.match(value)
    if match is None:
        raise ApiError("invalid", errors={"If-Match": [str(_('Send the case version you last read, e.g. "3".'))]})
    return int(match.group(1))


def _replay(record: IdempotencyRecord) -> Response:
    return Response(record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"})


def repeated(request: Request, key: str | None, scope: idempotency.Scope, data: Any) -> Response | None:
    """The first answer to a repeat of ``key`` with the same body; 422 for another body or action."""
    if not key:
        return None
    record = idempotency.lookup(request.user, key, scope=scope, body=data)
    if record is None or record.response is None:
        return None
    return _replay(record)


def remember_answer(
    request: Request, key: str | None, scope: idempotency.Scope, data: Any, body: Any, status_code: int, case_id: int
) -> None:
    """Keep the answer for ``key`` in the action's transaction (the engine may have recorded the key already)."""
    if not key:
        return
    if IdempotencyRecord.objects.filter(actor=request.user, key=key).exists():
        idempotency.attach_response(request.user, key, body, status_code)
    else:
        idempotency.remember(
            request.user, key, scope=scope, case_id=case_id, body=data, response=body, status_code=status_code
        )


def idempotent_create(request: Request, case_type: str, data: Any, create: Callable[[], tuple[Any, Any]]) -> Response:
    """Run ``create`` (→ case, answer body) once per ``Idempotency-Key``: a repeat replays the 201."""
    key = idempotency_key(request)
    scope: idempotency.Scope = (case_type, None, "create")
    if (answer := repeated(request, key, scope, data)) is not None:
        return answer
    try:
        with transaction.atomic():
            case, body = create()
            remember_answer(request, key, scope, data, body, 201, case.pk)
    except IntegrityError:
        # A twin request with the same key committed first: answer as it did.
        if (answer := repeated(request, key, scope, data)) is not None:
            return answer
        raise ConcurrentChange() from None
    return Response(body, status=201)


class CaseTransitionView(_CaseView):
    transition: str
    input_serializer: type[serializers.Serializer]

    def _post(self, request: Request, reference: str) -> Response:
        endpoints = self.endpoints
        case = endpoints.get_case(request, reference)
        key = idempotency_key(request)
        scope: idempotency.Scope = (case.case_type(), case.pk, self.transition)
        if key and IdempotencyRecord.objects.filter(actor=request.user, key=key).exists():
            # A repeat: same body → the first answer, whatever the case's state now; else 422.
            data = check_body(self.input_serializer, request.data)
            if (answer := repeated(request, key, scope, data)) is not None:
                return answer
        endpoints.precheck(case, self.transition, request.user)
        data = check_body(self.input_serializer, request.data)
        version = expected_version(request)
        try:
            with transaction.atomic():
                case, replayed = endpoints.run(
                    case,
                    self.transition,
                    actor=request.user,
                    data=data,
                    idempotency_key=key,
                    expected_version=version,
                    context=RequestContext.from_request(request),
                )
                body = endpoints.render(request, case)
                if not replayed:
                    remember_answer(request, key, scope, data, body, 200, case.pk)
        except IntegrityError as exc:
            # A twin request with the same key committed first: answer as it did.
            if (answer := repeated(request, key, scope, data)) is not None:
                return answer
            raise ConcurrentChange() from exc
        if replayed and (answer := repeated(request, key, scope, data)) is not None:
            return answer
        return Response(body, headers={"Idempotent-Replayed": "true"} if replayed else None)


class UnknownTransitionView(_CaseView):
    schema = None

    def post(self, request: Request, reference: str, name: str) -> Response:
        case = self.endpoints.get_case(request, reference)
        self.endpoints.precheck(case, name, request.user)
        # precheck refuses every name without an endpoint of its own
        raise UnknownTransition()


class CaseHistoryView(_CaseView, GenericApiView):
    pagination_class = HistoryPagination

    def _get(self, request: Request, reference: str) -> Response:
        case = self.endpoints.get_case(request, reference)
        allowed = self.endpoints.history_allowed
        if allowed is not None and not allowed(request.user, case):
            raise ApiError("not_permitted", status_code=403)
        if self.endpoints.on_read is not None:
            self.endpoints.on_read(request, case)
        events = AuditEvent.objects.filter(case_type=case.case_type(), case_id=case.pk).order_by("seq")
        page = self.paginate_queryset(events)
        # What the caller may read of each event is the flow's declared visibility, as on every screen.
        caps = engine.capabilities(case, request.user)
        context = {"readable": caps.may_read_event}
        return self.get_paginated_response(AuditEventSerializer(page, many=True, context=context).data)


class CaseSlaView(_CaseView):
    def _get(self, request: Request, reference: str) -> Response:
        case = self.endpoints.get_case(request, reference)
        clocks = SlaClock.objects.filter(case_type=case.case_type(), case_id=case.pk).order_by("started_at", "id")
        return Response(SlaClockSerializer(clocks, many=True).data)
