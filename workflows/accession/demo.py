"""The accession part of the demo: ``applicant`` (no organization yet) and two applications in different states.

Run after the partnership demo (it needs its secretariat login); a second run changes nothing.
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
from engine.models import OutboxMessage
from partners.models import CharterVersion
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


def demo_counts() -> int:
    return Application.objects.count()
