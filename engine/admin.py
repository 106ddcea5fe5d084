"""Back-office screens for the engine's data: calendar, SLA policies and clocks, audit and outbox.

Audit events, checkpoints, clocks and outbox rows are records of what happened: nobody adds, edits or
deletes them here (the database refuses it for audit events anyway). Calendar days and SLA policies
are configuration an administrator maintains; saving them refreshes the engine's caches (signals).
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import calendar, outbox, registry, sla
from .models import (
    AccessLogEntry,
    AuditCheckpoint,
    AuditEvent,
    ClosureDay,
    HolidayOverride,
    OutboxMessage,
    SlaClock,
    SlaPolicy,
)
from .tasks import sla_recompute_task

logger = logging.getLogger(__name__)


def _recompute_deadlines_after_commit(days: list[date | None]) -> None:
    """Running clocks whose deadlines span a changed day move with it (in a worker, after commit)."""
    changed = [day for day in days if day is not None]
    if changed:
        since = min(changed)
        transaction.on_commit(lambda: _recompute_deadlines(since))


def _recompute_deadlines(since: date) -> None:
    try:
        sla_recompute_task.delay(since.isoformat())
    except Exception:  # noqa: BLE001  (the save is committed: never answer it with an error page)
        logger.warning("SLA recompute could not be queued; running it in this process", exc_info=True)
        sla.recompute_due_dates(since)


class CalendarDayAdmin(admin.ModelAdmin):
    """Saving or deleting a calendar day moves the deadlines it touches."""

    date_fields: tuple[str, ...] = ()

    def _days(self, obj: Any) -> list[date | None]:
        return [getattr(obj, name) for name in self.date_fields]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = self._days(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else []
        super().save_model(request, obj, form, change)
        _recompute_deadlines_after_commit(before + self._days(obj))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        days = self._days(obj)
        super().delete_model(request, obj)
        _recompute_deadlines_after_commit(days)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        days = [day for obj in queryset for day in self._days(obj)]
        super().delete_queryset(request, queryset)
        _recompute_deadlines_after_commit(days)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record, not configuration: viewable, never added, changed or deleted from the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _pretty_json(value: Any) -> str:
    return format_html('<pre dir="ltr">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False, default=str))


# --- calendar ------------------------------------------------------------------------------


@admin.register(ClosureDay)
class ClosureDayAdmin(CalendarDayAdmin):
    date_fields = ("date",)
    list_display = ("date", "weekday", "reason")
    search_fields = ("reason",)
    date_hierarchy = "date"
    ordering = ("-date",)

    @admin.display(description=_("weekday"))
    def weekday(self, obj: ClosureDay) -> str:
        return formats.date_format(obj.date, "l")


def _estimated_holidays(years: list[int]) -> list[tuple[date, str]]:
    """Holidays the package only estimates (Islamic calendar), named in the active language."""
    found = []
    for year in years:
        english = calendar.public_holidays(year, language="en_US")
        local = calendar.public_holidays(year)
        found += [(day, local.get(day, name)) for day, name in sorted(english.items()) if "estimated" in name]
    return found


class HolidayOverrideForm(forms.ModelForm):
    class Meta:
        model = HolidayOverride
        fields = ("estimated_date", "actual_date", "reason")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year = timezone.localdate().year
        upcoming = [
            f"{formats.date_format(day, 'SHORT_DATE_FORMAT')} {name}"
            for day, name in _estimated_holidays([year, year + 1])
            if day >= timezone.localdate()
        ]
        help_text = str(_("The date the holiday package gives for the holiday."))
        if upcoming:
            help_text += " " + str(_("Estimated holidays ahead: %(list)s.")) % {"list": "; ".join(upcoming)}
        self.fields["estimated_date"].help_text = help_text

    def clean_estimated_date(self) -> date:
        day = self.cleaned_data["estimated_date"]
        if calendar.public_holiday_name(day) is None:
            raise forms.ValidationError(
                _("No public holiday falls on %(date)s. To close an ordinary day, add a closure day instead."),
                params={"date": formats.date_format(day, "SHORT_DATE_FORMAT")},
                code="not_a_holiday",
            )
        return day


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(CalendarDayAdmin):
    date_fields = ("estimated_date", "actual_date")
    form = HolidayOverrideForm
    list_display = ("estimated_date", "holiday", "actual_date_or_cancelled", "reason")
    search_fields = ("reason",)
    ordering = ("-estimated_date",)

    @admin.display(description=_("holiday"))
    def holiday(self, obj: HolidayOverride) -> str:
        return calendar.public_holiday_name(obj.estimated_date) or "—"

    @admin.display(description=_("official date"), ordering="actual_date")
    def actual_date_or_cancelled(self, obj: HolidayOverride) -> str:
        if obj.actual_date is None:
            return str(_("cancelled"))
        return formats.date_format(obj.actual_date, "DATE_FORMAT")


# --- SLA -----------------------------------------------------------------------------------


class SlaPolicyForm(forms.ModelForm):
    flow = forms.ChoiceField(label=_("flow"), choices=())

    class Meta:
        model = SlaPolicy
        fields = (
            "flow",
            "state",
            "allowance_days",
            "owner",
            "warning_ratio",
            "on_breach",
            "breach_transition",
            "active",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        flows = sorted(registry.all_flows())
        current = getattr(self.instance, "flow", "")
        if current and current not in flows:
            flows.append(current)
        cast(forms.ChoiceField, self.fields["flow"]).choices = [(name, name) for name in flows]
        if not self.instance.pk:
            self.initial.setdefault("warning_ratio", sla.default_warning_ratio())

    def clean_warning_ratio(self) -> Any:
        ratio = self.cleaned_data["warning_ratio"]
        if ratio is not None and not 0 < ratio <= 1:
            raise forms.ValidationError(_("Give a share of the allowance between 0 and 1, e.g. 0.75."))
        return ratio

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        flow_name, state = data.get("flow"), data.get("state")
        try:
            flow_cls = registry.flow_for(flow_name) if flow_name else None
        except LookupError:
            self.add_error("flow", _("No flow is registered under this name."))
            return data
        if flow_cls is None:
            return data
        if state and state not in flow_cls.states():
            self.add_error(
                "state",
                _("This flow has no state “%(state)s”. Its states are: %(states)s.")
                % {"state": state, "states": ", ".join(flow_cls.states())},
            )
        if state and state in flow_cls.final_states:
            self.add_error("state", _("A final state has no clock: nothing is awaited there."))
        name = (data.get("breach_transition") or "").strip()
        if data.get("on_breach") == SlaPolicy.OnBreach.TRANSITION:
            spec = flow_cls.spec(name) if name else None
            if spec is None:
                choices = [s.name for s in flow_cls.specs().values() if s.system and (not state or state in s.sources)]
                self.add_error(
                    "breach_transition",
                    _("Name the transition to run on breach. Possible here: %(choices)s.")
                    % {"choices": ", ".join(choices) or "—"},
                )
            elif not spec.system:
                self.add_error(
                    "breach_transition", _("Only a transition the system may run (system=True) can run on breach.")
                )
            elif state and state not in spec.sources:
                self.add_error("breach_transition", _("This transition does not leave the policy's state."))
        elif name:
            self.add_error("breach_transition", _("Only used when a breach runs a transition: leave it empty."))
        return data


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = (
        "flow",
        "state",
        "allowance_days",
        "owner",
        "warning_ratio",
        "on_breach",
        "breach_transition",
        "active",
    )
    list_filter = ("flow", "active", "on_breach", "owner")
    search_fields = ("flow", "state", "owner")
    ordering = ("flow", "state")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Clocks keep their policy (PROTECT): a used policy is deactivated, not deleted.
        if obj is not None and obj.clocks.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdmin):
    list_display = (
        "case_reference",
        "state",
        "owner",
        "live_status",
        "started_at",
        "due_at",
        "is_paused",
        "days_left",
    )
    list_filter = ("status", "owner", "case_type", "state")
    search_fields = ("=case_reference",)
    list_select_related = ("policy",)
    ordering = ("-started_at",)
    show_full_result_count = False

    @admin.display(description=_("status"))
    def live_status(self, obj: SlaClock) -> str:
        return str(SlaClock.Status(sla.live_status(obj)).label)

    @admin.display(description=_("paused"), boolean=True)
    def is_paused(self, obj: SlaClock) -> bool:
        return obj.paused

    @admin.display(description=_("business days left"))
    def days_left(self, obj: SlaClock) -> Any:
        left = sla.clock_view(obj)["business_days_left"]
        return "—" if left is None else formats.number_format(left, 2)


# --- audit ---------------------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("case_link", "seq", "action", "from_state", "to_state", "actor_label", "actor_role", "occurred_at")
    # Filters list distinct values on every page load; over millions of events only the
    # indexed case type is cheap enough. Actions and actors are found by search.
    list_filter = ("case_type",)
    search_fields = ("=case_reference", "action", "actor_label")
    ordering = ("-occurred_at", "-id")
    show_full_result_count = False
    readonly_fields = (
        "case_type",
        "case_id",
        "case_reference",
        "seq",
        "occurred_at",
        "actor",
        "actor_label",
        "actor_role",
        "action",
        "from_state",
        "to_state",
        "pretty_data",
        "ip_address",
        "user_agent",
        "digest",
        "pretty_snapshot",
        "prev_hash",
        "hash",
    )
    exclude = ("data", "snapshot")

    def get_ordering(self, request: HttpRequest) -> Any:
        # One case's history reads oldest first, as a story; the whole log newest first.
        if request.GET.get("case_reference"):
            return ("seq",)
        return super().get_ordering(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("data", "snapshot", "user_agent")

    @admin.display(description=_("case"), ordering="case_reference")
    def case_link(self, obj: AuditEvent) -> str:
        query = urlencode({"case_reference": obj.case_reference})
        return format_html('<a href="?{}">{}</a>', query, obj.case_reference)

    @admin.display(description=_("data"))
    def pretty_data(self, obj: AuditEvent) -> str:
        return _pretty_json(obj.data)

    @admin.display(description=_("snapshot"))
    def pretty_snapshot(self, obj: AuditEvent) -> str:
        return _pretty_json(obj.snapshot) if obj.snapshot is not None else "—"


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    """Reads of restricted material (append-only, a hash chain of its own)."""

    list_display = ("seq", "occurred_at", "case_reference", "what", "actor_label", "actor_role", "ip_address")
    list_filter = ("case_type", "what")
    search_fields = ("=case_reference", "actor_label")
    ordering = ("-seq",)
    show_full_result_count = False
    readonly_fields = (
        "seq",
        "occurred_at",
        "actor",
        "actor_label",
        "actor_role",
        "case_type",
        "case_id",
        "case_reference",
        "what",
        "ip_address",
        "user_agent",
        "prev_hash",
        "hash",
    )


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "heads_count", "events_count", "short_digest")
    ordering = ("-created_at",)
    readonly_fields = ("created_at", "heads_count", "events_count", "digest", "public_key", "signature", "pretty_doc")
    exclude = ("document",)

    @admin.display(description=_("digest"))
    def short_digest(self, obj: AuditCheckpoint) -> str:
        return obj.digest[:16] + "…"

    @admin.display(description=_("document"))
    def pretty_doc(self, obj: AuditCheckpoint) -> str:
        return _pretty_json(obj.document)


# --- outbox --------------------------------------------------------------------------------


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "event",
        "case_reference",
        "recipient",
        "channel",
        "status",
        "attempts",
        "error",
        "sent_at",
    )
    list_filter = ("status", "channel", "event")
    search_fields = ("=case_reference", "event", "dedupe_key")
    list_select_related = ("recipient",)
    # Newest first by id (the order rows were written in): the primary key serves it on a big
    # table, created_at has only a BRIN index on PostgreSQL (see the model).
    ordering = ("-id",)
    show_full_result_count = False
    actions = ("requeue",)
    readonly_fields = (
        "created_at",
        "event",
        "case_type",
        "case_id",
        "case_reference",
        "audit_seq",
        "recipient",
        "channel",
        "pretty_payload",
        "dedupe_key",
        "status",
        "attempts",
        "last_error",
        "deliver_after",
        "sent_at",
    )
    exclude = ("payload",)

    @admin.display(description=_("last error"))
    def error(self, obj: OutboxMessage) -> str:
        text = obj.last_error.strip().splitlines()[-1] if obj.last_error.strip() else ""
        return text[:120] + ("…" if len(text) > 120 else "")

    @admin.display(description=_("payload"))
    def pretty_payload(self, obj: OutboxMessage) -> str:
        return _pretty_json(obj.payload)

    def has_requeue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("engine.change_outboxmessage")

    @admin.action(description=_("Re-queue the selected messages for delivery"), permissions=["requeue"])
    def requeue(self, request: HttpRequest, queryset: QuerySet) -> None:
        # A message already sent stays sent: delivering it again would notify people twice.
        with transaction.atomic():
            ids = list(queryset.exclude(status=OutboxMessage.Status.SENT).values_list("id", flat=True))
            OutboxMessage.objects.filter(id__in=ids).update(status=OutboxMessage.Status.PENDING, deliver_after=None)
            send = outbox.dispatcher()
            if send is not None and ids:
                transaction.on_commit(lambda: send(ids))
        skipped = queryset.filter(status=OutboxMessage.Status.SENT).count()
        self.message_user(
            request,
            ngettext("%(count)d message re-queued.", "%(count)d messages re-queued.", len(ids)) % {"count": len(ids)},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was already sent and was left alone.",
                    "%(count)d messages were already sent and were left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
