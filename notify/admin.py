from __future__ import annotations

from django.contrib import admin

from .models import ChannelPreference, UserSettings


@admin.register(UserSettings)
class UserSettingsAdmin(admin.ModelAdmin):
    list_display = ("user", "language", "digest", "digest_hour")
    list_filter = ("language", "digest")
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "in_app", "email")
    list_filter = ("kind", "in_app", "email")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)
