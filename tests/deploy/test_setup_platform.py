"""manage.py setup_platform on an empty database, then members imported and a first request submitted."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from engine.models import ClosureDay
from partners.models import CharterVersion, CommitteeSeat, Membership, Organization, PlatformRole
from partners.platform_setup import DEFAULT_CHARTER
from workflows.partnership.models import DialogueRequest

from .conftest import GOOD_ROWS, HEADER

pytestmark = pytest.mark.django_db

FLAGS = [
    "--no-input",
    "--organization-name=Partnership Platform Secretariat",
    "--organization-name-ar=أمانة منصة الشراكة",
    "--organization-acronym=PPS",
    "--lead-username=lead",
    "--lead-email=lead@platform.example.gov.lb",
    "--seat=chair-1:public:chair@platform.example.gov.lb",
    "--seat=gov-1:public",
    "--seat=cso-1:civil",
    "--chair=chair-1",
    "--closure-day=2026-12-24:Christmas Eve closure",
]


def _setup(*args: str, **env: str) -> str:
    out = StringIO()
    call_command("setup_platform", *args, stdout=out)
    return out.getvalue()


def test_setup_on_an_empty_database_then_a_first_request(monkeypatch, member_file, client):
    # given a migrated database with nobody in it
    assert not get_user_model().objects.exists() and not Organization.objects.exists()
    monkeypatch.setenv("SETUP_LEAD_PASSWORD", "a-long-lead-password-2026")
    # when the platform is set up without questions
    out = _setup(*FLAGS)
    # then each step says what it did
    assert "Platform organization: created (Partnership Platform Secretariat)." in out
    assert "Secretariat lead: account lead created." in out
    assert "Charter: version 1 in force, same text." in out
    assert "Committee: chair-1 seated (public, chair)." in out
    assert "Calendar: closure day 2026-12-24 added." in out
    assert "(LB); weekend: Saturday, Sunday." in out
    assert "The platform is set up." in out
    platform = Organization.objects.get(kind="secretariat")
    assert (platform.name_ar, platform.acronym, platform.side) == ("أمانة منصة الشراكة", "PPS", "public")
    lead = get_user_model().objects.get(username="lead")
    assert set(PlatformRole.objects.filter(user=lead).values_list("role", flat=True)) == {
        "secretariat",
        "secretariat_lead",
    }
    assert lead.check_password("a-long-lead-password-2026") and lead.is_staff
    assert Membership.objects.filter(user=lead, organization=platform).exists()
    assert CommitteeSeat.objects.filter(active=True).count() == 3
    assert CommitteeSeat.objects.get(is_chair=True).user.username == "chair-1"
    assert ClosureDay.objects.get().reason == "Christmas Eve closure"
    # and a second run changes nothing
    counts = (get_user_model().objects.count(), Organization.objects.count(), CommitteeSeat.objects.count())
    again = _setup(*FLAGS)
    assert "already there" in again and "same text" in again
    assert counts == (get_user_model().objects.count(), Organization.objects.count(), CommitteeSeat.objects.count())

    # when the members are imported, their charter accepted on paper, and a coordinator given a password
    rows = [[*row, "yes" if row[8] != "cajj-deputy" else ""] for row in GOOD_ROWS]
    call_command("import_members", str(member_file(rows, header=[*HEADER, "charter_accepted"])), stdout=StringIO())
    coordinator = get_user_model().objects.get(username="cajj-coordinator")
    coordinator.set_password("coordinator-pass-2026")
    coordinator.save()
    # then the coordinator signs in through the API and submits a first request
    token = client.post(
        "/api/v1/auth/token/",
        {"username": "cajj-coordinator", "password": "coordinator-pass-2026"},
        content_type="application/json",
    ).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    cso = Organization.objects.get(acronym="CAJJ")
    ministry = Organization.objects.get(acronym="MoSA")
    created = client.post(
        "/api/v1/requests/",
        {
            "title": "Alternatives to detention for minors",
            "summary": "A roundtable on diversion measures in the juvenile justice law.",
            "policy_question": "How can diversion be applied before trial?",
            "theme": "juvenile-justice",
            "format": "roundtable",
            "requesting_organization": cso.pk,
            "counterpart_organizations": [ministry.pk],
            "period_start": "2027-02-01",
            "period_end": "2027-02-20",
            "expected_participants": 25,
            "language": "both",
        },
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    submitted = client.post(
        f"/api/v1/requests/{reference}/transitions/submit/", {}, content_type="application/json", **auth
    )
    assert submitted.status_code == 200, submitted.content
    assert DialogueRequest.objects.get(reference=reference).state == "submitted"
    # and the secretariat lead set up by the command sees it in the triage queue
    client.force_login(lead)
    with translation.override("en"):
        page = client.get(reverse("portal:request_detail", kwargs={"reference": reference}))
    assert page.status_code == 200
    assert reference in page.content.decode()


def test_missing_values_without_input_are_refused_and_nothing_is_written(monkeypatch):
    monkeypatch.delenv("SETUP_LEAD_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="Give the secretariat lead's password"):
        _setup("--no-input", "--organization-name=Platform", "--lead-username=lead", "--lead-email=lead@example.org")
    assert not Organization.objects.exists() and not get_user_model().objects.exists()
    with pytest.raises(CommandError, match="Give the platform organization's name"):
        _setup("--no-input")


def test_flags_come_from_the_environment_too(monkeypatch):
    monkeypatch.setenv("SETUP_ORGANIZATION_NAME", "Platform Office")
    monkeypatch.setenv("SETUP_LEAD_USERNAME", "first-lead")
    monkeypatch.setenv("SETUP_LEAD_EMAIL", "first-lead@example.org")
    monkeypatch.setenv("SETUP_LEAD_PASSWORD", "a-long-lead-password-2026")
    monkeypatch.setenv("SETUP_SEATS", "c1:public,c2:civil")
    monkeypatch.setenv("SETUP_CHAIR", "c2")
    out = _setup("--no-input")
    assert "The platform is set up." in out
    assert CommitteeSeat.objects.get(is_chair=True).side == "civil"
    assert Organization.objects.get(kind="secretariat").name == "Platform Office"


def test_interactive_setup_asks_for_what_is_missing(monkeypatch):
    answers = iter(["Platform Office", "مكتب المنصة", "lead", "lead@example.org", "", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    passwords = iter(["a-long-lead-password-2026", "a-long-lead-password-2026"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))
    out = _setup()
    assert "Secretariat lead: account lead created." in out
    assert Organization.objects.get(kind="secretariat").name_ar == "مكتب المنصة"
    assert get_user_model().objects.get(username="lead").check_password("a-long-lead-password-2026")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--seat=x:both"], "must be one of: public, civil"),
        (["--seat=x"], "A seat is USERNAME:SIDE"),
        (["--seat=x:public", "--chair=y"], "The chair y is not one of the seats given"),
        (["--closure-day=24/12/2026"], "A closure day is YYYY-MM-DD"),
        (["--lead-email=not-an-address"], "not a valid email address"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_written(monkeypatch, extra, message):
    monkeypatch.setenv("SETUP_LEAD_PASSWORD", "a-long-lead-password-2026")
    base = ["--no-input", "--organization-name=Platform", "--lead-username=lead", "--lead-email=lead@example.org"]
    with pytest.raises(CommandError, match=message):
        _setup(*base, *extra)
    assert not Organization.objects.exists() and not get_user_model().objects.exists()
    assert not CommitteeSeat.objects.exists() and not ClosureDay.objects.exists()


def test_a_given_charter_file_is_published_as_a_new_version(monkeypatch, tmp_path):
    monkeypatch.setenv("SETUP_LEAD_PASSWORD", "a-long-lead-password-2026")
    text = json.loads(DEFAULT_CHARTER.read_text())
    text["articles"][0]["text"] += " Amended."
    charter = tmp_path / "charter.json"
    charter.write_text(json.dumps(text, ensure_ascii=False))
    base = ["--no-input", "--organization-name=Platform", "--lead-username=lead", "--lead-email=lead@example.org"]
    out = _setup(*base, f"--charter={charter}")
    assert "Charter: version 2 published (8 articles)." in out
    current = CharterVersion.objects.get(is_current=True)
    assert current.number == 2 and current.articles.get(number="1").text.endswith("Amended.")
    assert "same text" in _setup(*base, f"--charter={charter}")
    broken = tmp_path / "broken.json"
    broken.write_text('{"articles": [{"number": "1", "title": "x"}]}')
    with pytest.raises(CommandError, match="lacks: title_ar, text, text_ar"):
        _setup(*base, f"--charter={broken}")


def test_the_bundled_charter_is_the_text_the_migration_seeds():
    from importlib import import_module

    seeded = import_module("partners.migrations.0002_themes_and_default_charter").ARTICLES
    bundled = json.loads(DEFAULT_CHARTER.read_text())["articles"]
    assert [tuple(a.values()) for a in bundled] == [tuple(a) for a in seeded]


def test_messages_are_arabic_for_an_arabic_administrator(monkeypatch):
    with translation.override("ar"), pytest.raises(CommandError) as refused:
        _setup("--no-input")
    assert "لم يتغيّر شيء" in str(refused.value)
