"""The environment drives the settings: embedded defaults, real services, a secure profile."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables the test run itself sets (services, browser tests) that a deployment would not have.
SERVICE_AND_TEST_ONLY = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def _settings(env: dict[str, str], expression: str, module: str = "config.settings") -> str:
    code = f"import django, os; django.setup(); from django.conf import settings as s; print({expression})"
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_AND_TEST_ONLY}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_nothing_set_means_sqlite_and_in_process_tasks():
    out = _settings({}, "s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.TIME_ZONE")
    assert out == "django.db.backends.sqlite3 True Asia/Beirut"


def test_urls_switch_to_postgresql_and_a_real_broker():
    out = _settings(
        {"DATABASE_URL": "postgres://u:p@db.example:5432/dialogue", "REDIS_URL": "redis://cache:6379/2"},
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.CELERY_BROKER_URL",
    )
    assert out == "django.db.backends.postgresql dialogue False redis://cache:6379/2"


def test_languages_are_arabic_and_english():
    assert _settings({}, "[code for code, _ in s.LANGUAGES]") == "['ar', 'en']"


def test_production_profile_passes_check_deploy_without_warnings():
    env = {
        **{k: v for k, v in os.environ.items() if k not in SERVICE_AND_TEST_ONLY},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "dialogue.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_refuses_a_missing_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
