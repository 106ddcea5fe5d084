"""Back-office view of dialogue requests: read-only, since every change goes through the engine."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import (
    ActionItem,
    Attachment,
    CommitteeRule,
    ConflictDeclaration,
    DialogueRequest,
    InfoRequest,
    Meeting,
    Outcome,
    Vote,
)


class ReadOnlyMixin:
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ReadOnlyTabular(ReadOnlyMixin, admin.TabularInline):
    extra = 0


class InfoRequestInline(ReadOnlyTabular):
    model = InfoRequest
    fields = ["message", "asked_by", "asked_at", "answer", "answered_by", "answered_at"]


class VoteInline(ReadOnlyTabular):
    model = Vote
    fields = ["round", "member", "side", "decision", "reason", "cast_at"]


class ConflictInline(ReadOnlyTabular):
    model = ConflictDeclaration
    fields = ["member", "automatic", "reason", "declared_at"]


class MeetingInline(ReadOnlyTabular):
    model = Meeting
    fields = ["starts_at", "ends_at", "location", "status", "sequence"]


class AttachmentInline(ReadOnlyTabular):
    model = Attachment
    fields = ["name", "content_type", "size", "uploaded_by", "uploaded_at"]


class ActionItemInline(ReadOnlyTabular):
    model = ActionItem
    fields = ["description", "owner_organization", "due_date", "status", "justification"]


@admin.register(DialogueRequest)
class DialogueRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["reference", "title", "state", "requesting_organization", "theme", "format", "updated_at"]
    list_filter = ["state", "theme", "format", "published"]
    search_fields = ["reference", "title", "requesting_organization__name", "requesting_organization__name_ar"]
    date_hierarchy = "created_at"
    list_select_related = ["requesting_organization", "theme"]
    inlines = [InfoRequestInline, ConflictInline, VoteInline, MeetingInline, AttachmentInline, ActionItemInline]


@admin.register(Outcome)
class OutcomeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["request", "visibility", "documented_by", "documented_at"]
    list_filter = ["visibility"]
    search_fields = ["request__reference", "summary"]


@admin.register(CommitteeRule)
class CommitteeRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "active",
        "quorum_ratio",
        "require_each_side",
        "empty_side_rule",
        "empty_side_article",
        "appeal_window_days",
        "max_appeals",
    ]
