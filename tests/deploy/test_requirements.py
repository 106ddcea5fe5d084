"""Runtime and development dependencies locked apart; production installs the runtime lock only."""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "requirements" / "runtime.txt"
DEV = ROOT / "requirements" / "dev.txt"
DEV_TOOLS = {"pytest", "pytest-django", "playwright", "mypy", "ruff", "schemathesis", "hypothesis", "factory-boy"}


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-r"):
            continue
        name, _, version = line.partition("==")
        assert version, f"{path.name}: {line!r} is not pinned exactly"
        pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_runtime_lock_has_no_development_tools_and_dev_builds_on_it():
    runtime, dev = _pins(RUNTIME), _pins(DEV)
    assert not DEV_TOOLS & set(runtime)
    assert DEV_TOOLS <= set(dev)
    assert not set(runtime) & set(dev), "a package pinned in both locks"
    assert "-r runtime.txt" in DEV.read_text().splitlines()
    assert {"django", "celery", "gunicorn", "psycopg", "openpyxl"} <= set(runtime)


def _dev_module():
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_py_notices_a_change_to_either_lock(tmp_path):
    dev = _dev_module()
    runtime, tools = tmp_path / "runtime.txt", tmp_path / "dev.txt"
    runtime.write_text("Django==5.2.19\n")
    tools.write_text("-r runtime.txt\npytest==9.2.0\n")
    before = dev.locks_text((runtime, tools))
    runtime.write_text("Django==5.2.19\nopenpyxl==3.1.5\n")
    assert dev.locks_text((runtime, tools)) != before
    after_runtime = dev.locks_text((runtime, tools))
    tools.write_text("-r runtime.txt\npytest==9.2.1\n")
    assert dev.locks_text((runtime, tools)) != after_runtime
    assert dev.LOCKS == (RUNTIME, DEV)


@pytest.mark.slow
def test_the_runtime_lock_alone_runs_the_production_profile(tmp_path):
    # given a virtualenv with requirements/runtime.txt only, as the README's production steps install it
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", RUNTIME],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    # then the development tools are absent
    for tool in ("pytest", "playwright", "mypy", "ruff", "schemathesis"):
        probe = subprocess.run([python, "-c", f"import {tool}"], capture_output=True)
        assert probe.returncode != 0, f"{tool} is installed by the runtime lock"
    # and the production profile passes its deployment checks, and gunicorn and celery import
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="dialogue.example.gov.lb",
        VAR_DIR=str(tmp_path / "var"),
    )
    check = subprocess.run(
        [python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    tools = subprocess.run(
        [python, "-c", "import gunicorn, celery, openpyxl, config.celery"], cwd=ROOT, env=env, capture_output=True
    )
    assert tools.returncode == 0, tools.stderr
