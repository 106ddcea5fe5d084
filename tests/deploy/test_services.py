"""The systemd units' commands, run as the units run them (settings file, working directory, no root)."""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
pytestmark = pytest.mark.slow


def _exec_start(unit: str, venv_bin: Path) -> list[str]:
    line = next(line for line in (UNITS / unit).read_text().splitlines() if line.startswith("ExecStart="))
    command = shlex.split(line.removeprefix("ExecStart="))
    assert command[0].startswith("/srv/dialogue/.venv/bin/")
    return [str(venv_bin / Path(command[0]).name), *command[1:]]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="localhost",
        VAR_DIR=str(tmp_path / "var"),
        SQLITE_PATH=str(tmp_path / "var" / "db.sqlite3"),
        STATIC_ROOT=str(tmp_path / "var" / "static"),
    )
    return env


def _run_for(command: list[str], env: dict[str, str], log: Path, until, timeout: float = 60) -> str:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None and not until():
            time.sleep(0.3)
        assert process.poll() is None, log.read_text()[-3000:]
        assert until(), log.read_text()[-3000:]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return log.read_text()


def test_every_unit_runs_as_the_service_account_from_the_settings_file():
    for unit in ("dialogue-web.service", "dialogue-worker.service", "dialogue-beat.service"):
        text = (UNITS / unit).read_text()
        assert "User=dialogue" in text and "EnvironmentFile=/etc/dialogue/dialogue.env" in text
        assert "WorkingDirectory=/srv/dialogue" in text and "Restart=on-failure" in text


def test_beat_keeps_its_schedule_under_var_not_in_the_checkout(tmp_path):
    bin_dir = Path(sys.executable).parent
    env = _env(tmp_path)
    schedule = tmp_path / "var" / "celerybeat-schedule"
    before = set(ROOT.glob("celerybeat-schedule*"))
    log = _run_for(
        _exec_start("dialogue-beat.service", bin_dir),
        env,
        tmp_path / "beat.log",
        until=lambda: any(schedule.parent.glob("celerybeat-schedule*")),
    )
    assert "beat: Starting" in log
    assert set(ROOT.glob("celerybeat-schedule*")) == before


def test_gunicorn_serves_on_the_local_port_the_site_proxies_to(tmp_path):
    bin_dir = Path(sys.executable).parent
    env = _env(tmp_path)
    for step in (["migrate", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True, timeout=300)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = _exec_start("dialogue-web.service", bin_dir)
    assert "127.0.0.1:8000" in command and "server 127.0.0.1:8000;" in (ROOT / "deploy/nginx/dialogue.conf").read_text()
    command[command.index("127.0.0.1:8000")] = f"127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
                connection.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\nX-Forwarded-Proto: https\r\n\r\n")
                status_line = connection.recv(64).split(b"\r\n")[0]
                return b" 200 " in status_line
        except OSError:
            return False

    _run_for(command, env, tmp_path / "web.log", until=answers)
