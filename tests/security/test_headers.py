"""Item 4: a strict Content-Security-Policy and a Permissions-Policy on every page; the API viewers get
only what they need; no template served to a browser carries inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (item.strip() for item in policy.split(";")) if part}


@pytest.mark.parametrize("path", ["/en/sign-in/", "/sign-in/", "/en/transparency/", "/api/v1/charter/"])
def test_pages_and_api_answers_carry_a_strict_policy(client, path):
    response = client.get(path)
    directives = _directives(response["Content-Security-Policy"])
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in permissions


def test_swagger_ui_gets_data_images_and_no_inline_code(client):
    response = client.get("/api/docs/")
    directives = _directives(response["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert "data:" in directives["img-src"]
    body = response.content.decode()
    # the start-up script comes from a URL of its own, served as JavaScript
    assert re.search(r"<script>\s*\S", body) is None
    assert "<style>" not in body
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "javascript" in script["Content-Type"]


def test_redoc_alone_may_inject_styles(client):
    directives = _directives(client.get("/api/redoc/")["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert directives["worker-src"] == ["'self'", "blob:"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"|\son[a-z]+=\"", re.IGNORECASE)


def _browser_templates() -> list[Path]:
    found = []
    for folder in ("portal/templates", "notify/templates", "workflows", "api/templates", "engine"):
        for path in (ROOT / folder).rglob("*.html"):
            # E-mails are read in mail clients, not served under the site's policy.
            if "/email/" in path.as_posix():
                continue
            found.append(path)
    return found


def test_no_template_served_to_a_browser_has_inline_script_style_or_handlers():
    offenders = []
    for path in _browser_templates():
        text = path.read_text(encoding="utf-8")
        if INLINE_SCRIPT.search(text) or INLINE_STYLE.search(text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
