"""The dialogue series over HTTP: sessions, registrations, attendance and each session's calendar file.

Every write runs one of the flow's declared units (``schedule_meeting``, ``reschedule_meeting``,
``cancel_meeting``, ``record_meeting``, ``participant_registered``, ``attendance_recorded``) through
the services; who may see what is the flow's answer (``requests_endpoints.get_case``, ``capabilities``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

import engine
from api.cases import idempotency_key
from api.errors import ApiError
from api.inputs import check_body, serializer_for_form
from api.schema import error_response
from api.views import ApiView
from engine.audit import RequestContext

from .. import forms, services
from ..models import DialogueRequest, Meeting, Participant
from .serializers import ParticipantSerializer, SessionSerializer
from .views import TAG, requests_endpoints

ScheduleInput = serializer_for_form(forms.MeetingForm, "SessionScheduleInput")
RescheduleInput = serializer_for_form(forms.RescheduleForm, "SessionRescheduleInput")
CancelInput = serializer_for_form(forms.CancelMeetingForm, "SessionCancelInput")
RecordInput = serializer_for_form(forms.RecordMeetingForm, "SessionRecordInput")
RegistrationInput = serializer_for_form(forms.RegistrationForm, "SessionRegistrationInput")
AttendanceInput = serializer_for_form(forms.AttendanceForm, "SessionAttendanceInput")

PERSON = {"name": "Rima Haddad", "organization": 3, "side": "civil", "gender": "female", "role": "speaker"}


def _sessions(case: DialogueRequest) -> QuerySet[Meeting]:
    return Meeting.objects.filter(request=case).prefetch_related(
        Prefetch("participants", queryset=Participant.objects.select_related("organization"))
    )


def _session(case: DialogueRequest, pk: int) -> Meeting:
    meeting = _sessions(case).filter(pk=pk).first()
    if meeting is None:
        raise ApiError("not_found", status_code=404)
    return meeting


def _people_visible(request: Request, case: DialogueRequest) -> bool:
    """Names and genders of participants: whoever the flow lets read the registrations."""
    return engine.capabilities(case, request.user).may_read_event("participant_registered")


def _context(request: Request) -> RequestContext:
    return RequestContext.from_request(request)


def _run(request: Request, case: DialogueRequest, name: str, serializer: Any, session: int | None) -> None:
    body = check_body(serializer, request.data)
    data = {**body, "session": session} if session is not None else body
    services.request_transition(
        request=case,
        name=name,
        actor=request.user,
        data=data,
        idempotency_key=idempotency_key(request),
        context=_context(request),
    )


class SessionListView(ApiView):
    @extend_schema(operation_id="request_sessions_list", tags=[TAG], responses={200: SessionSerializer(many=True)})
    def get(self, request: Request, reference: str) -> Response:
        """The request's dialogue series: every session in order, with its status and attendance figures."""
        case = requests_endpoints.get_case(request, reference)
        sessions = _sessions(case).order_by("number", "id")
        return Response(SessionSerializer(sessions, many=True).data)

    @extend_schema(
        operation_id="request_sessions_create",
        tags=[TAG],
        request=ScheduleInput,
        responses={201: SessionSerializer, 400: error_response(400), 409: error_response(409)},
        examples=[
            OpenApiExample(
                "workshop",
                value={
                    "kind": "workshop",
                    "title": "Drafting the guidelines",
                    "starts_at": "2026-12-08T10:00:00+02:00",
                    "ends_at": "2026-12-08T13:00:00+02:00",
                    "location": "Beirut",
                    "agenda": "1. Draft\n2. Review",
                    "capacity": 30,
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, reference: str) -> Response:
        """Schedule a session (the first, or a further one of the series): runs `schedule_meeting`."""
        case = requests_endpoints.get_case(request, reference)
        _run(request, case, "schedule_meeting", ScheduleInput, None)
        meeting = _sessions(case).order_by("-number", "-id").first()
        return Response(SessionSerializer(meeting).data, status=status.HTTP_201_CREATED)


class SessionDetailView(ApiView):
    @extend_schema(operation_id="request_sessions_read", tags=[TAG], responses={200: SessionSerializer})
    def get(self, request: Request, reference: str, pk: int) -> Response:
        case = requests_endpoints.get_case(request, reference)
        return Response(SessionSerializer(_session(case, pk)).data)


def _session_action(name: str, unit: str, serializer: Any, summary: str) -> type:
    @extend_schema(
        operation_id=f"request_sessions_{name}",
        tags=[TAG],
        summary=summary,
        request=serializer,
        responses={200: SessionSerializer, 400: error_response(400), 409: error_response(409)},
    )
    def post(self: Any, request: Request, reference: str, pk: int) -> Response:
        case = requests_endpoints.get_case(request, reference)
        _session(case, pk)
        _run(request, case, unit, serializer, pk)
        return Response(SessionSerializer(_session(case, pk)).data)

    post.__doc__ = summary
    return type(f"Session{name.capitalize()}View", (ApiView,), {"post": post})


SessionRescheduleView = _session_action(
    "reschedule", "reschedule_meeting", RescheduleInput, "Move the session: same UID, SEQUENCE one higher."
)
SessionCancelView = _session_action(
    "cancel", "cancel_meeting", CancelInput, "Cancel the session: its invitees receive METHOD:CANCEL."
)
SessionRecordView = _session_action(
    "record", "record_meeting", RecordInput, "Record the session as held: minutes and who attended."
)
SessionAttendanceView = _session_action(
    "attendance", "attendance_recorded", AttendanceInput, "Record attendance per person after the session."
)


class SessionRegistrationView(ApiView):
    @extend_schema(
        operation_id="request_sessions_registrations_list",
        tags=[TAG],
        responses={200: ParticipantSerializer(many=True)},
    )
    def get(self, request: Request, reference: str, pk: int) -> Response:
        """Who is registered for (and who attended) the session: the secretariat, the parties, auditors."""
        case = requests_endpoints.get_case(request, reference)
        meeting = _session(case, pk)
        if not _people_visible(request, case):
            raise ApiError("not_permitted", status_code=403)
        return Response(ParticipantSerializer(meeting.participants.all(), many=True).data)

    @extend_schema(
        operation_id="request_sessions_registrations_create",
        tags=[TAG],
        request=RegistrationInput,
        responses={
            201: ParticipantSerializer,
            400: error_response(400),
            409: error_response(409, "The session is full (`session_full`) or has started (`registration_closed`)."),
        },
        examples=[OpenApiExample("register", value=PERSON, request_only=True)],
    )
    def post(self, request: Request, reference: str, pk: int) -> Response:
        """Register a person for the session; refused beyond its capacity."""
        case = requests_endpoints.get_case(request, reference)
        _session(case, pk)
        _run(request, case, "participant_registered", RegistrationInput, pk)
        person = (
            Participant.objects.filter(meeting_id=pk, walk_in=False, registered_by=request.user).order_by("-id").first()
        )
        return Response(ParticipantSerializer(person).data, status=status.HTTP_201_CREATED)


class SessionIcsView(ApiView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The calendar is always iCalendar and errors always JSON, whatever Accept or ?format= says.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        operation_id="request_sessions_ics",
        tags=[TAG],
        responses={(200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, description="An iCalendar file.")},
    )
    def get(self, request: Request, reference: str, pk: int) -> HttpResponse:
        """The session as iCalendar: its own UID, SEQUENCE rising with each change, CANCEL once cancelled."""
        case = requests_endpoints.get_case(request, reference)
        meeting = _session(case, pk)
        response = HttpResponse(services.meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{case.reference}-{meeting.number}.ics"'
        return response
