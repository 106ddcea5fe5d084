"""The public committee page: who sits, for which side and until when, and the rules the committee decides by."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from partners.models import CommitteeSeat, Side
from workflows.partnership.committee import rule_label
from workflows.partnership.models import CommitteeRule


@require_GET
def committee(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    seats = list(
        CommitteeSeat.objects.filter(active=True)
        .select_related("user", "alternate", "organization")
        .prefetch_related("themes")
        .order_by("-is_chair", "-is_deputy_chair", "side", "id")
    )
    sides = [
        {"code": code, "label": label, "seats": [seat for seat in seats if seat.side == code]}
        for code, label in Side.choices
    ]
    rule = CommitteeRule.current()
    return render(
        request,
        "portal/committee.html",
        {
            "page_title": _("Coordination committee"),
            "sides": sides,
            "today": today,
            "rule": rule,
            "empty_side_rule": rule_label(rule),
        },
    )
