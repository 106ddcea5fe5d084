"""Every error under /api/ is JSON with a stable code and a message in the caller's language."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, message",
    [
        ("en", "Sign in first: send a token or a session cookie."),
        ("ar", "سجّل الدخول أولاً: أرسل رمز الدخول أو ملف تعريف الجلسة."),
        ("ar-LB,ar;q=0.9,en;q=0.5", "سجّل الدخول أولاً: أرسل رمز الدخول أو ملف تعريف الجلسة."),
        ("fr", "Sign in first: send a token or a session cookie."),
    ],
)
def test_the_language_comes_from_accept_language_not_from_the_url(language, message, settings):
    # given: English as the site default, so Arabic can only come from the header
    settings.LANGUAGE_CODE = "en"
    # when
    response = APIClient().get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE=language)
    # then
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": message}
    assert "Accept-Language" in response["Vary"]


def test_field_errors_are_translated_too(client_for, make_user):
    response = client_for(make_user("amal"), language="ar").post("/api/v1/requests/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "بعض الحقول ناقصة أو غير صالحة."
    assert all("This field" not in " ".join(messages) for messages in response.json()["errors"].values())


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/nothing/", "/api/v1/requests/DR-2026-0001/nope/"])
def test_unknown_addresses_under_api_are_json_404(client_for, make_user, path):
    response = client_for(make_user("amal")).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_a_wrong_method_is_json_405(client_for, make_user):
    response = client_for(make_user("amal")).delete("/api/v1/me/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_an_invalid_page_is_json_404(client_for, make_user):
    response = client_for(make_user("amal")).get("/api/v1/themes/", {"page": "999"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.urls("tests.api.ticket_urls")
def test_an_unexpected_error_is_json_500_and_is_logged(caplog):
    # when
    response = APIClient(raise_request_exception=False).get("/api/v1/broken/", HTTP_ACCEPT_LANGUAGE="ar")
    # then
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "حدث خطأ من جهتنا، وقد سُجّل."}
    assert any(record.exc_info and "a bug in a view" in str(record.exc_info[1]) for record in caplog.records)


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/en/no-such-page/")
    assert response.status_code == 404
    assert "json" not in response["Content-Type"]


def test_the_schema_and_its_viewers_are_served_with_local_assets(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Partnership Dialogue API"
    for viewer in ("/api/docs/", "/api/redoc/"):
        page = client.get(viewer)
        assert page.status_code == 200
        html = page.content.decode()
        assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html


def test_the_schema_is_valid_openapi_and_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/requests/{reference}/transitions/submit/" in target.read_text()


def test_an_arabic_api_call_leaves_the_threads_language_as_it_was(client_for, make_user):
    # given English active in this thread
    from django.utils import translation

    with translation.override("en"):
        # when an API call asks for Arabic
        answer = client_for(make_user("amal"), language="ar").post("/api/v1/requests/", {}, format="json")
        # then the answer is Arabic, and the thread is English again afterwards
        assert answer["Content-Language"] == "ar"
        assert translation.get_language() == "en"
