"""The outcome register's part of the demo: an independent reviewer, harvested outcomes in every state, and
recommendations with owners and dated progress.

Run after the partnership demo (its dialogues with documented outcomes, its secretariat); the recommendations
were turned into tracked items when those outcomes were documented. A second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

import engine
from engine import outbox
from engine.demo import register as register_demo
from engine.models import OutboxMessage
from partners.models import Membership
from workflows.partnership.demo import _deliver as deliver_demo_history
from workflows.partnership.models import DialogueRequest

from . import selectors, services
from .effects import track_recommendations
from .models import HarvestedOutcome, Recommendation

Log = Callable[[str], None]

#: (username, first name, last name, what they are)
PEOPLE = [("reviewer", "Nadia", "Saleh", "independent substantiator of harvested outcomes")]

# (final state, title, change type, actor's side, visibility, verdict, note)
OUTCOMES = [
    ("draft", "Municipal social workers refer minors to mediation", "practice", "public", "public", "", ""),
    ("submitted", "Parliamentary committee cites the dialogue's paper", "discourse", "public", "public", "", ""),
    (
        "substantiated",
        "Ministry opens its data on detention of minors",
        "policy",
        "public",
        "public",
        "qualified",
        "Confirmed for 2025 data; earlier years are not yet published.",
    ),
    (
        "disputed",
        "Courts stop pre-trial detention of minors",
        "practice",
        "public",
        "public",
        "disputed",
        "Court records show no change in the period; the claim goes beyond the evidence.",
    ),
    ("published", "Ministry adopts diversion guidelines", "policy", "public", "public", "confirmed", ""),
    (
        "published",
        "Joint working group between the ministry and CSOs",
        "relationship",
        "public",
        "restricted",
        "confirmed",
        "",
    ),
    ("withdrawn", "Duplicate of the guidelines outcome", "policy", "public", "public", "", ""),
]

PROGRESS = [
    ("in_progress", 40, "A first draft circulated to the parties.", "مسودة أولى عُمّمت على الأطراف."),
    ("implemented", 100, "Adopted by ministerial decision.", "اعتُمدت بقرار وزاري."),
    ("not_implemented", 10, "Postponed: no budget line this year.", "أُرجئت: لا بند في موازنة هذا العام."),
]


def login_lines() -> list[tuple[str, str]]:
    return [(username, role) for username, _first, _last, role in PEOPLE]


def _harvester(request: DialogueRequest, fallback: Any) -> Any:
    membership = (
        Membership.objects.filter(
            organization_id=request.requesting_organization_id, role=Membership.Role.COORDINATOR, active=True
        )
        .select_related("user")
        .first()
    )
    return membership.user if membership is not None else fallback


def _data(request: DialogueRequest, index: int, title: str, change_type: str, side: str, visibility: str) -> dict:
    changed_on = timezone.localdate() - dt.timedelta(days=30 + 7 * index)
    data = {
        "title": title,
        "social_actor": request.counterpart_organizations.first().name
        if request.counterpart_organizations.exists()
        else request.requesting_organization.name,
        "actor_side": side,
        "change": f"{title}, following the dialogue {request.reference}.",
        "changed_on": changed_on.isoformat(),
        "place": "Beirut",
        "significance": "A change the parties had asked for since the dialogue started.",
        "contribution": "The dialogue brought the evidence and the people who could decide together.",
        "evidence_links": [f"https://example.org/evidence/{request.reference.lower()}-{index}"],
        "change_type": change_type,
        "theme": request.theme.code,
        "requests": [request.reference],
        "recommendations": list(
            Recommendation.objects.filter(request=request).order_by("position").values_list("reference", flat=True)[:1]
        ),
        "visibility": visibility,
    }
    if visibility == "restricted":
        data["public_summary"] = "A ministry and civil-society organizations now meet regularly on juvenile justice."
        data["public_summary_ar"] = "تلتقي وزارة ومنظمات من المجتمع المدني الآن بانتظام حول قضاء الأحداث."
    return data


def build_outcomes_demo(*, password: str, log: Log | None = None) -> bool:
    """Create the reviewer, the harvested outcomes and the progress; False (nothing done) when already there."""
    log = log or (lambda line: None)
    users = get_user_model().objects
    if users.filter(username__in=[person[0] for person in PEOPLE]).exists():
        return False
    secretariat = users.filter(username="secretariat").first()
    requests = list(
        DialogueRequest.objects.filter(state__in=selectors.HARVESTABLE_STATES)
        .select_related("theme", "requesting_organization", "outcome")
        .order_by("id")
    )
    if secretariat is None or not requests:
        return False
    log("Outcome register")
    dispatch = outbox.dispatcher()
    first_row = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    quiet = {**settings.ENGINE, "OUTBOX_DISPATCHER": None}
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ENGINE=quiet),
        transaction.atomic(),
    ):
        reviewer = None
        for username, first, last, _role in PEOPLE:
            reviewer = users.create_user(
                username=username, email=f"{username}@example.org", first_name=first, last_name=last
            )
            reviewer.set_password(password)
            reviewer.save(update_fields=["password"])
            reviewer.groups.add(selectors.substantiators_group())
        for request in requests:  # outcomes documented before the register existed
            if hasattr(request, "outcome"):
                track_recommendations(request.outcome)
        # an outcome of a dialogue whose own outcome is restricted can only be restricted itself
        open_requests = [r for r in requests if getattr(r, "outcome", None) and r.outcome.visibility == "public"]
        for index, (state, title, change_type, side, visibility, verdict, note) in enumerate(OUTCOMES):
            pool = open_requests if visibility == "public" and open_requests else requests
            request = pool[index % len(pool)]
            if request not in open_requests:
                visibility = "restricted"
            harvester = _harvester(request, secretariat)
            outcome = services.outcome_harvest(
                actor=harvester, data=_data(request, index, title, change_type, side, visibility)
            )
            if state == "withdrawn":
                engine.run(outcome, "withdraw", actor=harvester, data={"reason": "Harvested twice."})
            elif state != "draft":
                engine.run(outcome, "submit", actor=harvester)
                if verdict:
                    engine.run(outcome, "substantiate", actor=reviewer, data={"verdict": verdict, "note": note})
                if state == "published":
                    engine.run(outcome, "publish", actor=secretariat)
            log(f"  {outcome.reference}: {outcome.state}")
        items = list(Recommendation.objects.select_related("request").order_by("id")[: len(PROGRESS)])
        for item, (status, progress, note, _note_ar) in zip(items, PROGRESS, strict=False):
            owner = item.request.requesting_organization if item.request else None
            if owner is not None:
                engine.run(item, "owner_assigned", actor=secretariat, data={"organization": owner.pk})
            engine.run(
                item,
                "progress_reported",
                actor=secretariat,
                data={"status": status, "progress": progress, "note": note},
            )
            log(f"  {item.reference}: {item.state} {item.progress}%")
    pending = list(
        OutboxMessage.objects.filter(pk__gt=first_row, status=OutboxMessage.Status.PENDING).values_list("pk", flat=True)
    )
    if pending:
        deliver_demo_history(dispatch, pending)
    return True


def demo_counts() -> dict[str, int]:
    """Harvested outcomes by state."""
    return dict(HarvestedOutcome.objects.values("state").annotate(n=Count("id")).values_list("state", "n"))


def demo_hook(*, password: str, stdout: Any, stderr: Any) -> None:
    """The engine's ``manage.py demo`` runs this after the partnership and accession demos."""
    if build_outcomes_demo(password=password, log=lambda line: stdout.write(line + "\n")):
        stdout.write("Outcome register logins (same password):\n")
        for username, role in login_lines():
            stdout.write(f"  {username}  {role}\n")


register_demo("outcomes", demo_hook, order=30)
