"""Every asset of every page is served by the platform itself: nothing from another host.

Walks the whole URLconf (portal, API documentation, back office) over the demo data, as an anonymous
visitor, the secretariat lead and the back-office admin, and reads each HTML answer for scripts, style
sheets, fonts, images and frames that point at another host.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from workflows.partnership.demo import build_demo
from workflows.partnership.models import ActionItem, DialogueRequest

pytestmark = pytest.mark.django_db

LOCAL_HOSTS = {"", "testserver", "localhost", "127.0.0.1"}
# Attributes that make the browser fetch something by itself (a plain <a href> is a link, not an asset).
FETCHED = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "use": ("href", "xlink:href"),
    "image": ("href", "xlink:href"),
}
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)""", re.IGNORECASE)


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if not value:
                continue
            if name in FETCHED.get(tag, ()):
                self.urls.extend(part.strip().split(" ")[0] for part in value.split(","))
            if name == "style":
                self.urls.extend(CSS_URL.findall(value))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(CSS_URL.findall(data))


def outside_assets(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    found = [url for url in parser.urls if (urlparse(url).hostname or "") not in LOCAL_HOSTS]
    # fonts or scripts named in inline scripts (a loader that injects them)
    found += [m for m in re.findall(r"""['"]((?:https?:)?//[^'"\s]+\.(?:css|js|woff2?|ttf)[^'"\s]*)""", html)]
    return [url for url in found if (urlparse(url).hostname or "") not in LOCAL_HOSTS]


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = "") -> list[tuple[str, str, list[str]]]:
    """(route name with namespace, regex-ish route, parameter names) for every named pattern."""
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            found += _patterns(entry, prefix + str(entry.pattern), f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((namespace + entry.name, prefix + str(entry.pattern), list(entry.pattern.regex.groupindex)))
    return found


def _samples() -> dict[str, list[str]]:
    references = list(DialogueRequest.objects.order_by("pk").values_list("reference", flat=True))
    return {
        "reference": references,
        "pk": [str(pk) for pk in ActionItem.objects.order_by("pk").values_list("pk", flat=True)[:3]],
        "key": ["requests", "themes", "sla", "follow_up"],
        "name": ["accept", "submit", "vote"],
    }


def _page_urls() -> list[str]:
    samples = _samples()
    urls: set[str] = set()
    for language in ("ar", "en"):
        with translation.override(language):
            for name, _route, params in _patterns(get_resolver()):
                if name.startswith("admin:"):
                    continue  # the back office is walked through its registry below
                choices: list[dict[str, str]] = [{}]
                for param in params:
                    values = samples.get(param) or []
                    choices = [{**c, param: v} for c in choices for v in values]
                for kwargs in choices:
                    try:
                        urls.add(reverse(name, kwargs=kwargs or None))
                    except Exception:  # noqa: BLE001, S112 - a sample that does not fit this route
                        continue
    for model in admin.site._registry:
        meta = model._meta
        urls.add(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.add(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.add(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
    urls.add(reverse("admin:index"))
    return sorted(urls)


@pytest.mark.slow
def test_no_page_loads_anything_from_another_host(client):
    build_demo(password="pw-123456", log=lambda line: None)
    urls = _page_urls()
    assert "/api/redoc/" in urls and "/api/docs/" in urls
    people = [None, "secretariat-lead", "admin"]
    checked: dict[str, int] = {}
    problems = []
    for username in people:
        client.logout()
        if username:
            client.force_login(get_user_model().objects.get(username=username))
        for url in urls:
            if username != "admin" and url.startswith("/admin/"):
                continue
            response = client.get(url, follow=False)
            assert response.status_code < 500, (username, url, response.status_code)
            if "text/html" not in response.get("Content-Type", ""):
                continue
            checked[url] = response.status_code
            for asset in outside_assets(response.content.decode()):
                problems.append(f"{username or 'anonymous'} {url}: {asset}")
    assert not problems, "\n".join(problems)
    # it did walk the pages, not only the main ones
    assert "/api/redoc/" in checked and "/api/docs/" in checked
    assert sum(1 for url in checked if "/requests/" in url) > 20
    assert sum(1 for url in checked if url.startswith("/admin/")) > 20


def test_the_checker_sees_an_outside_font_host():
    html = (
        '<html><head><link rel="stylesheet" href="https://fonts.googleapis.com/css2?family=Roboto">'
        "<style>body{background:url('//cdn.example.com/x.png')}</style></head>"
        '<body><a href="https://example.org/licence">a link is not an asset</a>'
        '<img src="/static/logo.png"></body></html>'
    )
    assert outside_assets(html) == ["https://fonts.googleapis.com/css2?family=Roboto", "//cdn.example.com/x.png"]
