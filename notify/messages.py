"""The words of every notification: a label, a subject and a body per kind, all through gettext.

Placeholders available to subjects and bodies: ``%(reference)s``, ``%(title)s``, ``%(actor)s``,
``%(state)s`` (the case's new state, translated). Details such as a reason or a meeting date are
listed under the body from the event's data (see ``DETAIL_LABELS``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Message:
    label: Any
    subject: Any
    body: Any


MESSAGES: dict[str, Message] = {
    "submit": Message(
        _("Request submitted"),
        _("%(reference)s: new request submitted"),
        _("%(actor)s submitted the request “%(title)s”. It is waiting for the secretariat's triage."),
    ),
    "document_added": Message(
        _("Document added"),
        _("%(reference)s: document added"),
        _("%(actor)s added a document to “%(title)s”."),
    ),
    "request_info": Message(
        _("More information requested"),
        _("%(reference)s: more information requested"),
        _(
            "The secretariat asks for more information about “%(title)s”. Please answer from the request page "
            "before the deadline, or the request lapses."
        ),
    ),
    "provide_info": Message(
        _("Information provided"),
        _("%(reference)s: information provided"),
        _("%(actor)s answered the request for information on “%(title)s”."),
    ),
    "accept": Message(
        _("Request accepted"),
        _("%(reference)s: accepted and passed to the committee"),
        _("The secretariat accepted “%(title)s” and passed it to the coordination committee."),
    ),
    "vote_needed": Message(
        _("Your vote is needed"),
        _("%(reference)s: your vote is needed"),
        _(
            "The request “%(title)s” is before the coordination committee. Please declare any conflict of "
            "interest and cast your vote."
        ),
    ),
    "decline": Message(
        _("Request declined"),
        _("%(reference)s: declined"),
        _("The secretariat declined “%(title)s”. The reason and the charter article are below."),
    ),
    "approve": Message(
        _("Request approved"),
        _("%(reference)s: approved by the committee"),
        _("The coordination committee approved “%(title)s”. The secretariat will schedule the dialogue meeting."),
    ),
    "reject": Message(
        _("Request rejected"),
        _("%(reference)s: rejected by the committee"),
        _("The coordination committee rejected “%(title)s”. The requester may appeal once, within the appeal period."),
    ),
    "decide": Message(
        # The chair's, or the deputy chair's when the chair is recused or absent: the actor is named.
        _("Deciding vote"),
        _("%(reference)s: the deciding vote was cast"),
        _("%(actor)s cast the committee's deciding vote on “%(title)s”. The request is now: %(state)s."),
    ),
    "referred_to_platform": Message(
        _("Request referred to the full platform"),
        _("%(reference)s: referred to the full platform"),
        _(
            "No member of one side could sit on “%(title)s”, even after alternates. Under the committee's rule, "
            "the secretariat lead referred it to the full platform."
        ),
    ),
    "platform_decided": Message(
        _("The full platform decided"),
        _("%(reference)s: decided by the full platform"),
        _("The full platform decided on “%(title)s”. The request is now: %(state)s."),
    ),
    "conflict_declared": Message(
        _("Conflict of interest declared"),
        _("%(reference)s: a member declared a conflict of interest"),
        _("%(actor)s declared a conflict of interest on “%(title)s” and no longer takes part in the vote."),
    ),
    "casting_vote_needed": Message(
        _("Casting vote needed"),
        _("%(reference)s: the committee is tied"),
        _("The committee's votes on “%(title)s” are tied. The chair's casting vote decides."),
    ),
    "withdraw": Message(
        _("Request withdrawn"),
        _("%(reference)s: withdrawn"),
        _("%(actor)s withdrew the request “%(title)s”."),
    ),
    "appeal": Message(
        _("Decision appealed"),
        _("%(reference)s: rejection appealed"),
        _("%(actor)s appealed the committee's rejection of “%(title)s”. The request is back before the committee."),
    ),
    "lapse": Message(
        _("Request lapsed"),
        _("%(reference)s: lapsed"),
        _("The request “%(title)s” lapsed because the requested information did not arrive in time."),
    ),
    "schedule_meeting": Message(
        _("Meeting invitation"),
        _("%(reference)s: invitation to the dialogue meeting"),
        _("You are invited to the dialogue meeting on “%(title)s”. The calendar invitation is attached."),
    ),
    "reschedule_meeting": Message(
        _("Meeting moved"),
        _("%(reference)s: the meeting has a new date"),
        _("The dialogue meeting on “%(title)s” has a new date. The updated calendar invitation is attached."),
    ),
    "cancel_meeting": Message(
        _("Meeting cancelled"),
        _("%(reference)s: meeting cancelled"),
        _("The dialogue meeting on “%(title)s” was cancelled."),
    ),
    "meeting_soon": Message(
        _("Meeting in 48 hours"),
        _("%(reference)s: the meeting is in two days"),
        _("Reminder: the dialogue meeting on “%(title)s” starts within 48 hours."),
    ),
    "record_meeting": Message(
        _("Meeting held"),
        _("%(reference)s: meeting held"),
        _("The secretariat recorded the dialogue meeting on “%(title)s”. The minutes will follow."),
    ),
    "minutes_to_confirm": Message(
        _("Minutes to confirm"),
        _("%(reference)s: minutes to confirm"),
        _(
            "The minutes and outcome of “%(title)s” are documented. Please review and confirm them; silence "
            "counts as consent once the confirmation period ends."
        ),
    ),
    "confirm_minutes": Message(
        _("Minutes confirmed"),
        _("%(reference)s: minutes confirmed"),
        _("%(actor)s confirmed the minutes of “%(title)s”."),
    ),
    "minutes_confirmed_by_silence": Message(
        _("Minutes confirmed by silence"),
        _("%(reference)s: minutes confirmed by silence"),
        _(
            "The confirmation period of the minutes of “%(title)s” ended without objection: silence counts as "
            "consent, so the minutes are confirmed by silence. No deadline was missed."
        ),
    ),
    "start_follow_up": Message(
        _("Follow-up started"),
        _("%(reference)s: follow-up started"),
        _("Follow-up of “%(title)s” has started. The action items and their owners are on the request page."),
    ),
    "action_assigned": Message(
        _("Action item assigned"),
        _("%(reference)s: action item assigned"),
        _("An action item of “%(title)s” was assigned to your organization."),
    ),
    "action_progress": Message(
        _("Progress on an action item"),
        _("%(reference)s: progress reported on an action item"),
        _("%(actor)s reported progress on an action item of “%(title)s”, or changed its status."),
    ),
    "action_due_soon": Message(
        _("Action item due soon"),
        _("%(reference)s: action item due soon"),
        _("An action item of “%(title)s” is due soon. Please update its status."),
    ),
    "action_overdue": Message(
        _("Action item overdue"),
        _("%(reference)s: action item overdue"),
        _("An action item of “%(title)s” is past its due date. Please update its status or explain the delay."),
    ),
    "close": Message(
        _("Request closed"),
        _("%(reference)s: closed"),
        _("The request “%(title)s” is closed. Thank you for taking part."),
    ),
    "reopen": Message(
        _("Request reopened"),
        _("%(reference)s: reopened"),
        _("The secretariat reopened “%(title)s”. The reason is below."),
    ),
    "vote_cast": Message(
        _("Vote cast"),
        _("%(reference)s: a vote was cast"),
        _("%(actor)s voted on “%(title)s”."),
    ),
    "sla_warning": Message(
        _("Deadline approaching"),
        _("%(reference)s: deadline approaching"),
        _("Time is running out on “%(title)s” (%(state)s). The deadline is below."),
    ),
    "sla_breach": Message(
        _("Deadline missed"),
        _("%(reference)s: deadline missed"),
        _(
            "The deadline on “%(title)s” (%(state)s) has passed. The case is escalated to the secretariat lead "
            "and the committee chair."
        ),
    ),
}

GENERIC = Message(
    _("Case update"),
    _("%(reference)s: update"),
    _("There is news on “%(title)s”. The request is now: %(state)s."),
)

# Event data worth showing under the body, in this order, with their labels.
DETAIL_LABELS: dict[str, Any] = {
    "decision": _("Decision"),
    "reason": _("Reason"),
    "article": _("Charter article"),
    "message": _("Message"),
    "starts_at": _("Starts"),
    "ends_at": _("Ends"),
    "location": _("Location"),
    "description": _("Action item"),
    "due_date": _("Due date"),
    "due_at": _("Deadline"),
}


def register_messages(messages: dict[str, Message]) -> None:
    """A workflow declares the words of its own kinds of notification (from its app's ``ready``).

    A kind names one message: registering the same kind again with other words is a mistake (two
    workflows would speak with each other's words), so it raises instead of silently winning or losing.
    """
    for kind, message in messages.items():
        known = MESSAGES.get(kind)
        if known is not None and known != message:
            raise ValueError(f"notification kind {kind!r} already has other words; give the new one a kind of its own")
        MESSAGES[kind] = message


def message_for(kind: str) -> Message:
    return MESSAGES.get(kind, GENERIC)
