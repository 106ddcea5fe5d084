from __future__ import annotations

from django.urls import path

from .views import (
    charter,
    committee,
    dashboard,
    dates,
    dialogue_report,
    drafts,
    follow_up,
    home,
    notifications,
    programme,
    queue,
    requests,
    search,
    sessions,
    shell,
    transparency,
)

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("sign-in/", shell.SignInView.as_view(), name="sign_in"),
    path("sign-out/", shell.SignOutView.as_view(), name="sign_out"),
    path("language/", shell.language_switch, name="language"),
    # requests
    path("requests/", search.search_view, name="search"),
    path("requests/new/", drafts.request_create, name="request_create"),
    path("requests/assign/", queue.queue_assign, name="queue_assign"),
    path("requests/filters/", queue.saved_filter_save, name="saved_filter_save"),
    path("requests/filters/<int:pk>/delete/", queue.saved_filter_delete, name="saved_filter_delete"),
    path("requests/<str:reference>/", requests.request_detail, name="request_detail"),
    path("requests/<str:reference>/edit/", drafts.request_edit, name="request_edit"),
    path("requests/<str:reference>/autosave/", drafts.request_autosave, name="request_autosave"),
    path("requests/<str:reference>/do/<slug:name>/", requests.request_action, name="request_action"),
    path("requests/<str:reference>/vote/", requests.vote, name="request_vote"),
    path("requests/<str:reference>/assign/", queue.request_assign, name="request_assign"),
    path("requests/<str:reference>/conflict/", requests.conflict, name="request_conflict"),
    path("requests/<str:reference>/outcome/", requests.outcome_restricted, name="request_outcome"),
    path("requests/<str:reference>/meeting.ics", requests.meeting_ics, name="request_meeting_ics"),
    path("requests/<str:reference>/report/", dialogue_report.request_report_page, name="request_report"),
    path("requests/<str:reference>/report.pdf", dialogue_report.request_report_pdf, name="request_report_pdf"),
    path("requests/<str:reference>/sessions/<int:pk>/session.ics", sessions.session_ics, name="request_session_ics"),
    path("requests/<str:reference>/sessions/<int:pk>/register/", sessions.session_register, name="session_register"),
    path(
        "requests/<str:reference>/sessions/<int:pk>/attendance/", sessions.session_attendance, name="session_attendance"
    ),
    path("requests/<str:reference>/documents/", requests.attachment_upload, name="request_attachment_upload"),
    path("requests/<str:reference>/documents/<int:pk>/", requests.attachment_download, name="request_attachment"),
    path("requests/<str:reference>/follow-up/", requests.action_item_add, name="request_action_item_add"),
    path(
        "requests/<str:reference>/follow-up/<int:pk>/",
        requests.action_item_progress,
        name="request_action_item_progress",
    ),
    path("follow-up/", follow_up.follow_up_tracker, name="follow_up"),
    path("calendar/day/", dates.day_check, name="day_check"),
    # oversight
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/<slug:key>.csv", dashboard.dashboard_csv, name="dashboard_csv"),
    path("reports/programme/", programme.programme_report, name="programme_report"),
    path("reports/programme.xlsx", programme.programme_xlsx, name="programme_xlsx"),
    path("reports/programme.pdf", programme.programme_pdf, name="programme_pdf"),
    # the public
    path("charter/", charter.charter, name="charter"),
    path("committee/", committee.committee, name="committee"),
    path("transparency/", transparency.transparency, name="transparency"),
    path("transparency/checkpoint.json", transparency.checkpoint_download, name="checkpoint_download"),
    path("transparency/<str:reference>/", transparency.transparency_detail, name="transparency_detail"),
    path("transparency/<str:reference>/report/", dialogue_report.report_page, name="dialogue_report"),
    path("transparency/<str:reference>/report.pdf", dialogue_report.report_pdf, name="dialogue_report_pdf"),
    # notifications
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/bell/", notifications.bell, name="notifications_bell"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("notifications/read-all/", notifications.notification_read_all, name="notifications_read_all"),
    path("preferences/", notifications.preferences, name="preferences"),
]
