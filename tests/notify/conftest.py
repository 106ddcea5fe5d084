"""Notification fixtures: people in named relations to a sample ticket, and a mailbox."""

from __future__ import annotations

import pytest

import engine
from notify import routing
from notify.models import UserSettings
from tests.workflows.partnership.conftest import partnership_world  # noqa: F401  (the partnership suite's world)
from workflows.sample.flows import TicketFlow
from workflows.sample.models import Ticket


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Password hashing is not under test here; the default hasher costs a third of a second per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(make_user):
    """Who is who on the sample ticket: audience name → users (the ticket flow itself names no one)."""
    staff = make_user("staff", is_staff=True, first_name="Sami", last_name="Staff")
    requester = make_user("requester")
    counterpart = make_user("counterpart")
    secretary = make_user("secretary")
    chair = make_user("chair")
    return {
        "staff": staff,
        "secretary": secretary,
        "requester": requester,
        "counterparts": [counterpart],
        "parties": [requester, counterpart],
        "secretariat": [secretary, staff],
        "secretariat_lead": [secretary],
        "committee": [chair],
        "chair": [chair],
        "invitees": [requester, counterpart],
        "action_owners": [counterpart],
        "pending_voters": [chair],
    }


@pytest.fixture
def audiences(people, monkeypatch):
    """Give the ticket flow the audiences of ``people`` for the test's duration."""

    def audience(self, name):
        found = people.get(name, [])
        return found if isinstance(found, list) else [found]

    monkeypatch.setattr(TicketFlow, "audience", audience)
    # ... and lets them all see the ticket (its own rule admits only staff and the owner)
    monkeypatch.setattr(TicketFlow, "viewer_ids", classmethod(lambda cls, case, user_ids: set(user_ids)))
    return people


@pytest.fixture
def ticket(people):
    return engine.create_case(Ticket, actor=people["staff"], title="Printer on fire", owner=people["requester"])


@pytest.fixture
def ticket_routes(monkeypatch):
    """The ticket's own transitions routed like partnership events: open → secretariat, ask → requester."""
    monkeypatch.setitem(routing.routes_for("sample.ticket"), "open", (routing.Rule(("secretariat",)),))
    monkeypatch.setitem(
        routing.routes_for("sample.ticket"), "ask", (routing.Rule(("requester",), kind="request_info"),)
    )
    monkeypatch.setitem(routing.routes_for("sample.ticket"), "resolve", (routing.Rule(("parties",), kind="close"),))
    return routing.routes_for("sample.ticket")


@pytest.fixture
def speaks():
    """Set a person's language (and optionally digest) the way the settings page does."""

    def set_language(user, language, **fields):
        UserSettings.objects.update_or_create(user=user, defaults={"language": language, **fields})
        if hasattr(user, "_notify_language"):
            del user._notify_language
        return user

    return set_language


@pytest.fixture
def crowd(make_user, audiences, monkeypatch):
    """Twenty people in the secretariat, as the benchmark has them."""
    people = [make_user(f"member-{i}") for i in range(20)]
    monkeypatch.setitem(audiences, "secretariat", people)
    monkeypatch.setitem(routing.routes_for("sample.ticket"), "open", (routing.Rule(("secretariat",)),))
    return people
