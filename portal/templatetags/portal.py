"""Template helpers of the portal: navigation, badges, charts."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from engine.text import single_line as clean_single_line

from .. import navigation

register = template.Library()

LANGUAGE_NAMES = {"ar": "العربية", "en": "English"}


@register.inclusion_tag("portal/partials/nav.html", takes_context=True)
def main_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    current = get_language()
    items = navigation.items_for(request) if request is not None else []
    return {
        "request": request,
        "user": user,
        "items": items,
        "other_languages": [
            (code, LANGUAGE_NAMES.get(code, name)) for code, name in settings.LANGUAGES if code != current
        ],
        "bell_url": _maybe_reverse("portal:notifications_bell"),
        "notifications_url": _maybe_reverse("portal:notifications"),
        "preferences_url": _maybe_reverse("portal:preferences"),
        "csrf_token": context.get("csrf_token"),
    }


def _maybe_reverse(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


SLA_BADGES = {
    "on_track": ("text-bg-success", _("On track")),
    "warning": ("text-bg-warning", _("Warning")),
    "breached": ("text-bg-danger", _("Breached")),
    "paused": ("badge-sla-paused", _("Paused")),
    "stopped": ("text-bg-light border", _("Stopped")),
}


@register.inclusion_tag("portal/partials/sla_badge.html")
def sla_badge(status: str | None) -> dict[str, Any]:
    css, label = SLA_BADGES.get(status or "", ("text-bg-light border", status or "—"))
    return {"css": css, "label": label}


def _describedby(field: Any) -> dict[str, str]:
    ids = []
    attrs: dict[str, str] = {}
    if field.help_text:
        ids.append(f"{field.auto_id}_help")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
        attrs["aria-invalid"] = "true"
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    return attrs


@register.filter
def single_line(value: Any) -> str:
    """Text for a place that takes no markup (the page title): on one line, without bidi controls."""
    return clean_single_line(str(value)) if value is not None else ""


@register.filter
def percent_step(value: Any) -> int:
    """A percentage rounded to a multiple of 5 (0–100), the width classes of portal.css (no inline style)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    return int(min(max(round(number / 5) * 5, 0), 100))


@register.filter
def widget_kind(field: Any) -> str:
    widget = field.field.widget
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "choices"
    return "input"


@register.simple_tag
def field_widget(field: Any) -> str:
    """The field's widget with Bootstrap classes and the ARIA links to its help and errors."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    existing = widget.attrs.get("class", "")
    if css in existing.split():
        existing = ""
    attrs = {"class": " ".join(part for part in [existing, css, "is-invalid" if field.errors else ""] if part)}
    attrs.update(_describedby(field))
    required = field.field.required or getattr(field.field, "charter_required", False)
    if required and not isinstance(widget, forms.CheckboxInput):
        attrs["aria-required"] = "true"
    return field.as_widget(attrs=attrs)


@register.simple_tag
def choice_widget(option: Any, field: Any) -> str:
    """One radio or checkbox of a multiple-choice field, styled for Bootstrap."""
    option.data["attrs"]["class"] = "form-check-input" + (" is-invalid" if field.errors else "")
    return option.tag()


@register.simple_tag
def get_item(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """``mapping[key]`` or None (templates cannot index a dict with a variable)."""
    return (mapping or {}).get(key)


ACTION_STATUS_CSS = {
    "open": "text-bg-light border",
    "in_progress": "text-bg-info",
    "done": "text-bg-success",
    "dropped": "text-bg-secondary",
}


@register.inclusion_tag("portal/partials/status_badge.html")
def action_status_badge(item: Any) -> dict[str, Any]:
    from django.utils import timezone

    overdue = item.status in ("open", "in_progress") and item.due_date < timezone.localdate()
    return {
        "css": "text-bg-danger" if overdue else ACTION_STATUS_CSS.get(item.status, "text-bg-light border"),
        "label": item.get_status_display(),
        "overdue": overdue,
    }


@register.simple_tag
def state_badge(case: Any) -> str:
    from ..presenters import state_label

    return format_html('<span class="badge text-bg-primary">{}</span>', state_label(case))


@register.simple_tag
def arrow() -> str:
    """ "Leads to", pointing the way the page reads."""
    from django.utils.translation import get_language_bidi

    return "←" if get_language_bidi() else "→"


@register.filter
def running_clocks(clocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [clock for clock in clocks if clock["open"]]


@register.filter
def finished_clocks(clocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [clock for clock in clocks if not clock["open"]]


@register.simple_tag
def dialogue_series(case: Any) -> dict[str, Any]:
    """The request's held sessions with their minutes, and attendance over the series by side and gender."""
    from workflows.partnership import sessions

    # The request page prefetched the sessions and their participants: no query here.
    held = [meeting for meeting in case.meetings.all() if meeting.status == "held"]
    people = [person for meeting in held for person in meeting.participants.all()]
    return {"sessions": sessions.series_of(held), "figures": sessions.figures(people)}


@register.inclusion_tag("portal/partials/error_summary.html")
def error_summary(form: Any) -> dict[str, Any]:
    """GOV.UK's error summary: every problem of ``form`` at its top, each linked to its field."""
    errors: list[tuple[str, str]] = []
    if form is not None and form.is_bound and form.errors:
        errors = [("", str(error)) for error in form.non_field_errors()]
        for field in form:
            if field.is_hidden:
                errors.extend(("", f"{field.label}: {error}") for error in field.errors)
                continue
            target = field.id_for_label or field.auto_id
            if widget_kind(field) == "choices" and field.auto_id:
                target = f"{field.auto_id}_0"
            errors.extend((target, f"{capfirst(field.label)}: {error}") for error in field.errors)
    name = (form.prefix or getattr(form, "id_prefix", "") or "form") if form is not None else ""
    return {"errors": errors, "summary_id": f"error-summary-{name}"}


@register.inclusion_tag("portal/partials/required_note.html")
def required_note(form: Any) -> dict[str, Any]:
    """ "Fields marked * are required", when the form has such a field."""
    fields = form.fields.values() if form is not None else []
    marked = any((f.required or getattr(f, "charter_required", False)) and not f.widget.is_hidden for f in fields)
    return {"marked": marked}


def _forms_with_errors(context: Any) -> bool:
    for value in context.flatten().values():
        if isinstance(value, forms.BaseForm) and value.is_bound and value.errors:
            return True
    from engine.errors import EngineError

    return any(isinstance(context.get(key), EngineError) for key in ("refusal", "error"))


@register.simple_tag(takes_context=True)
def error_prefix(context: Any) -> str:
    """ "Error: " before the page title when a form on the page was refused (GOV.UK)."""
    from django.utils.translation import gettext

    return f"{gettext('Error:')} " if _forms_with_errors(context) else ""
