"""Mounted under /api/v1/ by the api package (it includes every installed app's ``api.urls``)."""

from __future__ import annotations

from django.urls import path, re_path

from api.cases import REFERENCE_PATTERN

from . import views

REF = rf"^requests/(?P<reference>{REFERENCE_PATTERN})"

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
    *views.requests_endpoints.urls(),
    re_path(r"^actions/(?P<pk>[0-9]{1,18})/$", views.ActionDetailView.as_view(), name="action"),
    path("audit/verify/", views.AuditVerifyView.as_view(), name="audit-verify"),
]
