"""The public "dialogue report" of one request, generated from the record (HTML page and PDF).

Only a request whose outcome is public and published has one (``selectors.published_outcomes``, the
transparency portal's own rule): a restricted outcome never appears, not even its existence. The
report carries the request, its meetings (date, status, organizations present; no location or
invitees), the outcome and its harvesting fields, the recommendations and the follow-up actions with
their progress.

The parties and oversight (whoever may see the request) have their own variant under the request's
page: the outcome appears when ``selectors.outcome_visible_to`` allows it, a restricted one marked as
such and its reading audited (``services.outcome_read_restricted``, as on the request's page).

Parts other work adds: :func:`register_part` takes a function of the request returning more
``Part``s (the outcome register's harvested outcomes, recommendations' progress with dated notes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from workflows.partnership import selectors
from workflows.partnership.models import ActionItem, ActionUpdate, Attendance, DialogueRequest, Meeting, Outcome
from workflows.partnership.selectors import published_outcomes

from .pdf import Document
from .reports import Table


@dataclass
class Part:
    key: str
    title: Any
    facts: list[tuple[Any, Any]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    table: Table | None = None


@dataclass
class DialogueReport:
    case: DialogueRequest
    parts: list[Part]

    @property
    def title(self) -> str:
        return str(_("Dialogue report: %(reference)s") % {"reference": self.case.reference})


PartProvider = Callable[[DialogueRequest], list[Part]]
_PROVIDERS: list[PartProvider] = []


def register_part(provider: PartProvider) -> PartProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def _with_parts(queryset: QuerySet[DialogueRequest]) -> QuerySet[DialogueRequest]:
    meetings = Meeting.objects.exclude(status=Meeting.Status.CANCELLED).prefetch_related(
        Prefetch("attendance", queryset=Attendance.objects.filter(present=True).select_related("organization"))
    )
    actions = ActionItem.objects.select_related("owner_organization").prefetch_related(
        Prefetch("updates", queryset=ActionUpdate.objects.order_by("at", "id"))
    )
    return queryset.prefetch_related(None).prefetch_related(
        "counterpart_organizations",
        Prefetch("meetings", queryset=meetings),
        Prefetch("action_items", queryset=actions),
    )


def public_request(reference: str) -> DialogueRequest | None:
    """The request with a published public outcome, with what the report reads, or None."""
    return _with_parts(published_outcomes()).filter(reference=reference).first()


def visible_request(reference: str, user: Any) -> DialogueRequest | None:
    """The request if ``user`` may see it (``selectors.visible_requests``), with what the report reads."""
    queryset = selectors.visible_requests(user).select_related("outcome")
    return _with_parts(queryset).filter(reference=reference).first()


def _date(value: Any) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def build(case: DialogueRequest, outcome: Outcome | None = None, *, outcome_note: Any = "") -> DialogueReport:
    """The report of ``case``; the public variant passes its published public outcome, the parties'
    variant the outcome they may read (None, with ``outcome_note`` saying why, when they may not)."""
    counterparts = ", ".join(org.display_name for org in case.counterpart_organizations.all())
    parts = [
        Part(
            "request",
            _("The request"),
            facts=[
                (_("Title"), case.title),
                (_("Theme"), case.theme.display_name),
                (_("Format"), case.get_format_display()),
                (_("Requested by"), case.requesting_organization.display_name),
                (_("Counterparts"), counterparts),
                (_("Submitted on"), _date(case.submitted_at)),
                (_("Published on"), _date(case.published_at)),
            ],
            paragraphs=[text for text in (case.summary, case.policy_question) if text],
        )
    ]
    meetings = Table("meetings", _("Meetings"), [_("Date"), _("Status"), _("Organizations present")])
    for meeting in case.meetings.all():
        present = ", ".join(row.organization.display_name for row in meeting.attendance.all())
        meetings.rows.append([_date(meeting.starts_at), meeting.get_status_display(), present or "—"])
    parts.append(Part("meetings", _("Meetings"), table=meetings))
    if outcome is None:
        parts.append(Part("outcome", _("Outcome"), paragraphs=[str(outcome_note or _("No outcome yet."))]))
        parts.append(_follow_up(case))
        return _finish(case, parts)
    restricted = outcome.visibility == Outcome.Visibility.RESTRICTED
    parts.append(
        Part(
            "outcome",
            _("Outcome"),
            paragraphs=[
                *(
                    [
                        str(
                            _("Restricted: not for publication. Reason: %(reason)s")
                            % {"reason": outcome.restriction_reason}
                        )
                    ]
                    if restricted
                    else []
                ),
                outcome.summary,
            ],
            facts=[
                (_("What changed"), outcome.what_changed),
                (_("Who changed"), outcome.who_changed),
                (_("Significance"), outcome.significance),
                (_("Contribution of the dialogue"), outcome.contribution),
                (_("Evidence"), outcome.evidence),
            ],
        )
    )
    parts.append(
        Part("recommendations", _("Recommendations"), items=[str(item) for item in outcome.recommendations or []])
    )
    parts.append(_follow_up(case))
    return _finish(case, parts)


def _follow_up(case: DialogueRequest) -> Part:
    items = list(case.action_items.all())
    follow_up = Table(
        "follow_up", _("Follow-up"), [_("Action"), _("Owner"), _("Due"), _("Status"), _("Latest progress")]
    )
    for item in items:
        updates = list(item.updates.all())
        latest = f"{_date(updates[-1].at)}: {updates[-1].text}" if updates else "—"
        follow_up.rows.append(
            [
                item.description,
                item.owner_organization.display_name,
                _date(item.due_date),
                item.get_status_display(),
                latest,
            ]
        )
    settled = sum(1 for item in items if item.settled)
    progress = (
        _("%(settled)s of %(total)s follow-up actions settled (%(percent)s%%).")
        % {"settled": settled, "total": len(items), "percent": round(100 * settled / len(items))}
        if items
        else _("No follow-up actions were agreed.")
    )
    return Part("follow_up", _("Follow-up"), paragraphs=[str(progress)], table=follow_up)


def _finish(case: DialogueRequest, parts: list[Part]) -> DialogueReport:
    for provider in _PROVIDERS:
        parts.extend(provider(case))
    return DialogueReport(case=case, parts=parts)


def pdf(report: DialogueReport) -> bytes:
    document = Document(report.title, subtitle=report.case.title)
    for part in report.parts:
        document.heading(str(part.title))
        for paragraph in part.paragraphs:
            document.paragraph(paragraph)
        document.facts(part.facts)
        document.bullets(part.items)
        if part.table is not None:
            document.table(part.table.columns, part.table.rows)
    return document.render()
