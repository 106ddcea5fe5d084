"""Who hears about each step of a harvested outcome and of a recommendation."""

from __future__ import annotations

from notify.routing import OWNER, Rule, register_routes

from .models import HarvestedOutcome, Recommendation

# fmt: off
OUTCOME_ROUTES: dict[str, tuple[Rule, ...]] = {
    "submit":        (Rule(("substantiators", "secretariat")),),
    "substantiate":  (Rule(("harvester", "secretariat")),),
    "publish":       (Rule(("harvester", "parties")),),
    "withdraw":      (Rule(("secretariat",)),),
    "sla_warning":   (Rule((OWNER,)),),
    "sla_breach":    (Rule((OWNER, "secretariat_lead")),),
}

RECOMMENDATION_ROUTES: dict[str, tuple[Rule, ...]] = {
    "progress_reported": (Rule(("secretariat",)),),
    "owner_assigned":    (Rule(("owner",)),),
}
# fmt: on


def register() -> None:
    register_routes(HarvestedOutcome.case_type(), OUTCOME_ROUTES)
    register_routes(Recommendation.case_type(), RECOMMENDATION_ROUTES)
