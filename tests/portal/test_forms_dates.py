"""Forms that behave (issue 12): day-first dates, reschedule pre-filled, past due dates refused,
weekend/holiday warned before saving."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.utils import timezone, translation

from engine.dates import DayFirstDateField, DayFirstDateTimeField
from engine.errors import GuardFailed
from engine.models import AuditEvent
from tests.factories import business_day
from workflows.outcomes.forms import HarvestForm
from workflows.partnership import services
from workflows.partnership.forms import MeetingForm, RequestForm
from workflows.partnership.models import ActionItem, Meeting

from .conftest import draft, url, walk

HTMX = {"HX-Request": "true"}
BEIRUT = ZoneInfo("Asia/Beirut")

DATES = [
    ("23/11/2026", dt.date(2026, 11, 23)),
    ("23-11-2026", dt.date(2026, 11, 23)),
    ("23.11.2026", dt.date(2026, 11, 23)),
    ("2026-11-23", dt.date(2026, 11, 23)),
    ("3/4/2027", dt.date(2027, 4, 3)),
    ("03/04/2027", dt.date(2027, 4, 3)),  # the 3rd of April, never March 4
    ("٢٣/١١/٢٠٢٦", dt.date(2026, 11, 23)),  # Arabic-Indic digits
    ("۰۳/۰۴/۲۰۲۷", dt.date(2027, 4, 3)),  # Eastern Arabic-Indic digits
    ("\u200f23/11/2026\u200f", dt.date(2026, 11, 23)),  # direction marks from an RTL keyboard
    (" 23 / 11 / 2026 ", dt.date(2026, 11, 23)),
]
DATETIMES = [
    ("23/11/2026 14:30", dt.datetime(2026, 11, 23, 14, 30, tzinfo=BEIRUT)),
    ("23-11-2026 14:30", dt.datetime(2026, 11, 23, 14, 30, tzinfo=BEIRUT)),
    ("03/04/2027 09:05", dt.datetime(2027, 4, 3, 9, 5, tzinfo=BEIRUT)),
    ("2026-11-23T14:30", dt.datetime(2026, 11, 23, 14, 30, tzinfo=BEIRUT)),
    ("2026-11-23 14:30:00", dt.datetime(2026, 11, 23, 14, 30, tzinfo=BEIRUT)),
    ("٢٣/١١/٢٠٢٦ ١٤:٣٠", dt.datetime(2026, 11, 23, 14, 30, tzinfo=BEIRUT)),
]
NOT_DATES = ["11/23/2026", "23/11/26", "soon", "31/02/2027", "2026-13-01"]


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize(("typed", "expected"), DATES)
def test_a_date_is_read_day_first_in_both_languages(language, typed, expected):
    with translation.override(language):
        assert DayFirstDateField().clean(typed) == expected


@pytest.mark.parametrize("language", ["ar", "en"])
def test_djangos_own_date_fields_read_day_first_too(language):
    """The portal's format modules hold the same patterns (an admin date box, any plain DateField)."""
    with translation.override(language):
        assert forms.DateField().clean("03/04/2027") == dt.date(2027, 4, 3)
        assert forms.DateField().clean("23-11-2026") == dt.date(2026, 11, 23)
        moment = forms.DateTimeField().clean("03/04/2027 10:00")
    assert timezone.localtime(moment) == dt.datetime(2027, 4, 3, 10, tzinfo=BEIRUT)


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize(("typed", "expected"), DATETIMES)
def test_a_date_and_time_is_read_day_first_in_the_platforms_time_zone(language, typed, expected):
    with translation.override(language):
        moment = DayFirstDateTimeField().clean(typed)
    assert moment == expected
    assert str(timezone.get_current_timezone()) == "Asia/Beirut"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Enter a date as day/month/year, for example 23/11/2026."),
        ("ar", "أدخل التاريخ بصيغة يوم/شهر/سنة، مثلًا 23/11/2026."),
    ],
)
@pytest.mark.parametrize("typed", NOT_DATES)
def test_a_date_that_does_not_parse_is_refused_naming_the_pattern(language, message, typed):
    with translation.override(language):
        with pytest.raises(forms.ValidationError) as caught:
            DayFirstDateField().clean(typed)
        assert caught.value.messages == [message]


def test_a_date_time_that_does_not_parse_names_its_pattern():
    with translation.override("en"), pytest.raises(forms.ValidationError) as caught:
        DayFirstDateTimeField().clean("11/23/2026 2pm")
    assert "day/month/year hours:minutes, for example 23/11/2026 14:30" in caught.value.messages[0]


@pytest.mark.django_db
def test_every_date_input_of_the_portal_reads_day_first(world):
    """Meetings, proposed periods, the outcome register's date, follow-up due dates, report periods."""
    from portal.forms import ActionItemForm
    from portal.programme import ProgrammeForm

    meeting = MeetingForm(data={"starts_at": "03/04/2027 10:00", "ends_at": "03/04/2027 12:00"})
    meeting.is_valid()
    assert timezone.localtime(meeting.cleaned_data["starts_at"]).date() == dt.date(2027, 4, 3)
    period = RequestForm(data={"period_start": "٠٣/٠٤/٢٠٢٧", "period_end": "30/04/2027"}, partial=True)
    assert period.is_valid(), period.errors
    assert period.cleaned_data["period_start"] == dt.date(2027, 4, 3)
    harvest = HarvestForm(data={"changed_on": "03-04-2026"})
    harvest.is_valid()
    assert harvest.cleaned_data["changed_on"] == dt.date(2026, 4, 3)
    item = ActionItemForm(data={"due_date": "03/04/2027"}, organizations=[])
    item.is_valid()
    assert item.cleaned_data["due_date"] == dt.date(2027, 4, 3)
    report = ProgrammeForm(data={"date_from": "03/04/2026", "date_to": "30/04/2026"})
    assert report.is_valid(), report.errors
    assert report.cleaned_data["date_from"] == dt.date(2026, 4, 3)


@pytest.mark.django_db
def test_date_boxes_are_text_with_a_hint_not_the_browsers_picker(client, world):
    case = walk(world, draft(world), "approved")
    client.force_login(world.secretariat)
    page = client.get(url("portal:request_action", "en", reference=case.reference, name="schedule_meeting")).content
    html = page.decode()
    box = re.search(r"<input[^>]*name=\"starts_at\"[^>]*>", html).group(0)
    assert 'type="text"' in box and 'dir="ltr"' in box and "aria-describedby" in box
    assert "datetime-local" not in html and 'type="date"' not in html
    assert "Day/month/year and time, for example 23/11/2026 14:30." in html


# --- 1. reschedule opens with the session as it stands -----------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ar", "en"])
def test_reschedule_opens_with_the_current_session(client, world, language):
    case = walk(world, draft(world), "meeting_scheduled")
    meeting = Meeting.objects.get(request=case)
    Meeting.objects.filter(pk=meeting.pk).update(
        title="Second reading", capacity=40, online_url="https://meet.example.org/x"
    )
    meeting.refresh_from_db()
    client.force_login(world.secretariat)
    address = url("portal:request_action", language, reference=case.reference, name="reschedule_meeting")
    html = unescape(client.get(address, {"session": meeting.pk}).content.decode())
    local = timezone.localtime(meeting.starts_at)
    assert f'value="{local:%d/%m/%Y %H:%M}"' in html
    assert f'value="{timezone.localtime(meeting.ends_at):%d/%m/%Y %H:%M}"' in html
    assert f'value="{meeting.location}"' in html and meeting.agenda in html
    assert 'value="Second reading"' in html and 'value="40"' in html and "https://meet.example.org/x" in html
    assert re.search(rf'<option value="{meeting.pk}" selected>', html)
    # without ?session= it is the next scheduled session
    assert f'value="{local:%d/%m/%Y %H:%M}"' in unescape(client.get(address).content.decode())


@pytest.mark.django_db
def test_a_reschedule_sent_as_opened_with_only_the_time_moved_saves(client, world):
    case = walk(world, draft(world), "meeting_scheduled")
    meeting = Meeting.objects.get(request=case)
    client.force_login(world.secretariat)
    from portal import action_forms
    from workflows.partnership.flows import RequestFlow

    spec = RequestFlow.spec("reschedule_meeting")
    form = action_forms.build(spec, case, initial=action_forms.initial_for(spec, case, str(meeting.pk)))
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value is not None}
    for name in ("starts_at", "ends_at"):
        data[name] = form[name].field.widget.format_value(data[name])
    later = (timezone.localtime(meeting.starts_at) + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    data["starts_at"] = f"{later:%d/%m/%Y %H:%M}"
    data["version"] = case.version
    address = url("portal:request_action", "en", reference=case.reference, name="reschedule_meeting")
    response = client.post(address, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting.refresh_from_db()
    assert timezone.localtime(meeting.starts_at) == later and meeting.location == form["location"].value()


@pytest.mark.django_db
def test_scheduling_typed_day_first_saves_that_day(client, world):
    case = walk(world, draft(world), "approved")
    client.force_login(world.secretariat)
    day = business_day(timezone.now() + dt.timedelta(days=20)).date()
    typed = f"{day:%d/%m/%Y}".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = client.post(
        url("portal:request_action", "ar", reference=case.reference, name="schedule_meeting"),
        {
            "starts_at": f"{typed} 10:00",
            "ends_at": f"{day:%d/%m/%Y} 12:00",
            "location": "Beirut",
            "agenda": "Opening",
            "version": case.version,
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(request=case)
    assert timezone.localtime(meeting.starts_at).replace(tzinfo=None) == dt.datetime.combine(day, dt.time(10))


# --- 3. due dates in the past are refused, by the flow ------------------------------------------


@pytest.fixture
def follow_up(world):
    case = walk(world, draft(world), "outcome_documented")
    services.minutes_confirm(request=case, actor=world.cso_coordinator)
    services.minutes_confirm(request=case, actor=world.ministry_coordinator)
    services.request_follow_up_start(request=case, actor=world.secretariat)
    return case


def _events(case):
    return AuditEvent.objects.filter(case_id=case.pk, case_type=case.case_type()).count()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "is in the past: choose today or a later day."), ("ar", "قد مضى: اختر اليوم أو يومًا لاحقًا.")],
)
def test_the_portal_refuses_a_past_due_date_at_the_field(client, world, follow_up, language, message):
    client.force_login(world.secretariat)
    before = _events(follow_up)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client.post(
        url("portal:request_action_item_add", language, reference=follow_up.reference),
        {"description": "Decree", "owner_organization": world.ministry.pk, "due_date": f"{yesterday:%d/%m/%Y}"},
    )
    html = unescape(response.content.decode())
    assert response.status_code == 409
    summary = html[html.index("data-error-summary") :]
    assert message in summary and 'href="#action_item_due_date"' in summary
    assert 'id="action_item_due_date_error"' in html
    assert not ActionItem.objects.exists() and _events(follow_up) == before


@pytest.mark.django_db
def test_the_portal_accepts_today_typed_day_first(client, world, follow_up):
    client.force_login(world.secretariat)
    today = timezone.localdate()
    response = client.post(
        url("portal:request_action_item_add", "en", reference=follow_up.reference),
        {"description": "Decree", "owner_organization": world.ministry.pk, "due_date": f"{today:%d/%m/%Y}"},
    )
    assert response.status_code == 302
    assert ActionItem.objects.get().due_date == today


@pytest.mark.django_db
def test_the_api_refuses_a_past_due_date_and_changes_nothing(world, follow_up):
    from rest_framework.test import APIClient

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(world.secretariat)
    before = _events(follow_up)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = api.post(
        f"/api/v1/requests/{follow_up.reference}/actions/",
        {"description": "Decree", "owner_organization": world.ministry.pk, "due_date": yesterday.isoformat()},
        format="json",
    )
    assert response.status_code == 409, response.content
    assert response.json()["reasons"][0]["code"] == "due_date_past"
    assert not ActionItem.objects.exists() and _events(follow_up) == before
    # and a new due date of an existing action, moved into the past, is refused too
    item = services.action_item_create(
        request=follow_up,
        actor=world.secretariat,
        description="Decree",
        owner_organization=world.ministry,
        due_date=timezone.localdate() + dt.timedelta(days=30),
    )
    before = _events(follow_up)
    moved = api.patch(f"/api/v1/actions/{item.pk}/", {"due_date": yesterday.isoformat()}, format="json")
    assert moved.status_code == 409 and moved.json()["reasons"][0]["code"] == "due_date_past"
    item.refresh_from_db()
    assert item.due_date == timezone.localdate() + dt.timedelta(days=30) and _events(follow_up) == before


@pytest.mark.django_db
def test_today_is_lebanons_today_and_an_action_recorded_as_of_the_past_may_be_due_then(world, follow_up):
    # late in the evening in UTC it is already the next day in Beirut: "today" is Beirut's
    evening = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)  # 01:30 on 24 November in Beirut
    with pytest.raises(GuardFailed) as caught:
        services.action_item_create(
            request=follow_up,
            actor=world.secretariat,
            description="Late",
            owner_organization=world.ministry,
            due_date=dt.date(2026, 11, 23),
            at=evening,
        )
    assert caught.value.reasons[0].code == "due_date_past"
    # recorded as of a past moment (a rebuilt history), the due date is checked against that day
    past = timezone.now() - dt.timedelta(days=10)
    item = services.action_item_create(
        request=follow_up,
        actor=world.secretariat,
        description="Overdue now",
        owner_organization=world.ministry,
        due_date=timezone.localdate() - dt.timedelta(days=3),
        at=past,
    )
    event = AuditEvent.objects.filter(case_id=follow_up.pk, action="action_item_created").get()
    assert event.occurred_at == past and item.created_at == past
    # an unchanged past due date does not stop other changes
    services.action_item_update(item=item, actor=world.secretariat, description="Overdue, reworded")
    item.refresh_from_db()
    assert item.description == "Overdue, reworded"


# --- 4. the weekend/holiday warning before saving ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("en", "28/11/2026 10:00", "Saturday 28 November 2026 is a weekend day on the Lebanese calendar."),
        ("en", "25/12/2026", "Friday 25 December 2026 is a public holiday on the Lebanese calendar: Christmas Day."),
        ("ar", "٢٨/١١/٢٠٢٦ ١٠:٠٠", "يوم عطلة نهاية الأسبوع في التقويم اللبناني."),
        ("ar", "25/12/2026 10:00", "يوم عطلة رسمية في التقويم اللبناني: عيد الميلاد."),
    ],
)
def test_the_day_check_warns_of_weekends_and_holidays(client, world, language, typed, expected):
    client.force_login(world.secretariat)
    fragment = client.get(url("portal:day_check", language), {"starts_at": typed}, headers=HTMX)
    html = unescape(fragment.content.decode())
    assert fragment.status_code == 200 and "<html" not in html
    assert expected in html and "data-non-business-day" in html


@pytest.mark.django_db
def test_the_day_check_is_quiet_on_a_business_day_and_a_page_without_htmx(client, world):
    client.force_login(world.secretariat)
    quiet = client.get(url("portal:day_check", "en"), {"starts_at": "26/11/2026 10:00"}, headers=HTMX)
    assert quiet.status_code == 200 and quiet.content.decode().strip() == ""
    nonsense = client.get(url("portal:day_check", "en"), {"starts_at": "soon"}, headers=HTMX)
    assert nonsense.status_code == 200 and nonsense.content.decode().strip() == ""
    page = client.get(url("portal:day_check", "en"), {"day": "28/11/2026"}).content.decode()
    assert "<html" in page and "Saturday 28 November 2026 is a weekend day" in page
    assert (
        "Thursday 26 November 2026 is a business day."
        in client.get(url("portal:day_check", "en"), {"day": "26/11/2026"}).content.decode()
    )


@pytest.mark.django_db
def test_the_meeting_form_asks_as_the_date_is_typed_and_keeps_the_override(client, world):
    case = walk(world, draft(world), "approved")
    client.force_login(world.secretariat)
    html = client.get(url("portal:request_action", "en", reference=case.reference, name="schedule_meeting")).content
    html = html.decode()
    box = re.search(r"<input[^>]*name=\"starts_at\"[^>]*>", html).group(0)
    assert f'hx-get="{url("portal:day_check", "en")}"' in box and 'hx-target="#id_starts_at_day"' in box
    assert re.search(r'<div id="id_starts_at_day"[^>]*aria-live="polite"', html)
    # the override fields are in the page (shown by the script only when needed; always without it)
    override = html[html.index("data-override-fields") :]
    assert 'name="allow_non_business_day"' in override and 'name="override_reason"' in override
    # a refused Saturday comes back with the warning already next to the date
    today = timezone.localdate()
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 + 7)
    response = client.post(
        url("portal:request_action", "en", reference=case.reference, name="schedule_meeting"),
        {
            "starts_at": f"{saturday:%d/%m/%Y} 10:00",
            "ends_at": f"{saturday:%d/%m/%Y} 12:00",
            "location": "Beirut",
            "agenda": "Opening",
            "version": case.version,
        },
    )
    refused = unescape(response.content.decode())
    assert response.status_code == 409 and not Meeting.objects.filter(request=case).exists()
    note = refused[refused.index('id="id_starts_at_day"') :]
    expected = f"Saturday {saturday.day} {saturday:%B %Y} is a"
    assert expected in note[: note.index("</div>") + 300]
