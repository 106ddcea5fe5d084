"""The only writers of the partnership domain: each service is atomic and audits on the request's chain."""

from __future__ import annotations

from .actions import action_item_create, action_item_update, action_update_add
from .attachments import attachment_add, attachment_validate
from .committee import absence_declare, committee_settle, conflict_declare, vote_cast
from .meetings import meeting_ics
from .outcomes import outcome_read_restricted
from .queue import RowResult, request_assign, requests_assign
from .requests import (
    attendance_record,
    meeting_cancel,
    meeting_record,
    meeting_reschedule,
    meeting_schedule,
    minutes_confirm,
    outcome_document,
    participant_register,
    request_accept,
    request_appeal,
    request_close,
    request_create,
    request_decide,
    request_decline,
    request_follow_up_start,
    request_info_provide,
    request_info_request,
    request_reopen,
    request_submit,
    request_transition,
    request_update,
    request_withdraw,
)

__all__ = [
    "action_item_create",
    "action_item_update",
    "action_update_add",
    "attendance_record",
    "attachment_add",
    "attachment_validate",
    "committee_settle",
    "absence_declare",
    "conflict_declare",
    "meeting_cancel",
    "meeting_ics",
    "meeting_record",
    "meeting_reschedule",
    "meeting_schedule",
    "minutes_confirm",
    "outcome_document",
    "outcome_read_restricted",
    "participant_register",
    "request_accept",
    "request_appeal",
    "request_assign",
    "request_close",
    "request_create",
    "request_decide",
    "request_decline",
    "request_follow_up_start",
    "request_info_provide",
    "request_info_request",
    "request_reopen",
    "request_submit",
    "request_transition",
    "request_update",
    "request_withdraw",
    "requests_assign",
    "RowResult",
    "vote_cast",
]
