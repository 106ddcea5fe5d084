"""Turning a stored notification into words and emails, in the recipient's language."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext

from engine import registry
from engine.text import isolate

from .messages import DETAIL_LABELS, message_for

logger = logging.getLogger(__name__)


@dataclass
class Rendered:
    kind: str
    subject: str
    body: str
    details: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""
    reference: str = ""


def _state_label(case_type: str, state: str) -> str:
    if not state:
        return ""
    try:
        flow = registry.flow_for(case_type)
    except LookupError:
        return state
    return str(flow.state_labels.get(state, state))


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        moment = parse_datetime(value) if "T" in value or " " in value.strip() else None
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        day = parse_date(value) if len(value) == 10 else None
        if day is not None:
            return formats.date_format(day, "DATE_FORMAT")
        return value
    if isinstance(value, datetime | date):
        return formats.date_format(value, "DATETIME_FORMAT" if isinstance(value, datetime) else "DATE_FORMAT")
    if isinstance(value, list):
        return "، ".join(map(str, value)) if translation.get_language() == "ar" else ", ".join(map(str, value))
    return str(value)


def _details(payload: dict[str, Any]) -> list[tuple[str, str]]:
    data = {**(payload.get("data") or {}), **{k: v for k, v in payload.items() if k in ("due_at", "description")}}
    details = []
    for key, label in DETAIL_LABELS.items():
        value = data.get(key)
        if value in (None, "", []):
            continue
        details.append((str(label), _format_value(value)))
    return details


def render(
    *, kind: str, payload: dict[str, Any], case_type: str, reference: str, language: str | None = None
) -> Rendered:
    """The subject, body and details of one notification, in ``language`` (the active one if None)."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        message = message_for(kind)
        state = payload.get("to_state") or payload.get("state") or ""
        params = {
            "reference": reference or "—",
            # Isolated: an Arabic title in an English subject (or a stray override) cannot reorder the rest.
            "title": isolate(payload.get("title") or reference or "—"),
            "actor": payload.get("actor_name") or gettext("the platform"),
            "state": _state_label(case_type, str(state)),
        }
        try:
            subject = str(message.subject) % params
            body = str(message.body) % params
        except (KeyError, ValueError, TypeError):
            # A translation with a broken placeholder must not stop delivery: fall back to the source text.
            logger.warning("Bad placeholder in the %s notification text", kind)
            with translation.override(None):
                subject = str(message.subject) % params
                body = str(message.body) % params
        return Rendered(
            kind=kind,
            subject=" ".join(subject.split()),
            body=body,
            details=_details(payload),
            url=absolute_url(payload.get("url") or _case_url(case_type, reference)),
            reference=reference,
        )


def _case_url(case_type: str, reference: str) -> str:
    """The request's page in the active language, when the portal has one for this kind of case."""
    if not reference or case_type != "partnership.dialoguerequest":
        return ""
    try:
        return reverse("portal:request_detail", kwargs={"reference": reference})
    except NoReverseMatch:
        return ""


def site_url() -> str:
    """Where the platform is reachable from outside (links in emails): ``SITE_URL`` setting or variable."""
    return (getattr(settings, "SITE_URL", "") or os.environ.get("SITE_URL", "")).rstrip("/")


def absolute_url(path: str) -> str:
    if not path or path.startswith(("http://", "https://")):
        return path
    return site_url() + path


class _Email(EmailMultiAlternatives):
    """An email whose MIME parts get their boundaries up front.

    Left to itself, the standard library picks a boundary while writing the message out and
    compiles a regular expression, new for every message, to make sure the text does not contain
    it: a third of the time spent writing an email. A boundary of 128 random bits cannot occur in
    the text by chance, nor be guessed by anyone writing a title.
    """

    def message(self) -> Any:
        msg = super().message()
        for part in msg.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(f"==============={secrets.token_hex(16)}==")
        return msg


def build_email(
    *,
    to: str,
    language: str,
    template: str,
    subject: str,
    context: dict[str, Any],
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> EmailMultiAlternatives:
    """A plain-text email with an HTML alternative, rendered in ``language``."""
    text, html = email_content(language=language, template=template, context=context)
    return compose_email(to=to, language=language, subject=subject, text=text, html=html, attachments=attachments)


def email_content(*, language: str, template: str, context: dict[str, Any]) -> tuple[str, str]:
    """The plain text and the HTML of ``template`` in ``language``: what many recipients can share."""
    with translation.override(language):
        context = {
            **context,
            "LANGUAGE_CODE": language,
            "LANGUAGE_BIDI": translation.get_language_bidi(),
            "site_url": site_url(),
        }
        text = render_to_string(f"notify/email/{template}.txt", context)
        html = render_to_string(f"notify/email/{template}.html", context)
    return text, html


def compose_email(
    *,
    to: str,
    language: str,
    subject: str,
    text: str,
    html: str,
    attachments: list[tuple[str, bytes, str]] | None = None,
    message_id: str = "",
) -> EmailMultiAlternatives:
    """One recipient's email from rendered content; ``message_id`` (when given) stays the same on a resend."""
    email = _Email(subject=subject, body=text, to=[to])
    email.attach_alternative(html, "text/html")
    for name, content, mimetype in attachments or []:
        email.attach(name, content, mimetype)
    email.extra_headers["Content-Language"] = language
    if message_id:
        email.extra_headers["Message-ID"] = message_id
    return email
