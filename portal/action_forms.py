"""The forms of transitions (``Flow.spec(name).form``), dressed for the browser.

The domain's forms also read JSON and lists for the API; here each field gets a widget a person can
use (date-time pickers, check boxes of the parties, the charter's articles) without changing what
the form accepts, so the engine validates exactly what the browser sends.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from engine.dates import DayFirstDateInput, DayFirstDateTimeInput

from .forms import DATE_HINT, DATETIME_HINT

HARVESTING_HELP = {
    "what_changed": _("The change in policy, practice or behaviour the dialogue contributed to."),
    "who_changed": _("Which institution, unit or group changed."),
    "significance": _("Why the change matters for citizens' rights."),
    "contribution": _("How the dialogue contributed to the change."),
    "evidence": _("Where the change can be verified (documents, decisions, links)."),
}


LocalDateTimeInput = DayFirstDateTimeInput  # the names other modules knew; now day-first text boxes
LocalDateInput = DayFirstDateInput


def _organization_choices(case: Any) -> list[tuple[int, str]]:
    organizations = [case.requesting_organization, *case.counterpart_organizations.all()]
    return [(organization.pk, organization.display_name) for organization in organizations]


def _article_choices() -> list[tuple[str, str]]:
    from partners.selectors import current_charter

    charter = current_charter()
    if charter is None:
        return []
    return [
        (
            article.number,
            _("Article %(number)s: %(title)s") % {"number": article.number, "title": article.display_title},
        )
        for article in charter.articles.all()
    ]


def _session_choices(case: Any, statuses: Any) -> list[tuple[Any, str]]:
    from workflows.partnership.models import Meeting

    sessions = Meeting.objects.filter(request=case, status__in=list(statuses)).order_by("starts_at", "number")
    return [
        (
            session.pk,
            _("Session %(number)s: %(kind)s, %(date)s")
            % {
                "number": session.number,
                "kind": session.get_kind_display(),
                "date": formats.date_format(timezone.localtime(session.starts_at), "SHORT_DATETIME_FORMAT"),
            },
        )
        for session in sessions
    ]


def _correction_choices(case: Any) -> list[tuple[Any, str]]:
    from django.utils.text import Truncator

    from workflows.partnership.models import MinutesCorrection

    pending = MinutesCorrection.objects.filter(
        outcome__request=case, status=MinutesCorrection.Status.PENDING
    ).select_related("organization")
    return [(item.pk, f"{item.organization.display_name}: {Truncator(item.text).chars(80)}") for item in pending]


def dress(form: forms.Form, case: Any) -> forms.Form:
    """Give each field of a transition form a usable widget (in place) and return the form."""
    for name, field in list(form.fields.items()):
        kind = type(field).__name__
        if name in ("invitees", "present", "walk_ins"):
            # People present are entered on the session's attendance page, one row per person.
            # The parties' coordinators are invited by default; choosing others is for the API.
            del form.fields[name]
            continue
        if name == "session":
            # A session of the series: the ones this form may be about (scheduled, or held for attendance).
            field.widget = forms.Select(choices=_session_choices(case, getattr(form, "session_statuses", ())))
            continue
        if name == "correction_id":
            # Which party's correction request is answered (the only one, unless several parties asked).
            choices = _correction_choices(case)
            field.widget = forms.Select(choices=[("", "—"), *choices] if len(choices) > 1 else choices)
            continue
        if name == "organization" and kind == "IntegerField":
            # Confirming for one's own organization; the service picks it when there is one.
            field.widget = forms.HiddenInput()
            continue
        if isinstance(field, forms.DateTimeField):
            # Typed day first (a date picker's order follows the browser's locale, not Lebanon's).
            field.widget = DayFirstDateTimeInput()
            field.help_text = field.help_text or DATETIME_HINT
            if name == "starts_at" and "allow_non_business_day" in form.fields:
                # As the date is typed, say whether it is a weekend day or a holiday (portal:day_check).
                field.widget.attrs.update(
                    {
                        "hx-get": reverse("portal:day_check"),
                        "hx-trigger": "change, keyup changed delay:700ms",
                        "hx-target": f"#{form[name].auto_id}_day",
                        "hx-swap": "innerHTML",
                    }
                )
        elif isinstance(field, forms.DateField):
            field.widget = DayFirstDateInput()
            field.help_text = field.help_text or DATE_HINT
        elif kind == "IdListField" and name.endswith("organizations"):
            field.widget = forms.CheckboxSelectMultiple(choices=_organization_choices(case))
        elif kind == "TextListField":
            field.widget = forms.Textarea(attrs={"rows": 4})
            field.help_text = _("One per line.")
        elif name == "article":
            choices = _article_choices()
            if choices:
                field.widget = forms.Select(choices=[("", "—"), *choices])
        elif isinstance(field, forms.ChoiceField) and len(field.choices) <= 4 and name != "target":
            field.widget = forms.RadioSelect(choices=[c for c in field.choices if c[0] != ""])
        if isinstance(field.widget, forms.Textarea):
            field.widget.attrs["rows"] = 8 if name == "minutes" else 3
        if name in HARVESTING_HELP:
            field.help_text = HARVESTING_HELP[name]
    return form


def initial_for(spec: Any, case: Any, session: str = "") -> dict[str, Any] | None:
    """What a form opens with: the session a button named (``?session=``) and, for a form that
    changes a session (reschedule), that session as it stands, so only what moves is changed."""
    initial: dict[str, Any] = {"session": session} if session.isdigit() else {}
    current = getattr(spec.form, "initial_for", None)
    if current is not None:
        from workflows.partnership.sessions import target_session

        meeting = target_session(case, int(session) if session.isdigit() else None)
        if meeting is not None and meeting.status == meeting.Status.SCHEDULED:
            initial.update(current(meeting))
    return initial or None


def build(spec: Any, case: Any, data: Any = None, files: Any = None, initial: Any = None) -> forms.Form | None:
    """The transition's form, bound to ``data`` when given, ready to render."""
    if spec.form is None:
        return None
    return dress(spec.form(data=data, files=files, initial=initial), case)
