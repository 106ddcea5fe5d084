"""Small deployment fixes: links in emails, beat's schedule file, log lines once, the demo's address."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICE_AND_TEST_ONLY = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "SITE_URL", "PORT"}


def _python(code: str, env: dict[str, str], module: str = "config.settings") -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_AND_TEST_ONLY}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _setting(expression: str, env: dict[str, str] | None = None, module: str = "config.settings") -> str:
    result = _python(
        f"import django; django.setup(); from django.conf import settings as s; print({expression})", env or {}, module
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_site_url_defaults_to_the_development_server_and_follows_its_port():
    assert _setting("s.SITE_URL") == "http://127.0.0.1:8000"
    assert _setting("s.SITE_URL", {"PORT": "8123"}) == "http://127.0.0.1:8123"
    assert _setting("s.SITE_URL", {"SITE_URL": "https://dialogue.example.gov.lb/"}) == "https://dialogue.example.gov.lb"


def test_production_site_url_is_https_on_the_first_allowed_host_unless_given():
    env = {"SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "dialogue.example.gov.lb,10.0.0.5"}
    module = "config.settings.production"
    assert _setting("s.SITE_URL", env, module) == "https://dialogue.example.gov.lb"
    assert _setting("s.SITE_URL", {**env, "SITE_URL": "https://d.example.org"}, module) == "https://d.example.org"


def test_email_links_are_absolute_with_the_default_site_url():
    # rendered by notify with the settings as a fresh process has them (no test override)
    code = (
        "import django; django.setup(); from notify.rendering import absolute_url; "
        "print(absolute_url('/requests/DR-2026-0019/'))"
    )
    result = _python(code, {"PORT": "8011"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8011/requests/DR-2026-0019/"


def test_beat_keeps_its_schedule_under_var(tmp_path):
    assert _setting("s.CELERY_BEAT_SCHEDULE_FILENAME", {"VAR_DIR": str(tmp_path)}) == str(
        tmp_path / "celerybeat-schedule"
    )
    # and celery's beat reads it as its default -s
    code = "import django; django.setup(); from config.celery import app; print(app.conf.beat_schedule_filename)"
    result = _python(code, {"VAR_DIR": str(tmp_path)})
    assert result.stdout.strip() == str(tmp_path / "celerybeat-schedule"), result.stderr
    assert "celerybeat-schedule*" in (ROOT / ".gitignore").read_text().splitlines()


def test_a_log_line_prints_once_under_the_development_server():
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.request').warning('Not Found: /once-marker/'); "
        "logging.getLogger('engine').warning('engine-marker')"
    )
    for debug in ("1", "0"):
        result = _python(code, {"DEBUG": debug})
        assert result.returncode == 0, result.stderr
        assert result.stderr.count("once-marker") == 1, result.stderr
        assert result.stderr.count("engine-marker") == 1, result.stderr
