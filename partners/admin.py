"""Back-office screens for organizations, people, the committee and the charter."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from engine.errors import EngineError

from . import services
from .models import (
    CharterAcceptance,
    CharterArticle,
    CharterVersion,
    CommitteeSeat,
    Membership,
    Organization,
    PlatformRole,
    Theme,
)


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_ar", "ordering"]
    list_editable = ["ordering"]
    search_fields = ["code", "name", "name_ar"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]
    fields = ["user", "role", "active"]


class CharterAcceptanceInline(admin.TabularInline):
    model = CharterAcceptance
    extra = 0
    can_delete = False
    readonly_fields = ["version", "accepted_by", "accepted_at"]
    fields = readonly_fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "name_ar", "acronym", "side", "kind", "active"]
    list_filter = ["side", "kind", "active", "themes"]
    search_fields = ["name", "name_ar", "acronym", "registration_number", "email"]
    filter_horizontal = ["themes"]
    inlines = [MembershipInline, CharterAcceptanceInline]
    fieldsets = [
        (None, {"fields": ["name", "name_ar", "acronym", "side", "kind", "active"]}),
        (_("Registration and contact"), {"fields": ["registration_number", "registration_details", "email"]}),
        (_("Themes"), {"fields": ["themes"]}),
    ]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "active"]
    list_filter = ["role", "active", "organization__side"]
    search_fields = ["user__username", "user__email", "organization__name", "organization__name_ar"]
    autocomplete_fields = ["user", "organization"]


@admin.register(PlatformRole)
class PlatformRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


@admin.register(CommitteeSeat)
class CommitteeSeatAdmin(admin.ModelAdmin):
    list_display = ["user", "side", "is_chair", "is_deputy_chair", "active", "organization", "since", "term_end"]
    list_filter = ["side", "is_chair", "is_deputy_chair", "active"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user", "alternate", "organization"]
    filter_horizontal = ["themes"]


class CharterArticleInline(admin.StackedInline):
    model = CharterArticle
    extra = 0
    fields = [("number", "title", "title_ar"), "text", "text_ar"]


@admin.register(CharterVersion)
class CharterVersionAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "title_ar", "is_current", "published_at"]
    readonly_fields = ["is_current", "published_at"]
    inlines = [CharterArticleInline]
    actions = ["publish"]

    @admin.action(description=_("Publish the selected version (organizations must accept it again)"))
    def publish(self, request: Any, queryset: Any) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to publish."), messages.ERROR)
            return
        try:
            version = services.charter_publish(version=queryset.get(), actor=request.user)
        except EngineError as error:
            self.message_user(request, str(error.message), messages.ERROR)
            return
        self.message_user(request, _("Version %(number)s is now in force.") % {"number": version.number})


@admin.register(CharterAcceptance)
class CharterAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["organization", "version", "accepted_by", "accepted_at"]
    list_filter = ["version"]
    search_fields = ["organization__name", "organization__name_ar"]
    autocomplete_fields = ["organization", "accepted_by"]
