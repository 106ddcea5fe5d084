"""The writers behind ``manage.py setup_platform``: a production database's first organization and people.

An empty database has the themes, the default charter and the SLA policies (data migrations) but
nobody who can sign in. These functions create, each idempotently, the platform's own organization
(the secretariat office), the first secretariat lead, the charter text, the committee seats and the
calendar's closure days. Each returns a short line saying what it did, for the command's progress.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from engine import calendar
from engine.models import ClosureDay

from .models import CharterArticle, CharterVersion, CommitteeSeat, Membership, Organization, PlatformRole, Side
from .services import charter_publish

DEFAULT_CHARTER = Path(__file__).resolve().parent / "charter" / "default.json"


class SetupError(Exception):
    """Input the platform cannot be set up with; the message says what to fix."""


@dataclass
class Seat:
    username: str
    side: str
    email: str = ""
    chair: bool = False


def platform_organization(*, name: str, name_ar: str, acronym: str = "", email: str = "") -> tuple[Organization, str]:
    """The secretariat office that runs the platform; kept as it is when it exists."""
    existing = Organization.objects.filter(kind=Organization.Kind.SECRETARIAT).order_by("pk").first()
    if existing is not None:
        return existing, _("Platform organization: already there (%(name)s).") % {"name": existing.name}
    if not name.strip():
        raise SetupError(_("Give the platform organization's name (--organization-name)."))
    if email:
        _check_email(email)
    organization = Organization.objects.create(
        side=Side.PUBLIC,
        kind=Organization.Kind.SECRETARIAT,
        name=name.strip(),
        name_ar=name_ar.strip(),
        acronym=acronym.strip(),
        email=email.strip(),
        active=True,
    )
    return organization, _("Platform organization: created (%(name)s).") % {"name": organization.name}


def secretariat_lead(*, organization: Organization, username: str, email: str, password: str | None) -> tuple[Any, str]:
    """The first secretariat lead: secretariat and lead roles, member of the platform organization, back office.

    An existing account gets the roles it lacks; its password is left alone.
    """
    model = get_user_model()
    username = username.strip()
    if not username:
        raise SetupError(_("Give the secretariat lead's username (--lead-username)."))
    user = model.objects.filter(username=username).first()
    if user is None:
        if not email.strip():
            raise SetupError(_("Give the secretariat lead's email address (--lead-email)."))
        _check_email(email)
        if not password:
            raise SetupError(_("Give the secretariat lead's password (--lead-password or SETUP_LEAD_PASSWORD)."))
        candidate = model(username=username, email=email)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise SetupError(_("The lead's password is refused: %(why)s") % {"why": " ".join(exc.messages)}) from exc
        user = model.objects.create_user(username=username, email=email, password=password)
        line = _("Secretariat lead: account %(username)s created.") % {"username": username}
    else:
        line = _("Secretariat lead: account %(username)s already there (password unchanged).") % {"username": username}
    # The lead keeps organizations, seats, SLA policies and the calendar in the back office (/admin/).
    if not (user.is_staff and user.is_superuser and user.is_active):
        user.is_staff = user.is_superuser = user.is_active = True
        user.save(update_fields=["is_staff", "is_superuser", "is_active"])
    for role in (PlatformRole.Role.SECRETARIAT, PlatformRole.Role.SECRETARIAT_LEAD):
        PlatformRole.objects.get_or_create(user=user, role=role)
    Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": Membership.Role.MEMBER, "active": True}
    )
    return user, line


def load_charter(path: Path | None = None) -> dict[str, Any]:
    """A bilingual charter text from a JSON file (the bundled default when ``path`` is None), checked."""
    path = path or DEFAULT_CHARTER
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SetupError(_("No charter file at %(path)s.") % {"path": path}) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SetupError(
            _("The charter file %(path)s is not valid JSON: %(error)s") % {"path": path, "error": exc}
        ) from exc
    articles = data.get("articles") if isinstance(data, dict) else None
    if not isinstance(articles, list) or not articles:
        raise SetupError(_("The charter file %(path)s has no articles.") % {"path": path})
    numbers = set()
    for index, article in enumerate(articles, start=1):
        missing = [
            key
            for key in ("number", "title", "title_ar", "text", "text_ar")
            if not isinstance(article, dict) or not str(article.get(key) or "").strip()
        ]
        if missing:
            raise SetupError(
                _("Article %(index)s of the charter file lacks: %(fields)s.")
                % {"index": index, "fields": ", ".join(missing)}
            )
        if str(article["number"]) in numbers:
            raise SetupError(_("Article number %(number)s appears twice.") % {"number": article["number"]})
        numbers.add(str(article["number"]))
    return {"title": data.get("title") or "Partnership Charter", "title_ar": data.get("title_ar") or "", **data}


def _article_tuples(articles: Any) -> list[tuple[str, str, str, str, str]]:
    return [
        (str(a["number"]), a["title"].strip(), a["title_ar"].strip(), a["text"].strip(), a["text_ar"].strip())
        for a in articles
    ]


def charter(*, text: dict[str, Any], actor: Any) -> tuple[CharterVersion, str]:
    """Publish ``text`` as the charter in force, unless the version in force already says exactly that."""
    wanted = _article_tuples(text["articles"])
    current = CharterVersion.objects.filter(is_current=True).first()
    if current is not None:
        have = list(current.articles.order_by("id").values_list("number", "title", "title_ar", "text", "text_ar"))
        if [tuple(x.strip() for x in row) for row in have] == wanted:
            return current, _("Charter: version %(number)s in force, same text.") % {"number": current.number}
    number = (CharterVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = CharterVersion.objects.create(number=number, title=text["title"], title_ar=text["title_ar"])
    CharterArticle.objects.bulk_create(
        CharterArticle(version=version, number=n, title=t, title_ar=ta, text=x, text_ar=xa)
        for n, t, ta, x, xa in wanted
    )
    charter_publish(version=version, actor=actor)
    return version, _("Charter: version %(number)s published (%(articles)s articles).") % {
        "number": number,
        "articles": len(wanted),
    }


def parse_seat(value: str) -> Seat:
    """``USERNAME:SIDE[:EMAIL]`` (side ``public`` or ``civil``)."""
    parts = [part.strip() for part in value.split(":")]
    if len(parts) not in (2, 3) or not parts[0]:
        raise SetupError(_("A seat is USERNAME:SIDE[:EMAIL], not %(value)r.") % {"value": value})
    if parts[1] not in Side.values:
        raise SetupError(
            _("The side of seat %(value)r must be one of: %(sides)s.")
            % {"value": value, "sides": ", ".join(Side.values)}
        )
    return Seat(username=parts[0], side=parts[1], email=parts[2] if len(parts) == 3 else "")


def committee(seats: list[Seat]) -> list[str]:
    """The committee's seats: accounts without a password (set by the person or an administrator)."""
    lines = []
    chairs = [seat for seat in seats if seat.chair]
    if len(chairs) > 1:
        raise SetupError(_("Only one seat may be the chair."))
    model = get_user_model()
    for seat in seats:
        user = model.objects.filter(username=seat.username).first()
        if user is None:
            if seat.email:
                _check_email(seat.email)
            user = model.objects.create_user(username=seat.username, email=seat.email, password=None)
        existing = CommitteeSeat.objects.filter(user=user, active=True).first()
        if existing is not None:
            if existing.side != seat.side or existing.is_chair != seat.chair:
                raise SetupError(
                    _("%(username)s already holds an active seat on the %(side)s side: change it in the back office.")
                    % {"username": seat.username, "side": existing.side}
                )
            lines.append(_("Committee: %(username)s already seated.") % {"username": seat.username})
            continue
        if seat.chair and CommitteeSeat.objects.filter(is_chair=True, active=True).exists():
            raise SetupError(_("The committee has a chair already: change it in the back office."))
        CommitteeSeat.objects.create(user=user, side=seat.side, is_chair=seat.chair, active=True)
        lines.append(
            _("Committee: %(username)s seated (%(side)s%(chair)s).")
            % {"username": seat.username, "side": seat.side, "chair": ", " + _("chair") if seat.chair else ""}
        )
    return lines


def closure_days(values: list[str]) -> list[str]:
    """Closure days beyond the weekend and public holidays: ``YYYY-MM-DD[:REASON]``."""
    lines = []
    for value in values:
        day_text, _sep, reason = value.partition(":")
        try:
            day = dt.date.fromisoformat(day_text.strip())
        except ValueError as exc:
            raise SetupError(_("A closure day is YYYY-MM-DD[:REASON], not %(value)r.") % {"value": value}) from exc
        _row, created = ClosureDay.objects.get_or_create(
            date=day, defaults={"reason": reason.strip() or _("Administrative closure")}
        )
        lines.append(
            (
                _("Calendar: closure day %(day)s added.")
                if created
                else _("Calendar: closure day %(day)s already there.")
            )
            % {"day": day.isoformat()}
        )
    if values:
        transaction.on_commit(calendar.invalidate)
    year = timezone.localdate().year
    holidays = calendar.public_holidays(year)
    engine = settings.ENGINE
    weekend = ", ".join(str(WEEKDAYS[day - 1]) for day in engine.get("WEEKEND", (6, 7)))
    lines.append(
        _("Calendar: %(count)s public holidays in %(year)s (%(country)s); weekend: %(weekend)s.")
        % {"count": len(holidays), "year": year, "country": engine.get("HOLIDAY_COUNTRY", "LB"), "weekend": weekend}
    )
    return lines


def _check_email(email: str) -> None:
    if not email:
        return
    try:
        validate_email(email)
    except ValidationError as exc:
        raise SetupError(_("%(email)s is not a valid email address.") % {"email": email}) from exc
