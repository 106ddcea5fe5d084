"""Mounted under /api/v1/ by the api package (it includes every installed app's ``api.urls``)."""

from __future__ import annotations

from django.urls import path, re_path

from api.cases import REFERENCE_PATTERN

from . import sessions, views

REF = rf"^requests/(?P<reference>{REFERENCE_PATTERN})"
SESSION = rf"{REF}/sessions/(?P<pk>[0-9]{{1,18}})"

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("organizations/", views.OrganizationListView.as_view(), name="organizations"),
    path("themes/", views.ThemeListView.as_view(), name="themes"),
    path("requests/", views.RequestListView.as_view(), name="requests"),
    re_path(rf"{REF}/$", views.RequestDetailView.as_view(), name="request"),
    re_path(rf"{REF}/votes/$", views.VoteView.as_view(), name="request-votes"),
    re_path(rf"{REF}/conflicts/$", views.ConflictView.as_view(), name="request-conflicts"),
    re_path(rf"{REF}/absences/$", views.AbsenceView.as_view(), name="request-absences"),
    re_path(rf"{REF}/meeting\.ics$", views.MeetingIcsView.as_view(), name="request-meeting-ics"),
    re_path(rf"{REF}/actions/$", views.ActionListView.as_view(), name="request-actions"),
    re_path(rf"{REF}/sessions/$", sessions.SessionListView.as_view(), name="request-sessions"),
    re_path(rf"{SESSION}/$", sessions.SessionDetailView.as_view(), name="request-session"),
    re_path(rf"{SESSION}/reschedule/$", sessions.SessionRescheduleView.as_view(), name="request-session-reschedule"),
    re_path(rf"{SESSION}/cancel/$", sessions.SessionCancelView.as_view(), name="request-session-cancel"),
    re_path(rf"{SESSION}/record/$", sessions.SessionRecordView.as_view(), name="request-session-record"),
    re_path(rf"{SESSION}/attendance/$", sessions.SessionAttendanceView.as_view(), name="request-session-attendance"),
    re_path(
        rf"{SESSION}/registrations/$", sessions.SessionRegistrationView.as_view(), name="request-session-registrations"
    ),
    re_path(rf"{SESSION}/session\.ics$", sessions.SessionIcsView.as_view(), name="request-session-ics"),
    *views.requests_endpoints.urls(),
    re_path(r"^actions/(?P<pk>[0-9]{1,18})/$", views.ActionDetailView.as_view(), name="action"),
    path("audit/verify/", views.AuditVerifyView.as_view(), name="audit-verify"),
    path("audit/access-log/", views.AccessLogView.as_view(), name="audit-access-log"),
]
