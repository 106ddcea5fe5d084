"""The outcome register clicked through in Arabic: harvest, substantiate, publish, then the public page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.workflows.outcomes.conftest import dialogue, substantiator  # noqa: F401
from workflows.outcomes.models import HarvestedOutcome

from .conftest import screenshot, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def check(page, name: str) -> None:
    screenshot(page, name, "ar")
    assert serious_violations(page) == [], name


def test_harvest_substantiate_publish_in_arabic(actors, world, dialogue, substantiator, site):  # noqa: F811
    w = world
    harvester = actors(w.cso_coordinator, "ar")
    page = harvester.open("outcomes:harvest")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.fill("#id_title", "الوزارة تعتمد إرشادات التحويل")
    page.fill("#id_social_actor", "وزارة الشؤون الاجتماعية، وحدة حماية الأحداث")
    page.check("input[name=actor_side][value=public]")
    page.fill("#id_change", "أصدرت الوحدة إرشادات مكتوبة للتحويل قبل المحاكمة.")
    page.fill("#id_changed_on", "2026-01-15")
    page.fill("#id_place", "بيروت")
    page.fill("#id_significance", "أول قاعدة مكتوبة للتحويل منذ قانون 2002.")
    page.fill("#id_contribution", "قدّمت الطاولة المستديرة أدلة المنظمة إلى الوحدة.")
    page.check("input[name=change_type][value=policy]")
    page.select_option("#id_theme", w.theme.code)
    page.select_option("#id_requests", [dialogue.reference])
    check(page, "outcome-harvest")
    with page.expect_navigation():
        page.click("form.harvest-form button[type=submit]")
    outcome = HarvestedOutcome.objects.get()
    check(page, "outcome-draft")
    with page.expect_navigation():
        page.click("form.unit-submit button[type=submit]")
    expect(page.locator("#outcome-state")).to_have_text("مقدمة للتثبت")

    reviewer = actors(substantiator, "ar")
    page = reviewer.open("outcomes:detail", reference=outcome.reference)
    page.check("form.unit-substantiate input[name=verdict][value=qualified]")
    with page.expect_navigation():
        page.click("form.unit-substantiate button[type=submit]")
    expect(page.locator(".invalid-feedback")).to_contain_text("اذكر ما يقيّد النتيجة")  # a qualification needs a note
    page.fill("form.unit-substantiate textarea[name=note]", "في بيروت فقط حتى الآن.")
    with page.expect_navigation():
        page.click("form.unit-substantiate button[type=submit]")
    expect(page.locator("#outcome-state")).to_have_text("مثبتة")

    secretariat = actors(w.secretariat, "ar")
    page = secretariat.open("outcomes:detail", reference=outcome.reference)
    with page.expect_navigation():
        page.click("form.unit-publish button[type=submit]")
    expect(page.locator("#outcome-state")).to_have_text("منشورة")
    page = secretariat.open("outcomes:register")
    check(page, "outcome-register")

    visitor = actors(None, "ar")
    page = visitor.open("outcomes:public")
    expect(page.locator(f"#{outcome.reference}")).to_contain_text("الوزارة تعتمد إرشادات التحويل")
    check(page, "outcome-public")
