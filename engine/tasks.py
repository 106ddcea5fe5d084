"""Celery tasks of the engine: they take plain values, call the engine, and are safe to run twice."""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task

from . import sla


@shared_task(name="engine.tasks.sla_scan_task", ignore_result=False)
def sla_scan_task(at: str | None = None) -> dict[str, Any]:
    """Run the SLA scan as of ``at`` (ISO 8601) or now; returns the counts.

    Safe to run twice or concurrently: each clock moves to warning or breach in one conditional
    UPDATE, so only one run announces it. Celery beat runs it every few minutes (settings).
    """
    moment = sla.parse_as_of(at) if at else None
    return sla.scan(moment).as_dict()


@shared_task(name="engine.tasks.sla_recompute_task")
def sla_recompute_task(since: str) -> int:
    """Move running clocks' deadlines after the calendar changed on ``since`` (ISO date) or later."""
    return sla.recompute_due_dates(date.fromisoformat(since))


@shared_task(name="engine.tasks.audit_verify_task", ignore_result=True, acks_late=True)
def audit_verify_task(run_id: int | None = None) -> dict[str, Any]:
    """Verify the whole audit trail and store the result (``engine.verification``).

    Celery beat runs it periodically (settings); an auditor's fresh request queues it with the
    run it created. A duplicate message for a finished run does nothing.
    """
    from . import verification

    run = verification.perform(run_id)
    return {"run": run.pk, "ok": run.ok, "events_checked": run.events_checked}
