"""Who hears about each event of a dialogue request: the partnership's notification routes.

Registered with the notification router, keyed by this workflow's case type, when the app is ready.
Audiences are the names ``RequestFlow.audience`` resolves; ``$``-names are the router's own.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from notify.messages import Message, register_messages
from notify.routing import ACTION_OWNER, IN_APP, INVITEES, OWNER, RECIPIENTS, Rule, register_routes

from .models import DialogueRequest

# fmt: off
ROUTES: dict[str, tuple[Rule, ...]] = {
    # intake
    "submit":             (Rule(("secretariat",)),),
    "request_info":       (Rule(("requester",)),),
    "provide_info":       (Rule(("secretariat",)),),
    "accept":             (Rule(("requester", "counterparts")),
                           Rule(("pending_voters",), kind="vote_needed")),
    "decline":            (Rule(("requester",)),),
    # invitees first: a counterpart who was invited gets the cancellation with its calendar file
    "withdraw":           (Rule((INVITEES,), ics=True),
                           Rule(("secretariat", "counterparts"))),
    "lapse":              (Rule(("requester", "secretariat")),),
    "document_added":     (Rule(("secretariat",), channels=(IN_APP,)),),
    # the queue: the officer a request is given to (not the one who takes it themselves)
    "assigned":           (Rule(("assignee",), kind="request_assigned"),),
    # committee
    "vote_cast":          (Rule(("chair", "secretariat"), channels=(IN_APP,)),),
    "approve":            (Rule(("parties", "secretariat")),
                           Rule(("committee",), channels=(IN_APP,))),
    "reject":             (Rule(("parties", "secretariat")),
                           Rule(("committee",), channels=(IN_APP,))),
    "decide":             (Rule(("parties", "secretariat")),
                           Rule(("committee",), channels=(IN_APP,))),
    "referred_to_platform": (Rule(("parties", "secretariat")),
                           Rule(("committee",), channels=(IN_APP,))),
    "platform_decided":   (Rule(("parties", "secretariat")),
                           Rule(("committee",), channels=(IN_APP,))),
    "appeal":             (Rule(("secretariat", "chair")),
                           Rule(("pending_voters",), kind="vote_needed")),
    "conflict_declared":  (Rule(("chair", "secretariat"), channels=(IN_APP,)),),
    "committee_tied":     (Rule(("chair",), kind="casting_vote_needed"),
                           Rule(("secretariat",), channels=(IN_APP,), kind="casting_vote_needed")),
    # meetings
    "schedule_meeting":   (Rule((INVITEES,), ics=True),
                           Rule(("secretariat",), channels=(IN_APP,))),
    "reschedule_meeting": (Rule((INVITEES,), ics=True),
                           Rule(("secretariat",), channels=(IN_APP,))),
    "cancel_meeting":     (Rule((INVITEES,), ics=True),),
    "meeting_soon":       (Rule((RECIPIENTS,)),),
    "record_meeting":     (Rule(("parties",), channels=(IN_APP,)),),
    "document_outcome":   (Rule(("parties",), kind="minutes_to_confirm"),),
    "confirm_minutes":    (Rule(("secretariat",), channels=(IN_APP,)),),
    # silence is consent, not a missed deadline: the parties hear so by email too (the scan sends no breach)
    "confirm_minutes_by_silence": (Rule(("parties",), kind="minutes_confirmed_by_silence"),
                                   Rule(("secretariat",), channels=(IN_APP,), kind="minutes_confirmed_by_silence")),
    # an objection instead of a confirmation: the secretariat answers it, the parties hear the answer
    "minutes_correction_requested": (Rule(("secretariat",), kind="minutes_correction_requested"),
                                     Rule(("parties",), channels=(IN_APP,), kind="minutes_correction_requested")),
    "minutes_revised":    (Rule(("parties",), kind="minutes_revised"),
                           Rule(("secretariat",), channels=(IN_APP,), kind="minutes_revised")),
    "minutes_correction_rejected": (Rule(("parties",), kind="minutes_correction_rejected"),),
    # follow-up
    "start_follow_up":    (Rule(("parties", "action_owners")),),
    "action_item_created": (Rule((ACTION_OWNER,), kind="action_assigned"),),
    "action_item_updated": (Rule((ACTION_OWNER,), kind="action_assigned"),),  # only when the owner changed
    "action_update_added": (Rule(("secretariat",), channels=(IN_APP,), kind="action_progress"),),
    "action_status_changed": (Rule(("secretariat",), channels=(IN_APP,), kind="action_progress"),),
    "action_due_soon":    (Rule((RECIPIENTS,)),),
    "action_overdue":     (Rule((RECIPIENTS,)),
                           Rule(("secretariat",), channels=(IN_APP,))),
    "close":              (Rule(("parties", "action_owners")),),
    "closed":             (Rule(("parties", "action_owners"), kind="close"),),
    "reopen":             (Rule(("parties", "secretariat")),),
    # time (from the engine's SLA scan)
    "sla_warning":        (Rule((OWNER,)),),
    "sla_breach":         (Rule((OWNER, "secretariat_lead", "chair")),),
}
# fmt: on


MESSAGES = {
    "request_assigned": Message(
        _("A request assigned to you"),
        _("%(reference)s: assigned to you"),
        _("%(actor)s assigned the request “%(title)s” to you. It is now in your queue."),
    ),
}


# The words of the minutes' correction round (kinds of this workflow's own).
MINUTES_MESSAGES: dict[str, Message] = {
    "minutes_correction_requested": Message(
        _("Correction of the minutes requested"),
        _("%(reference)s: correction of the minutes requested"),
        _(
            "%(actor)s asked for a correction of the minutes of “%(title)s”. The secretariat revises the minutes "
            "or answers the request; until then, silence does not confirm them."
        ),
    ),
    "minutes_revised": Message(
        _("Minutes revised"),
        _("%(reference)s: the minutes are revised, please confirm them again"),
        _(
            "The secretariat revised the minutes of “%(title)s”. Earlier confirmations no longer count: please "
            "read the revised minutes and confirm them; silence counts as consent once the new confirmation "
            "period ends."
        ),
    ),
    "minutes_correction_rejected": Message(
        _("Correction of the minutes refused"),
        _("%(reference)s: correction of the minutes refused"),
        _(
            "The secretariat refused the request to correct the minutes of “%(title)s”; its reason is below. The "
            "confirmation period resumes where it paused."
        ),
    ),
}


def register() -> None:
    register_routes(DialogueRequest.case_type(), ROUTES)
    register_messages(MESSAGES)
    register_messages(MINUTES_MESSAGES)
