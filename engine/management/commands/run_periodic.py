"""manage.py run_periodic [--once] [--interval SECONDS]: the periodic jobs without Celery beat.

Runs the tasks of ``CELERY_BEAT_SCHEDULE`` (the SLA scan, reminders, digests, the outbox sweep, the
audit verification) in this process, each on its own period: once, or in a loop that wakes every
``--interval`` seconds. For the embedded demo (``dev.py demo`` starts it when there is no Redis) and
for small deployments without a beat process. Every job is safe to run twice, so running this next
to a beat does no harm beyond the duplicated work.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _


def _period(schedule: Any) -> float | None:
    """Seconds between runs of a beat entry's schedule (a number, a timedelta or Celery's ``schedule``)."""
    if isinstance(schedule, int | float):
        return float(schedule)
    if isinstance(schedule, timedelta):
        return schedule.total_seconds()
    run_every = getattr(schedule, "run_every", None)
    return run_every.total_seconds() if isinstance(run_every, timedelta) else None


class Command(BaseCommand):
    help = "Run the periodic jobs of the beat schedule in this process: once, or in a loop on their periods."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once, then stop.")
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="Seconds between two looks at what is due (loop only; default 30).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"]
        if interval <= 0:
            raise CommandError(_("The interval must be a positive number of seconds."), returncode=2)
        jobs = self._jobs()
        if options["once"]:
            for name, job in jobs.items():
                self._run(name, job)
            return
        self.stdout.write(
            _("Running %(count)d periodic jobs every time they are due (Ctrl+C stops).") % {"count": len(jobs)}
        )
        last_run: dict[str, float] = {}
        try:
            while True:
                now = time.monotonic()
                for name, job in jobs.items():
                    if name not in last_run or now - last_run[name] >= job["period"]:
                        last_run[name] = now
                        self._run(name, job)
                close_old_connections()
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write(_("Periodic jobs stopped."))

    def _jobs(self) -> dict[str, dict[str, Any]]:
        jobs: dict[str, dict[str, Any]] = {}
        for name, entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).items():
            period = _period(entry.get("schedule"))
            if period is None:
                self.stderr.write(_("%(job)s: skipped, its schedule is not a fixed period.") % {"job": name})
                continue
            jobs[name] = {
                "task": import_string(entry["task"]),
                "args": tuple(entry.get("args", ())),
                "kwargs": dict(entry.get("kwargs", {})),
                "period": period,
            }
        return jobs

    def _run(self, name: str, job: dict[str, Any]) -> None:
        started = time.monotonic()
        stamp = timezone.localtime().isoformat(timespec="seconds")
        try:
            # Calling a Celery task runs its body here, now; what it queues runs in-process without a broker.
            outcome = job["task"](*job["args"], **job["kwargs"])
        except Exception as exc:  # noqa: BLE001  (one failing job must not stop the others)
            self.stderr.write(_("%(time)s %(job)s failed: %(error)s") % {"time": stamp, "job": name, "error": exc})
            return
        self.stdout.write(
            _("%(time)s %(job)s: done in %(seconds).1f s (%(outcome)s)")
            % {"time": stamp, "job": name, "seconds": time.monotonic() - started, "outcome": outcome}
        )
