"""Who hears about each step of a membership application (registered per case type when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from notify.messages import Message, register_messages
from notify.routing import OWNER, RECIPIENTS, Rule, register_routes

from .models import Application, MemberFile

# fmt: off
# Kinds of their own: an application's steps are not a dialogue request's (their words and each
# person's channel choices differ), though some events share a name.
ROUTES: dict[str, tuple[Rule, ...]] = {
    "submit":        (Rule(("secretariat",), kind="application_submitted"),),
    "request_info":  (Rule(("applicant",), kind="application_info_requested"),),
    "provide_info":  (Rule(("secretariat",), kind="application_info_provided"),),
    "approve":       (Rule(("applicant",), kind="application_approved"),),
    "reject":        (Rule(("applicant",), kind="application_rejected"),),
    "withdraw":      (Rule(("secretariat",), kind="application_withdrawn"),),
    "sla_warning":   (Rule((OWNER,)),),
    "sla_breach":    (Rule((OWNER, "secretariat_lead")),),
}
# fmt: on


# The words of the member file's notifications (the engine's table is keyed by kind; these are new kinds).
MEMBER_MESSAGES: dict[str, Message] = {
    "application_submitted": Message(
        _("Membership application submitted"),
        _("%(reference)s: membership application submitted"),
        _("%(actor)s submitted a membership application. It is waiting for the secretariat's vetting."),
    ),
    "application_info_requested": Message(
        _("More information on your application"),
        _("%(reference)s: the secretariat asks for more information"),
        _(
            "The secretariat asks for more information about your membership application. Please answer from "
            "your application's page."
        ),
    ),
    "application_info_provided": Message(
        _("Applicant answered"),
        _("%(reference)s: the applicant answered"),
        _("%(actor)s answered the secretariat's request for information on the membership application."),
    ),
    "application_approved": Message(
        _("Membership approved"),
        _("%(reference)s: your organization is a member of the platform"),
        _(
            "The secretariat approved your membership application: your organization is an active member and "
            "you are its coordinator. You can now open dialogue requests."
        ),
    ),
    "application_rejected": Message(
        _("Membership application rejected"),
        _("%(reference)s: membership application rejected"),
        _("The secretariat rejected your membership application. The reason is given below."),
    ),
    "application_withdrawn": Message(
        _("Membership application withdrawn"),
        _("%(reference)s: membership application withdrawn"),
        _("%(actor)s withdrew the membership application."),
    ),
    "charter_reminder": Message(
        _("Charter to accept again"),
        _("%(reference)s: accept the new version of the Partnership Charter"),
        _(
            "A new version of the Partnership Charter is in force and your organization has not accepted it yet: "
            "its requests cannot be submitted until a coordinator accepts it from the organization's page."
        ),
    ),
    "handover_proposed": Message(
        _("New coordinator proposed"),
        _("%(reference)s: a new coordinator is proposed"),
        _("%(actor)s proposed a new coordinator for the organization. The secretariat confirms the handover."),
    ),
    "handover_confirmed": Message(
        _("New coordinator confirmed"),
        _("%(reference)s: the new coordinator is confirmed"),
        _("The secretariat confirmed the organization's new coordinator."),
    ),
    "handover_withdrawn": Message(
        _("Coordinator handover withdrawn"),
        _("%(reference)s: the coordinator handover was withdrawn"),
        _("%(actor)s withdrew the proposed coordinator handover."),
    ),
    "member_suspended": Message(
        _("Membership suspended"),
        _("%(reference)s: the organization's membership is suspended"),
        _("The secretariat suspended the organization's membership: its requests cannot be submitted meanwhile."),
    ),
    "member_reinstated": Message(
        _("Membership reinstated"),
        _("%(reference)s: the organization's membership is reinstated"),
        _("The secretariat reinstated the organization's membership."),
    ),
}

MEMBER_ROUTES: dict[str, tuple[Rule, ...]] = {
    "handover_proposed": (Rule(("secretariat", "successor")),),
    "handover_confirmed": (Rule(("coordinators",)),),
    "handover_withdrawn": (Rule(("coordinators", "secretariat")),),
    "charter_reminder": (Rule((RECIPIENTS,)),),
    "suspend": (Rule(("coordinators",), kind="member_suspended"),),
    "reinstate": (Rule(("coordinators",), kind="member_reinstated"),),
}


def register() -> None:
    register_routes(Application.case_type(), ROUTES)
    register_routes(MemberFile.case_type(), MEMBER_ROUTES)
    register_messages(MEMBER_MESSAGES)
