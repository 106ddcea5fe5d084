"""The membership pages of the portal (mounted at /membership/ by config.urls, in every language)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "accession"

urlpatterns = [
    path("", views.applications, name="applications"),
    path("sign-up/", views.sign_up, name="sign_up"),
    path("apply/", views.apply, name="apply"),
    path("members/", views.members, name="members"),
    path("members/mine/", views.my_organization, name="my_organization"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/do/<slug:name>/", views.member_action, name="member_action"),
    path("members/<int:pk>/charter-acceptance/", views.member_accept_charter, name="member_accept_charter"),
    path("<str:reference>/", views.application_detail, name="detail"),
    path("<str:reference>/do/<slug:name>/", views.application_action, name="action"),
    path("<str:reference>/documents/", views.document_upload, name="document_upload"),
    path("<str:reference>/documents/<int:pk>/", views.document_download, name="document"),
]
