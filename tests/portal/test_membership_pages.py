"""The membership pages in Arabic: sign up, apply with the charter and a document, vet, answer, approve."""

from __future__ import annotations

import re
from importlib import import_module

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from engine.models import AuditEvent, SlaPolicy
from partners.models import CharterAcceptance, CharterVersion, Membership
from tests.factories import UserFactory
from tests.portal.conftest import url
from workflows.accession.models import Application

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _accession_policies(db, tmp_path):
    if not SlaPolicy.objects.filter(flow="accession.application").exists():
        import_module("workflows.accession.migrations.0002_sla_policies").seed(apps, None)
    with override_settings(MEDIA_ROOT=tmp_path):
        yield


def form_data(**overrides):
    data = {
        "name": "Association for Inclusive Education",
        "name_ar": "جمعية التعليم الدامج",
        "side": "civil",
        "kind": "cso",
        "registration_number": "1234/AD",
        "themes": ["disability-rights"],
        "contact_email": "info@inclusive.example.org",
        "charter_version": CharterVersion.objects.get(is_current=True).number,
        "accept_charter": "on",
    }
    data.update(overrides)
    return data


def test_sign_up_creates_a_user_with_no_organization_who_lands_on_the_application_form(client, partnership_world):
    page = client.get(url("accession:sign_up", "ar"))
    assert page.status_code == 200 and 'dir="rtl"' in page.content.decode()
    body = {"username": "rana", "first_name": "رنا", "last_name": "خوري", "email": "rana@example.org"}
    bad = client.post(url("accession:sign_up", "ar"), {**body, "password1": "x", "password2": "y"})
    assert bad.status_code == 400 and not UserFactory._meta.model.objects.filter(username="rana").exists()
    done = client.post(
        url("accession:sign_up", "ar"), {**body, "password1": "A-long-pass-9", "password2": "A-long-pass-9"}
    )
    assert done.status_code == 302 and done["Location"] == url("accession:apply", "ar")
    assert not Membership.objects.filter(user__username="rana").exists()


def test_sign_ups_from_one_address_are_limited_with_a_translated_answer(client, partnership_world, settings):
    from django.core.cache import cache

    from workflows.accession.views import SignUpThrottle

    settings.SIGN_UP_RATE = "2/hour"
    key = SignUpThrottle().cache_format % {"scope": "sign_up", "ident": "127.0.0.1"}
    cache.delete(key)
    users = UserFactory._meta.model.objects
    try:
        for n in (1, 2):
            body = {
                "username": f"person-{n}",
                "first_name": "Rana",
                "last_name": "Khoury",
                "email": f"p{n}@example.org",
            }
            done = client.post(
                url("accession:sign_up", "en"), {**body, "password1": "A-long-pass-9", "password2": "A-long-pass-9"}
            )
            assert done.status_code == 302, done.content
            client.logout()
        before = users.count()
        body = {"username": "person-3", "first_name": "رنا", "last_name": "خوري", "email": "p3@example.org"}
        refused = client.post(
            url("accession:sign_up", "ar"), {**body, "password1": "A-long-pass-9", "password2": "A-long-pass-9"}
        )
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        assert "حسابات كثيرة" in refused.content.decode()
        assert users.count() == before and not users.filter(username="person-3").exists()
        # another address is not held back by this one
        other = client.post(
            url("accession:sign_up", "en"),
            {**body, "password1": "A-long-pass-9", "password2": "A-long-pass-9"},
            REMOTE_ADDR="192.0.2.7",
        )
        assert other.status_code == 302
    finally:
        cache.delete(key)
        cache.delete(SignUpThrottle().cache_format % {"scope": "sign_up", "ident": "192.0.2.7"})


def test_bad_application_shows_translated_errors_and_creates_nothing(client, partnership_world):
    client.force_login(UserFactory(username="rana"))
    without_charter = form_data()
    del without_charter["accept_charter"]
    page = client.post(url("accession:apply", "ar"), {**without_charter, "name": ""})
    assert page.status_code == 400
    html = page.content.decode()
    assert "هذا الحقل مطلوب" in html  # Django's own "This field is required." in Arabic
    assert Application.objects.count() == 0
    not_a_pdf = SimpleUploadedFile("statutes.pdf", b"hello", content_type="application/pdf")
    page = client.post(url("accession:apply", "ar"), {**form_data(), "document": not_a_pdf})
    assert page.status_code == 400 and "محتوى الملف لا يطابق امتداده" in page.content.decode()
    assert Application.objects.count() == 0


def test_apply_vet_answer_approve_through_the_pages_in_arabic(client, partnership_world):
    w = partnership_world
    rana = UserFactory(username="rana")
    client.force_login(rana)
    statutes = SimpleUploadedFile("statutes.pdf", PDF, content_type="application/pdf")
    sent = client.post(
        url("accession:apply", "ar"), {**form_data(), "document": statutes, "document_description": "النظام الأساسي"}
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    application = Application.objects.get()
    assert application.state == "submitted" and application.documents.count() == 1
    detail = client.get(sent["Location"]).content.decode()
    assert "statutes.pdf" in detail
    # the applicant sees no secretariat step (only the units one may run are shown)
    assert 'data-action="approve"' not in detail and 'data-action="withdraw"' in detail
    assert (
        client.get(
            url("accession:document", "ar", reference=application.reference, pk=application.documents.get().pk)
        ).status_code
        == 200
    )

    # the secretariat's queue shows it with the time left, and its page offers the vetting steps
    client.force_login(w.secretariat)
    queue = client.get(url("accession:applications", "ar")).content.decode()
    assert application.reference in queue and re.search(r"بقي \d+ يومًا|بقيت \d+ أيام", queue)
    page = client.get(url("accession:detail", "ar", reference=application.reference)).content.decode()
    for name in ("request_info", "approve", "reject"):
        assert f'data-action="{name}"' in page
    assert 'data-action="withdraw"' not in page
    empty = client.post(
        url("accession:action", "ar", reference=application.reference, name="request_info"),
        {"request_info-message": ""},
    )
    assert empty.status_code == 400 and "هذا الحقل مطلوب" in empty.content.decode()
    asked = client.post(
        url("accession:action", "ar", reference=application.reference, name="request_info"),
        {"request_info-message": "أرسلوا قائمة أعضاء مجلس الإدارة.", "version": application.version},
    )
    assert asked.status_code == 302
    application.refresh_from_db()
    assert application.state == "info_requested"

    # the applicant's page says whose turn it is, in Arabic (the secretariat's clock paused)
    client.force_login(rana)
    turn = client.get(url("accession:detail", "ar", reference=application.reference)).content.decode()
    assert "(مقدّم الطلب)" in turn and "متوقفة مؤقتاً" in turn

    # a stranger cannot see the application at all
    client.force_login(UserFactory(username="stranger"))
    assert client.get(url("accession:detail", "ar", reference=application.reference)).status_code == 404

    # the applicant answers
    client.force_login(rana)
    answered = client.post(
        url("accession:action", "ar", reference=application.reference, name="provide_info"),
        {"provide_info-message": "القائمة مرفقة.", "version": application.version},
    )
    assert answered.status_code == 302
    application.refresh_from_db()
    assert application.state == "submitted"

    # the secretariat approves: the organization is a member, rana its coordinator, the charter accepted
    client.force_login(w.secretariat)
    approved = client.post(
        url("accession:action", "ar", reference=application.reference, name="approve"), {"version": application.version}
    )
    assert approved.status_code == 302
    application.refresh_from_db()
    assert application.state == "approved" and application.organization.active
    assert Membership.objects.filter(user=rana, organization=application.organization, role="coordinator").exists()
    assert CharterAcceptance.objects.filter(organization=application.organization).exists()
    assert list(
        AuditEvent.objects.filter(case_type="accession.application", case_id=application.pk).values_list(
            "action", flat=True
        )
    ) == ["create", "document_added", "submit", "request_info", "provide_info", "approve"]


def test_a_refusal_cites_the_charter_article_with_a_link(client, partnership_world):
    # a second application for an organization whose name is already under review: approve is refused
    w = partnership_world
    first = UserFactory(username="first")
    client.force_login(first)
    assert client.post(url("accession:apply", "ar"), form_data()).status_code == 302
    application = Application.objects.get()
    Application.objects.filter(pk=application.pk).update(name_ar="اسم آخر")  # slip past the create check
    w.cso.name = application.name
    w.cso.save(update_fields=["name"])
    client.force_login(w.secretariat)
    page = client.get(url("accession:detail", "ar", reference=application.reference)).content.decode()
    assert 'data-reason="already_member"' in page and "/ar/charter/#article-6" in page
