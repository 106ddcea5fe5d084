"""Mounted under /api/v1/ by the api package (it includes every installed app's ``api.urls``)."""

from __future__ import annotations

from django.urls import path, re_path

from api.cases import REFERENCE_PATTERN

from . import views

urlpatterns = [
    path("accessions/", views.ApplicationListView.as_view(), name="accessions"),
    re_path(
        rf"^accessions/(?P<reference>{REFERENCE_PATTERN})/$", views.ApplicationDetailView.as_view(), name="accession"
    ),
    *views.accessions_endpoints.urls(),
    path("members/", views.MemberFileListView.as_view(), name="members"),
    re_path(rf"^members/(?P<reference>{REFERENCE_PATTERN})/$", views.MemberFileDetailView.as_view(), name="member"),
    *views.members_endpoints.urls(),
]
