from __future__ import annotations

import pytest

import engine
from engine.errors import GuardFailed, InvalidInput, NotPermitted, TransitionNotAllowedError
from engine.models import AuditEvent, OutboxMessage
from workflows.sample.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    return make_user("staff", is_staff=True)


@pytest.fixture
def ticket(staff):
    return engine.create_case(Ticket, actor=staff, title="Printer", owner=staff)


def test_allowed_transition_moves_state_and_writes_audit_and_outbox(ticket, staff):
    # when
    result = engine.run(ticket, "open", actor=staff)
    # then
    ticket.refresh_from_db()
    assert (result.from_state, result.to_state, ticket.state, ticket.version) == ("new", "open", "open", 1)
    event = AuditEvent.objects.get(case_id=ticket.pk, seq=2)
    assert (event.action, event.actor_id, event.actor_role) == ("open", staff.pk, "staff")
    assert OutboxMessage.objects.filter(case_id=ticket.pk, event="open").count() == 1


def test_wrong_state_is_refused_and_changes_nothing(ticket, staff):
    with pytest.raises(TransitionNotAllowedError):
        engine.run(ticket, "resolve", actor=staff)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.version, ticket.audit_seq) == ("new", 0, 1)


def test_user_without_role_is_refused_with_reason(ticket, make_user):
    stranger = make_user("stranger")
    with pytest.raises(NotPermitted) as caught:
        engine.run(ticket, "open", actor=stranger)
    assert caught.value.reasons[0].code == "not_permitted"
    assert Ticket.objects.get(pk=ticket.pk).state == "new"


def test_guard_failure_explains_itself(staff):
    ticket = engine.create_case(Ticket, actor=staff, title="  ", owner=staff)
    with pytest.raises(GuardFailed) as caught:
        engine.run(ticket, "open", actor=staff)
    assert [(r.code, r.article) for r in caught.value.reasons] == [("title_missing", "1")]
    assert AuditEvent.objects.filter(case_id=ticket.pk).count() == 1


def test_invalid_fields_are_reported_per_field(ticket, staff):
    engine.run(ticket, "open", actor=staff)
    with pytest.raises(InvalidInput) as caught:
        engine.run(ticket, "ask", actor=staff, data={"note": ""})
    assert "note" in caught.value.errors
    assert Ticket.objects.get(pk=ticket.pk).state == "open"


def test_available_transitions_show_reasons(ticket, make_user, staff):
    stranger = make_user("stranger")
    options = {o.name: o for o in engine.available_transitions(ticket, stranger)}
    assert list(options) == ["open"]
    assert options["open"].allowed is False
    assert options["open"].reasons[0].code == "not_permitted"
    assert engine.available_transitions(ticket, staff)[0].allowed is True


def test_idempotency_key_replays_first_result(ticket, staff):
    first = engine.run(ticket, "open", actor=staff, idempotency_key="k-1")
    again = engine.run(ticket, "open", actor=staff, idempotency_key="k-1")
    assert again.replayed and again.to_state == first.to_state == "open"
    assert AuditEvent.objects.filter(case_id=ticket.pk).count() == 2


def test_references_are_gap_free_per_prefix_and_year(staff):
    refs = [engine.create_case(Ticket, actor=staff, title=f"t{i}").reference for i in range(3)]
    year = refs[0].split("-")[1]
    assert refs == [f"TCK-{year}-0001", f"TCK-{year}-0002", f"TCK-{year}-0003"]


def test_refusal_names_the_roles_in_the_language_it_is_read_in(ticket, make_user):
    # given a refusal raised while English is active
    from django.utils import translation

    with translation.override("en"):
        with pytest.raises(NotPermitted) as caught:
            engine.run(ticket, "open", actor=make_user("stranger"))
    # when it is read in Arabic
    with translation.override("ar"):
        text = caught.value.reasons[0].text()
    # then the role names are Arabic too, not frozen in the language of the moment it was raised
    assert "staff" not in text and "owner" not in text
    assert any("\u0600" <= ch <= "\u06ff" for ch in text)
