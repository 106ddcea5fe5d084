"""Joining the platform through the API, as real people: apply, vet, approve, then take part in a dialogue."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

from engine.models import AuditEvent, OutboxMessage, SlaPolicy
from partners.models import CharterAcceptance, CharterArticle, CharterVersion, Membership, Organization
from tests.factories import UserFactory
from workflows.accession.models import Application

pytestmark = pytest.mark.django_db

APPLICATION = {
    "name": "Association for Inclusive Education",
    "name_ar": "جمعية التعليم الدامج",
    "side": "civil",
    "kind": "cso",
    "registration_number": "1234/AD",
    "themes": ["disability-rights"],
    "contact_email": "info@inclusive.example.org",
    "contact_phone": "+961 1 234 567",
}


@pytest.fixture(autouse=True)
def _accession_policies(db):
    if not SlaPolicy.objects.filter(flow="accession.application").exists():
        import_module("workflows.accession.migrations.0002_sla_policies").seed(apps, None)


def current_version() -> int:
    return CharterVersion.objects.get(is_current=True).number


def publish_new_version() -> CharterVersion:
    previous = CharterVersion.objects.get(is_current=True)
    CharterVersion.objects.filter(is_current=True).update(is_current=False)
    version = CharterVersion.objects.create(
        number=previous.number + 1, title="Partnership Charter", published_at=timezone.now(), is_current=True
    )
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


def post(client, url, body=None, **headers):
    return client.post(url, body or {}, format="json", **headers)


def test_apply_vet_approve_then_the_new_coordinator_submits_a_dialogue_request(partnership_world, client_for):
    w = partnership_world
    person = UserFactory(username="applicant")
    me = client_for(person)
    secretariat = client_for(w.secretariat)

    created = post(me, "/api/v1/accessions/", APPLICATION, HTTP_IDEMPOTENCY_KEY="apply-1")
    assert created.status_code == 201, created.content
    body = created.json()
    ref = body["reference"]
    assert ref.startswith(f"AC-{timezone.localdate().year}-")
    assert body["state"] == "draft" and body["applicant"] == "applicant"
    again = post(me, "/api/v1/accessions/", APPLICATION, HTTP_IDEMPOTENCY_KEY="apply-1")
    assert again.status_code == 201 and again.json()["reference"] == ref
    assert Application.objects.count() == 1

    # submitting without accepting the current charter is refused, citing the article on participation
    refused = post(
        me,
        f"/api/v1/accessions/{ref}/transitions/submit/",
        {"accept_charter": False, "charter_version": current_version()},
    )
    assert refused.status_code == 409, refused.content
    assert refused.json()["reasons"][0]["code"] == "charter_not_accepted"
    assert refused.json()["reasons"][0]["article"] == "6"
    submitted = post(
        me,
        f"/api/v1/accessions/{ref}/transitions/submit/",
        {"accept_charter": True, "charter_version": current_version()},
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "submitted"

    # the secretariat asks for more; the applicant answers; the vetting clock paused meanwhile
    asked = post(secretariat, f"/api/v1/accessions/{ref}/transitions/request_info/", {"message": "Send your statutes."})
    assert asked.json()["state"] == "info_requested", asked.content
    assert post(me, f"/api/v1/accessions/{ref}/transitions/approve/").status_code == 409  # not its state
    answered = post(me, f"/api/v1/accessions/{ref}/transitions/provide_info/", {"message": "Attached to our email."})
    assert answered.json()["state"] == "submitted", answered.content
    clocks = secretariat.get(f"/api/v1/accessions/{ref}/sla/").json()
    assert [(clock["state"], clock["owner"]) for clock in clocks] == [
        ("submitted", "secretariat"),
        ("info_requested", "applicant"),
    ]

    assert post(me, f"/api/v1/accessions/{ref}/transitions/approve/").status_code == 403  # not the applicant's
    approved = post(secretariat, f"/api/v1/accessions/{ref}/transitions/approve/")
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "approved"
    organization = Organization.objects.get(pk=approved.json()["organization"])
    assert organization.active and organization.name_ar == APPLICATION["name_ar"] and organization.side == "civil"
    assert Membership.objects.filter(user=person, organization=organization, role="coordinator", active=True).exists()
    assert CharterAcceptance.objects.filter(organization=organization, version__is_current=True).exists()
    history = [event["action"] for event in me.get(f"/api/v1/accessions/{ref}/history/").json()["results"]]
    assert history == ["create", "submit", "request_info", "provide_info", "approve"]
    # told as the workflow's routes say: the secretariat of the submission, the applicant of the decision
    told = set(
        OutboxMessage.objects.filter(case_type="accession.application", recipient__isnull=False).values_list(
            "event", "recipient__username"
        )
    )
    assert {("submit", "secretariat"), ("request_info", "applicant"), ("approve", "applicant")} <= told
    assert ("provide_info", "secretariat") in told
    assert not {name for event, name in told if event in ("approve", "request_info")} - {"applicant"}

    # the new coordinator opens a dialogue request with a public-sector counterpart; the secretariat accepts it
    me = client_for(person)  # a fresh request: the new membership is read anew
    draft = post(
        me,
        "/api/v1/requests/",
        {
            "title": "Inclusive schools",
            "summary": "A roundtable on the inclusion of children with disabilities in public schools.",
            "theme": "disability-rights",
            "format": "roundtable",
            "requesting_organization": organization.pk,
            "counterpart_organizations": [w.ministry.pk],
        },
    )
    assert draft.status_code == 201, draft.content
    request_ref = draft.json()["reference"]
    sent = post(me, f"/api/v1/requests/{request_ref}/transitions/submit/")
    assert sent.status_code == 200, sent.content
    accepted = post(secretariat, f"/api/v1/requests/{request_ref}/transitions/accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == "in_committee"


def test_a_new_charter_version_blocks_submit_until_the_coordinator_accepts_it(partnership_world, client_for):
    w = partnership_world
    person = UserFactory(username="applicant")
    me = client_for(person)
    ref = post(me, "/api/v1/accessions/", APPLICATION).json()["reference"]
    post(
        me,
        f"/api/v1/accessions/{ref}/transitions/submit/",
        {"accept_charter": True, "charter_version": current_version()},
    )
    approved = post(client_for(w.secretariat), f"/api/v1/accessions/{ref}/transitions/approve/")
    organization_id = approved.json()["organization"]

    me = client_for(person)
    request_ref = post(
        me,
        "/api/v1/requests/",
        {
            "title": "Inclusive schools",
            "summary": "A roundtable on inclusion in public schools.",
            "theme": "disability-rights",
            "format": "roundtable",
            "requesting_organization": organization_id,
            "counterpart_organizations": [w.ministry.pk],
        },
    ).json()["reference"]
    old = current_version()
    new = publish_new_version()

    blocked = post(me, f"/api/v1/requests/{request_ref}/transitions/submit/")
    assert blocked.status_code == 409, blocked.content
    assert [reason["code"] for reason in blocked.json()["reasons"]] == ["charter_not_accepted"]
    assert blocked.json()["reasons"][0]["article"] == "6"

    url = f"/api/v1/organizations/{organization_id}/charter-acceptance/"
    assert post(me, url, {"charter_version": old}).status_code == 400
    accepted = post(me, url, {"charter_version": new.number})
    assert accepted.status_code == 201, accepted.content
    # the acceptance is audited on the organization's application
    events = AuditEvent.objects.filter(case_type="accession.application").order_by("seq")
    assert events.last().action == "charter_accepted"
    assert events.last().data["charter_version"] == new.number

    sent = post(me, f"/api/v1/requests/{request_ref}/transitions/submit/")
    assert sent.status_code == 200, sent.content


def test_bad_input_gets_clear_translated_errors_and_changes_nothing(partnership_world, client_for):
    me = client_for(UserFactory(username="applicant"), language="ar")
    url = "/api/v1/accessions/"
    missing = post(me, url, {"side": "civil", "kind": "cso"})
    assert missing.status_code == 400, missing.content
    assert set(missing.json()["errors"]) >= {"name", "name_ar", "registration_number"}
    unknown_side = post(me, url, {**APPLICATION, "side": "private"})
    assert unknown_side.status_code == 400 and "side" in unknown_side.json()["errors"]
    assert Application.objects.count() == 0

    assert post(me, url, APPLICATION).status_code == 201
    other = client_for(UserFactory(username="someone-else"), language="ar")
    second = post(other, url, {**APPLICATION, "name": APPLICATION["name"].upper()})
    assert second.status_code == 400, second.content
    message = second.json()["errors"]["name"][0]
    assert any("\u0600" <= char <= "\u06ff" for char in message), message
    assert Application.objects.count() == 1

    ref = Application.objects.get().reference
    old = post(me, f"{url}{ref}/transitions/submit/", {"accept_charter": True, "charter_version": 99})
    assert old.status_code == 409
    assert old.json()["reasons"][0]["code"] == "charter_not_accepted"
    assert Application.objects.get().state == "draft"

    # a member of an organization cannot apply; nobody else sees the application
    member = client_for(partnership_world.cso_coordinator)
    assert post(member, url, {**APPLICATION, "name": "Another one", "name_ar": "جهة أخرى"}).status_code == 403
    assert member.get(f"{url}{ref}/").status_code == 404
    assert member.get(url).json()["count"] == 0
    assert client_for(partnership_world.auditor).get(f"{url}{ref}/").status_code == 200


def test_the_secretariat_rejects_with_a_reason_and_the_name_is_free_again(partnership_world, client_for):
    w = partnership_world
    person = UserFactory(username="applicant")
    me = client_for(person)
    ref = post(me, "/api/v1/accessions/", APPLICATION).json()["reference"]
    submit = {"accept_charter": True, "charter_version": current_version()}
    assert post(me, f"/api/v1/accessions/{ref}/transitions/submit/", submit).status_code == 200
    secretariat = client_for(w.secretariat)
    assert post(secretariat, f"/api/v1/accessions/{ref}/transitions/reject/", {}).status_code == 400
    rejected = post(secretariat, f"/api/v1/accessions/{ref}/transitions/reject/", {"reason": "Not registered."})
    assert rejected.status_code == 200, rejected.content
    assert rejected.json()["state"] == "rejected" and rejected.json()["decision_reason"] == "Not registered."
    assert not Organization.objects.filter(name=APPLICATION["name"]).exists()
    options = {option["name"]: option for option in me.get(f"/api/v1/accessions/{ref}/transitions/").json()}
    assert not any(option["allowed"] for option in options.values())

    # the organization may apply again; then its applicant withdraws
    again = post(client_for(UserFactory(username="second-try")), "/api/v1/accessions/", APPLICATION)
    assert again.status_code == 201, again.content
    second = again.json()["reference"]
    withdrawn = post(
        client_for(UserFactory.create(username="second-try")), f"/api/v1/accessions/{second}/transitions/withdraw/"
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"


def test_an_applications_notifications_speak_of_membership_not_of_a_dialogue_request(partnership_world, client_for):
    """Accession's events share names with a request's (submit, approve); their words must not."""
    from notify.rendering import render

    w = partnership_world
    person = UserFactory(username="applicant", email="applicant@example.org")
    me = client_for(person)
    ref = post(me, "/api/v1/accessions/", APPLICATION).json()["reference"]
    post(
        me,
        f"/api/v1/accessions/{ref}/transitions/submit/",
        {"accept_charter": True, "charter_version": current_version()},
    )
    post(client_for(w.secretariat), f"/api/v1/accessions/{ref}/transitions/approve/")

    rows = {
        (row.event, row.recipient_id): row for row in OutboxMessage.objects.filter(case_reference=ref, channel="in_app")
    }
    told = rows[("submit", w.secretariat.pk)]
    english = render(
        kind=told.payload["kind"], payload=told.payload, case_type=told.case_type, reference=ref, language="en"
    )
    assert english.subject == f"{ref}: membership application submitted"
    assert "request" not in english.body.replace("application", "")
    arabic = render(
        kind=told.payload["kind"], payload=told.payload, case_type=told.case_type, reference=ref, language="ar"
    )
    assert "طلب عضوية" in arabic.subject

    approved = rows[("approve", person.pk)]
    english = render(
        kind=approved.payload["kind"],
        payload=approved.payload,
        case_type=approved.case_type,
        reference=ref,
        language="en",
    )
    assert english.subject == f"{ref}: your organization is a member of the platform"
