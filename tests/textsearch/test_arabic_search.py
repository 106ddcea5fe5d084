"""Search that works in Arabic: الأحداث and الاحداث find the same requests, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F, Value
from django.urls import reverse
from django.utils import translation

from textsearch.index import _TsMatch, matching_case_ids, reindex_all
from textsearch.models import SearchEntry
from textsearch.normalize import normalize
from workflows.partnership import services
from workflows.partnership.models import DialogueRequest

from .conftest import draft, outcome_data, walk

JUVENILE = "حماية الأحداث في قانون العقوبات"
WOMEN = "تمكين المرأة في سوق العمل"


def _portal_refs(client, user, q: str) -> set[str]:
    client.force_login(user)
    with translation.override("en"):
        url = reverse("portal:search")
    page = client.get(url, {"q": q})
    assert page.status_code == 200
    html = page.content.decode()
    return {ref for ref in DialogueRequest.objects.values_list("reference", flat=True) if ref in html}


def _api_refs(client_for, user, q: str) -> set[str]:
    response = client_for(user).get("/api/v1/requests/", {"q": q})
    assert response.status_code == 200, response.content
    return {row["reference"] for row in response.json()["results"]}


def test_normalization_folds_the_forms_a_reader_treats_as_one():
    assert normalize("الأحداث") == normalize("الاحداث") == normalize("الأَحْـداثُ") == "الاحداث"
    assert normalize("إصلاح آمن ٱلقانون") == "اصلاح امن القانون"
    assert normalize("مدرسة على") == "مدرسه علي"
    assert normalize("قانون ٢٠٠٢ Law") == "قانون 2002 law"


def _both_spellings_find_the_same_requests(world, client, client_for):
    juvenile = draft(world, title=JUVENILE)
    women = draft(world, title=WOMEN, summary="ورشة عمل حول المساواة")
    for spelling in ("الأحداث", "الاحداث", "الأَحْداث", "الاحـداث"):
        assert _api_refs(client_for, world.cso_coordinator, spelling) == {juvenile.reference}, spelling
        assert _portal_refs(client, world.cso_coordinator, spelling) == {juvenile.reference}, spelling
    # every word must match, by prefix; the requesting organization's name is searched too
    assert _api_refs(client_for, world.cso_coordinator, "المرأه سوق") == {women.reference}
    assert _api_refs(client_for, world.cso_coordinator, "تمك") == {women.reference}
    assert _api_refs(client_for, world.cso_coordinator, "الأحداث المرأة") == set()
    assert _api_refs(client_for, world.cso_coordinator, "juvenile rights") == {juvenile.reference, women.reference}
    # a person finds only what they may see: another CSO's coordinator, the committee before submission
    assert _api_refs(client_for, world.other_cso_coordinator, "الاحداث") == set()
    assert _portal_refs(client, world.other_cso_coordinator, "الاحداث") == set()
    assert _api_refs(client_for, world.auditor, "الاحداث") == set()  # a draft is its organization's alone
    walk(world, juvenile, "submitted")
    assert _api_refs(client_for, world.auditor, "الأحداث") == {juvenile.reference}
    return juvenile


def test_both_spellings_find_the_same_requests_sqlite_or_any(partnership_world, client, client_for):
    _both_spellings_find_the_same_requests(partnership_world, client, client_for)


def test_edits_reindex_and_only_public_outcomes_are_searched(partnership_world, client_for):
    world = partnership_world
    request = draft(world, title="Diversion for minors")
    services.request_update(request=request, actor=world.cso_coordinator, data={"title": "إصلاح قضاء الأحداث"})
    assert _api_refs(client_for, world.cso_coordinator, "اصلاح") == {request.reference}
    assert _api_refs(client_for, world.cso_coordinator, "minors") == set()  # the old title is gone

    public = walk(world, draft(world, title="Public one"), "meeting_held")
    services.outcome_document(
        request=public, actor=world.secretariat, data=outcome_data(summary="اتفاق على إعداد مسودة المبادئ التوجيهية")
    )
    restricted = walk(world, draft(world, title="Restricted one"), "meeting_held")
    services.outcome_document(
        request=restricted,
        actor=world.secretariat,
        data=outcome_data(
            summary="اتفاق سري على إعداد المسودة",
            what_changed="secret change",
            visibility="restricted",
            restriction_reason="Safety of the people named.",
        ),
    )
    assert _api_refs(client_for, world.secretariat, "مسوده") == {public.reference}
    assert _api_refs(client_for, world.secretariat, "سري") == set()
    assert not SearchEntry.objects.filter(source="outcome", case_id=restricted.pk).exists()
    # a full rebuild gives the same entries
    before = set(SearchEntry.objects.values_list("source", "object_id", "text"))
    counts = reindex_all()
    assert (counts["request"], counts["outcome"]) == (3, 1)
    assert set(SearchEntry.objects.values_list("source", "object_id", "text")) == before


def test_a_query_without_words_is_no_filter_and_bad_input_is_a_400(partnership_world, client_for):
    world = partnership_world
    request = draft(world, title=JUVENILE)
    assert _api_refs(client_for, world.cso_coordinator, "  ...  ") == {request.reference}
    response = client_for(world.cso_coordinator).get("/api/v1/requests/", {"q": "x" * 201})
    assert response.status_code == 400
    assert "q" in response.json()["errors"]


@pytest.mark.postgres
def test_postgres_full_text_finds_both_spellings_through_the_index(partnership_world, client, client_for):
    assert connection.vendor == "postgresql"
    _both_spellings_find_the_same_requests(partnership_world, client, client_for)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'textsearch_entry_fts'")
        (definition,) = cursor.fetchone()
        assert "gin" in definition and "to_tsvector('simple'::regconfig, text)" in definition
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: make the planner show its options
    # the expression the search filters on is the index's own (so PostgreSQL can use it)
    plan = SearchEntry.objects.filter(_TsMatch(F("text"), Value("الاحداث:*"))).explain()
    assert matching_case_ids(DialogueRequest.case_type(), "الأحداث").count() == 1
    assert "textsearch_entry_fts" in plan


def test_search_reindex_command_rebuilds_lost_entries(partnership_world, client_for):
    from io import StringIO

    from django.core.management import call_command

    world = partnership_world
    request = draft(world, title=JUVENILE)
    SearchEntry.objects.all().delete()
    assert _api_refs(client_for, world.cso_coordinator, "الاحداث") == set()
    out = StringIO()
    call_command("search_reindex", stdout=out)
    assert "request: 1 indexed" in out.getvalue()
    assert _api_refs(client_for, world.cso_coordinator, "الاحداث") == {request.reference}
    with translation.override("ar"):
        out = StringIO()
        call_command("search_reindex", stdout=out)
    assert "request: فُهرس 1" in out.getvalue()
