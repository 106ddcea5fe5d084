"""Rows each step of an application writes, in its transaction (run by the engine after the audit event)."""

from __future__ import annotations

from typing import Any

from engine.models import AuditEvent
from partners.models import CharterAcceptance, Membership, Organization
from partners.selectors import forget_user_access
from partners.signals import charter_accepted


def approved(flow: Any, event: AuditEvent) -> None:
    """The organization becomes an active member, the applicant its coordinator, the charter accepted."""
    application = flow.case
    organization = Organization.objects.create(
        side=application.side,
        kind=application.kind,
        name=application.name,
        name_ar=application.name_ar,
        registration_number=application.registration_number,
        email=application.contact_email,
        active=True,
    )
    organization.themes.set(application.themes.all())
    Membership.objects.update_or_create(
        user_id=application.applicant_id,
        organization=organization,
        defaults={"role": Membership.Role.COORDINATOR, "active": True},
    )
    if application.charter_version_id is not None:
        CharterAcceptance.objects.get_or_create(
            organization=organization,
            version_id=application.charter_version_id,
            defaults={"accepted_by_id": application.applicant_id, "accepted_at": event.occurred_at},
        )
    type(application).objects.filter(pk=application.pk).update(organization=organization)
    application.organization = organization
    forget_user_access(application.applicant)
    # the member's own file, where handovers and suspensions are audited from now on
    from engine import create_case

    from .models import MemberFile

    create_case(
        MemberFile,
        actor=flow.user,
        data={"organization": organization.pk, "application": application.reference},
        organization=organization,
    )


def _audit_acceptance(sender: Any, *, acceptance: CharterAcceptance, actor: Any, context: Any = None, **_: Any) -> None:
    """A member's later acceptance of a charter version goes on the chain of its approved application (else its member file)."""
    import engine

    from .models import Application

    application = (
        Application.objects.filter(organization_id=acceptance.organization_id, state="approved").order_by("-id").first()
    )
    if application is None:
        # a member that joined before the accession workflow: the acceptance goes on its member file
        from .services import member_file_for

        application = member_file_for(organization=acceptance.organization, actor=actor, context=context)
    engine.record(
        application,
        "charter_accepted",
        actor=actor,
        actor_role="coordinator",
        data={"charter_version": acceptance.version.number, "organization": acceptance.organization_id},
        context=context,
        notify=False,
    )


def connect() -> None:
    charter_accepted.connect(_audit_acceptance, dispatch_uid="accession.audit_charter_acceptance")


def handover_confirmed(flow: Any, event: AuditEvent) -> None:
    """The successor coordinates the organization; the outgoing coordinator stays on as a member."""
    from django.contrib.auth import get_user_model

    organization_id = flow.case.organization_id
    successor_id, outgoing_id = event.data.get("successor_id"), event.data.get("outgoing_id")
    Membership.objects.update_or_create(
        user_id=successor_id,
        organization_id=organization_id,
        defaults={"role": Membership.Role.COORDINATOR, "active": True},
    )
    if outgoing_id and outgoing_id != successor_id:
        Membership.objects.filter(user_id=outgoing_id, organization_id=organization_id).update(
            role=Membership.Role.MEMBER
        )
    for person in get_user_model().objects.filter(pk__in=[successor_id, outgoing_id]):
        forget_user_access(person)
    for person in (flow.user,):
        forget_user_access(person)


def member_status_changed(flow: Any, event: AuditEvent) -> None:
    """Suspended: the organization is no longer an active member (the partnership submit guard reads it)."""
    Organization.objects.filter(pk=flow.case.organization_id).update(active=flow.case.state != "suspended")
    flow.case.organization.active = flow.case.state != "suspended"
