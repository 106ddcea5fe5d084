"""Portal pages of the outcome register (included by config.urls, before the portal's own patterns)."""

from __future__ import annotations

from django.urls import path, re_path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("outcomes/", views.register, name="register"),
    path("outcomes/harvest/", views.harvest, name="harvest"),
    path("outcomes/<str:reference>/", views.detail, name="detail"),
    path("outcomes/<str:reference>/edit/", views.edit, name="edit"),
    path("outcomes/<str:reference>/do/<slug:name>/", views.run_unit, name="run"),
    path("outcomes/<str:reference>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("outcomes/<str:reference>/evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("recommendations/<str:reference>/", views.recommendation_detail, name="recommendation"),
    path("recommendations/<str:reference>/do/<slug:name>/", views.recommendation_unit, name="recommendation_run"),
    path("transparency/results/", views.public_results, name="public"),
    re_path(
        r"^transparency/open-data/(?P<dataset>[a-z]+)\.(?P<extension>csv|json)$", views.open_data, name="open_data"
    ),
]
