"""The dashboard (issue 12): units on every chart, the SLA figures agree with the queue, filters narrow
every table, every figure links to the requests behind it, and the chair reads it counting only what
they may see."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.utils import timezone, translation

from engine import sla
from partners.models import Theme
from portal import reports, search
from workflows.partnership.models import DialogueRequest

from .conftest import draft, url, walk

pytestmark = pytest.mark.django_db

FIGURE = re.compile(r'<a href="([^"]+)" data-figure="count">([\d,]+)</a>')
FOUND = re.compile(r"(\d+) requests? found|(\d+) requests?\b")


@pytest.fixture
def other_theme(world):
    return Theme.objects.exclude(code=world.theme.code).order_by("code").first()


@pytest.fixture
def spread(world, other_theme):
    """Five requests: a draft, two breached at triage, one in committee (another theme), one approved
    (made by the ministry)."""
    cases = {
        "draft": draft(world, title="Still a draft"),
        "late_1": walk(world, draft(world, title="Late one"), "submitted"),
        "late_2": walk(world, draft(world, title="Late two"), "submitted"),
    }
    # the scan a month on breaches both triage clocks
    sla.scan(at=timezone.now() + dt.timedelta(days=30))
    cases["committee"] = walk(world, draft(world, title="Other theme", theme=other_theme.code), "in_committee")
    cases["approved"] = walk(world, draft(world, by="ministry", title="Approved"), "approved")
    return cases


def page_of(client, user, language="en", **params):
    client.force_login(user)
    response = client.get(url("portal:dashboard", language), params)
    return response, response.content.decode()


def listed(client, address: str) -> int:
    """How many requests the request list at ``address`` says it found."""
    response = client.get(html.unescape(address))
    assert response.status_code == 200, address
    text = response.content.decode()
    found = re.search(r'<p class="small text-body-secondary">(\d+) requests?</p>', text)
    assert found, text[:500]
    return int(found.group(1))


def csv_rows(client, key, language="en", **params):
    response = client.get(url("portal:dashboard_csv", language, key=key), params)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_every_chart_and_table_says_its_unit(client, world, spread):
    response, page = page_of(client, world.secretariat)
    assert response.status_code == 200
    with translation.override("en"):
        tables = reports.overview(search.requests(world.secretariat, search.RequestFilters()))
    units = ("requests", "%", "days", "attendances")
    for table in tables.values():
        # the chart's column says its unit in the table header, and so in the chart's title
        header = str(table.columns[table.chart_column]).lower()
        assert table.value_unit in reports.UNITS
        assert any(unit in header for unit in units), header
        assert f"{table.title}: {table.columns[table.chart_column]}" in html.unescape(page)
    # each bar's value is written with its unit
    assert ">2 requests</text>" in page and ">1 request</text>" in page
    assert " calendar days</text>" in page
    with translation.override("ar"):
        _response, arabic = page_of(client, world.secretariat, "ar")
    assert "طلبان (2)</text>" in arabic


def test_breached_now_is_what_the_queue_lists_as_breached(client, world, spread):
    # given: two requests whose triage deadline has passed
    response, page = page_of(client, world.secretariat)
    assert response.status_code == 200
    now = csv_rows(client, "sla_now")
    breached = next(row for row in now if row[0] == "Breached now")
    # then: the dashboard says 2, and so does the queue
    assert breached[1] == "2"
    assert listed(client, url("portal:search", "en") + "?sla=breached") == 2
    per_party = csv_rows(client, "sla")
    secretariat = next(row for row in per_party if row[0] == reports.owner_label("secretariat"))
    assert per_party[0][5] == "Breached now (requests)" and secretariat[5] == "2"
    # and the chart of deadlines by party draws the breached figure, not a 100 % of finished clocks
    assert 'aria-label="Breached now: 2 requests"' in page
    assert f'aria-label="{reports.owner_label("secretariat")}: 2 requests"' in page


def test_filters_narrow_every_table(client, world, spread, other_theme):
    client.force_login(world.secretariat)
    everything = {key: csv_rows(client, key) for key in reports.BUILDERS}
    narrowed = {key: csv_rows(client, key, theme=other_theme.code) for key in reports.BUILDERS}

    def total(rows, column=1):
        return sum(int(row[column] or 0) for row in rows[1:] if row[0] != "Total")

    # one request of the other theme, in committee (the draft is nobody's to count)
    assert total(everything["by_state"]) == 4 and total(narrowed["by_state"]) == 1
    assert total(everything["by_side"]) == 4 and total(narrowed["by_side"]) == 1
    assert total(narrowed["by_theme"]) == 1 and len(narrowed["by_theme"]) == 2
    assert total(everything["sla_now"]) == 4 and total(narrowed["sla_now"]) == 1
    assert total(everything["sla"], 5) == 2 and total(narrowed["sla"], 5) == 0
    assert total(narrowed["time_in_state"], 2) < total(everything["time_in_state"], 2)
    assert total(narrowed["time_per_party"], 2) < total(everything["time_per_party"], 2)
    # the organization (requester or counterpart): the ministry takes part in all four
    by_ministry = csv_rows(client, "by_state", org=str(world.ministry.pk))
    by_other = csv_rows(client, "by_state", org=str(world.other_cso.pk))
    assert total(by_ministry) == 4 and total(by_other) == 0
    # the requester's side: the ministry made one
    assert total(csv_rows(client, "by_state", side="public")) == 1
    # the period is the submission date: none submitted before this year, all in it
    today = timezone.localdate()
    assert total(csv_rows(client, "by_state", to=(today - dt.timedelta(days=400)).isoformat())) == 0
    assert total(csv_rows(client, "by_state", **{"from": today.isoformat(), "to": today.isoformat()})) == 4


def test_every_count_links_to_a_list_of_as_many_requests(client, world, spread, other_theme):
    for params in ({}, {"theme": world.theme.code}, {"side": "civil", "org": str(world.cso.pk)}):
        response, page = page_of(client, world.secretariat, **params)
        figures = FIGURE.findall(page)
        assert len(figures) > 20
        for address, figure in figures:
            assert listed(client, address) == int(figure.replace(",", "")), (address, figure)
    # the charts' bars lead to the same lists
    bars = re.findall(r'<a href="([^"]+)" aria-label="[^"]+: (\d+) requests?"', page)
    assert bars
    for address, figure in bars[:6]:
        assert listed(client, address) == int(figure)


def test_averages_link_to_the_requests_they_are_taken_over(client, world, spread):
    response, page = page_of(client, world.secretariat)
    links = re.findall(r'<td><a href="([^"]+)" data-figure="set">', page)
    assert any("passed=submitted" in link for link in links)
    assert any("sla=finished" in link for link in links)
    submitted = next(link for link in links if "passed=submitted" in link)
    # two requests left "submitted": the one in committee and the approved (not the two breached there)
    assert listed(client, submitted) == 2


def test_the_chair_reads_it_counting_only_what_they_may_see(client, world, spread):
    client.force_login(world.chair)
    home = client.get(url("portal:home", "en")).content.decode()
    assert f'href="{url("portal:dashboard", "en")}"' in home
    response, page = page_of(client, world.chair)
    assert response.status_code == 200
    counts = {row[0]: int(row[1]) for row in csv_rows(client, "by_state")[1:]}
    # the draft is not the chair's to see: not counted, anywhere
    assert counts["Draft"] == 0 and sum(counts.values()) == 4
    assert DialogueRequest.objects.count() == 5
    assert 'data-figure="total">4<' in page
    # the programme report decides its readers by the same rule
    assert client.get(url("portal:programme_report", "en")).status_code == 200
    for user in (world.gov[0], world.cso_coordinator):
        client.force_login(user)
        assert client.get(url("portal:dashboard", "en")).status_code == 403
        assert client.get(url("portal:programme_report", "en")).status_code == 403


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize(
    "params",
    [
        {"from": "not-a-date"},
        {"from": "2026-05-01", "to": "2026-01-01"},
        {"theme": "no-such-theme"},
        {"org": "abc"},
        {"side": "neither"},
    ],
)
def test_bad_filters_are_a_translated_error_never_a_500(client, world, spread, language, params):
    response, page = page_of(client, world.secretariat, language, **params)
    assert response.status_code == 400
    assert "data-error-summary" in page
    with translation.override(language):
        from django.utils.translation import gettext

        assert gettext("There is a problem") in page
    assert client.get(url("portal:dashboard_csv", language, key="by_state"), params).status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"sla": "bogus"},
        {"org": "x"},
        {"org": "999999"},
        {"from": "12/31/2025"},
        {"from": "2026-02-01", "to": "2026-01-01"},
    ],
)
def test_the_request_list_refuses_bad_new_filters_with_a_message(client, world, spread, params):
    client.force_login(world.secretariat)
    response = client.get(url("portal:search", "en"), params)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "No request matches." in page


def test_the_list_filters_round_trip_through_their_query_string(world):
    # given: the filters a dashboard figure links to
    filters = search.RequestFilters(theme="t", org=str(world.cso.pk), date_from="2026-01-01", date_to="2026-02-01")
    linked = filters.narrowed(sla="late", party="secretariat")
    query = linked.as_query()
    # then: the period is named as the list's own parameters, and reading it back gives the same filters
    assert "from=2026-01-01" in query and "to=2026-02-01" in query and "date_from" not in query
    from django.http import QueryDict

    again = search.RequestFilters.from_query(QueryDict(query))
    assert again == linked and again.errors == []
    assert filters.sla == "" and linked.theme == "t"


def test_attendance_figures_link_to_the_requests_whose_sessions_were_attended(client, world, spread):
    from workflows.partnership.models import Meeting, Participant

    # given: one held session with two people of civil society present (set up directly: a fixture)
    held = walk(world, draft(world, title="Held"), "meeting_held")
    meeting = Meeting.objects.get(request=held, status=Meeting.Status.HELD)
    for name, gender in (("Rima", "female"), ("Karim", "male")):
        Participant.objects.create(
            meeting=meeting, name=name, side="civil", gender=gender, attended=True, registered_by=world.secretariat
        )
    response, page = page_of(client, world.secretariat)
    links = dict(re.findall(r'<td><a href="([^"]+attended=[^"]*)" data-figure="set">(\d+)</a>', page))
    # then: every attendance figure links to the requests behind it: here the one held session's
    assert len(links) == 3 * len(Participant.Gender.choices) + 3
    for address, figure in links.items():
        assert listed(client, address) == (1 if int(figure) else 0), (address, figure)
    assert client.get(url("portal:search", "en"), {"attended": "nobody"}).status_code == 400


def test_a_deadline_passed_between_scans_is_breached_on_the_dashboard_the_queue_and_the_home_page(client, world):
    # given: two requests at triage whose deadline passed after the last scan (their clocks still say on track)
    from engine.models import SlaClock

    late = [walk(world, draft(world, title=f"Unscanned {n}"), "submitted") for n in (1, 2)]
    clocks = SlaClock.objects.filter(case_id__in=[case.pk for case in late], stopped_at__isnull=True)
    assert clocks.update(due_at=timezone.now() - dt.timedelta(hours=1)) == 2
    assert not clocks.filter(status=SlaClock.Status.BREACHED).exists()
    # then: the dashboard, the queue's filter and the home page's overdue list all count both
    response, _page = page_of(client, world.secretariat)
    assert response.status_code == 200
    breached = next(row for row in csv_rows(client, "sla_now") if row[0] == "Breached now")
    assert breached[1] == "2"
    assert listed(client, url("portal:search", "en") + "?sla=breached") == 2
    home = client.get(url("portal:home", "en")).content.decode()
    overdue = home[home.index('id="overdue-title"') :]
    assert all(case.reference in overdue for case in late)


def test_the_request_list_reads_a_typed_period_day_first(client, world, spread):
    # given: today typed day first, as people in Lebanon write it, and in Arabic-Indic digits
    client.force_login(world.secretariat)
    today = timezone.localdate()
    typed = today.strftime("%d/%m/%Y")
    arabic = typed.translate({ord(str(n)): chr(0x0660 + n) for n in range(10)})
    # then: both are the same period as the ISO date the dashboard's links write
    iso = listed(client, url("portal:search", "en") + f"?from={today.isoformat()}&to={today.isoformat()}")
    assert iso == 4
    assert listed(client, url("portal:search", "en") + f"?from={typed}&to={typed}") == iso
    assert listed(client, url("portal:search", "en") + f"?from={arabic}") == iso
