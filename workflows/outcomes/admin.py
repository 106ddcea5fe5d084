"""Back-office view of the outcome register: read-only, since every change goes through the engine.

Substantiators are the members of the ``outcome_substantiators`` group (Authentication › Groups).
"""

from __future__ import annotations

from django.contrib import admin

from workflows.partnership.admin import ReadOnlyMixin, ReadOnlyTabular

from .models import Evidence, HarvestedOutcome, ProgressNote, Recommendation


class EvidenceInline(ReadOnlyTabular):
    model = Evidence
    fields = ["name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]


class ProgressNoteInline(ReadOnlyTabular):
    model = ProgressNote
    fields = ["at", "status_from", "status_to", "progress_from", "progress_to", "note", "by"]


@admin.register(HarvestedOutcome)
class HarvestedOutcomeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["reference", "title", "state", "change_type", "theme", "visibility", "created_at"]
    list_filter = ["state", "change_type", "visibility", "theme"]
    search_fields = ["reference", "title", "social_actor"]
    inlines = [EvidenceInline]


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["reference", "request", "state", "progress", "owner_organization"]
    list_filter = ["state"]
    search_fields = ["reference", "text", "text_ar"]
    inlines = [ProgressNoteInline]
