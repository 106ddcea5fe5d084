"""A new charter version: what changed (page and API), reminders to members that have not accepted it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from engine.models import OutboxMessage
from partners.models import CharterAcceptance, CharterArticle, CharterVersion
from tests.portal.conftest import url

pytestmark = pytest.mark.django_db


def publish_v2() -> tuple[CharterVersion, CharterVersion]:
    old = CharterVersion.objects.get(is_current=True)
    CharterVersion.objects.filter(is_current=True).update(is_current=False)
    new = CharterVersion.objects.create(number=old.number + 1, published_at=timezone.now(), is_current=True)
    for article in old.articles.all():
        if article.number == "1":
            continue  # article 1 is dropped
        text, text_ar = article.text, article.text_ar
        if article.number == "6":
            text, text_ar = text + " Members renew their acceptance.", text_ar + " يجدد الأعضاء قبولهم."
        CharterArticle.objects.create(
            version=new,
            number=article.number,
            title=article.title,
            title_ar=article.title_ar,
            text=text,
            text_ar=text_ar,
        )
    CharterArticle.objects.create(
        version=new, number="9", title="Review", title_ar="المراجعة", text="Reviewed yearly.", text_ar="يُراجع سنويًا."
    )
    return old, new


def test_the_api_says_what_changed_article_by_article_in_both_languages(partnership_world):
    old, new = publish_v2()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="ar")
    answer = client.get(f"/api/v1/charter/diff/?from={old.number}&to={new.number}")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["from"], body["to"]) == (old.number, new.number)
    status = {article["number"]: article["status"] for article in body["articles"]}
    assert (
        status["1"] == "removed" and status["9"] == "added" and status["6"] == "changed" and status["5"] == "unchanged"
    )
    six = next(article for article in body["articles"] if article["number"] == "6")
    assert {"op": "added", "text": " Members renew their acceptance."} in six["text"]
    assert any(segment["op"] == "added" and "يجدد الأعضاء قبولهم." in segment["text"] for segment in six["text_ar"])
    # "to" defaults to the version in force; bad input is a translated 400
    assert client.get(f"/api/v1/charter/diff/?from={old.number}").json()["to"] == new.number
    missing = client.get("/api/v1/charter/diff/")
    assert missing.status_code == 400 and missing.json()["errors"]["from"] == ["هذا الحقل مطلوب."]
    unknown = client.get("/api/v1/charter/diff/?from=99&to=x")
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == {"from": ["لا يوجد إصدار 99 من الميثاق."], "to": ["اذكر رقم الإصدار."]}


def test_the_charter_page_shows_the_changes_in_arabic(client, partnership_world):
    old, new = publish_v2()
    page = client.get(url("portal:charter", "ar") + f"?from={old.number}&to={new.number}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<ins> يجدد الأعضاء قبولهم.</ins>" in html
    assert 'id="article-1" data-status="removed"' in html or 'data-status="removed"' in html
    assert "عُدّلت" in html and "أُضيفت" in html
    # the page in force offers the comparison
    assert 'name="from"' in client.get(url("portal:charter", "ar")).content.decode()
    assert client.get(url("portal:charter", "ar") + "?from=abc").status_code == 400


def test_the_periodic_job_reminds_coordinators_of_members_that_have_not_accepted_once_a_week(
    partnership_world, settings
):
    w = partnership_world
    _old, new = publish_v2()
    CharterAcceptance.objects.create(organization=w.ministry, version=new, accepted_by=w.ministry_coordinator)
    assert "accession-charter-reminders" in settings.CELERY_BEAT_SCHEDULE

    call_command("run_periodic", "--once", stdout=StringIO(), stderr=StringIO())

    reminded = set(
        OutboxMessage.objects.filter(event="charter_reminder")
        .exclude(recipient=None)
        .values_list("recipient__username", flat=True)
    )
    assert w.cso_coordinator.username in reminded and w.other_cso_coordinator.username in reminded
    assert w.ministry_coordinator.username not in reminded  # accepted: no reminder
    before = OutboxMessage.objects.filter(event="charter_reminder").count()
    call_command("run_periodic", "--once", stdout=StringIO(), stderr=StringIO())
    assert OutboxMessage.objects.filter(event="charter_reminder").count() == before  # once a week, not every run
