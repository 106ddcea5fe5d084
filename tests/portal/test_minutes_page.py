"""The minutes where a party confirms them, the correction round, and whom the minutes wait for."""

from __future__ import annotations

import re

import pytest

from engine.access_log import AccessLogEntry
from engine.models import AuditEvent
from workflows.partnership import services
from workflows.partnership.models import MinutesCorrection, Outcome

from .conftest import draft, outcome_data, url, walk
from .test_page_cost import queries

pytestmark = pytest.mark.django_db

CORRECTION = "The second paragraph misquotes the ministry: it agreed to study a pilot, not to run one."


@pytest.fixture
def documented(world):
    return walk(world, draft(world), "outcome_documented")


def _get(client, user, path):
    client.force_login(user)
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return answer.content.decode()


def _waiting(page: str) -> list[str]:
    """The organizations the minutes panel says it waits for, in order."""
    block = re.search(r'data-waiting="parties">(.*?)</div>', page, re.S)
    return re.findall(r"<bdi>(.*?)</bdi>", block.group(1)) if block else []


def test_the_confirm_panel_shows_the_minutes_and_the_way_to_object(client, world, documented):
    minutes = Outcome.objects.get(request=documented).minutes
    page = _get(
        client,
        world.cso_coordinator,
        url("portal:request_action", "en", reference=documented.reference, name="confirm_minutes"),
    )
    assert 'class="minutes-text pre-line" dir="auto"' in page and minutes in page
    assert 'data-action="minutes_correction_requested"' in page


def test_restricted_minutes_are_shown_to_a_party_and_the_read_is_logged(client, world):
    request = walk(world, draft(world), "meeting_held")
    data = outcome_data(visibility="restricted", restriction_reason="Names of minors.")
    services.outcome_document(request=request, actor=world.secretariat, data=data)
    page = _get(
        client,
        world.ministry_coordinator,
        url("portal:request_action", "ar", reference=request.reference, name="confirm_minutes"),
    )
    assert data["minutes"] in page and 'dir="rtl"' in page
    entry = AccessLogEntry.objects.get(case_id=request.pk, what="minutes")
    assert entry.actor == world.ministry_coordinator and entry.actor_role == "party"
    # the timeline does not repeat a restricted outcome's correction texts
    services.minutes_correction_request(request=request, actor=world.cso_coordinator, correction=CORRECTION)
    detail = _get(client, world.ministry_coordinator, url("portal:request_detail", "en", reference=request.reference))
    assert CORRECTION not in detail


def test_waiting_for_names_each_party_then_clears(client, world, documented):
    detail = url("portal:request_detail", "en", reference=documented.reference)
    page = _get(client, world.secretariat, detail)
    assert _waiting(page) == [world.cso.name, world.ministry.name]
    # "waiting for others" in the actions panel names the parties too, not their roles
    others = page.split("Waiting for others", 1)[1].split("</ul>", 1)[0]
    assert f"Confirm the minutes: {world.cso.name}, {world.ministry.name}" in others
    services.minutes_confirm(request=documented, actor=world.ministry_coordinator)
    page = _get(client, world.secretariat, detail)
    assert _waiting(page) == [world.cso.name]
    assert f"Confirm the minutes: {world.cso.name}<" in page.split("Waiting for others", 1)[1]
    assert "Already confirmed by:" in page
    services.minutes_confirm(request=documented, actor=world.cso_coordinator)
    page = _get(client, world.secretariat, detail)
    assert 'id="minutes-status"' not in page


def test_waiting_for_names_the_parties_in_arabic_with_the_arabic_comma_in_the_queue(client, world, documented):
    world.cso.name_ar = "الجمعية اللبنانية لحقوق الأحداث"
    world.cso.save(update_fields=["name_ar"])
    world.ministry.name_ar = "وزارة الشؤون الاجتماعية"
    world.ministry.save(update_fields=["name_ar"])
    page = _get(client, world.secretariat, url("portal:search", "ar") + f"?q={documented.reference}")
    assert "الجمعية اللبنانية لحقوق الأحداث، وزارة الشؤون الاجتماعية" in page
    page = _get(client, world.secretariat, url("portal:request_detail", "ar", reference=documented.reference))
    assert _waiting(page) == ["الجمعية اللبنانية لحقوق الأحداث", "وزارة الشؤون الاجتماعية"]


def test_the_home_page_waits_for_me_only_while_my_organization_must_confirm(client, world, documented):
    home = url("portal:home", "en")

    def awaiting(user) -> bool:
        page = _get(client, user, home)
        section = page.split('id="awaiting-title"', 1)[1].split("</section>", 1)[0]
        return documented.reference in section

    assert awaiting(world.ministry_coordinator) and awaiting(world.cso_coordinator)
    services.minutes_confirm(request=documented, actor=world.ministry_coordinator)
    assert not awaiting(world.ministry_coordinator) and awaiting(world.cso_coordinator)
    # "whose turn" in the organization's list names the party still to confirm
    page = _get(client, world.ministry_coordinator, home)
    mine = page.split('id="mine-title"', 1)[1]
    assert world.cso.name in mine.split(documented.reference, 1)[1].split("</tr>", 1)[0]
    services.minutes_correction_request(request=documented, actor=world.cso_coordinator, correction=CORRECTION)
    assert not awaiting(world.cso_coordinator)  # the secretariat's turn now


def test_a_correction_is_requested_revised_and_confirmed_through_the_portal(client, world, documented):
    ref = documented.reference
    client.force_login(world.cso_coordinator)
    empty = client.post(url("portal:request_action", "en", reference=ref, name="minutes_correction_requested"), {})
    assert empty.status_code == 400 and "Error:" in empty.content.decode()
    assert not MinutesCorrection.objects.exists()
    sent = client.post(
        url("portal:request_action", "en", reference=ref, name="minutes_correction_requested"),
        {"correction": CORRECTION},
    )
    assert sent.status_code == 302
    # the secretariat is told at the top and revises, seeing the request next to the current text
    page = _get(client, world.secretariat, url("portal:request_detail", "en", reference=ref))
    assert 'data-notice="minutes_correction"' in page and 'data-waiting="secretariat"' in page
    form = _get(client, world.secretariat, url("portal:request_action", "en", reference=ref, name="minutes_revised"))
    assert CORRECTION in form and Outcome.objects.get(request=documented).minutes in form
    assert 'data-action="minutes_correction_rejected"' in form
    revised = client.post(
        url("portal:request_action", "en", reference=ref, name="minutes_revised"),
        {"minutes": "The parties agreed to study a pilot.", "note": "Paragraph 2, as the CSO proposed."},
    )
    assert revised.status_code == 302
    page = _get(client, world.cso_coordinator, url("portal:request_detail", "en", reference=ref))
    assert "each party confirms the revised version" in page and 'data-notice="minutes"' in page
    confirm = _get(
        client, world.cso_coordinator, url("portal:request_action", "en", reference=ref, name="confirm_minutes")
    )
    assert "The parties agreed to study a pilot." in confirm and 'data-minutes-revision="2"' in confirm
    assert "Paragraph 2, as the CSO proposed." in confirm  # the secretariat's answer, under the request
    assert AuditEvent.objects.filter(case_id=documented.pk, action="minutes_revised").count() == 1


def test_a_refusal_is_chosen_from_the_pending_requests(client, world, documented):
    services.minutes_correction_request(request=documented, actor=world.cso_coordinator, correction=CORRECTION)
    services.minutes_correction_request(request=documented, actor=world.ministry_coordinator, correction="Date.")
    target = url("portal:request_action", "en", reference=documented.reference, name="minutes_correction_rejected")
    form = _get(client, world.secretariat, target)
    assert '<select name="correction_id"' in form and world.ministry.name in form
    refused = client.post(target, {"reason": "The minutes are right."})
    assert refused.status_code == 409 and "say which request you answer" in refused.content.decode()
    item = MinutesCorrection.objects.get(organization=world.ministry)
    assert client.post(target, {"reason": "The date is right.", "correction_id": item.pk}).status_code == 302
    item.refresh_from_db()
    assert item.status == "rejected"


def test_naming_the_waiting_parties_costs_the_same_for_any_number_of_requests(client, world):
    pages = [
        (world.secretariat, url("portal:search", "en")),
        (world.cso_coordinator, url("portal:home", "en")),
    ]
    walk(world, draft(world, title="Documented 0"), "outcome_documented")
    before = [queries(client, user, address) for user, address in pages]
    for index in range(1, 4):
        case = walk(world, draft(world, title=f"Documented {index}"), "outcome_documented")
        services.minutes_correction_request(request=case, actor=world.cso_coordinator, correction=CORRECTION)
    assert [queries(client, user, address) for user, address in pages] == before


def test_a_party_awaiting_the_minutes_is_told_once_in_the_minutes_own_words(client, world):
    # given: the minutes of a documented outcome, not yet confirmed by the ministry
    from .conftest import draft, url, walk

    case = walk(world, draft(world, title="Told once"), "outcome_documented")
    client.force_login(world.ministry_coordinator)
    page = client.get(url("portal:request_detail", "en", reference=case.reference)).content.decode()
    # then: the minutes' notice, not also the queue's general "waiting for your organization"
    assert 'data-notice="minutes"' in page
    assert 'data-notice="waiting"' not in page
