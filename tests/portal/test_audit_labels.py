"""The audit log and history pages speak labels: translated event and state names, people's names."""

from __future__ import annotations

import re

import pytest
from django.utils.html import strip_tags

from workflows.partnership import services

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db

RAW_CODES = re.compile(
    r"\b(confirm_minutes|outcome_documented|action_status_changed|restricted_read|meeting_held|"
    r"in_committee|vote_cast|request_created|document_outcome|meeting_scheduled|follow_up)\b"
)


def _text(page: bytes) -> str:
    """What a reader sees: the page's text without markup, scripts or attribute values."""
    html = page.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return strip_tags(html)


@pytest.fixture
def walked(world):
    request = walk(world, draft(world), "follow_up")
    item = services.action_item_create(
        request=request,
        actor=world.secretariat,
        description="Draft the guidelines",
        owner_organization=world.ministry,
        due_date="2031-01-31",
    )
    services.action_item_update(item=item, actor=world.secretariat, status="in_progress")
    return request


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_audit_log_shows_labels_names_and_a_reading_direction_arrow(client, world, walked, language):
    # given: a request taken through the committee, the meeting, the minutes and follow-up
    client.force_login(world.auditor)
    # when: the auditor opens the audit log for it
    answer = client.get(url("portal:search", language), {"mode": "history", "q": walked.reference})
    # then: no raw event or state code in what the page says
    assert answer.status_code == 200
    text = _text(answer.content)
    assert RAW_CODES.findall(text) == []
    # and: people by name, not login
    assert world.secretariat.get_full_name() in text
    assert " secretariat " not in f" {text} "
    if language == "ar":
        assert "تأكيد المحضر" in text or "أكّد" in text or "المحضر" in text
        assert "←" in text and "→" not in text
    else:
        assert "→" in text and "←" not in text


def test_the_request_timeline_names_people_and_states_in_arabic(client, world, walked):
    client.force_login(world.secretariat)
    text = _text(client.get(url("portal:request_detail", "ar", reference=walked.reference)).content)
    assert RAW_CODES.findall(text) == []
    assert world.cso_coordinator.get_full_name() in text
