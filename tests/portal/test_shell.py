from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .conftest import url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_every_page_declares_its_language_and_direction(client, language, direction):
    # when
    response = client.get(url("portal:home", language))
    # then
    assert response.status_code == 200
    assert f'<html lang="{language}" dir="{direction}">' in response.content.decode()


@pytest.mark.parametrize(("language", "stylesheet"), [("ar", "bootstrap.rtl.min.css"), ("en", "bootstrap.min.css")])
def test_the_right_to_left_stylesheet_serves_arabic(client, language, stylesheet):
    page = client.get(url("portal:home", language)).content.decode()
    assert f"portal/vendor/bootstrap/{stylesheet}" in page


def test_assets_are_served_locally_never_from_a_cdn(client):
    # given: the pages a visitor sees first, in both languages
    pages = [
        client.get(url(name, lang)).content.decode()
        for name in ("portal:home", "portal:sign_in")
        for lang in ("ar", "en")
    ]
    # then: every stylesheet and script comes from our own static files
    for page in pages:
        sources = re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', page)
        assert sources and all(source.startswith(settings.STATIC_URL) for source in sources)
    vendor = Path(settings.BASE_DIR) / "portal" / "static" / "portal" / "vendor"
    for name in (
        "bootstrap/bootstrap.rtl.min.css",
        "bootstrap/bootstrap.min.css",
        "bootstrap/bootstrap.bundle.min.js",
        "htmx/htmx.min.js",
        "fonts/OFL.txt",
    ):
        assert (vendor / name).is_file(), name
    assert list((vendor / "fonts").glob("*arabic-400-normal.woff2")) and list(
        (vendor / "fonts").glob("*latin-400-normal.woff2")
    )


def test_visitor_switches_language_and_sees_the_same_page_in_it(client):
    # when
    response = client.post(url("portal:language", "ar"), {"language": "en", "next": url("portal:transparency", "ar")})
    # then
    assert response.status_code == 302
    assert response["Location"] == url("portal:transparency", "en")
    assert client.get(response["Location"]).content.decode().count('lang="en"') >= 1


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(client):
    # when: an unsupported language and an off-site "next"
    response = client.post(url("portal:language", "en"), {"language": "xx", "next": "https://evil.example/"})
    # then: nothing is saved and the user stays on this site
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "portal_language" not in client.session


def test_language_switch_only_accepts_post(client):
    assert client.get(url("portal:language", "en")).status_code == 405


def test_signed_in_user_is_served_in_the_saved_language_wherever_a_link_points(client, signed_in):
    # given: a user who chose Arabic
    signed_in()
    client.post(url("portal:language", "en"), {"language": "ar", "next": url("portal:home", "en")})
    # when: they follow a link to the English page
    response = client.get(url("portal:transparency", "en") + "?q=law")
    # then: they land on the same page in Arabic, query kept
    assert response.status_code == 302
    assert response["Location"] == url("portal:transparency", "ar") + "?q=law"


def test_htmx_fragments_are_never_redirected_for_language(client, signed_in):
    signed_in()
    client.post(url("portal:language", "en"), {"language": "ar", "next": "/"})
    response = client.get(url("portal:transparency", "en"), headers={"HX-Request": "true"})
    assert response.status_code == 200


def test_sign_in_with_good_credentials_lands_on_the_home_page_in_that_language(client, make_user):
    # given
    make_user("coordinator")
    # when
    response = client.post(url("portal:sign_in", "en"), {"username": "coordinator", "password": "pw-123456"})
    # then
    assert response.status_code == 302
    assert response["Location"] == url("portal:home", "en")
    assert "_auth_user_id" in client.session


def test_sign_in_with_a_wrong_password_explains_in_arabic_and_signs_nobody_in(client, make_user):
    make_user("coordinator")
    response = client.post(url("portal:sign_in", "ar"), {"username": "coordinator", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert 'role="alert"' in page
    with translation.override("ar"):
        assert "الرجاء" in page or "صحيح" in page


def test_sign_out_is_a_post_and_ends_the_session(client, signed_in):
    signed_in()
    assert client.get(url("portal:sign_out", "en")).status_code == 405
    response = client.post(url("portal:sign_out", "en"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_sign_in_page_sends_signed_in_users_home(client, signed_in):
    signed_in()
    response = client.get(url("portal:sign_in", "en"))
    assert response.status_code == 302


@pytest.mark.parametrize(("language", "text"), [("en", "Page not found"), ("ar", "الصفحة غير موجودة")])
def test_unknown_pages_answer_404_in_the_visitors_language(client, language, text):
    prefix = "/en" if language == "en" and settings.LANGUAGE_CODE != "en" else ""
    if language == "ar" and settings.LANGUAGE_CODE != "ar":
        prefix = "/ar"
    response = client.get(f"{prefix}/no-such-page/")
    assert response.status_code == 404
    assert text in response.content.decode()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_error_templates_render_in_both_languages_without_a_request(language):
    with translation.override(language):
        page = render_to_string("500.html")
        assert f'lang="{language}"' in page
        forbidden = render_to_string("403.html")
    assert "dir=" in forbidden


def test_keyboard_users_can_skip_to_the_main_content(client):
    page = client.get(url("portal:home", "en")).content.decode()
    assert 'href="#main"' in page and 'id="main"' in page


@pytest.mark.parametrize(
    ("language", "expected"), [("ar", "15 كانون الثاني 2026، 14:30"), ("en", "15 January 2026, 14:30")]
)
def test_dates_read_as_people_in_lebanon_write_them(language, expected):
    # given: a moment stored in UTC
    from datetime import UTC, datetime

    from django.utils import formats, timezone

    moment = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)
    # when: shown in Beirut time (UTC+2 in winter)
    with translation.override(language):
        shown = formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    # then
    assert shown == expected
