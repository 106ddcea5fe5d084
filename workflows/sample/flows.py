"""The sample ticket flow: new → open ⇄ waiting → resolved, and reopen."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow.fsm import State

from engine.flows import EventSpec, Flow, transition
from engine.reasons import Reason
from engine.registry import register
from engine.roles import Role

from .models import Ticket

NEW, OPEN, WAITING, RESOLVED = "new", "open", "waiting", "resolved"

staff = Role("staff", _("staff"), lambda flow, user: user.is_staff)
owner = Role("owner", _("the ticket's owner"), lambda flow, user: flow.case.owner_id == user.pk)


def has_title(flow: TicketFlow) -> Reason | None:
    if not flow.case.title.strip():
        return Reason("title_missing", _("The ticket needs a title."), article="1")
    return None


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), max_length=500)


@register
class TicketFlow(Flow):
    model = Ticket
    state = State(str, default=NEW)
    state_labels = {
        NEW: pgettext_lazy("ticket state", "New"),
        OPEN: pgettext_lazy("ticket state", "Open"),
        WAITING: _("Waiting"),
        RESOLVED: _("Resolved"),
    }
    final_states = frozenset({RESOLVED})
    events = (EventSpec("comment", _("Comment")),)

    def can_view(self) -> bool:
        return staff.admits(self, self.user) or owner.admits(self, self.user)

    @transition(
        state, source=NEW, target=OPEN, label=pgettext_lazy("action", "Open"), roles=[staff, owner], guards=[has_title]
    )
    def open(self) -> None:
        """Start work on the ticket."""

    @transition(state, source=OPEN, target=WAITING, label=_("Ask"), roles=[staff], form=NoteForm, pauses_clock=True)
    def ask(self, *, note: str) -> None:
        self.case.note = note

    @transition(
        state, source=WAITING, target=OPEN, label=pgettext_lazy("action", "Answer"), roles=[owner], form=NoteForm
    )
    def answer(self, *, note: str) -> None:
        self.case.note = note

    @transition(state, source=WAITING, target=RESOLVED, label=_("Expire"), roles=[staff], system=True)
    def expire(self) -> None:
        """Closed because the owner never answered."""

    @transition(state, source=[OPEN, WAITING], target=RESOLVED, label=_("Resolve"), roles=[staff])
    def resolve(self) -> None:
        """Done."""

    @transition(state, source=RESOLVED, target=OPEN, label=_("Reopen"), roles=[staff], form=NoteForm)
    def reopen(self, *, note: str) -> None:
        self.case.note = note
