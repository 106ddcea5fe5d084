"""python3 dev.py demo runs the periodic jobs next to the server when there is no Redis (hence no beat)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dev_module():
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeProcess:
    started: list[list[str]] = []

    def __init__(self, args, **kwargs):
        self.args, self.env, self.terminated = args, kwargs.get("env"), False
        FakeProcess.started.append(self)

    def poll(self):
        return 0 if self.terminated else None

    def terminate(self):
        self.terminated = True

    def wait(self, timeout=None):
        return 0


def _demo(monkeypatch, redis_url):
    dev = _dev_module()
    FakeProcess.started = []
    calls = []
    monkeypatch.setattr(dev.subprocess, "Popen", FakeProcess)

    def manage(*args, env=None):
        # while the server runs, the periodic jobs are already running beside it
        if args[0] == "runserver":
            calls.append(("runserver", [p.terminated for p in FakeProcess.started]))
        else:
            calls.append((args[0], None))

    monkeypatch.setattr(dev, "manage", manage)
    if redis_url:
        monkeypatch.setenv("REDIS_URL", redis_url)
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    dev.demo(["8123"])
    return calls


def test_demo_without_redis_runs_the_periodic_jobs_beside_the_server_and_stops_them_with_it(monkeypatch):
    calls = _demo(monkeypatch, None)
    assert calls == [("migrate", None), ("demo", None), ("runserver", [False])]
    (process,) = FakeProcess.started
    assert process.args[1:3] == ["manage.py", "run_periodic"]
    assert "REDIS_URL" not in process.env and process.env["PORT"] == "8123"
    # the server stopped: so did the periodic jobs
    assert process.terminated


def test_demo_with_redis_leaves_periodic_work_to_celery_beat(monkeypatch):
    calls = _demo(monkeypatch, "redis://127.0.0.1:6379/9")
    assert calls[-1] == ("runserver", [])
    assert FakeProcess.started == []
