"""Who hears about each step of a membership application (registered per case type when the app is ready)."""

from __future__ import annotations

from notify.routing import OWNER, Rule, register_routes

from .models import Application

# fmt: off
ROUTES: dict[str, tuple[Rule, ...]] = {
    "submit":        (Rule(("secretariat",)),),
    "request_info":  (Rule(("applicant",)),),
    "provide_info":  (Rule(("secretariat",)),),
    "approve":       (Rule(("applicant",)),),
    "reject":        (Rule(("applicant",)),),
    "withdraw":      (Rule(("secretariat",)),),
    "sla_warning":   (Rule((OWNER,)),),
    "sla_breach":    (Rule((OWNER, "secretariat_lead")),),
}
# fmt: on


def register() -> None:
    register_routes(Application.case_type(), ROUTES)
