"""A member's page in Arabic: handover proposed and confirmed, suspension and reinstatement, charter re-acceptance."""

from __future__ import annotations

import pytest
from django.utils import timezone

from engine.models import AuditEvent
from partners.models import CharterAcceptance, CharterArticle, CharterVersion, Membership
from tests.factories import UserFactory
from tests.portal.conftest import url
from workflows.accession.models import MemberFile

pytestmark = pytest.mark.django_db


def publish_new_version() -> CharterVersion:
    previous = CharterVersion.objects.get(is_current=True)
    CharterVersion.objects.filter(is_current=True).update(is_current=False)
    version = CharterVersion.objects.create(number=previous.number + 1, published_at=timezone.now(), is_current=True)
    for article in previous.articles.all():
        CharterArticle.objects.create(
            version=version,
            number=article.number,
            title=article.title,
            title_ar=article.title_ar,
            text=article.text,
            text_ar=article.text_ar,
        )
    return version


def test_handover_from_the_coordinator_confirmed_by_the_secretariat(client, partnership_world):
    w = partnership_world
    UserFactory(username="successor", email="successor@example.org")
    client.force_login(w.cso_coordinator)
    mine = client.get(url("accession:my_organization", "ar"))
    assert mine.status_code == 302 and mine["Location"] == url("accession:member", "ar", pk=w.cso.pk)
    page = client.get(mine["Location"]).content.decode()
    assert 'data-action="handover_proposed"' in page and 'data-action="suspend"' not in page
    assert not MemberFile.objects.exists()  # reading the page opens nothing

    action = url("accession:member_action", "ar", pk=w.cso.pk, name="handover_proposed")
    bad = client.post(action, {"handover_proposed-successor": "nobody"})
    assert bad.status_code == 400 and "لا يوجد حساب نشط" in bad.content.decode()
    assert not MemberFile.objects.exists()
    assert client.post(action, {"handover_proposed-successor": "successor@example.org"}).status_code == 302
    assert MemberFile.objects.get().state == "handover_pending"

    client.force_login(w.secretariat)
    page = client.get(url("accession:member", "ar", pk=w.cso.pk)).content.decode()
    assert 'data-action="handover_confirmed"' in page and 'data-action="handover_proposed"' not in page
    done = client.post(url("accession:member_action", "ar", pk=w.cso.pk, name="handover_confirmed"))
    assert done.status_code == 302
    assert Membership.objects.get(organization=w.cso, user__username="successor").role == "coordinator"


def test_suspend_needs_a_reason_and_blocks_the_member_until_reinstated(client, partnership_world):
    w = partnership_world
    client.force_login(w.secretariat)
    suspend = url("accession:member_action", "ar", pk=w.cso.pk, name="suspend")
    empty = client.post(suspend, {"suspend-reason": ""})
    assert empty.status_code == 400 and "هذا الحقل مطلوب" in empty.content.decode()
    w.cso.refresh_from_db()
    assert w.cso.active and not MemberFile.objects.exists()
    assert client.post(suspend, {"suspend-reason": "انتهت صلاحية النظام الأساسي."}).status_code == 302
    w.cso.refresh_from_db()
    assert not w.cso.active
    # a coordinator may not suspend another organization, nor see the secretariat's list
    client.force_login(w.ministry_coordinator)
    assert (
        client.post(
            url("accession:member_action", "ar", pk=w.ministry.pk, name="suspend"), {"suspend-reason": "x"}
        ).status_code
        == 403
    )
    assert client.get(url("accession:members", "ar")).status_code == 404
    assert client.get(url("accession:member", "ar", pk=w.cso.pk)).status_code == 404
    client.force_login(w.secretariat)
    assert (
        client.post(
            url("accession:member_action", "ar", pk=w.cso.pk, name="reinstate"), {"reinstate-reason": "جُدّد."}
        ).status_code
        == 302
    )
    w.cso.refresh_from_db()
    assert w.cso.active


def test_the_dashboard_lists_members_that_have_not_accepted_the_new_version(client, partnership_world):
    w = partnership_world
    new = publish_new_version()
    client.force_login(w.secretariat)
    page = client.get(url("accession:members", "ar") + "?not_accepted=1").content.decode()
    assert f'data-organization="{w.cso.pk}"' in page
    client.force_login(w.cso_coordinator)
    accepted = client.post(url("accession:member_accept_charter", "ar", pk=w.cso.pk), {"charter_version": new.number})
    assert accepted.status_code == 302
    assert CharterAcceptance.objects.filter(organization=w.cso, version=new).exists()
    # audited on the organization's member file (it joined before the accession workflow: no application)
    event = AuditEvent.objects.filter(case_type="accession.memberfile", action="charter_accepted").get()
    assert event.data["charter_version"] == new.number and event.actor_id == w.cso_coordinator.pk
    client.force_login(w.secretariat)
    page = client.get(url("accession:members", "ar") + "?not_accepted=1").content.decode()
    assert f'data-organization="{w.cso.pk}"' not in page and f'data-organization="{w.ministry.pk}"' in page
