#!/usr/bin/env python3
"""Set up and run the project with nothing but Python 3.11+ and git.

python3 dev.py demo     # virtualenv, dependencies, database, demo data, server on :8000
python3 dev.py test     # virtualenv, dependencies, the test suite (extra args go to pytest)
python3 dev.py setup    # virtualenv and dependencies only

These install requirements/dev.txt (the runtime lock plus test and lint tools); production installs
requirements/runtime.txt alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
REQUIREMENTS = ROOT / "requirements"
LOCK = REQUIREMENTS / "dev.txt"  # includes runtime.txt
# Both locks: a change to either (a new runtime pin, a new test tool) reinstalls.
LOCKS = (REQUIREMENTS / "runtime.txt", LOCK)
STAMP = VENV / ".lock-installed"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args: str | os.PathLike, env: dict[str, str] | None = None) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(result.returncode)


def locks_text(locks: tuple[Path, ...] = LOCKS) -> str:
    """What the stamp file remembers: every lock's name and text."""
    return "".join(f"# {path.name}\n{path.read_text()}" for path in locks)


def ensure_environment() -> None:
    if not PYTHON.exists():
        say(f"Creating a virtual environment in {VENV.relative_to(ROOT)}/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = locks_text()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        say("Installing pinned dependencies from requirements/dev.txt (first run takes a minute or two)")
        run(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", LOCK)
        STAMP.write_text(wanted)


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    run(PYTHON, "manage.py", *args, env=env)


def demo(argv: list[str]) -> None:
    password = os.environ.get("DEMO_PASSWORD", "demo-pass-2026")
    port = argv[0] if argv else os.environ.get("PORT", "8000")
    # PORT reaches the settings too: SITE_URL (links in emails, the address the demo prints) follows it.
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "1"), "PORT": port}
    say("Preparing the database")
    manage("migrate", "--noinput", "-v", "0", env=env)
    say("Loading the demo data")
    manage("demo", "--password", password, env=env)
    periodic = start_periodic(env)
    say(f"Open http://127.0.0.1:{port}/ (Ctrl+C stops the server)")
    try:
        manage("runserver", f"127.0.0.1:{port}", env=env)
    finally:
        stop_periodic(periodic)


def start_periodic(env: dict[str, str]) -> subprocess.Popen | None:
    """With no Redis there is no beat: run the periodic jobs (SLA scan, reminders, digests, sweep) next to the server."""
    if env.get("REDIS_URL"):
        return None
    say("Running the periodic jobs in the background (manage.py run_periodic)")
    return subprocess.Popen([str(PYTHON), "manage.py", "run_periodic", "--interval", "30"], cwd=ROOT, env=env)


def stop_periodic(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test(argv: list[str]) -> None:
    env = {**os.environ}
    env.setdefault("LANGUAGE_CODE", "en")
    result = subprocess.run([str(PYTHON), "-m", "pytest", *argv], cwd=ROOT, env=env)
    if result.returncode == 5:
        print("No tests were collected: that counts as a failure.", file=sys.stderr)
    sys.exit(result.returncode)


def main() -> None:
    command, *rest = sys.argv[1:] or ["help"]
    if command not in {"demo", "test", "setup"}:
        print(__doc__)
        sys.exit(0 if command == "help" else 2)
    ensure_environment()
    if command == "demo":
        demo(rest)
    elif command == "test":
        test(rest)


if __name__ == "__main__":
    main()
