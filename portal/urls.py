from __future__ import annotations

from django.urls import path

from .views import home, notifications, shell, transparency

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("sign-in/", shell.SignInView.as_view(), name="sign_in"),
    path("sign-out/", shell.SignOutView.as_view(), name="sign_out"),
    path("language/", shell.language_switch, name="language"),
    path("transparency/", transparency.transparency, name="transparency"),
    path("transparency/checkpoint.json", transparency.checkpoint_download, name="checkpoint_download"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/bell/", notifications.bell, name="notifications_bell"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("notifications/read-all/", notifications.notification_read_all, name="notifications_read_all"),
    path("preferences/", notifications.preferences, name="preferences"),
]
