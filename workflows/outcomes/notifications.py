"""Who hears about each step of a harvested outcome and of a recommendation, and in which words."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from notify.messages import Message, register_messages
from notify.routing import IN_APP, OWNER, Rule, register_routes

from .models import HarvestedOutcome, Recommendation

# fmt: off
OUTCOME_ROUTES: dict[str, tuple[Rule, ...]] = {
    "submit":        (Rule(("substantiators", "secretariat"), kind="outcome_submitted"),),
    "substantiate":  (Rule(("harvester", "secretariat"), kind="outcome_substantiated"),),
    "publish":       (Rule(("harvester", "parties"), kind="outcome_published"),),
    "withdraw":      (Rule(("secretariat",), channels=(IN_APP,), kind="outcome_withdrawn"),),
    "sla_warning":   (Rule((OWNER,)),),
    "sla_breach":    (Rule((OWNER, "secretariat_lead")),),
}

RECOMMENDATION_ROUTES: dict[str, tuple[Rule, ...]] = {
    "progress_reported": (Rule(("secretariat",), channels=(IN_APP,), kind="recommendation_progress"),),
    "owner_assigned":    (Rule(("owner",), kind="recommendation_owner"),),
}
# fmt: on

OUTCOME_MESSAGES = {
    "outcome_submitted": Message(
        _("Outcome submitted for substantiation"),
        _("%(reference)s: outcome to substantiate"),
        _(
            "%(actor)s submitted the harvested outcome “%(title)s”. An independent reviewer may now confirm, qualify or dispute it."
        ),
    ),
    "outcome_substantiated": Message(
        _("Outcome substantiated or disputed"),
        _("%(reference)s: %(state)s"),
        _("%(actor)s reviewed the harvested outcome “%(title)s”: %(state)s."),
    ),
    "outcome_published": Message(
        _("Outcome published"),
        _("%(reference)s: outcome published"),
        _("The harvested outcome “%(title)s” is now on the transparency portal."),
    ),
    "outcome_withdrawn": Message(
        _("Outcome withdrawn"),
        _("%(reference)s: outcome withdrawn"),
        _("%(actor)s withdrew the harvested outcome “%(title)s”."),
    ),
    "recommendation_progress": Message(
        _("Progress on a recommendation"),
        _("%(reference)s: progress reported"),
        _("%(actor)s reported progress on the recommendation “%(title)s”: %(state)s."),
    ),
    "recommendation_owner": Message(
        _("A recommendation for your organization"),
        _("%(reference)s: your organization carries out this recommendation"),
        _(
            "The secretariat made your organization the owner of the recommendation “%(title)s”. Report its progress from the recommendation's page."
        ),
    ),
}


def register() -> None:
    register_routes(HarvestedOutcome.case_type(), OUTCOME_ROUTES)
    register_routes(Recommendation.case_type(), RECOMMENDATION_ROUTES)
    register_messages(OUTCOME_MESSAGES)
