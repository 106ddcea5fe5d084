"""Joining the platform in Arabic, clicked through: sign up, apply, answer, get approved, submit a request accepted."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import translation

from engine.audit import verify_all
from engine.models import SlaPolicy
from partners.models import Membership
from workflows.accession.flows import AccessionFlow
from workflows.accession.models import Application
from workflows.partnership.flows import RequestFlow
from workflows.partnership.models import DialogueRequest

from .conftest import screenshot, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGE = "ar"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def state_label(state: str) -> str:
    with translation.override(LANGUAGE):
        return str(AccessionFlow.state_labels[state])


def check_a11y(page, name: str) -> None:
    screenshot(page, name, LANGUAGE)
    assert serious_violations(page) == [], name


def run_unit(page, name: str, fields: dict[str, str] | None = None) -> None:
    unit = page.locator(f'.unit[data-action="{name}"] form')
    for selector, value in (fields or {}).items():
        unit.locator(selector).fill(value)
    with page.expect_navigation():
        unit.locator("button[type=submit]").click()


def test_apply_answer_get_approved_then_submit_a_dialogue_request_in_arabic(actors, world, site):
    w = world
    if not SlaPolicy.objects.filter(flow="accession.application").exists():
        import_module("workflows.accession.migrations.0002_sla_policies").seed(apps, None)

    # --- a visitor creates an account from the navigation and lands on the application form ---
    rana = actors(None, LANGUAGE)
    page = rana.open("portal:home")
    assert page.get_attribute("html", "dir") == "rtl"
    with page.expect_navigation():
        page.click(f'nav a[href="{site.url("accession:sign_up", LANGUAGE).removeprefix(site.base)}"]')
    page.fill("#id_username", "rana")
    page.fill("#id_first_name", "رنا")
    page.fill("#id_last_name", "خوري")
    page.fill("#id_email", "rana@example.org")
    page.fill("#id_password1", "A-long-pass-9")
    page.fill("#id_password2", "A-long-pass-9")
    check_a11y(page, "accession-sign-up")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url == site.url("accession:apply", LANGUAGE)

    # --- the application: names, side, kind, a document, the charter read and accepted ---
    page.fill("#id_name_ar", "جمعية التعليم الدامج")
    page.fill("#id_name", "Association for Inclusive Education")
    page.select_option("#id_side", "civil")
    page.select_option("#id_kind", "cso")
    page.fill("#id_registration_number", "1234/AD")
    page.check("input[name=themes][value=disability-rights]")
    page.fill("#id_contact_email", "info@inclusive.example.org")
    page.set_input_files("#id_document", files=[{"name": "statutes.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    check_a11y(page, "accession-apply")
    # sending without accepting the charter is refused in Arabic and creates nothing
    with page.expect_navigation():
        page.click("main form.apply-form button[type=submit]")
    assert "اقبل الميثاق لتقدّم الطلب" in page.inner_text("main")
    assert not Application.objects.exists()
    page.set_input_files("#id_document", files=[{"name": "statutes.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.check("#id_accept_charter")
    with page.expect_navigation():
        page.click("main form.apply-form button[type=submit]")
    application = Application.objects.get()
    assert page.inner_text("#state") == state_label("submitted")
    assert "statutes.pdf" in page.inner_text("#documents")
    check_a11y(page, "accession-applicant")

    # --- the secretariat finds it in the vetting queue and asks for more information ---
    secretariat = actors(w.secretariat, LANGUAGE)
    page = secretariat.open("accession:applications")
    assert application.reference in page.inner_text("#applications")
    check_a11y(page, "accession-queue")
    with page.expect_navigation():
        page.click(f'#applications tr[data-reference="{application.reference}"] a')
    check_a11y(page, "accession-vetting")
    run_unit(page, "request_info", {"textarea, input[type=text]": "أرسلوا قائمة أعضاء مجلس الإدارة من فضلكم."})
    assert page.inner_text("#state") == state_label("info_requested")

    # --- the applicant answers ---
    page = rana.open("accession:detail", reference=application.reference)
    assert "أرسلوا قائمة أعضاء مجلس الإدارة" in page.inner_text("main")
    run_unit(page, "provide_info", {"textarea, input[type=text]": "القائمة مرفقة بالنظام الأساسي."})
    assert page.inner_text("#state") == state_label("submitted")

    # --- the secretariat approves: the organization is a member, Rana its coordinator ---
    page = secretariat.open("accession:detail", reference=application.reference)
    run_unit(page, "approve")
    assert page.inner_text("#state") == state_label("approved")
    application.refresh_from_db()
    organization = application.organization
    assert Membership.objects.get(user__username="rana", organization=organization).role == "coordinator"

    # --- the new coordinator opens a dialogue request and submits it ---
    page = rana.open("portal:request_create")
    page.fill("#id_title", "المدارس الدامجة")
    page.select_option("#id_theme", w.theme.code)
    page.fill("#id_summary", "طاولة مستديرة حول دمج الأطفال ذوي الإعاقة في المدارس الرسمية.")
    page.fill("#id_policy_question", "كيف تصبح المدارس الرسمية دامجة؟")
    page.check(f"#counterpart-{w.ministry.pk}")
    page.check("input[name=format][value=roundtable]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    request = DialogueRequest.objects.get()
    assert request.requesting_organization_id == organization.pk
    page = rana.open("portal:request_detail", reference=request.reference)
    page.click('#request-body a[data-action="submit"]')
    form = page.locator("#action-form-submit form")
    form.wait_for()
    form.locator("button[type=submit]").click()
    with translation.override(LANGUAGE):
        submitted = str(RequestFlow.state_labels["submitted"])
    page.wait_for_selector(f"#request-state:text-is('{submitted}')")
    request.refresh_from_db()
    assert request.state == "submitted"

    # --- and the secretariat accepts it for the committee ---
    page = secretariat.open("portal:request_detail", reference=request.reference)
    page.click('#request-body a[data-action="accept"]')
    form = page.locator("#action-form-accept form")
    form.wait_for()
    form.locator("button[type=submit]").click()
    with translation.override(LANGUAGE):
        in_committee = str(RequestFlow.state_labels["in_committee"])
    page.wait_for_selector(f"#request-state:text-is('{in_committee}')")
    request.refresh_from_db()
    assert request.state == "in_committee"
    assert verify_all().ok
