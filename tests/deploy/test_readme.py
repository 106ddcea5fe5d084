"""The README's production section: every setting the code reads is in its table; the files it copies exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SECTION = README[README.index("## Running it for real") : README.index("## Commands")]
# Where settings are read from the environment.
SOURCES = ["config/settings/__init__.py", "config/settings/production.py", "notify/delivery.py", "dev.py"]
READ = re.compile(
    r"""(?:os\.environ\.get|os\.environ\.setdefault|env_bool|env_list|os\.environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def _table_names() -> set[str]:
    names: set[str] = set()
    for line in SECTION.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_every_environment_variable_read_is_in_the_settings_table():
    read = {name for source in SOURCES for name in READ.findall((ROOT / source).read_text())}
    assert {"SITE_URL", "EMAIL_FILE_PATH", "STATIC_ROOT", "MEDIA_ROOT", "VAR_DIR", "SQLITE_PATH", "LOG_LEVEL"} <= read
    missing = read - _table_names()
    assert not missing, f"settings read by the code but not in the README's table: {sorted(missing)}"


def test_the_table_has_meaning_default_and_example_columns():
    assert "| name | meaning | default | example |" in SECTION


def test_every_deploy_file_the_readme_copies_exists():
    for path in re.findall(r"/srv/dialogue/(deploy/[\w./-]+)", SECTION):
        assert (ROOT / path).is_file(), path
    assert "X-Forwarded-Proto" in SECTION and "SECURE_PROXY_SSL_HEADER" in SECTION
    assert "pip install -r /srv/dialogue/requirements/runtime.txt" in SECTION
    assert "dev.txt" not in SECTION.split("Production installs")[0]


def test_the_env_example_sets_only_documented_settings():
    names = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / "deploy/dialogue.env.example").read_text(), re.M))
    assert names and not names - _table_names()
