"""manage.py demo: the logins of the public contract, every state, real history, idempotent, realistic clocks.

Also the parts of the demo other workflows build (the outcome register, the accession demo): the demo
takes seconds to build, so every test of it reads the one build of this module.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from engine import sla
from engine.audit import verify_all
from engine.errors import NotPermitted
from engine.models import AuditEvent, OutboxMessage, SlaClock
from partners.models import Membership, Organization
from partners.selectors import user_access
from tests.factories import ensure_seed_data
from workflows.partnership import demo as demo_module
from workflows.partnership import services
from workflows.partnership.flows import RequestFlow
from workflows.partnership.models import ActionItem, ConflictDeclaration, DialogueRequest, Outcome

PASSWORD = "demo-test-pass-1"
ARABIC = re.compile(r"[\u0600-\u06FF]")


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo, built once for the module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_seed_data()
        out = StringIO()
        started = time.monotonic()
        call_command("demo", "--password", PASSWORD, stdout=out)
        yield {"output": out.getvalue(), "seconds": time.monotonic() - started}
        transaction.set_rollback(True)


def user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def coordinated(username: str) -> list[Organization]:
    return [
        m.organization
        for m in Membership.objects.filter(user__username=username, role="coordinator").select_related("organization")
    ]


@pytest.mark.django_db
def test_the_contract_logins_exist_with_their_password_and_roles(demo):
    # given the demo
    # then every login of the public contract signs in with the password given
    for username in demo_module.MAIN_LOGINS:
        assert user(username).check_password(PASSWORD), username
    roles = {username: user_access(user(username)) for username in demo_module.MAIN_LOGINS}
    assert "secretariat" in roles["secretariat"].roles
    assert roles["chair"].seat.is_chair
    for username in ("committee-gov-1", "committee-gov-2"):
        assert (roles[username].seat.side, roles[username].seat.is_chair) == ("public", False)
    for username in ("committee-cso-1", "committee-cso-2"):
        assert (roles[username].seat.side, roles[username].seat.is_chair) == ("civil", False)
    assert "auditor" in roles["auditor"].roles and roles["auditor"].seat is None
    (cso,) = coordinated("cso-coordinator")
    (ministry,) = coordinated("ministry-coordinator")
    assert (cso.side, cso.kind) == ("civil", "cso")
    assert (ministry.side, ministry.kind) == ("public", "ministry")
    # and committee-cso-1 belongs to the CSO that cso-coordinator coordinates
    assert cso.pk in roles["committee-cso-1"].organization_ids
    # and the back office has its own login, with no role on the platform
    admin = user("admin")
    assert admin.is_superuser and admin.check_password(PASSWORD) and not user_access(admin).roles
    assert not any(user(username).is_staff for username in demo_module.MAIN_LOGINS)


@pytest.mark.django_db
def test_the_conflict_of_interest_shows_and_recuses_the_member(demo):
    # given the CSO of cso-coordinator and its requests before the committee
    (cso,) = coordinated("cso-coordinator")
    member = user("committee-cso-1")
    accepted = DialogueRequest.objects.filter(requesting_organization=cso, accepted_at__isnull=False)
    assert accepted.exists()
    # then committee-cso-1 was recused from each, visibly, when the secretariat accepted it
    for request in accepted:
        declaration = ConflictDeclaration.objects.get(request=request, member=member)
        assert declaration.automatic
    # and cannot vote on the one still before the committee
    pending = accepted.get(state="in_committee")
    with pytest.raises(NotPermitted) as refused:
        services.vote_cast(request=pending, actor=member, decision="approve")
    assert refused.value.reasons[0].code == "recused"


@pytest.mark.django_db
def test_every_state_of_the_flow_has_a_request(demo):
    states = set(DialogueRequest.objects.values_list("state", flat=True))
    assert states == set(RequestFlow.state_labels)


@pytest.mark.django_db
def test_the_demo_data_is_bilingual_and_covers_the_seed_themes(demo):
    organizations = Organization.objects.all()
    assert all(org.name and ARABIC.search(org.name_ar) for org in organizations)
    assert {org.kind for org in organizations} >= {"secretariat", "ministry", "cso", "network"}
    requests = DialogueRequest.objects.select_related("theme")
    for request in requests.filter(language="ar"):
        assert ARABIC.search(request.title), request.reference
    assert requests.filter(language="en").exists() and requests.filter(language="both").exists()
    assert {r.theme.code for r in requests} >= {
        "disability-rights",
        "juvenile-justice",
        "gender-discrimination-in-laws",
        "drug-addiction",
        "citizenship",
        "volunteering",
    }
    # outcomes: some public, one restricted; follow-up actions, some overdue
    assert Outcome.objects.filter(visibility="public").count() >= 2
    assert Outcome.objects.filter(visibility="restricted").count() == 1
    overdue = ActionItem.objects.filter(due_date__lt=timezone.localdate()).exclude(status__in=["done", "dropped"])
    assert overdue.exists()
    assert ActionItem.objects.filter(status="done").exists()


@pytest.mark.django_db
def test_the_history_is_real_and_every_chain_verifies(demo):
    # every case starts with its creation, in the past, and moves forward in time
    for request in DialogueRequest.objects.all():
        events = list(AuditEvent.objects.filter(case_type=request.case_type(), case_id=request.pk).order_by("seq"))
        assert events[0].action == "create"
        assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events), request.reference
        assert events[-1].occurred_at <= timezone.now()
    # the engine decided as the system once votes settled; the scan lapsed one request
    assert AuditEvent.objects.filter(action="approve", actor__isnull=True).exists()
    assert AuditEvent.objects.filter(action="lapse", actor__isnull=True).exists()
    assert AuditEvent.objects.filter(action="confirm_minutes_by_silence").exists()
    assert AuditEvent.objects.filter(action="committee_tied").exists()
    assert verify_all().ok
    # and the command an operator runs agrees
    call_command("audit_verify", stdout=StringIO())


@pytest.mark.django_db
def test_an_sla_scan_finds_breaches_and_warnings_that_match_the_clocks(demo):
    # when the scan runs as of now
    call_command("sla_scan", stdout=StringIO())
    # then some clocks are breached, some in warning, some on track, the rest stopped
    clocks = list(SlaClock.objects.filter(case_type=DialogueRequest.case_type()).select_related("policy"))
    statuses = {clock.status for clock in clocks}
    assert statuses == {"on_track", "warning", "breached", "stopped"}
    # and each stored status is what the clock's own times say now
    now = timezone.now()
    for clock in clocks:
        if not clock.paused:
            assert clock.status == sla.live_status(clock, now), (clock.case_reference, clock.state)
    # no information request lapsed and no minutes were confirmed by the scan of today
    assert DialogueRequest.objects.filter(state="info_requested").count() == 2


@pytest.mark.django_db
def test_a_second_run_changes_nothing(demo):
    def snapshot() -> tuple[int, ...]:
        return (
            get_user_model().objects.count(),
            Organization.objects.count(),
            DialogueRequest.objects.count(),
            AuditEvent.objects.count(),
            SlaClock.objects.count(),
            OutboxMessage.objects.count(),
        )

    before = snapshot()
    # when the command runs again, with the same password and with another one
    again, other = StringIO(), StringIO()
    call_command("demo", "--password", PASSWORD, stdout=again)
    call_command("demo", "--password", "not-the-demo-password", stdout=other)
    # then nothing changed and the command says so
    assert snapshot() == before
    assert "already loaded" in again.getvalue() and f"password for all of them: {PASSWORD}" in again.getvalue()
    assert "not the demo's" in other.getvalue()
    assert user("secretariat").check_password(PASSWORD)


@pytest.mark.django_db
def test_the_command_prints_progress_logins_and_the_url(demo):
    output = demo["output"]
    assert "Requests: drafting" in output and "[21/21]" in output
    assert f"password for all of them: {PASSWORD}" in output
    for username in demo_module.MAIN_LOGINS:
        assert re.search(rf"^\s+{re.escape(username)}\s", output, re.MULTILINE), username
    assert "http://127.0.0.1:8000/" in output


@pytest.mark.django_db
def test_the_demo_refuses_a_database_where_its_logins_belong_to_someone_else(demo):
    # given a database where "chair" exists but the demo was not built
    with mock.patch.object(demo_module, "demo_present", return_value=False):
        # when the demo runs, then it refuses and changes nothing
        before = AuditEvent.objects.count()
        with pytest.raises(CommandError, match="usernames exist already"):
            call_command("demo", "--password", PASSWORD, stdout=StringIO())
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_the_demo_has_a_dialogue_series_with_attendance_by_side_and_gender(demo):
    from workflows.partnership import sessions
    from workflows.partnership.models import Meeting

    series = Meeting.objects.filter(number=2, status="held").select_related("request").get().request
    figures = sessions.series_figures(series)
    assert [m.kind for m in series.meetings.order_by("number")] == ["roundtable", "workshop"]
    assert figures["attended"] == 7
    assert figures["by_side"] == {"public": 4, "civil": 3}
    assert figures["by_gender"] == {"female": 4, "male": 3, "undisclosed": 0}


def test_the_demo_queue_shows_who_handles_what(demo):
    from workflows.partnership.models import DialogueRequest

    assigned = DialogueRequest.objects.filter(assignee__isnull=False)
    assert assigned.count() >= 2
    assert set(assigned.values_list("assignee__username", flat=True)) == {"secretariat", "secretariat-lead"}
    # and some open requests are left for "assign to me"
    assert DialogueRequest.objects.filter(state="submitted", assignee__isnull=True).exists() or assigned.count() >= 3


# --- the outcome register (workflows.outcomes) ---------------------------------------------------


@pytest.mark.django_db
def test_the_demo_shows_the_register_with_outcomes_in_every_state(demo):
    from workflows.outcomes import selectors as outcome_selectors
    from workflows.outcomes.models import HarvestedOutcome, ProgressNote, Recommendation

    states = set(HarvestedOutcome.objects.values_list("state", flat=True))
    assert states == {"draft", "submitted", "substantiated", "disputed", "published", "withdrawn"}
    assert HarvestedOutcome.objects.filter(state="published", visibility="restricted").exists()
    assert "reviewer" in demo["output"]
    assert Recommendation.objects.exists() and ProgressNote.objects.count() >= 3
    assert outcome_selectors.public_recommendations().filter(progress__gt=0).exists()
    before = (HarvestedOutcome.objects.count(), AuditEvent.objects.count())
    call_command("demo", "--password", PASSWORD, stdout=StringIO())
    assert (HarvestedOutcome.objects.count(), AuditEvent.objects.count()) == before


# --- the accession demo (workflows.accession) ----------------------------------------------------


@pytest.mark.django_db
def test_the_demo_has_an_applicant_without_organization_and_two_applications_in_different_states(demo):
    from partners.models import CharterAcceptance, CharterVersion
    from workflows.accession.models import Application

    applicant = get_user_model().objects.get(username="applicant")
    assert applicant.check_password(PASSWORD)
    assert not user_access(applicant).memberships
    states = dict(Application.objects.values_list("applicant__username", "state"))
    assert states == {"applicant": "info_requested", "applicant-agency": "submitted"}
    assert "applicant" in demo["output"]
    # one member has not accepted the newest charter version (the dashboard and the reminders show it)
    newest = CharterVersion.objects.get(is_current=True)
    assert newest.number == 2 and "accepts it again" in newest.articles.get(number="6").text
    left_out = (
        Organization.objects.filter(active=True)
        .exclude(kind="secretariat")
        .exclude(charter_acceptances__version=newest)
    )
    assert [organization.name for organization in left_out] == ["Bridges Association for Recovery and Prevention"]
    assert CharterAcceptance.objects.filter(
        organization__memberships__user__username="cso-coordinator", version=newest
    ).exists()
    # a second run changes nothing
    before = (Application.objects.count(), AuditEvent.objects.count())
    call_command("demo", "--password", PASSWORD, stdout=StringIO())
    assert (Application.objects.count(), AuditEvent.objects.count()) == before
