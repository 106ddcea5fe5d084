"""The demo platform: bilingual organizations, people in every role, and dialogue requests in every state.

Everything after the people and organizations is done through the partnership services and the engine,
with the clock set back to when each step happened, so the demo's history is real history: audit chains
verify, SLA clocks started, paused and stopped where they would have, and the notifications went out.
People and organizations are back-office data (the admin screens write them directly too).

All names of people and organizations are invented. Ministries are named by their portfolio only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from engine import calendar, outbox, sla
from engine.demo import register as register_demo
from engine.models import AuditEvent, OutboxMessage, SlaClock, SlaPolicy
from partners.models import CharterVersion, CommitteeSeat, Membership, Organization, PlatformRole, Theme
from partners.services import organization_accept_charter

from . import services
from .models import (
    ActionItem,
    CommitteeRule,
    ConflictDeclaration,
    DialogueRequest,
    Meeting,
    Outcome,
    Vote,
)

CASE_TYPE = DialogueRequest.case_type()
# The demo's own secretariat office: its presence means the demo was built already.
MARKER_ACRONYM = "PPS"
MARKER_NAME = "Partnership Platform Secretariat"
# Recorded on a historical demo notification that was not delivered in-process: it is never sent.
DEMO_NOT_SENT = "demo history: never sent"

Log = Callable[[str], None]

# --- who is who ---------------------------------------------------------------------------------

# key, side, kind, English name, Arabic name, acronym, theme codes
ORGANIZATIONS = [
    ("pps", "public", "secretariat", MARKER_NAME, "أمانة منصة الشراكة", MARKER_ACRONYM, []),
    ("mosa", "public", "ministry", "Ministry of Social Affairs", "وزارة الشؤون الاجتماعية", "MoSA",
     ["disability-rights", "juvenile-justice", "gender-discrimination-in-laws", "drug-addiction"]),
    ("moj", "public", "ministry", "Ministry of Justice", "وزارة العدل", "MoJ",
     ["juvenile-justice", "gender-discrimination-in-laws"]),
    ("moph", "public", "ministry", "Ministry of Public Health", "وزارة الصحة العامة", "MoPH",
     ["drug-addiction", "disability-rights"]),
    ("moim", "public", "ministry", "Ministry of Interior and Municipalities", "وزارة الداخلية والبلديات", "MoIM",
     ["citizenship", "juvenile-justice"]),
    ("moys", "public", "ministry", "Ministry of Youth and Sports", "وزارة الشباب والرياضة", "MoYS",
     ["volunteering", "citizenship"]),
    ("cajj", "civil", "cso", "Cedar Association for Juvenile Justice", "جمعية الأرز لعدالة الأحداث", "CAJJ",
     ["juvenile-justice"]),
    ("eaf", "civil", "cso", "Equal Access Forum for Persons with Disabilities",
     "منتدى الوصول المتكافئ للأشخاص ذوي الإعاقة", "EAF", ["disability-rights"]),
    ("wlec", "civil", "cso", "Women's Legal Equality Collective", "تجمّع المساواة القانونية للنساء", "WLEC",
     ["gender-discrimination-in-laws"]),
    ("bridges", "civil", "cso", "Bridges Association for Recovery and Prevention",
     "جمعية جسور للتعافي والوقاية", "BRIDGES", ["drug-addiction"]),
    ("cvi", "civil", "cso", "Citizens' Voice Initiative", "مبادرة صوت المواطن", "CVI", ["citizenship"]),
    ("cnva", "civil", "network", "Coastal Network of Volunteer Associations", "شبكة الجمعيات التطوعية الساحلية",
     "CNVA", ["volunteering", "citizenship"]),
]  # fmt: skip

# username, first name, last name, Arabic name, what they are (shown in the login list)
PEOPLE = [
    ("secretariat", "Rania", "Haddad", "رانيا حداد", "secretariat officer"),
    ("secretariat-lead", "Karim", "Nassar", "كريم نصّار", "head of the secretariat (receives escalations)"),
    ("chair", "Nadim", "Saadeh", "نديم سعادة", "committee chair (public-sector seat)"),
    ("committee-gov-1", "Lina", "Mansour", "لينا منصور", "committee, public-sector seat (Interior)"),
    ("committee-gov-2", "Walid", "Barakat", "وليد بركات", "committee, public-sector seat (Public Health)"),
    ("committee-cso-1", "Maya", "Aoun", "مايا عون", "committee, civil-society seat; member of CAJJ (conflict)"),
    ("committee-cso-2", "Hadi", "Fares", "هادي فارس", "committee, civil-society seat (CNVA)"),
    ("auditor", "Salma", "Azar", "سلمى عازار", "auditor (reads everything, writes nothing)"),
    ("cso-coordinator", "Joelle", "Rizk", "جويل رزق", "coordinator of CAJJ (a CSO)"),
    ("ministry-coordinator", "Omar", "Itani", "عمر عيتاني", "coordinator of the Ministry of Social Affairs"),
    ("justice-coordinator", "Tarek", "Hamdan", "طارق حمدان", "coordinator of the Ministry of Justice"),
    ("health-coordinator", "Hiba", "Sleiman", "هبة سليمان", "coordinator of the Ministry of Public Health"),
    ("interior-coordinator", "Fadi", "Karam", "فادي كرم", "coordinator of the Ministry of Interior"),
    ("youth-coordinator", "Ziad", "Mrad", "زياد مراد", "coordinator of the Ministry of Youth and Sports"),
    ("disability-coordinator", "Nour", "Chamoun", "نور شمعون", "coordinator of EAF (a CSO)"),
    ("women-coordinator", "Dima", "Salameh", "ديما سلامة", "coordinator of WLEC (a CSO)"),
    ("bridges-coordinator", "Ali", "Daher", "علي ضاهر", "coordinator of BRIDGES (a CSO)"),
    ("citizens-coordinator", "Rami", "Abi Nader", "رامي أبي ناضر", "coordinator of CVI (a CSO)"),
    ("network-coordinator", "Carla", "Abou Jaoude", "كارلا أبو جودة", "coordinator of CNVA (a network)"),
    ("admin", "Sami", "Khalil", "سامي خليل", "back office at /admin/ (superuser, no platform role)"),
]

COORDINATORS = {
    "pps": "secretariat-lead",
    "mosa": "ministry-coordinator",
    "moj": "justice-coordinator",
    "moph": "health-coordinator",
    "moim": "interior-coordinator",
    "moys": "youth-coordinator",
    "cajj": "cso-coordinator",
    "eaf": "disability-coordinator",
    "wlec": "women-coordinator",
    "bridges": "bridges-coordinator",
    "cvi": "citizens-coordinator",
    "cnva": "network-coordinator",
}

# username, side, chair, organization represented
SEATS = [
    ("chair", "public", True, None),
    ("committee-gov-1", "public", False, "moim"),
    ("committee-gov-2", "public", False, "moph"),
    ("committee-cso-1", "civil", False, "cajj"),
    ("committee-cso-2", "civil", False, "cnva"),
]

# The logins the public contract names, in the order they are printed.
MAIN_LOGINS = [
    "secretariat",
    "chair",
    "committee-gov-1",
    "committee-gov-2",
    "committee-cso-1",
    "committee-cso-2",
    "auditor",
    "cso-coordinator",
    "ministry-coordinator",
]


class DemoError(Exception):
    """The demo cannot be built on this database; the message says why."""


@dataclass
class DemoResult:
    created: bool
    seconds: float = 0.0
    counts: dict[str, Any] = field(default_factory=dict)
    password_matches: bool | None = None


def demo_present() -> bool:
    """Whether the demo was built on this database already."""
    return Organization.objects.filter(kind=Organization.Kind.SECRETARIAT, acronym=MARKER_ACRONYM).exists()


def login_lines() -> list[tuple[str, str]]:
    """(username, what they are) for every demo person, the contract's logins first."""
    described = {username: role for username, _first, _last, _ar, role in PEOPLE}
    rest = [username for username, *_ in PEOPLE if username not in MAIN_LOGINS]
    return [(username, described[username]) for username in [*MAIN_LOGINS, *rest]]


def build_demo(*, password: str, log: Log | None = None) -> DemoResult:
    """Build the demo, or do nothing when it is there already (then say whether ``password`` is its password)."""
    log = log or (lambda line: None)
    if demo_present():
        user = get_user_model().objects.filter(username="secretariat").first()
        matches = bool(user and check_password(password, user.password))
        return DemoResult(created=False, counts=demo_counts(), password_matches=matches)
    taken = sorted(
        get_user_model().objects.filter(username__in=[p[0] for p in PEOPLE]).values_list("username", flat=True)
    )
    if taken:
        raise DemoError(
            f"These usernames exist already but the demo is not loaded: {', '.join(taken)}. "
            "The demo needs a database without them (use a fresh SQLITE_PATH or DATABASE_URL)."
        )
    if not CharterVersion.objects.filter(is_current=True).exists() or not Theme.objects.exists():
        raise DemoError("No charter in force or no themes: run `manage.py migrate` first.")
    if not SlaPolicy.objects.filter(flow=CASE_TYPE, active=True).exists():
        raise DemoError("No SLA policies for dialogue requests: run `manage.py migrate` first.")
    started = time.monotonic()
    log("Building the demo platform")
    # The engine writes every outbox row with its event, as always; handing them to the workers is
    # held back until the end so the in-process workers deliver them in one transaction (hundreds of
    # commits would take longer than building the whole history). Mail goes to memory meanwhile: the
    # console backend would print hundreds of messages.
    dispatch = outbox.dispatcher()
    first_row = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ENGINE={**settings.ENGINE, "OUTBOX_DISPATCHER": None},
    ):
        with transaction.atomic():
            _Builder(password=password, log=log).build()
        built = time.monotonic()
        log(f"History written in {built - started:.1f} s; delivering the notifications")
        pending = list(
            OutboxMessage.objects.filter(pk__gt=first_row, status=OutboxMessage.Status.PENDING).values_list(
                "pk", flat=True
            )
        )
        if pending:
            # At once when the build committed; never when an outer transaction (a test) rolls it back.
            transaction.on_commit(lambda: _deliver(dispatch, pending))
    delivered = Counter(
        OutboxMessage.objects.filter(pk__gt=first_row, status=OutboxMessage.Status.SENT).values_list(
            "channel", flat=True
        )
    )
    log(
        f"  {delivered.get('in_app', 0)} in-app notifications and {delivered.get('email', 0)} emails delivered "
        f"in {time.monotonic() - built:.1f} s (emails to an in-memory mailbox while building)"
    )
    return DemoResult(created=True, seconds=time.monotonic() - started, counts=demo_counts(), password_matches=True)


def _deliver(dispatch: Callable[[list[int]], None] | None, ids: list[int]) -> None:
    """Deliver the demo's historical notifications here and now, never through a broker.

    With a broker (REDIS_URL) the dispatcher would queue them for the workers, which would send years of
    invented history to real mailboxes through the real SMTP server. The tasks run in-process instead,
    email into the in-memory mailbox, and whatever is still pending afterwards is recorded as skipped so
    no worker or sweep ever picks it up.
    """
    from celery import current_app

    # Celery's eager mode still opens a producer on the in-memory broker, and kombu warns that memory://
    # has no host name: noise in the demo's output, so it is muted while delivering.
    kombu_log = logging.getLogger("kombu.connection")
    level, eager = kombu_log.level, current_app.conf.task_always_eager
    kombu_log.setLevel(logging.ERROR)
    current_app.conf.task_always_eager = True
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            # In-process workers deliver each row in its own transaction: nested in this one, they share one commit.
            with transaction.atomic():
                if dispatch is not None:
                    dispatch(ids)
                OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.PENDING).update(
                    status=OutboxMessage.Status.SKIPPED, last_error=DEMO_NOT_SENT, deliver_after=None
                )
    finally:
        current_app.conf.task_always_eager = eager
        kombu_log.setLevel(level)


def demo_counts() -> dict[str, Any]:
    """What the demo holds: people, organizations, requests per state, and what hangs off them."""
    states = dict(DialogueRequest.objects.values_list("state").annotate(n=Count("id")).order_by())
    clocks = SlaClock.objects.filter(case_type=CASE_TYPE)
    today = timezone.localdate()
    return {
        "users": get_user_model().objects.count(),
        "organizations": Organization.objects.count(),
        "requests": sum(states.values()),
        "states": states,
        "audit_events": AuditEvent.objects.filter(case_type=CASE_TYPE).count(),
        "votes": Vote.objects.count(),
        "conflicts": ConflictDeclaration.objects.count(),
        "meetings": Meeting.objects.count(),
        "outcomes": dict(Outcome.objects.values_list("visibility").annotate(n=Count("id")).order_by()),
        "action_items": ActionItem.objects.count(),
        "overdue_action_items": ActionItem.objects.filter(due_date__lt=today)
        .exclude(status__in=[ActionItem.Status.DONE, ActionItem.Status.DROPPED])
        .count(),
        "clocks": dict(clocks.values_list("status").annotate(n=Count("id")).order_by()),
        "paused_clocks": clocks.filter(paused_at__isnull=False, stopped_at__isnull=True).count(),
        "outbox_messages": OutboxMessage.objects.count(),
    }


# --- time ---------------------------------------------------------------------------------------


class FrozenClock:
    """``timezone.now()`` answers ``moment`` while frozen, so services stamp the past as it happened."""

    def __init__(self) -> None:
        self.moment: dt.datetime | None = None
        self._real = timezone.now

    def now(self) -> dt.datetime:
        return self.moment if self.moment is not None else self._real()

    @contextlib.contextmanager
    def frozen(self) -> Iterator[FrozenClock]:
        # Patched on the module: every caller that does ``timezone.now()`` (engine, services,
        # guards, calendar) reads the demo's moment. Field defaults bound the real function and
        # keep the real time (outbox rows, memberships), which is what happened: they are written now.
        timezone.now = self.now
        try:
            yield self
        finally:
            timezone.now = self._real
            self.moment = None


class Timeline:
    """Moments counted in business days back from today (``ago(3, 10)``: three working days ago at 10:00)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.zone = calendar.local_zone()
        self.today = now.astimezone(self.zone).date()
        self._days: dict[int, dt.date] = {}

    def day(self, n: int) -> dt.date:
        """The n-th business day before today (after today when n is negative; today when 0)."""
        if n not in self._days:
            day, step, left = self.today, (-1 if n > 0 else 1), abs(n)
            while left:
                day += dt.timedelta(days=step)
                if calendar.is_business_day(day):
                    left -= 1
            self._days[n] = day
        return self._days[n]

    def ago(self, n: int, hour: int = 10, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(self.day(n), dt.time(hour, minute), tzinfo=self.zone)

    def due_date(self, calendar_days: int) -> dt.date:
        """A due date ``calendar_days`` from today (negative: already past, so overdue)."""
        return self.today + dt.timedelta(days=calendar_days)

    def clock_start(self, state: str, status: str) -> tuple[int, int]:
        """(n, hour) such that a clock of ``state`` started ``ago(n, hour)`` is ``status`` now, with margin."""
        policy = SlaPolicy.objects.get(flow=CASE_TYPE, state=state, active=True)
        ratio = float(policy.warning_ratio if policy.warning_ratio is not None else sla.default_warning_ratio())
        best: tuple[dt.timedelta, int, int] | None = None
        for n in range(1, 45):
            for hour in (9, 10, 11, 13, 14):
                start = self.ago(n, hour)
                due = calendar.add_business_days(start, policy.allowance_days)
                allowance = max(1, calendar.business_seconds_between(start, due))
                warn = calendar.add_business_seconds(start, int(allowance * ratio))
                if status == SlaClock.Status.ON_TRACK and self.now < warn:
                    margin = warn - self.now
                elif status == SlaClock.Status.WARNING and warn + dt.timedelta(hours=1) <= self.now < due:
                    # Warned already, and for as long as possible before the breach: the demo stays true longer.
                    margin = due - self.now
                elif status == SlaClock.Status.BREACHED and self.now - due >= dt.timedelta(hours=20):
                    # A breach of a day or two, not of months: the smallest overshoot wins.
                    margin = -(self.now - due)
                else:
                    continue
                if best is None or margin > best[0]:
                    best = (margin, n, hour)
        if best is None:
            raise DemoError(f"No start time puts a {state} clock at {status}.")
        return best[1], best[2]


# --- the builder --------------------------------------------------------------------------------


@dataclass
class Story:
    """One request: how it was drafted, and the steps it went through after."""

    key: str
    created: dt.datetime
    by: str
    counterparts: list[str]
    theme: str
    format: str
    language: str
    title: str
    summary: str
    question: str
    participants: int
    steps: Callable[[DialogueRequest], None]
    period: tuple[int, int] | None = None


class _Builder:
    def __init__(self, *, password: str, log: Log) -> None:
        self.password = password
        self.log = log
        self.clock = FrozenClock()
        self.t = Timeline(timezone.now())
        self.users: dict[str, Any] = {}
        self.orgs: dict[str, Organization] = {}
        self.requests: dict[str, DialogueRequest] = {}

    # -- plumbing --

    def at(self, moment: dt.datetime) -> None:
        """Set the frozen clock; the history of one case moves forward only."""
        if moment >= self.t.now:
            raise DemoError(f"A demo step was placed in the future: {moment.isoformat()}")
        self.clock.moment = moment

    def u(self, username: str) -> Any:
        return self.users[username]

    def requester(self, request: DialogueRequest) -> Any:
        key = next(k for k, org in self.orgs.items() if org.pk == request.requesting_organization_id)
        return self.users[COORDINATORS[key]]

    def build(self) -> None:
        self.log("Organizations: a secretariat office, five ministries, five CSOs and a network")
        self.organizations()
        self.log(f"People: {len(PEOPLE)} logins with their roles, memberships and committee seats")
        self.people()
        with self.clock.frozen():
            self.log("Charter: every member organization accepts the Partnership Charter in force")
            self.charter()
            stories = self.stories()
            self.log(f"Requests: drafting {len(stories)} dialogue requests on the platform's themes")
            for story in sorted(stories, key=lambda s: s.created):
                self.create(story)
            for index, story in enumerate(stories, start=1):
                request = self.requests[story.key]
                story.steps(request)
                request.refresh_from_db()
                self.log(f"  [{index:2d}/{len(stories)}] {request.reference} {request.state:<18} {story.title[:60]}")
            self.log("Queue: the head of the secretariat shares out a few open requests")
            self.assignments()
        self.log("SLA: scanning every clock as of now (warnings and breaches, escalations)")
        result = sla.scan(self.t.now)
        self.log(f"  {result.warned} warned, {result.breached} breached, {result.escalated} escalated")

    def assignments(self) -> None:
        """Open requests given to the two officers (the flow's ``assigned`` unit), so the queue shows who
        handles what; some stay unassigned, for "assign to me"."""
        from engine.models import AuditEvent

        latest = AuditEvent.objects.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
        self.at(min((latest or self.t.now) + dt.timedelta(seconds=1), self.t.now - dt.timedelta(seconds=1)))
        states = ["submitted", "in_committee", "approved", "meeting_scheduled", "meeting_held", "follow_up"]
        candidates = DialogueRequest.objects.filter(state__in=states).order_by("reference")
        officers = ["secretariat", "secretariat-lead", "secretariat"]
        for request, officer in zip(candidates[: len(officers)], officers, strict=False):
            services.request_assign(request=request, actor=self.u("secretariat-lead"), assignee=self.u(officer))

    # -- people and organizations (back-office data, as the admin writes it) --

    def organizations(self) -> None:
        themes = {theme.code: theme for theme in Theme.objects.all()}
        for key, side, kind, name, name_ar, acronym, codes in ORGANIZATIONS:
            org = Organization.objects.create(
                side=side,
                kind=kind,
                name=name,
                name_ar=name_ar,
                acronym=acronym,
                email=f"contact@{acronym.lower()}.example.org",
                registration_number=f"{'GOV' if side == 'public' else 'ILM'}-{1000 + len(self.orgs) * 37}",
                registration_details=(
                    "Public administration." if side == "public" else "Notification of association (ilm wa khabar)."
                ),
                active=True,
            )
            org.themes.set([themes[code] for code in codes if code in themes])
            self.orgs[key] = org

    def people(self) -> None:
        hashed = make_password(self.password)  # one hash for every demo login: hashing is slow by design
        model = get_user_model()
        for username, first, last, _arabic, _role in PEOPLE:
            self.users[username] = model.objects.create(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@demo.example.org",
                password=hashed,
                is_active=True,
                # Organizations, seats, SLA policies and the calendar are kept in the Django admin.
                is_staff=username == "admin",
                is_superuser=username == "admin",
            )
        PlatformRole.objects.create(user=self.u("secretariat"), role=PlatformRole.Role.SECRETARIAT)
        PlatformRole.objects.create(user=self.u("secretariat-lead"), role=PlatformRole.Role.SECRETARIAT)
        PlatformRole.objects.create(user=self.u("secretariat-lead"), role=PlatformRole.Role.SECRETARIAT_LEAD)
        PlatformRole.objects.create(user=self.u("auditor"), role=PlatformRole.Role.AUDITOR)
        Membership.objects.create(user=self.u("secretariat"), organization=self.orgs["pps"], role="member")
        for key, username in COORDINATORS.items():
            Membership.objects.create(user=self.u(username), organization=self.orgs[key], role="coordinator")
        # The conflict of interest the demo shows: a civil-society seat held by a member of CAJJ.
        Membership.objects.create(user=self.u("committee-cso-1"), organization=self.orgs["cajj"], role="member")
        for username, side, chair, org_key in SEATS:
            CommitteeSeat.objects.create(
                user=self.u(username),
                side=side,
                is_chair=chair,
                active=True,
                organization=self.orgs[org_key] if org_key else None,
                since=self.t.day(120),
                # Two-year terms; the deputy casts the deciding vote when the chair is recused.
                term_end=self.t.day(120) + dt.timedelta(days=730),
                is_deputy_chair=username == "committee-gov-1",
            )
        rule = CommitteeRule.current()
        rule.composition_criteria, rule.composition_criteria_ar = (
            (
                "The chair and two seats for the public sector, two for civil society; members are chosen for "
                "their experience in justice, health and disability rights, for two-year terms."
            ),
            (
                "الرئيس ومقعدان للقطاع العام ومقعدان للمجتمع المدني؛ يُختار الأعضاء لخبرتهم في العدالة والصحة "
                "وحقوق الأشخاص ذوي الإعاقة، لولاية مدتها سنتان."
            ),
        )
        rule.save()

    def charter(self) -> None:
        for index, (key, username) in enumerate(COORDINATORS.items()):
            if key == "pps":
                continue
            self.at(self.t.ago(100 - index, 11))
            organization_accept_charter(organization=self.orgs[key], actor=self.u(username))

    # -- one step each, at a given moment --

    def create(self, story: Story) -> None:
        self.at(story.created)
        data: dict[str, Any] = {
            "title": story.title,
            "summary": story.summary,
            "policy_question": story.question,
            "theme": story.theme,
            "format": story.format,
            "requesting_organization": self.orgs[story.by].pk,
            "counterpart_organizations": [self.orgs[key].pk for key in story.counterparts],
            "expected_participants": story.participants,
            "language": story.language,
        }
        if story.period:
            data["period_start"] = self.t.due_date(story.period[0]).isoformat()
            data["period_end"] = self.t.due_date(story.period[1]).isoformat()
        self.requests[story.key] = services.request_create(actor=self.users[COORDINATORS[story.by]], data=data)

    def submit(self, r: DialogueRequest, when: dt.datetime) -> None:
        self.at(when)
        services.request_submit(request=r, actor=self.requester(r))

    def ask(self, r: DialogueRequest, when: dt.datetime, message: str) -> None:
        self.at(when)
        services.request_info_request(request=r, actor=self.u("secretariat"), message=message)

    def answer(self, r: DialogueRequest, when: dt.datetime, message: str) -> None:
        self.at(when)
        services.request_info_provide(request=r, actor=self.requester(r), message=message)

    def accept(self, r: DialogueRequest, when: dt.datetime) -> None:
        self.at(when)
        services.request_accept(request=r, actor=self.u("secretariat"))

    def votes(self, r: DialogueRequest, cast: list[tuple[dt.datetime, str, str, str]]) -> None:
        for when, username, decision, reason in cast:
            self.at(when)
            services.vote_cast(request=r, actor=self.u(username), decision=decision, reason=reason)

    def declare(self, r: DialogueRequest, when: dt.datetime, username: str, reason: str) -> None:
        self.at(when)
        services.conflict_declare(request=r, actor=self.u(username), reason=reason)

    def schedule(
        self,
        r: DialogueRequest,
        when: dt.datetime,
        starts: dt.datetime,
        hours: float,
        location: str,
        agenda: str,
        **session: Any,
    ) -> None:
        self.at(when)
        data = {
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=hours)).isoformat(),
            "location": location,
            "agenda": agenda,
            **session,
        }
        services.meeting_schedule(request=r, actor=self.u("secretariat"), data=data)

    def record(self, r: DialogueRequest, when: dt.datetime, present: list[str], **session: Any) -> None:
        """The session was held; ``session`` may name it (``number``) and give minutes, people and walk-ins."""
        self.at(when)
        data: dict[str, Any] = {"attended_organizations": [self.orgs[k].pk for k in present]}
        if "number" in session:
            meeting = r.meetings.get(number=session.pop("number"))
            data["session"] = meeting.pk
            names = set(session.pop("people", []))
            data["present"] = [p.pk for p in meeting.participants.all() if p.name in names]
        data.update(session)
        services.meeting_record(request=r, actor=self.u("secretariat"), data=data)

    def register(
        self, r: DialogueRequest, when: dt.datetime, number: int, people: list[tuple[str, str, str, str]]
    ) -> None:
        """People registered for session ``number`` by the secretariat: (name, organization key, gender, role)."""
        self.at(when)
        session = r.meetings.get(number=number)
        for name, key, gender, role in people:
            data = {"session": session.pk, "name": name, "organization": self.orgs[key].pk, "gender": gender}
            services.participant_register(request=r, actor=self.u("secretariat"), data={**data, "role": role})

    def present_line(self, r: DialogueRequest) -> str:
        """Who sat at the table, in the request's language(s): the parties' coordinators and the secretariat."""
        party_ids = [r.requesting_organization_id, *r.counterpart_organizations.values_list("pk", flat=True)]
        keys = [key for pk in party_ids for key, org in self.orgs.items() if org.pk == pk]
        people = {username: (f"{first} {last}", arabic) for username, first, last, arabic, _role in PEOPLE}
        present = [people[COORDINATORS[key]] for key in keys] + [people["secretariat"]]
        english = "Present: " + ", ".join(name for name, _arabic in present) + "."
        arabic = "الحضور: " + "، ".join(name for _name, name in present) + "."
        if r.language == DialogueRequest.Language.ARABIC:
            return arabic
        if r.language == DialogueRequest.Language.ENGLISH:
            return english
        return f"{english}\n{arabic}"

    def document(self, r: DialogueRequest, when: dt.datetime, **outcome: Any) -> None:
        self.at(when)
        outcome.setdefault("visibility", "public")
        outcome["minutes"] = f"{self.present_line(r)}\n\n{outcome['minutes']}"
        services.outcome_document(request=r, actor=self.u("secretariat"), data=outcome)

    def confirm(self, r: DialogueRequest, when: dt.datetime, username: str) -> None:
        self.at(when)
        services.minutes_confirm(request=r, actor=self.u(username))

    def follow_up(self, r: DialogueRequest, when: dt.datetime) -> None:
        self.at(when)
        services.request_follow_up_start(request=r, actor=self.u("secretariat"))

    def action(
        self, r: DialogueRequest, when: dt.datetime, owner: str, due_in_days: int, description: str, person: str = ""
    ) -> ActionItem:
        self.at(when)
        return services.action_item_create(
            request=r,
            actor=self.u("secretariat"),
            description=description,
            owner_organization=self.orgs[owner],
            due_date=self.t.due_date(due_in_days),
            owner_person=self.u(person) if person else None,
        )

    def progress(
        self, item: ActionItem, when: dt.datetime, username: str, text: str, status: str | None = None, url: str = ""
    ) -> None:
        self.at(when)
        services.action_update_add(item=item, actor=self.u(username), text=text, evidence_url=url, status=status)

    def close(self, r: DialogueRequest, when: dt.datetime) -> None:
        self.at(when)
        services.request_close(request=r, actor=self.u("secretariat"))

    def scan_at(self, when: dt.datetime) -> None:
        """The SLA scan as it ran that day: it lapses requests and confirms minutes by silence."""
        self.at(when)
        result = sla.scan(when)
        if result.errors:
            raise DemoError("; ".join(result.errors))

    # -- the requests ----------------------------------------------------------------------------

    def stories(self) -> list[Story]:
        t = self.t
        stories: list[Story] = []

        # 1. Lapsed: the network never answered the secretariat's question; the SLA scan lapsed it.
        info_at = t.ago(33, 11)

        def lapsed(r: DialogueRequest) -> None:
            self.submit(r, t.ago(34, 10))
            self.ask(
                r,
                info_at,
                "يرجى تحديد الجمعيات التطوعية المعنية وعدد المتطوعين المشمولين، وإرفاق نماذج عقود التأمين "
                "المعمول بها حاليًا لدى فرق الاستجابة.",
            )
            self.scan_at(calendar.add_business_days(info_at, 10) + dt.timedelta(hours=1))

        stories.append(
            Story(
                key="lapsed",
                created=t.ago(34, 9),
                by="cnva",
                counterparts=["mosa"],
                theme="volunteering",
                format="consultation",
                language="ar",
                title="التأمين على المتطوعين في أعمال الاستجابة للطوارئ",
                summary="يعمل آلاف المتطوعين في فرق الإسعاف والإغاثة من دون تغطية تأمينية واضحة ضد الحوادث. "
                "تطلب الشبكة استشارة مع الوزارة حول إطار يحدّد مسؤولية الجهات المنظِّمة ويؤمّن الحدّ الأدنى من الحماية.",
                question="من يتحمّل كلفة التأمين على المتطوعين في حالات الطوارئ، وكيف تُنظَّم؟",
                participants=20,
                steps=lapsed,
            )
        )

        # 2. Follow-up: the ministry's request on disability decrees; the forum's silence confirmed the minutes.
        documented_at = t.ago(38, 11)

        def disability_follow_up(r: DialogueRequest) -> None:
            self.submit(r, t.ago(48, 9, 30))
            self.accept(r, t.ago(47, 10))
            self.votes(
                r,
                [
                    (t.ago(45, 10), "committee-gov-1", "approve", ""),
                    (t.ago(45, 11, 30), "committee-cso-2", "approve", "طلب واضح ومرتبط مباشرة بتطبيق القانون."),
                    (t.ago(45, 14), "committee-gov-2", "approve", ""),
                ],
            )
            self.schedule(
                r,
                t.ago(44, 10),
                t.ago(40, 10),
                3,
                "وزارة الشؤون الاجتماعية، بدارو، بيروت – قاعة الاجتماعات الكبرى",
                "١. الافتتاح والترحيب\n٢. عرض المنتدى لأولويات الأشخاص ذوي الإعاقة\n٣. المراسيم التطبيقية المتأخرة\n"
                "٤. خطوات المتابعة وتوزيع المسؤوليات",
            )
            self.record(r, t.ago(40, 14), ["mosa", "eaf"])
            self.document(
                r,
                documented_at,
                minutes="عُقدت طاولة الحوار بحضور ممثلين عن وزارة الشؤون الاجتماعية ومنتدى الوصول المتكافئ. "
                "عرض المنتدى نتائج مسح شمل ٣٢٠ شخصًا من ذوي الإعاقة حول العوائق أمام الحصول على الخدمات، "
                "وناقش الطرفان المراسيم التطبيقية التي لم تصدر بعد، واتفقا على ثلاث أولويات للسنة الجارية.",
                summary="اتفاق على أولويات المراسيم التطبيقية وعلى مشاركة المنتدى في صياغتها.",
                recommendations=[
                    "إعداد مسودة مرسوم توحيد بطاقة الإعاقة الشخصية",
                    "إشراك الأشخاص ذوي الإعاقة في جلسات تشاورية في المناطق",
                    "نشر دليل مبسّط للوصول إلى الخدمات بصيغ ميسّرة",
                ],
                agreements="تقود الوزارة الصياغة ويقدّم المنتدى ملاحظاته خلال مهلة شهر من كل مسودة.",
                what_changed="التزمت الوزارة بجدول زمني مكتوب لإعداد مسودة المرسوم الأول.",
                who_changed="مديرية الرعاية الاجتماعية في وزارة الشؤون الاجتماعية.",
                significance="أول التزام مكتوب بجدول زمني منذ سنوات من التأخير في المراسيم التطبيقية.",
                contribution="قدّم المنتدى بيانات المسح الميداني التي استند إليها ترتيب الأولويات.",
                evidence="محضر الجلسة الموقَّع؛ كتاب الوزارة رقم ٢١٤/ص بتاريخ الجلسة.",
            )
            self.confirm(r, t.ago(37, 10), "ministry-coordinator")
            # The forum never confirmed: after five business days silence counted as consent.
            self.scan_at(calendar.add_business_days(documented_at, 5) + dt.timedelta(hours=1))
            self.follow_up(r, t.ago(32, 10))
            decree = self.action(
                r, t.ago(32, 10, 30), "mosa", -20, "إعداد مسودة مرسوم توحيد بطاقة الإعاقة الشخصية وعرضها على المنتدى"
            )
            # Still open, and overdue: the follow-up tracker shows it.
            self.action(
                r, t.ago(32, 10, 40), "mosa", -5, "نشر دليل مبسّط للوصول إلى الخدمات بصيغ ميسّرة (برايل، لغة إشارة)"
            )
            consult = self.action(
                r,
                t.ago(32, 10, 50),
                "eaf",
                30,
                "تنظيم ثلاث جلسات تشاورية مع الأشخاص ذوي الإعاقة في الشمال والبقاع والجنوب",
                person="disability-coordinator",
            )
            self.progress(
                consult,
                t.ago(20, 12),
                "disability-coordinator",
                "عُقدت الجلسة الأولى في طرابلس بمشاركة ٤٥ شخصًا؛ التقرير قيد الإعداد.",
                status="in_progress",
                url="https://eaf.example.org/reports/tripoli-session",
            )
            self.progress(
                decree,
                t.ago(15, 11),
                "ministry-coordinator",
                "المسودة الأولى جاهزة داخليًا وتنتظر رأي الدائرة القانونية.",
                status="in_progress",
            )

        stories.append(
            Story(
                key="disability-follow-up",
                created=t.ago(48, 9),
                by="mosa",
                counterparts=["eaf"],
                theme="disability-rights",
                format="roundtable",
                language="ar",
                title="أولويات المراسيم التطبيقية لقانون حقوق الأشخاص ذوي الإعاقة",
                summary="تطلب الوزارة طاولة حوار مع منتدى الوصول المتكافئ لتحديد أولويات إصدار المراسيم التطبيقية "
                "المتأخرة، ولا سيما بطاقة الإعاقة الموحّدة والوصول إلى الخدمات.",
                question="ما المراسيم التطبيقية التي يجب إصدارها أولًا، وبأي مشاركة من الأشخاص ذوي الإعاقة؟",
                participants=30,
                steps=disability_follow_up,
            )
        )

        # 3. Closed: protection orders, with every action done or dropped with a justification.
        def protection_orders(r: DialogueRequest) -> None:
            self.submit(r, t.ago(70, 9, 30))
            self.accept(r, t.ago(68, 10))
            self.votes(
                r,
                [
                    (t.ago(66, 10), "committee-gov-2", "approve", ""),
                    (t.ago(66, 11), "committee-cso-1", "approve", "Clear policy question with both ministries named."),
                    (t.ago(66, 15), "committee-cso-2", "approve", ""),
                ],
            )
            self.schedule(
                r,
                t.ago(64, 10),
                t.ago(58, 10),
                3,
                "Ministry of Justice, Adlieh, Beirut — meeting room 3 / وزارة العدل، العدلية، بيروت",
                "1. Opening / الافتتاح\n2. Delays in protection orders: data from WLEC's legal clinic\n"
                "3. Role of police stations and prosecutors\n4. Recommendations / التوصيات",
            )
            self.record(r, t.ago(58, 14), ["wlec", "moj", "moim"])
            self.document(
                r,
                t.ago(56, 11),
                minutes="The dialogue brought together WLEC, the Ministry of Justice and the Ministry of Interior. "
                "WLEC presented 48 anonymised cases in which protection orders took more than 30 days. The parties "
                "agreed on a circular to prosecutors and on focal points in police stations.\n\n"
                "جمع الحوار التجمّع ووزارتي العدل والداخلية. عرض التجمّع ٤٨ حالة تأخّر فيها صدور أمر الحماية أكثر "
                "من ٣٠ يومًا، واتفق الأطراف على تعميم إلى النيابات العامة وعلى تعيين نقاط اتصال في المخافر.",
                summary="A circular on time limits for protection orders and focal points in police stations.",
                recommendations=[
                    "Circular to public prosecutors on time limits for protection orders",
                    "Designate trained focal points in police stations",
                    "Publish a bilingual guide for survivors",
                ],
                agreements="The Ministry of Justice issues the circular; the Ministry of Interior designates focal points.",
                what_changed="The Ministry of Justice issued circular 7/2026 setting a 72-hour target for urgent orders.",
                who_changed="Public prosecutors; the Internal Security Forces' family protection unit.",
                significance="Median time to an urgent protection order fell from 31 to 9 days in two governorates.",
                contribution="WLEC's case data made the delays visible and shaped the circular's time limits.",
                evidence="Circular 7/2026; ISF statistics shared with the secretariat; WLEC clinic records.",
            )
            self.confirm(r, t.ago(55, 10), "women-coordinator")
            self.confirm(r, t.ago(55, 12), "justice-coordinator")
            self.confirm(r, t.ago(54, 9), "interior-coordinator")
            self.follow_up(r, t.ago(53, 10))
            circular = self.action(
                r, t.ago(53, 10, 30), "moj", -40, "Circular to public prosecutors on time limits for protection orders"
            )
            focal = self.action(
                r, t.ago(53, 10, 40), "moim", -25, "Designate a trained focal point in each police station"
            )
            guide = self.action(r, t.ago(53, 10, 50), "wlec", -10, "Publish a bilingual guide for survivors")
            self.progress(
                circular,
                t.ago(30, 10),
                "justice-coordinator",
                "Circular 7/2026 issued and sent to every public prosecutor.",
                status="done",
                url="https://moj.example.org/circulars/7-2026",
            )
            self.progress(
                focal, t.ago(20, 10), "interior-coordinator", "Focal points named in 54 stations.", status="done"
            )
            self.at(t.ago(12, 10))
            services.action_item_update(
                item=guide,
                actor=self.u("women-coordinator"),
                status="dropped",
                justification="Superseded: the Ministry of Justice published an official guide with the same content.",
            )
            self.close(r, t.ago(5, 10))

        stories.append(
            Story(
                key="protection-orders",
                created=t.ago(70, 9),
                by="wlec",
                counterparts=["moj", "moim"],
                theme="gender-discrimination-in-laws",
                format="policy_dialogue",
                language="both",
                title="Protection orders for women survivors of violence: removing procedural delays",
                summary="Women who apply for protection orders wait weeks for a decision. WLEC asks for a policy "
                "dialogue with the Ministries of Justice and Interior on time limits and police procedures.\n\n"
                "تنتظر النساء أسابيع قبل صدور أوامر الحماية. يطلب التجمّع حوارًا حول المهل والإجراءات في المخافر.",
                question="How can urgent protection orders be issued within 72 hours?",
                participants=25,
                steps=protection_orders,
            )
        )

        # 4. Closed straight from the documented outcome: no follow-up actions were needed.
        def youth_vote(r: DialogueRequest) -> None:
            self.submit(r, t.ago(52, 9, 30))
            self.accept(r, t.ago(50, 10))
            self.votes(
                r,
                [
                    (t.ago(49, 10), "committee-cso-2", "approve", ""),
                    (t.ago(49, 12), "chair", "approve", ""),
                    (t.ago(49, 14), "committee-gov-2", "approve", ""),
                ],
            )
            self.schedule(
                r,
                t.ago(48, 10),
                t.ago(44, 10),
                2.5,
                "أمانة منصة الشراكة، الحمرا، بيروت",
                "١. مشاركة الشباب في الانتخابات البلدية الأخيرة\n٢. حملات التوعية في المدارس والجامعات\n٣. التوصيات",
            )
            self.record(r, t.ago(44, 13), ["cvi", "moim"])
            self.document(
                r,
                t.ago(43, 11),
                minutes="ناقش الطرفان أسباب تدني مشاركة الشباب بين ٢١ و٢٥ عامًا في الانتخابات البلدية. عرضت المبادرة "
                "نتائج استطلاع شمل ٦٠٠ شاب وشابة، وأبدت الوزارة استعدادها لتسهيل حملات التوعية في أقلام الاقتراع.",
                summary="حملة توعية مشتركة قبل الانتخابات البلدية المقبلة، من دون إجراءات متابعة إضافية.",
                recommendations=["حملة توعية مشتركة في الجامعات", "نشر نتائج الاستطلاع على موقع الوزارة"],
                what_changed="وافقت الوزارة على نشر مواد التوعية التي أعدّتها المبادرة على منصاتها الرسمية.",
                who_changed="المديرية العامة للشؤون السياسية واللاجئين في وزارة الداخلية والبلديات.",
                significance="أول تعاون رسمي مع منظمة مدنية في التوعية الانتخابية للشباب.",
                contribution="قدّمت المبادرة بيانات الاستطلاع والمواد التوعوية الجاهزة.",
                evidence="منشورات الوزارة الرسمية؛ تقرير الاستطلاع.",
            )
            self.confirm(r, t.ago(42, 10), "citizens-coordinator")
            self.confirm(r, t.ago(41, 11), "interior-coordinator")
            self.close(r, t.ago(40, 10))

        stories.append(
            Story(
                key="youth-vote",
                created=t.ago(52, 9),
                by="cvi",
                counterparts=["moim"],
                theme="citizenship",
                format="roundtable",
                language="ar",
                title="مشاركة الشباب في الانتخابات البلدية",
                summary="تطلب المبادرة طاولة حوار مع وزارة الداخلية والبلديات حول تدني مشاركة الشباب في الانتخابات "
                "البلدية وسبل تشجيعها.",
                question="كيف يمكن رفع مشاركة الشباب في الانتخابات البلدية؟",
                participants=18,
                steps=youth_vote,
            )
        )

        # 5. Follow-up: the CSO's juvenile-justice roundtable, closed, then reopened to add actions.
        def diversion(r: DialogueRequest) -> None:
            self.submit(r, t.ago(42, 9, 30))
            self.ask(
                r, t.ago(41, 10), "Please say which juvenile courts the case data covers and attach the concept note."
            )
            self.answer(
                r,
                t.ago(40, 11),
                "The data covers the juvenile courts of Beirut, Baabda and Tripoli (2023-2025). Concept note sent by email.",
            )
            self.accept(r, t.ago(39, 10))
            self.votes(
                r,
                [
                    (t.ago(37, 10), "committee-gov-1", "approve", ""),
                    (t.ago(37, 12), "committee-cso-2", "approve", "Strong evidence base from CSO case work."),
                    (t.ago(36, 10), "committee-gov-2", "approve", ""),
                ],
            )
            self.schedule(
                r,
                t.ago(35, 10),
                t.ago(30, 10),
                3,
                "Ministry of Justice, Adlieh, Beirut — meeting room 3",
                "1. Opening by the Ministry of Justice\n2. Diversion measures in the juvenile law: CAJJ case data\n"
                "3. Role of the social workers of the Ministry of Social Affairs\n4. Follow-up steps",
                capacity=30,
            )
            # A dialogue series: the roundtable, then a drafting workshop the next day.
            self.schedule(
                r,
                t.ago(35, 10, 30),
                t.ago(29, 10),
                3,
                "Ministry of Justice, Adlieh, Beirut — meeting room 3",
                "1. The draft guidelines, article by article\n2. The social workers' part in diversion plans",
                kind="workshop",
                title="Drafting the diversion guidelines",
            )
            self.register(
                r,
                t.ago(33, 11),
                1,
                [
                    ("Rania Khoury", "cajj", "female", "speaker"),
                    ("Joseph Abi Nader", "moj", "male", "participant"),
                    ("Lama Saad", "mosa", "female", "participant"),
                    ("Fadi Halabi", "moj", "male", "observer"),
                ],
            )
            self.record(
                r,
                t.ago(30, 14, 30),
                ["cajj", "moj", "mosa"],
                number=1,
                people=["Rania Khoury", "Joseph Abi Nader", "Lama Saad"],
                walk_ins=[{"name": "Nadine Karam", "organization": self.orgs["cajj"].pk, "gender": "female"}],
                minutes="Roundtable: CAJJ presented 212 cases; the ministries agreed to draft guidelines together.",
            )
            self.record(
                r,
                t.ago(29, 14),
                ["cajj", "moj", "mosa"],
                number=2,
                walk_ins=[
                    {"name": "Joseph Abi Nader", "organization": self.orgs["moj"].pk, "gender": "male"},
                    {"name": "Rania Khoury", "organization": self.orgs["cajj"].pk, "gender": "female"},
                    {"name": "Samir Haddad", "organization": self.orgs["mosa"].pk, "gender": "male"},
                ],
                minutes="Workshop: the first draft of the guidelines was reviewed article by article.",
            )
            self.document(
                r,
                t.ago(28, 11),
                minutes="The parties reviewed 212 cases handled by CAJJ in which children were detained pending trial "
                "although diversion was possible. The Ministry of Justice agreed to draft implementing guidelines "
                "for juvenile judges; the Ministry of Social Affairs will train its social workers on diversion plans.",
                summary="Agreement to draft diversion guidelines for juvenile judges and to train social workers.",
                recommendations=[
                    "Draft implementing guidelines on diversion for juvenile judges",
                    "Train the social workers of the juvenile protection unit",
                    "Share anonymised case data every six months",
                ],
                agreements="The Ministry of Justice leads the guidelines with CAJJ's input.",
                what_changed="The Ministry of Justice committed to written guidelines on diversion before trial.",
                who_changed="Ministry of Justice, juvenile justice directorate; juvenile judges.",
                significance="First written commitment on diversion since the juvenile law entered into force.",
                contribution="The roundtable brought the evidence from CSO case work to the drafting table.",
                evidence="Signed minutes; Ministry of Justice memo 14/2026.",
            )
            self.confirm(r, t.ago(27, 10), "cso-coordinator")
            self.confirm(r, t.ago(27, 14), "justice-coordinator")
            self.confirm(r, t.ago(26, 10), "ministry-coordinator")
            self.follow_up(r, t.ago(25, 10))
            data = self.action(r, t.ago(25, 10, 30), "cajj", -30, "Share anonymised case data with the ministry")
            self.progress(
                data,
                t.ago(22, 11),
                "cso-coordinator",
                "Data for 2023-2025 shared through the secretariat (anonymised, 212 cases).",
                status="done",
                url="https://cajj.example.org/data/diversion-2025",
            )
            self.close(r, t.ago(12, 10))
            self.at(t.ago(10, 9, 30))
            services.request_reopen(
                request=r,
                actor=self.u("secretariat"),
                reason="The Ministry of Justice asked to track the guidelines agreed at the roundtable.",
                target="follow_up",
            )
            guidelines = self.action(
                r, t.ago(10, 10), "moj", -4, "Draft implementing guidelines on diversion for juvenile judges"
            )
            self.action(
                r, t.ago(10, 10, 10), "mosa", 25, "Train 40 social workers of the juvenile protection unit on diversion"
            )
            self.action(
                r,
                t.ago(10, 10, 20),
                "cajj",
                60,
                "Publish a six-month monitoring report on diversion cases",
                person="cso-coordinator",
            )
            self.progress(
                guidelines,
                t.ago(5, 11),
                "justice-coordinator",
                "First draft circulated internally; consultation with juvenile judges planned.",
                status="in_progress",
            )

        stories.append(
            Story(
                key="diversion",
                created=t.ago(42, 9),
                by="cajj",
                counterparts=["moj", "mosa"],
                theme="juvenile-justice",
                format="roundtable",
                language="en",
                title="Alternatives to detention for children in conflict with the law",
                summary="Children are still detained pending trial although the juvenile law allows diversion. "
                "CAJJ asks for a roundtable with the Ministries of Justice and Social Affairs on applying diversion "
                "measures before trial.",
                question="How can diversion be applied systematically before trial?",
                participants=25,
                steps=diversion,
            )
        )

        # 6. Outcome documented, restricted: treatment referrals involve identifiable patients.
        n6, h6 = t.clock_start("outcome_documented", SlaClock.Status.ON_TRACK)

        def referrals(r: DialogueRequest) -> None:
            self.submit(r, t.ago(n6 + 20, 9, 30))
            self.accept(r, t.ago(n6 + 18, 10))
            self.votes(
                r,
                [
                    (t.ago(n6 + 16, 10), "committee-cso-1", "approve", ""),
                    (t.ago(n6 + 16, 11), "committee-gov-1", "approve", ""),
                    (t.ago(n6 + 15, 10), "committee-cso-2", "approve", ""),
                ],
            )
            self.schedule(
                r,
                t.ago(n6 + 12, 10),
                t.ago(n6 + 3, 10),
                3,
                "Ministry of Public Health, Bir Hassan, Beirut / وزارة الصحة العامة، بئر حسن",
                "1. Referral pathways today / مسارات الإحالة الحالية\n2. Consent and data protection\n"
                "3. A shared referral protocol / بروتوكول إحالة مشترك",
            )
            self.record(r, t.ago(n6 + 3, 14), ["bridges", "moph"])
            self.document(
                r,
                t.ago(n6, h6),
                minutes="The parties reviewed referral cases between BRIDGES' outreach teams and public treatment "
                "centres, including individual case files.\n\nراجع الطرفان حالات إحالة فردية بين فرق الجمعية ومراكز "
                "العلاج العامة.",
                summary="A draft referral protocol between treatment centres and NGOs, with consent rules.",
                recommendations=["Adopt a shared referral protocol", "Written consent before any data is shared"],
                what_changed="The ministry agreed to pilot the referral protocol in two treatment centres.",
                who_changed="Ministry of Public Health, mental health and substance use programme.",
                significance="Referrals had no written protocol; patients were lost between services.",
                contribution="BRIDGES documented where referrals failed, case by case.",
                evidence="Draft protocol v2; pilot decision of the ministry.",
                visibility="restricted",
                restriction_reason="The minutes discuss individual patients' treatment histories (medical privacy).",
            )
            self.confirm(r, t.ago(n6, h6 + 1), "bridges-coordinator")
            self.at(t.ago(n6, h6 + 2))
            services.outcome_read_restricted(request=r, actor=self.u("auditor"))

        stories.append(
            Story(
                key="referrals",
                created=t.ago(n6 + 20, 9),
                by="bridges",
                counterparts=["moph"],
                theme="drug-addiction",
                format="workshop",
                language="both",
                title="Referral pathways between treatment centres and NGOs for people who use drugs",
                summary="People who use drugs are referred between NGOs and public treatment centres without a shared "
                "protocol. BRIDGES asks for a workshop with the Ministry of Public Health.\n\n"
                "تُحال الحالات بين الجمعيات ومراكز العلاج من دون بروتوكول مشترك؛ تطلب الجمعية ورشة عمل مع الوزارة.",
                question="What referral protocol protects patients' consent and continuity of care?",
                participants=15,
                steps=referrals,
            )
        )

        # 7. Meeting held, minutes not yet documented: the secretariat's clock is in warning.
        n7, h7 = t.clock_start("meeting_held", SlaClock.Status.WARNING)

        def prevention(r: DialogueRequest) -> None:
            self.submit(r, t.ago(n7 + 22, 9, 30))
            self.accept(r, t.ago(n7 + 20, 10))
            self.votes(
                r,
                [
                    (t.ago(n7 + 18, 10), "committee-gov-1", "approve", ""),
                    (t.ago(n7 + 18, 11), "committee-cso-1", "abstain", ""),
                    (t.ago(n7 + 18, 13), "committee-gov-2", "approve", ""),
                    (t.ago(n7 + 17, 10), "committee-cso-2", "approve", ""),
                ],
            )
            self.schedule(
                r,
                t.ago(n7 + 15, 10),
                t.ago(n7 + 1, 10),
                2.5,
                "Partnership Platform Secretariat, Hamra, Beirut",
                "1. Prevention programmes in schools and youth clubs\n2. Roles of the two ministries\n3. Next steps",
            )
            self.record(r, t.ago(n7, h7), ["bridges", "mosa", "moys"])

        stories.append(
            Story(
                key="prevention",
                created=t.ago(n7 + 22, 9),
                by="bridges",
                counterparts=["mosa", "moys"],
                theme="drug-addiction",
                format="policy_dialogue",
                language="en",
                title="Community-based prevention of drug use among adolescents",
                summary="BRIDGES asks the Ministries of Social Affairs and of Youth and Sports for a policy dialogue "
                "on prevention programmes run with youth clubs and social development centres.",
                question="Which prevention programmes should the ministries fund with NGOs?",
                participants=30,
                steps=prevention,
            )
        )

        # 8. Meeting scheduled (rescheduled once) after a rejection and a successful appeal.
        def juvenile_law(r: DialogueRequest) -> None:
            self.submit(r, t.ago(27, 9, 30))
            self.accept(r, t.ago(26, 10))
            self.votes(
                r,
                [
                    (t.ago(24, 10), "committee-gov-1", "reject", "المسودة غير مرفقة ولا يمكن تقييم نطاق التعديل."),
                    (t.ago(24, 11), "committee-cso-2", "reject", "يجب إشراك الجمعيات العاملة مع الأحداث في الإعداد."),
                    (t.ago(24, 14), "committee-gov-2", "reject", "الطلب سابق لأوانه قبل إنجاز دراسة الأثر."),
                ],
            )
            self.at(t.ago(22, 10))
            services.request_appeal(
                request=r,
                actor=self.u("justice-coordinator"),
                reason="أرفقنا مسودة التعديل ودراسة الأثر، ووافقت جمعية الأرز على المشاركة في الإعداد.",
            )
            self.votes(
                r,
                [
                    (t.ago(20, 10), "committee-gov-1", "approve", ""),
                    (t.ago(20, 12), "committee-cso-2", "approve", "أصبحت المسودة ودراسة الأثر متاحتين."),
                    (t.ago(19, 10), "chair", "approve", ""),
                ],
            )
            self.schedule(
                r,
                t.ago(15, 10),
                t.ago(-2, 10),
                3,
                "وزارة العدل، العدلية، بيروت – القاعة ٣",
                "١. عرض مسودة التعديل\n٢. ملاحظات جمعية الأرز\n٣. الخطوات التالية",
            )
            self.at(t.ago(3, 11))
            new_start = t.ago(-6, 10)
            services.meeting_reschedule(
                request=r,
                actor=self.u("secretariat"),
                data={
                    "starts_at": new_start.isoformat(),
                    "ends_at": (new_start + dt.timedelta(hours=3)).isoformat(),
                    "location": "وزارة العدل، العدلية، بيروت – القاعة ٣",
                    "agenda": "١. عرض مسودة التعديل\n٢. ملاحظات جمعية الأرز\n٣. الخطوات التالية",
                    "reason": "تزامن الموعد الأول مع جلسة لمجلس الوزراء يحضرها الوزير.",
                },
            )

        stories.append(
            Story(
                key="juvenile-law",
                created=t.ago(27, 9),
                by="moj",
                counterparts=["cajj"],
                theme="juvenile-justice",
                format="consultation",
                language="ar",
                title="تعديل قانون حماية الأحداث المخالفين للقانون أو المعرّضين للخطر",
                summary="تطلب وزارة العدل استشارة جمعية الأرز حول مسودة تعديل قانون الأحداث، ولا سيما سنّ المسؤولية "
                "الجزائية وبدائل التوقيف.",
                question="ما التعديلات التي تضمن مصلحة الطفل الفضلى في مرحلة التحقيق والمحاكمة؟",
                participants=20,
                period=(7, 30),
                steps=juvenile_law,
            )
        )

        # 9. Approved twelve days ago, no meeting yet: the secretariat's scheduling clock is breached.
        n9, h9 = t.clock_start("approved", SlaClock.Status.BREACHED)

        def volunteering_strategy(r: DialogueRequest) -> None:
            self.submit(r, t.ago(n9 + 6, 9, 30))
            self.accept(r, t.ago(n9 + 4, 10))
            self.votes(
                r,
                [
                    (t.ago(n9 + 2, 10), "committee-gov-1", "approve", ""),
                    (t.ago(n9 + 1, 10), "committee-cso-1", "approve", ""),
                    (t.ago(n9, h9), "chair", "approve", ""),
                ],
            )

        stories.append(
            Story(
                key="volunteering-strategy",
                created=t.ago(n9 + 6, 9),
                by="moys",
                counterparts=["cnva"],
                theme="volunteering",
                format="consultation",
                language="en",
                title="National youth volunteering strategy: consulting volunteer networks",
                summary="The Ministry of Youth and Sports is drafting a national youth volunteering strategy and asks "
                "the Coastal Network of Volunteer Associations for a consultation on recognition of volunteer hours.",
                question="How should volunteer work by young people be recognised and protected?",
                participants=35,
                steps=volunteering_strategy,
            )
        )

        # 10. Approved again after the meeting was cancelled; the new scheduling clock is on track.
        n10, h10 = t.clock_start("approved", SlaClock.Status.ON_TRACK)

        def social_security(r: DialogueRequest) -> None:
            self.submit(r, t.ago(n10 + 14, 9, 30))
            self.accept(r, t.ago(n10 + 12, 10))
            self.votes(
                r,
                [
                    (t.ago(n10 + 10, 10), "committee-gov-2", "approve", ""),
                    (t.ago(n10 + 10, 11), "committee-cso-2", "approve", ""),
                    (t.ago(n10 + 10, 13), "chair", "approve", ""),
                ],
            )
            self.schedule(
                r,
                t.ago(n10 + 9, 10),
                t.ago(-3, 10),
                2,
                "وزارة الشؤون الاجتماعية، بدارو، بيروت",
                "١. الأحكام التمييزية في قانون الضمان الاجتماعي\n٢. اقتراحات التجمّع\n٣. التوصيات",
            )
            self.at(t.ago(n10, h10))
            services.meeting_cancel(
                request=r,
                actor=self.u("secretariat"),
                reason="الوزير في مهمة رسمية خارج البلاد في الموعد المحدّد؛ سيُحدَّد موعد جديد بالتنسيق مع الطرفين.",
            )

        stories.append(
            Story(
                key="social-security",
                created=t.ago(n10 + 14, 9),
                by="wlec",
                counterparts=["mosa"],
                theme="gender-discrimination-in-laws",
                format="policy_dialogue",
                language="ar",
                title="الأحكام التمييزية ضد النساء في تقديمات الضمان الاجتماعي",
                summary="لا تستفيد أسر النساء المضمونات من التقديمات بالشروط نفسها التي تستفيد بها أسر الرجال. "
                "يطلب التجمّع حوارًا حول تعديل هذه الأحكام.",
                question="كيف تُزال شروط التمييز في استفادة أفراد أسرة المرأة المضمونة؟",
                participants=22,
                steps=social_security,
            )
        )

        # 11. In committee, breached: a declared conflict, an automatic recusal, and a tie for the chair.
        n11, h11 = t.clock_start("in_committee", SlaClock.Status.BREACHED)

        def polling(r: DialogueRequest) -> None:
            self.submit(r, t.ago(n11 + 2, 10))
            self.accept(r, t.ago(n11, h11))
            self.declare(
                r,
                t.ago(n11 - 1, 10),
                "committee-cso-2",
                "I advised the Equal Access Forum on this request before it was submitted.",
            )
            self.votes(
                r,
                [
                    (t.ago(n11 - 2, 10), "committee-gov-2", "approve", ""),
                    (
                        t.ago(n11 - 4, 11),
                        "committee-cso-1",
                        "reject",
                        "The electoral law amendment is already before parliament; a dialogue now would duplicate it.",
                    ),
                    (t.ago(n11 - 6, 10), "chair", "abstain", ""),
                ],
            )

        stories.append(
            Story(
                key="polling",
                created=t.ago(n11 + 2, 9),
                by="eaf",
                counterparts=["moim"],
                theme="disability-rights",
                format="policy_dialogue",
                language="en",
                title="Accessible polling stations and the right to vote of persons with disabilities",
                summary="Most polling stations are on upper floors of public schools. The Equal Access Forum asks the "
                "Ministry of Interior and Municipalities for a policy dialogue before the next elections.",
                question="Which measures make every polling station accessible by the next elections?",
                participants=20,
                steps=polling,
            )
        )

        # 12. In committee, warning: two votes in, the chair and committee-gov-2 still to vote.
        n12, h12 = t.clock_start("in_committee", SlaClock.Status.WARNING)

        def centres(r: DialogueRequest) -> None:
            self.submit(r, t.ago(n12 + 2, 10))
            self.accept(r, t.ago(n12, h12))
            self.votes(
                r,
                [
                    (t.ago(max(n12 - 2, 1), 10), "committee-gov-1", "approve", ""),
                    (t.ago(max(n12 - 3, 1), 12), "committee-cso-2", "approve", "Independent monitoring is overdue."),
                ],
            )

        stories.append(
            Story(
                key="centres",
                created=t.ago(n12 + 2, 9),
                by="cajj",
                counterparts=["mosa"],
                theme="juvenile-justice",
                format="roundtable",
                language="both",
                title="Standards and independent monitoring of rehabilitation centres for minors",
                summary="Rehabilitation centres for minors have no published standards or independent monitoring. "
                "CAJJ asks for a roundtable with the Ministry of Social Affairs.\n\n"
                "لا معايير منشورة ولا رقابة مستقلة على مراكز إعادة تأهيل الأحداث؛ تطلب الجمعية طاولة حوار مع الوزارة.",
                question="Which standards and which monitoring body for rehabilitation centres?",
                participants=20,
                steps=centres,
            )
        )

        # 13. Rejected three days ago: the appeal window is open for BRIDGES.
        def harm_reduction(r: DialogueRequest) -> None:
            self.submit(r, t.ago(12, 9, 30))
            self.accept(r, t.ago(10, 10))
            self.votes(
                r,
                [
                    (t.ago(8, 10), "committee-gov-2", "reject", "Prison health services are being reorganised; "
                     "the request should wait for the new structure."),
                    (t.ago(6, 10), "committee-cso-2", "approve", "Urgent public-health issue."),
                    (t.ago(4, 11), "committee-cso-1", "reject", "The request names no counterpart in charge of prisons' "
                     "health budget."),
                    (t.ago(3, 10), "chair", "reject", "Resubmit once the reorganisation is decided."),
                ],
            )  # fmt: skip

        stories.append(
            Story(
                key="harm-reduction",
                created=t.ago(12, 9),
                by="bridges",
                counterparts=["moim"],
                theme="drug-addiction",
                format="policy_dialogue",
                language="en",
                title="Harm-reduction services in prisons and detention centres",
                summary="BRIDGES asks the Ministry of Interior and Municipalities, which runs the prisons, for a "
                "policy dialogue on harm-reduction and treatment services for detainees who use drugs.",
                question="Which harm-reduction services can be offered in prisons, and by whom?",
                participants=15,
                steps=harm_reduction,
            )
        )

        # 14. Withdrawn by the ministry while the committee was voting.
        def youth_councils(r: DialogueRequest) -> None:
            self.submit(r, t.ago(20, 9, 30))
            self.accept(r, t.ago(18, 10))
            self.votes(r, [(t.ago(17, 10), "committee-gov-2", "approve", "")])
            self.at(t.ago(15, 11))
            services.request_withdraw(
                request=r,
                actor=self.u("youth-coordinator"),
                reason="The ministry will cover youth councils in the national youth policy consultation instead.",
            )

        stories.append(
            Story(
                key="youth-councils",
                created=t.ago(20, 9),
                by="moys",
                counterparts=["cvi"],
                theme="citizenship",
                format="workshop",
                language="en",
                title="Youth councils in municipalities",
                summary="The Ministry of Youth and Sports proposes a workshop with the Citizens' Voice Initiative on "
                "setting up consultative youth councils in municipalities.",
                question="What mandate and which selection rules for municipal youth councils?",
                participants=25,
                steps=youth_councils,
            )
        )

        # 15. Declined by the secretariat, citing the charter's scope article.
        def permit(r: DialogueRequest) -> None:
            self.submit(r, t.ago(16, 9, 30))
            self.at(t.ago(14, 10))
            services.request_decline(
                request=r,
                actor=self.u("secretariat"),
                reason="يتعلق الطلب بنزاع إداري فردي على رخصة وليس بمسألة سياسة عامة؛ يمكن متابعته أمام المراجع "
                "الإدارية المختصة.",
                article="1",
            )

        stories.append(
            Story(
                key="permit",
                created=t.ago(16, 9),
                by="cvi",
                counterparts=["moim"],
                theme="citizenship",
                format="consultation",
                language="ar",
                title="نزاع حول رخصة بلدية لمقرّ المبادرة",
                summary="رفضت البلدية منح المبادرة رخصة لاستخدام مقرّها الجديد، وتطلب المبادرة لقاءً مع الوزارة لحلّ "
                "النزاع.",
                question="هل يحق للبلدية رفض الرخصة؟",
                participants=5,
                steps=permit,
            )
        )

        # 16. Information requested, the requester's clock in warning.
        n16, h16 = t.clock_start("info_requested", SlaClock.Status.WARNING)

        def births(r: DialogueRequest) -> None:
            self.submit(r, t.ago(n16 + 2, 10))
            self.ask(
                r,
                t.ago(n16, h16),
                "يرجى توضيح عدد الحالات الموثَّقة لدى المبادرة والمناطق التي تغطيها، وتحديد ما إذا كانت وزارة العدل "
                "معنية أيضًا بالإجراءات القضائية لتسجيل الولادات المتأخرة.",
            )

        stories.append(
            Story(
                key="births",
                created=t.ago(n16 + 2, 9),
                by="cvi",
                counterparts=["moim"],
                theme="citizenship",
                format="policy_dialogue",
                language="ar",
                title="تسهيل تسجيل ولادات الأطفال غير المسجّلين في قيود الأحوال الشخصية",
                summary="يحرم عدم تسجيل الولادة ضمن المهل القانونية آلاف الأطفال من التعليم والرعاية الصحية. تطلب "
                "المبادرة حوارًا حول تبسيط إجراءات التسجيل المتأخر.",
                question="كيف تُبسَّط إجراءات تسجيل الولادات بعد انقضاء المهلة القانونية؟",
                participants=20,
                steps=births,
            )
        )

        # 17. Information requested a day ago: the requester's clock is on track.
        n17, h17 = t.clock_start("info_requested", SlaClock.Status.ON_TRACK)

        def sports(r: DialogueRequest) -> None:
            self.submit(r, t.ago(n17 + 1, 10))
            self.ask(
                r,
                t.ago(n17, h17),
                "Please name the sports federations you would like to involve and the regions of the pilot.",
            )

        stories.append(
            Story(
                key="sports",
                created=t.ago(n17 + 1, 9),
                by="eaf",
                counterparts=["moys"],
                theme="disability-rights",
                format="workshop",
                language="en",
                title="Inclusive sports programmes for young persons with disabilities",
                summary="Few youth sports programmes accept young persons with disabilities. The Equal Access Forum "
                "proposes a workshop with the Ministry of Youth and Sports on inclusive programmes.",
                question="Which conditions should public funding of youth sports programmes set on inclusion?",
                participants=30,
                steps=sports,
            )
        )

        # 18. Submitted, the triage clock breached after an information round (paused, then resumed).
        def penal_code(r: DialogueRequest) -> None:
            self.submit(r, t.ago(14, 10))
            self.ask(r, t.ago(12, 11), "Please list the articles concerned and attach WLEC's legal analysis.")
            self.answer(
                r,
                t.ago(6, 10),
                "Articles 503, 504, 522 and 562 among others; the legal analysis (Arabic and English) is attached to "
                "the email sent to the secretariat.",
            )

        stories.append(
            Story(
                key="penal-code",
                created=t.ago(14, 9),
                by="wlec",
                counterparts=["moj"],
                theme="gender-discrimination-in-laws",
                format="policy_dialogue",
                language="both",
                title="Gender-discriminatory provisions in the Penal Code",
                summary="Several provisions of the Penal Code still treat women and men differently. WLEC asks the "
                "Ministry of Justice for a policy dialogue on a package of amendments.\n\n"
                "ما زالت أحكام عدة في قانون العقوبات تميّز بين النساء والرجال؛ يطلب التجمّع حوارًا حول رزمة تعديلات.",
                question="Which amendments should the Ministry of Justice put forward first?",
                participants=20,
                steps=penal_code,
            )
        )

        # 19. Submitted yesterday: the secretariat's triage clock is on track.
        n19, h19 = t.clock_start("submitted", SlaClock.Status.ON_TRACK)

        def custody(r: DialogueRequest) -> None:
            self.submit(r, t.ago(n19, h19))

        stories.append(
            Story(
                key="custody",
                created=t.ago(n19 + 1, 15),
                by="cajj",
                counterparts=["moim"],
                theme="juvenile-justice",
                format="roundtable",
                language="en",
                title="Rights of children in police custody",
                summary="Children arrested by the police are not always assisted by a lawyer or a social worker. CAJJ "
                "asks for a roundtable with the Ministry of Interior and Municipalities.",
                question="How can every child in police custody be assisted from the first hour?",
                participants=20,
                steps=custody,
            )
        )

        # 20-21. Drafts, one by each side.
        stories.append(
            Story(
                key="employment-quota",
                created=t.ago(2, 11),
                by="mosa",
                counterparts=["eaf"],
                theme="disability-rights",
                format="consultation",
                language="en",
                title="Employment quota for persons with disabilities in the public sector",
                summary="Draft: the Ministry of Social Affairs wants to consult the Equal Access Forum on how the "
                "employment quota for persons with disabilities could be monitored in public administrations.",
                question="How can compliance with the employment quota be monitored and published?",
                participants=20,
                steps=lambda r: None,
            )
        )
        stories.append(
            Story(
                key="volunteer-framework",
                created=t.ago(1, 12),
                by="cnva",
                counterparts=["moys"],
                theme="volunteering",
                format="roundtable",
                language="ar",
                title="إطار وطني لتنظيم العمل التطوعي لدى الشباب",
                summary="مسودة: تقترح الشبكة طاولة حوار مع وزارة الشباب والرياضة حول إطار وطني يعترف بساعات التطوع "
                "ويحمي المتطوعين.",
                question="ما الحدّ الأدنى من الحقوق الذي يجب أن يضمنه إطار العمل التطوعي؟",
                participants=25,
                steps=lambda r: None,
            )
        )
        return stories


def counts_lines(counts: dict[str, Any]) -> list[str]:
    """The counts of ``demo_counts`` as short English lines."""
    states = ", ".join(f"{state} {n}" for state, n in sorted(counts["states"].items()))
    clocks = ", ".join(f"{status} {n}" for status, n in sorted(counts["clocks"].items()))
    outcomes = ", ".join(f"{visibility} {n}" for visibility, n in sorted(counts["outcomes"].items()))
    return [
        f"{counts['users']} users, {counts['organizations']} organizations, {counts['requests']} requests",
        f"requests by state: {states}",
        f"{counts['audit_events']} audit events, {counts['votes']} votes, {counts['conflicts']} conflicts of interest, "
        f"{counts['meetings']} meetings, outcomes: {outcomes}",
        f"{counts['action_items']} action items ({counts['overdue_action_items']} overdue), "
        f"SLA clocks: {clocks} ({counts['paused_clocks']} paused), {counts['outbox_messages']} outbox rows",
    ]


def states_present() -> set[str]:
    return set(DialogueRequest.objects.values_list("state", flat=True).distinct())


def clock_statuses() -> Counter[str]:
    return Counter(SlaClock.objects.filter(case_type=CASE_TYPE).values_list("status", flat=True))


# The one `manage.py demo` (engine.demo) runs this workflow's demo first: the others build on its people.
register_demo("partnership", command="workflows.partnership.management.commands.demo", order=10)
