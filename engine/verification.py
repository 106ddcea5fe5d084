"""Background verification of the whole audit trail, stored so that asking costs one indexed read.

A periodic Celery task (``engine.tasks.audit_verify_task``, settings' beat schedule) or an auditor's
request starts a run: a row in ``AuditVerification`` marked running, then the verification
(``audit.verify_all``: in PostgreSQL where it can), then its counts and failures on that row.
``GET /api/v1/audit/verify/`` answers from the newest finished row with its age; a fresh run
answers 202 at once. Only one run goes at a time: asking while one runs joins it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from .audit import CaseFailure, verify_all
from .models import AuditVerification

logger = logging.getLogger(__name__)

# A run still marked running after this long died with its worker: a new one may start.
STALE_AFTER = timedelta(hours=2)


def latest_finished() -> AuditVerification | None:
    """The newest verification that finished (one indexed read)."""
    return (
        AuditVerification.objects.filter(status=AuditVerification.Status.DONE).order_by("-finished_at", "-pk").first()
    )


def running() -> AuditVerification | None:
    """The run under way, if any (one that went quiet for too long does not count)."""
    return (
        AuditVerification.objects.filter(
            status=AuditVerification.Status.RUNNING, started_at__gte=timezone.now() - STALE_AFTER
        )
        .order_by("-started_at")
        .first()
    )


def start(requested_by: Any = None) -> tuple[AuditVerification, bool]:
    """Start a run as a background job (after commit); returns it and whether it is new.

    While another run is under way, that one is returned instead: its result will be as fresh.
    """
    from .tasks import audit_verify_task

    with transaction.atomic():
        current = running()
        if current is not None:
            return current, False
        run = AuditVerification.objects.create(requested_by=requested_by if getattr(requested_by, "pk", None) else None)
        transaction.on_commit(lambda: _hand_over(audit_verify_task, run.pk))
    return run, True


def _hand_over(task: Any, run_id: int) -> None:
    try:
        task.apply_async((run_id,))
    except Exception:  # the run stays "running" until STALE_AFTER; the next request can start another
        logger.exception("Could not hand audit verification %s to the workers", run_id)
        AuditVerification.objects.filter(pk=run_id).update(
            status=AuditVerification.Status.FAILED, finished_at=timezone.now(), error="could not be queued"
        )


def perform(run_id: int | None = None, *, requested_by: Any = None) -> AuditVerification:
    """Verify everything now and record the result on run ``run_id`` (a new run when None)."""
    run = AuditVerification.objects.filter(pk=run_id).first() if run_id else None
    if run is None:
        run = AuditVerification.objects.create(requested_by=requested_by if getattr(requested_by, "pk", None) else None)
    elif run.status != AuditVerification.Status.RUNNING:
        return run  # a duplicate task message: already done
    try:
        report = verify_all()
    except Exception as exc:
        AuditVerification.objects.filter(pk=run.pk).update(
            status=AuditVerification.Status.FAILED, finished_at=timezone.now(), error=f"{type(exc).__name__}: {exc}"
        )
        raise
    AuditVerification.objects.filter(pk=run.pk).update(
        status=AuditVerification.Status.DONE,
        finished_at=timezone.now(),
        ok=report.ok,
        cases_checked=report.cases_checked,
        events_checked=report.events_checked,
        digests_checked=report.digests_checked,
        cases_without_digest=report.cases_without_digest,
        access_entries_checked=report.access_entries_checked,
        failures=[_stored(failure) for failure in report.failures],
    )
    run.refresh_from_db()
    return run


def _stored(failure: CaseFailure) -> dict[str, Any]:
    return {
        "case_type": failure.case_type,
        "case_id": failure.case_id,
        "reference": failure.case_reference,
        "seq": failure.seq,
        "code": failure.code,
        "params": failure.params,
    }


def as_report(run: AuditVerification, now: datetime | None = None) -> dict[str, Any]:
    """The documented body of ``GET /api/v1/audit/verify/``, plus when it was verified and how long ago."""
    now = now or timezone.now()
    failures = []
    for stored in run.failures:
        failure = CaseFailure(
            stored["case_type"],
            stored["case_id"],
            stored["reference"],
            stored["seq"],
            stored["code"],
            stored.get("params") or {},
        )
        failures.append(failure.as_dict())
    finished = run.finished_at or run.started_at
    return {
        "ok": bool(run.ok),
        "cases_checked": run.cases_checked,
        "events_checked": run.events_checked,
        "digests_checked": run.digests_checked,
        "cases_without_digest": run.cases_without_digest,
        "access_entries_checked": run.access_entries_checked,
        "failures": failures,
        "verified_at": finished,
        "age_seconds": max(0.0, round((now - finished).total_seconds(), 3)),
    }
