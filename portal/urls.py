from __future__ import annotations

from django.urls import path

from .views import home, shell, transparency

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("sign-in/", shell.SignInView.as_view(), name="sign_in"),
    path("sign-out/", shell.SignOutView.as_view(), name="sign_out"),
    path("language/", shell.language_switch, name="language"),
    path("transparency/", transparency.transparency, name="transparency"),
]
