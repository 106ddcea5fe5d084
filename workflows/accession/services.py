"""The writers of membership applications: thin, named wrappers around the engine."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import engine
from engine.audit import RequestContext
from engine.errors import InvalidInput, NotPermitted
from engine.reasons import Reason
from engine.uploads import UploadRefused, checked_upload
from partners import charter
from partners.models import Membership, Organization
from partners.selectors import user_access

from . import selectors
from .forms import ApplicationForm
from .models import Application, ApplicationDocument, MemberFile

PENDING_NAME_TAKEN = _("An application for an organization of this name is already under way.")


def application_create(*, actor: Any, data: dict[str, Any], context: RequestContext | None = None) -> Application:
    """A signed-in person with no organization applies for theirs; a draft, numbered and audited."""
    if user_access(actor).memberships or Membership.objects.filter(user_id=actor.pk, active=True).exists():
        raise NotPermitted(
            reasons=[
                Reason(
                    "already_member",
                    _("You already act for a member organization; ask its coordinator instead of applying."),
                    article=charter.PARTICIPATION,
                )
            ]
        )
    form = ApplicationForm(data=data)
    if not form.is_valid():
        raise InvalidInput({name: [str(message) for message in messages] for name, messages in form.errors.items()})
    fields = dict(form.cleaned_data)
    themes = fields.pop("themes")
    with transaction.atomic():
        if selectors.pending_with_name(fields["name"], fields["name_ar"]).select_for_update().exists():
            raise InvalidInput({"name": [str(PENDING_NAME_TAKEN)]})
        if selectors.member_with_name(fields["name"], fields["name_ar"]).exists():
            raise InvalidInput({"name": [str(_("An organization of this name is already a member of the platform."))]})
        audit_data = {**fields, "themes": [theme.code for theme in themes]}
        try:
            # the check above reads committed rows only: a simultaneous application for the same name is
            # stopped by the database's constraint (one application under way per name)
            application = engine.create_case(
                Application, actor=actor, context=context, data=audit_data, applicant=actor, **fields
            )
        except IntegrityError:
            raise InvalidInput({"name": [str(PENDING_NAME_TAKEN)]}) from None
        application.themes.set(themes)
    return application


def document_add(
    *, application: Application, actor: Any, file: Any, description: str = "", context: RequestContext | None = None
) -> ApplicationDocument:
    """Store a checked supporting document on the application and audit it on the application's chain."""
    engine.authorize(application, actor, "document_added")
    try:
        name, content_type, size, checksum = checked_upload(file)
    except UploadRefused as refused:
        raise InvalidInput({"file": [str(refused)]}) from None
    with transaction.atomic():
        engine.lock(application)
        document = ApplicationDocument(
            application=application,
            name=name,
            content_type=content_type,
            size=size,
            sha256=checksum,
            description=(description or "").strip()[:300],
            uploaded_by=actor,
            uploaded_at=timezone.now(),
        )
        document.file.save(name, file, save=False)
        document.save()
        engine.record(
            application,
            "document_added",
            actor=actor,
            actor_role="applicant",
            data={"document": document.pk, "name": name, "size": size, "sha256": checksum, "type": content_type},
            context=context,
        )
    return document


def member_file_for(*, organization: Organization, actor: Any, context: RequestContext | None = None) -> MemberFile:
    """The organization's member file, opened (numbered and audited) the first time someone acts on it.

    Organizations that joined through an application have one from their approval; those imported or
    created before the accession workflow get theirs here.
    """
    with transaction.atomic():
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        existing = MemberFile.objects.filter(organization=organization).first()
        if existing is not None:
            return existing
        return engine.create_case(
            MemberFile,
            actor=actor,
            context=context,
            data={"organization": organization.pk},
            organization=organization,
            state="active" if organization.active else "suspended",
        )
