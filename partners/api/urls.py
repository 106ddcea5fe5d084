"""Mounted under /api/v1/ by the api package (it includes every installed app's ``api.urls``)."""

from __future__ import annotations

from django.urls import path, re_path

from . import views

urlpatterns = [
    path("charter/", views.CharterView.as_view(), name="charter"),
    path("charter/diff/", views.CharterDiffView.as_view(), name="charter-diff"),
    re_path(
        r"^organizations/(?P<pk>[0-9]{1,18})/charter-acceptance/$",
        views.CharterAcceptanceView.as_view(),
        name="organization-charter-acceptance",
    ),
]
