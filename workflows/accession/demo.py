"""The accession part of the demo: ``applicant`` (no organization yet), two applications in different states,
and a second charter version that one member has not accepted yet.

Registered with the engine's demo hooks after the partnership demo (it needs its people); a second run
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings

import engine
from engine import outbox
from engine.demo import register as register_demo
from engine.models import OutboxMessage
from partners.models import CharterArticle, CharterVersion, Membership, Organization
from partners.services import charter_publish, organization_accept_charter
from workflows.partnership.demo import _deliver as deliver_demo_history

from . import services
from .models import Application

Log = Callable[[str], None]

#: (username, first name, last name, what they are)
PEOPLE = [
    ("applicant", "Rana", "Khoury", "applicant for an organization (no organization yet)"),
    ("applicant-agency", "Fadi", "Haddad", "applicant for a public agency (no organization yet)"),
]

APPLICATIONS = [
    (
        "applicant",
        {
            "name": "Association for Inclusive Education",
            "name_ar": "جمعية التعليم الدامج",
            "side": "civil",
            "kind": "cso",
            "registration_number": "1234/AD",
            "themes": ["disability-rights"],
            "contact_email": "applicant@example.org",
        },
        "info_requested",
    ),
    (
        "applicant-agency",
        {
            "name": "National Employment Office",
            "name_ar": "المؤسسة الوطنية للاستخدام",
            "side": "public",
            "kind": "agency",
            "contact_email": "applicant-agency@example.org",
        },
        "submitted",
    ),
]


def login_lines() -> list[tuple[str, str]]:
    return [(username, role) for username, _first, _last, role in PEOPLE]


def build_accession_demo(*, password: str, log: Log | None = None) -> bool:
    """Create the applicants and their applications; False (nothing done) when they are there already."""
    log = log or (lambda line: None)
    users = get_user_model().objects
    if users.filter(username__in=[person[0] for person in PEOPLE]).exists():
        return False
    secretariat = users.filter(username="secretariat").first()
    version = CharterVersion.objects.filter(is_current=True).values_list("number", flat=True).first()
    if secretariat is None or version is None:
        return False
    log("Membership applications")
    # As the partnership demo does: nothing is handed to a broker while building; afterwards the rows are
    # delivered in-process to an in-memory mailbox and leftovers recorded as never sent (no real mail).
    dispatch = outbox.dispatcher()
    first_row = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    quiet = {**settings.ENGINE, "OUTBOX_DISPATCHER": None}
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", ENGINE=quiet),
        transaction.atomic(),
    ):
        publish_second_version(log)
        version = CharterVersion.objects.filter(is_current=True).values_list("number", flat=True).first()
        people: dict[str, Any] = {}
        for username, first, last, _role in PEOPLE:
            person = users.create_user(
                username=username, email=f"{username}@example.org", first_name=first, last_name=last
            )
            person.set_password(password)
            person.save(update_fields=["password"])
            people[username] = person
        for username, data, state in APPLICATIONS:
            application = services.application_create(actor=people[username], data=data)
            engine.run(
                application,
                "submit",
                actor=people[username],
                data={"accept_charter": True, "charter_version": version},
            )
            if state == "info_requested":
                engine.run(
                    application,
                    "request_info",
                    actor=secretariat,
                    data={"message": "Please send your statutes and the list of your board members."},
                )
            log(f"  {application.reference}: {application.state}")
    pending = list(
        OutboxMessage.objects.filter(pk__gt=first_row, status=OutboxMessage.Status.PENDING).values_list("pk", flat=True)
    )
    if pending:
        deliver_demo_history(dispatch, pending)
    return True


#: the coordinator whose organization has not accepted the second charter version (its requests cannot be submitted)
NOT_ACCEPTED_BY = "bridges-coordinator"

AMENDMENT = (
    " When a new version of this charter is published, every member accepts it again before submitting a request.",
    " عند نشر إصدار جديد من هذا الميثاق، يقبله كل عضو من جديد قبل تقديم أي طلب.",
)


def publish_second_version(log: Log) -> None:
    """Version 2 amends article 6; every member but one accepts it (the dashboard and the reminder show it)."""
    current = CharterVersion.objects.filter(is_current=True).first()
    lead = get_user_model().objects.filter(username="secretariat-lead").first()
    if current is None or lead is None or CharterVersion.objects.filter(number__gt=current.number).exists():
        return
    amended = CharterVersion.objects.create(number=current.number + 1, title=current.title, title_ar=current.title_ar)
    for article in current.articles.order_by("id"):
        extra = AMENDMENT if article.number == "6" else ("", "")
        CharterArticle.objects.create(
            version=amended,
            number=article.number,
            title=article.title,
            title_ar=article.title_ar,
            text=article.text + extra[0],
            text_ar=article.text_ar + extra[1],
        )
    charter_publish(version=amended, actor=lead)
    log(f"Charter version {amended.number} published (article 6 amended)")
    coordinators = Membership.objects.filter(
        role=Membership.Role.COORDINATOR, active=True, organization__active=True
    ).exclude(organization__kind=Organization.Kind.SECRETARIAT)
    left_out = []
    for membership in coordinators.select_related("organization", "user").order_by("organization_id", "id"):
        organization = membership.organization
        if membership.user.username == NOT_ACCEPTED_BY:
            left_out.append(organization.name)
            continue
        organization_accept_charter(organization=organization, actor=membership.user, charter_version=amended.number)
    for name in sorted(set(left_out)):
        log(f"  {name} has not accepted version {amended.number} yet")


def demo_hook(*, password: str, stdout: Any, stderr: Any) -> None:
    """The engine's ``manage.py demo`` runs this after the partnership demo."""
    if build_accession_demo(password=password, log=lambda line: stdout.write(line + "\n")):
        stdout.write("Accession logins (same password):\n")
        for username, role in login_lines():
            stdout.write(f"  {username}  {role}\n")


def demo_counts() -> int:
    return Application.objects.count()


register_demo("accession", demo_hook, order=20)
