"""The main pages over the bilingual demo (real Arabic and English content), in both languages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.factories import ensure_seed_data
from workflows.partnership.demo import build_demo
from workflows.partnership.models import DialogueRequest
from workflows.partnership.selectors import published_outcomes

from .conftest import screenshot, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_pages_read_well_in_both_languages(actors):
    # given: the demo platform, as `manage.py demo` builds it
    ensure_seed_data()
    build_demo(password="pw-123456", log=lambda *args, **kwargs: None)
    users = {user.username: user for user in get_user_model().objects.all()}
    in_follow_up = DialogueRequest.objects.filter(state="follow_up").first() or DialogueRequest.objects.first()
    outcome = published_outcomes().first()
    for language in ("ar", "en"):
        pages = [
            ("secretariat", "portal:home", {}, "demo-home-secretariat"),
            ("secretariat", "portal:request_detail", {"reference": in_follow_up.reference}, "demo-request"),
            ("secretariat", "portal:dashboard", {}, "demo-dashboard"),
            ("cso-coordinator", "portal:home", {}, "demo-home-requester"),
            ("auditor", "portal:search", {}, "demo-search"),
            (None, "portal:transparency", {}, "demo-transparency"),
            (None, "portal:transparency_detail", {"reference": outcome.reference}, "demo-transparency-outcome"),
        ]
        opened = {}
        for username, route, kwargs, name in pages:
            actor = opened.get(username) or opened.setdefault(username, actors(users.get(username), language))
            page = actor.open(route, **kwargs)
            # then: every page is in the reader's language, mirrored, and passes axe-core
            assert page.get_attribute("html", "lang") == language
            screenshot(page, name, language)
            # what a person sees first, small enough for the README
            screenshot(page, f"{name}-top", language, full_page=False)
            assert serious_violations(page) == [], f"{name} ({language})"
