"""Mounted under /api/v1/ by the api package (it includes every installed app's ``api.urls``)."""

from __future__ import annotations

from django.urls import path, re_path

from api.cases import REFERENCE_PATTERN

from . import views

urlpatterns = [
    path("outcomes/", views.OutcomeListView.as_view(), name="outcomes"),
    re_path(rf"^outcomes/(?P<reference>{REFERENCE_PATTERN})/$", views.OutcomeDetailView.as_view(), name="outcome"),
    *views.outcomes_endpoints.urls(),
    path("recommendations/", views.RecommendationListView.as_view(), name="recommendations"),
    re_path(
        rf"^recommendations/(?P<reference>{REFERENCE_PATTERN})/$",
        views.RecommendationDetailView.as_view(),
        name="recommendation",
    ),
    *views.recommendations_endpoints.urls(),
]
