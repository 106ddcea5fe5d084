"""GOV.UK form patterns on the portal's shared forms: required marks, an error summary, "Error:" in the
title, destructive actions styled as such, confirmations that say what happens next."""

from __future__ import annotations

import re

import pytest

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def action_url(case, name, language="en"):
    return url("portal:request_action", language, reference=case.reference, name=name)


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()


@pytest.mark.parametrize(
    ("language", "prefix", "problem"), [("en", "Error:", "There is a problem"), ("ar", "خطأ:", "هناك مشكلة")]
)
def test_a_refused_form_has_an_error_summary_linked_to_each_field_and_error_in_the_title(
    client, world, language, prefix, problem
):
    case = walk(world, draft(world), "submitted")
    client.force_login(world.secretariat)
    # when: the secretariat declines without a reason, without JavaScript (a full page)
    answer = client.post(action_url(case, "decline", language), {"article": "4"})
    page = answer.content.decode()
    # then
    assert answer.status_code == 400
    assert _title(page).startswith(prefix)
    summary = re.search(r'<div class="alert alert-danger error-summary".*?</div>', page, re.S).group(0)
    assert problem in summary and "data-error-summary" in summary
    assert 'href="#id_reason"' in summary and 'id="id_reason"' in page
    # and: the same page without errors has no prefix
    fresh = client.get(action_url(case, "decline", language)).content.decode()
    assert not _title(fresh).startswith(prefix) and "error-summary" not in fresh


def test_required_fields_are_marked_and_the_outcome_form_marks_the_charter_required_ones(client, world):
    case = walk(world, draft(world), "meeting_held")
    client.force_login(world.secretariat)
    form = client.get(action_url(case, "document_outcome"), headers=HTMX).content.decode()
    assert "are required." in form
    for name in ("minutes", "what_changed", "who_changed", "significance", "contribution", "evidence"):
        label = re.search(rf'<label class="form-label" for="id_{name}">(.*?)</label>', form, re.S).group(1)
        assert "(required)" in label and "*" in label, name
        assert re.search(
            rf'<textarea[^>]*aria-required="true"[^>]*id="id_{name}"|<textarea[^>]*id="id_{name}"[^>]*aria-required="true"',
            form,
        ), name
    agreements = re.search(r'<label class="form-label" for="id_agreements">(.*?)</label>', form, re.S).group(1)
    assert "(required)" not in agreements


def test_withdraw_and_decline_are_styled_as_destructive(client, world):
    case = walk(world, draft(world), "submitted")
    client.force_login(world.secretariat)
    page = client.get(url("portal:request_detail", "en", reference=case.reference)).content.decode()
    decline = re.search(r'<a class="([^"]*)" data-action="decline"', page).group(1)
    accept = re.search(r'<a class="([^"]*)" data-action="accept"', page).group(1)
    assert "btn-outline-danger" in decline and "danger" not in accept
    form = client.get(action_url(case, "decline"), headers=HTMX).content.decode()
    assert 'class="btn btn-danger btn-sm">Decline' in form


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_confirmation_says_what_happens_next(client, world, language):
    case = draft(world)
    client.force_login(world.cso_coordinator)
    answer = client.post(action_url(case, "submit", language), {"version": case.version}, follow=True)
    page = answer.content.decode()
    assert "Done:" not in page
    expected = "The secretariat reviews it next" if language == "en" else "تراجعه الأمانة العامة"
    assert expected in page


def test_the_request_pages_own_forms_have_an_error_summary_too(client, world):
    case = walk(world, draft(world), "follow_up")
    client.force_login(world.secretariat)
    # when: a follow-up action is added with nothing filled in
    answer = client.post(url("portal:request_action_item_add", "en", reference=case.reference), {}, headers=HTMX)
    page = answer.content.decode()
    # then: a summary, linked to the fields by their own (page-unique) ids
    assert answer.status_code == 400
    assert "There is a problem" in page
    assert 'href="#action_item_description"' in page and 'id="action_item_description"' in page
    assert "<title>Error:" in page
