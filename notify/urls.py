"""Notification pages and JSON endpoints.

Mounted at /notifications/ after the portal's URLs: where the portal serves its own notification
pages at the same paths (list, read marks), those win and call the same services; the JSON
endpoints under ``api/`` and the delivery list are notify's own.
"""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/read/", views.mark_read, name="mark_read"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("unread-count/", views.unread_count, name="unread_count"),
    path("api/", views.notification_list_json, name="api_list"),
    path("api/<int:pk>/read/", views.mark_read_json, name="api_mark_read"),
    path("api/read-all/", views.mark_all_read_json, name="api_mark_all_read"),
    path("settings/", views.preferences, name="preferences"),
    path("deliveries/", views.outbox, name="outbox"),
]
