"""The engine's tables: case base, references, audit chain, SLA clocks, calendar, outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

GENESIS_HASH = "0" * 64


class Case(models.Model):
    """Abstract base of every case: reference, state, version, audit chain head, timestamps."""

    REFERENCE_PREFIX = "CASE"

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    state = models.CharField(_("state"), max_length=40, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    # Head of the case's audit hash chain, kept on the locked row so a transition
    # needs no extra read to extend the chain.
    audit_seq = models.PositiveIntegerField(default=0, editable=False)
    audit_hash = models.CharField(max_length=64, default=GENESIS_HASH, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.reference

    @classmethod
    def case_type(cls) -> str:
        return cls._meta.label_lower


class ReferenceCounter(models.Model):
    """Last number handed out per prefix and year; bumped in the creating transaction."""

    prefix = models.CharField(max_length=16)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="engine_refcounter_prefix_year")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class AuditEvent(models.Model):
    """One link of a case's hash chain. Append-only: the database rejects UPDATE and DELETE."""

    case_type = models.CharField(_("case type"), max_length=100)
    case_id = models.BigIntegerField(_("case id"))
    case_reference = models.CharField(_("case reference"), max_length=32, db_index=True)
    seq = models.PositiveIntegerField(_("sequence"))
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    actor_role = models.CharField(_("actor role"), max_length=40, blank=True)
    action = models.CharField(_("action"), max_length=60)
    from_state = models.CharField(_("from state"), max_length=40, blank=True)
    to_state = models.CharField(_("to state"), max_length=40, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    # sha256 of the case's audited fields and rows after the event (engine.snapshot), inside the hash;
    # null on events written before digests existed (their hash is computed without it).
    digest = models.CharField(_("digest"), max_length=64, null=True, blank=True)  # noqa: DJ001 - null: ALTER TABLE ADD COLUMN keeps the SQLite triggers
    # The snapshot the digest covers (long texts as their sha256), to name what changed since.
    snapshot = models.JSONField(_("snapshot"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["case_type", "case_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case_type", "case_id", "seq"], name="engine_audit_case_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.case_reference}#{self.seq} {self.action}"


class AuditCheckpoint(models.Model):
    """A signed snapshot of every chain head; published so outsiders can hold us to it."""

    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    heads_count = models.PositiveIntegerField(_("chains"))
    events_count = models.PositiveBigIntegerField(_("events"))
    digest = models.CharField(_("digest"), max_length=64)
    public_key = models.TextField(_("public key"))
    signature = models.TextField(_("signature"))
    document = models.JSONField(_("document"))
    # The constant-size published head: an RFC 6962 Merkle tree over the chain heads (engine.merkle).
    tree_size = models.PositiveBigIntegerField(_("tree size"), default=0)
    root_hash = models.CharField(_("root hash"), max_length=64, blank=True)
    tree_head = models.JSONField(_("signed tree head"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.digest[:12]}"


class AuditTreeLeaf(models.Model):
    """One leaf of the checkpoints' Merkle tree: a chain head, appended when a checkpoint saw it move."""

    position = models.PositiveBigIntegerField(unique=True)
    checkpoint = models.ForeignKey(AuditCheckpoint, on_delete=models.PROTECT, related_name="leaves")
    case_type = models.CharField(max_length=100)
    case_id = models.BigIntegerField()
    seq = models.PositiveIntegerField()
    hash = models.CharField(max_length=64)
    reference = models.CharField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["case_type", "case_id", "-position"], name="engine_treeleaf_chain")]

    def __str__(self) -> str:
        return f"#{self.position} {self.case_type}:{self.case_id}@{self.seq}"


class ClosureDay(models.Model):
    """A day the administration is closed beyond the weekend and public holidays."""

    date = models.DateField(_("date"), unique=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("closure day")
        verbose_name_plural = _("closure days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.reason}"


class HolidayOverride(models.Model):
    """Moves or cancels an estimated public holiday once the official date is announced."""

    estimated_date = models.DateField(_("estimated date"), unique=True)
    actual_date = models.DateField(
        _("official date"), null=True, blank=True, help_text=_("Leave empty to cancel the holiday.")
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("holiday override")
        verbose_name_plural = _("holiday overrides")
        ordering = ["estimated_date"]

    def __str__(self) -> str:
        return f"{self.estimated_date} → {self.actual_date or '—'}"


class SlaPolicy(models.Model):
    """How long a state may wait, whose turn it is, and what happens on breach."""

    class OnBreach(models.TextChoices):
        MARK = "mark", _("Mark as breached")
        ESCALATE = "escalate", _("Escalate")
        TRANSITION = "transition", _("Run a transition")

    flow = models.CharField(_("flow"), max_length=100, help_text=_("Case type, e.g. partnership.dialoguerequest"))
    state = models.CharField(_("state"), max_length=40)
    allowance_days = models.PositiveIntegerField(_("allowance (business days)"))
    owner = models.CharField(_("owning party"), max_length=40)
    warning_ratio = models.DecimalField(_("warning threshold"), max_digits=3, decimal_places=2, default=0.75)
    on_breach = models.CharField(_("on breach"), max_length=12, choices=OnBreach.choices, default=OnBreach.ESCALATE)
    breach_transition = models.CharField(_("breach transition"), max_length=60, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [models.UniqueConstraint(fields=["flow", "state"], name="engine_slapolicy_flow_state")]

    def __str__(self) -> str:
        return f"{self.flow}:{self.state} {self.allowance_days}d ({self.owner})"


class SlaClock(models.Model):
    """Time a party owes on one case in one state; pauses while the turn is elsewhere."""

    class Status(models.TextChoices):
        ON_TRACK = "on_track", _("On track")
        WARNING = "warning", _("Warning")
        BREACHED = "breached", _("Breached")
        STOPPED = "stopped", _("Stopped")

    case_type = models.CharField(max_length=100)
    case_id = models.BigIntegerField()
    case_reference = models.CharField(max_length=32)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks")
    state = models.CharField(_("state"), max_length=40)
    owner = models.CharField(_("owner"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ON_TRACK)
    started_at = models.DateTimeField(_("started at"))
    # Business seconds allowed, and consumed in earlier (paused) segments.
    allowance_seconds = models.PositiveIntegerField()
    consumed_seconds = models.PositiveIntegerField(default=0)
    running_since = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            models.Index(fields=["case_type", "case_id"], name="engine_slaclock_case"),
            models.Index(
                fields=["due_at"],
                name="engine_slaclock_open_due",
                condition=models.Q(stopped_at__isnull=True, paused_at__isnull=True),
            ),
            # What the scan looks for, and nothing else: an idle re-scan reads no row at all.
            models.Index(
                fields=["warn_at"],
                name="engine_slaclock_to_warn",
                condition=models.Q(stopped_at__isnull=True, paused_at__isnull=True, status="on_track"),
            ),
            models.Index(
                fields=["due_at"],
                name="engine_slaclock_to_breach",
                condition=models.Q(stopped_at__isnull=True, paused_at__isnull=True, status__in=["on_track", "warning"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_reference} {self.state} ({self.owner}) {self.status}"

    @property
    def paused(self) -> bool:
        return self.paused_at is not None and self.stopped_at is None


class OutboxMessage(models.Model):
    """A notification intent written in the event's transaction; delivered after commit."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    # No plain B-tree on created_at: it was one more index written for every row (a notifying
    # transition writes dozens) and its only full use was ordering the whole table. Migration 0011
    # puts a BRIN index on PostgreSQL instead (rows arrive in created_at order, so a few pages
    # summarise the table: what an overview's date range needs), a B-tree elsewhere; the failed
    # rows have a partial index of their own, and the pending ones ``engine_outbox_pending``.
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    event = models.CharField(_("event"), max_length=60)
    case_type = models.CharField(max_length=100, blank=True)
    case_id = models.BigIntegerField(null=True, blank=True)
    case_reference = models.CharField(_("case"), max_length=32, blank=True)
    audit_seq = models.PositiveIntegerField(null=True, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
        # No database constraint: its deferred check ran at every notifying commit, once per row
        # (a SELECT … FOR KEY SHARE locking the user's row, 40 for 20 recipients). Deleting a user
        # through Django still deletes their rows (CASCADE is Django's, not the database's); a row
        # whose user went another way is skipped at delivery ("no recipient", ``notify.delivery``)
        # and a user's deletion can no longer fail a transition that routed to them.
        db_constraint=False,
    )
    channel = models.CharField(_("channel"), max_length=20, default="event")
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # One row per (event occurrence, recipient, channel): a second write or send is a no-op.
    # Unique by a constraint, not ``unique=True``: on PostgreSQL that also built a LIKE-pattern
    # index no query uses, one more index written for every row (each notifying transition
    # writes dozens of rows).
    dedupe_key = models.CharField(max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    deliver_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["created_at"], name="engine_outbox_pending", condition=models.Q(status="pending")),
            # The outbox's problems, newest first (``notify.selectors.outbox_problems``): written
            # only when a row fails, so it costs a notifying transition nothing.
            models.Index(fields=["created_at"], name="engine_outbox_failed", condition=models.Q(status="failed")),
        ]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="engine_outbox_dedupe_key_unique")]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_id or '-'} [{self.channel}] {self.status}"


class IdempotencyRecord(models.Model):
    """The first answer given for a client's idempotency key."""

    key = models.CharField(max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    case_type = models.CharField(max_length=100)
    case_id = models.BigIntegerField()
    transition = models.CharField(max_length=60)
    result = models.JSONField(default=dict)
    #: sha256 of the request body: the same key with another body is refused
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    #: the HTTP answer first given, replayed on a repeat (API calls only)
    response = models.JSONField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(default=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor", "key"], name="engine_idempotency_actor_key")]

    def __str__(self) -> str:
        return self.key


class AuditVerification(models.Model):
    """One run of the whole-trail verification: what ``GET /api/v1/audit/verify/`` answers from."""

    class Status(models.TextChoices):
        RUNNING = "running", pgettext_lazy("verification run", "Running")
        DONE = "done", pgettext_lazy("verification run", "Done")
        FAILED = "failed", _("Could not finish")

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    ok = models.BooleanField(_("intact"), null=True)
    cases_checked = models.PositiveIntegerField(_("cases checked"), default=0)
    events_checked = models.PositiveBigIntegerField(_("events checked"), default=0)
    digests_checked = models.PositiveIntegerField(_("cases compared with their rows"), default=0)
    cases_without_digest = models.PositiveIntegerField(_("cases without a digest"), default=0)
    access_entries_checked = models.PositiveBigIntegerField(_("access log entries checked"), default=0)
    # The failures as codes and parameters; their words are written in the reader's language.
    failures = models.JSONField(_("failures"), default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("audit verification")
        verbose_name_plural = _("audit verifications")
        indexes = [models.Index(fields=["status", "-finished_at"], name="engine_auditverify_latest")]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"


class AccessLogEntry(models.Model):
    """One read of restricted material. Append-only and hash-chained on its own (one global chain).

    Reads never extend a case's chain nor lock its row: the chain head is ``AccessLogHead``, a small
    row of this log locked for the append.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reader"),
    )
    actor_label = models.CharField(_("reader name"), max_length=150, blank=True)
    actor_role = models.CharField(_("reader role"), max_length=40, blank=True)
    case_type = models.CharField(_("case type"), max_length=100)
    case_id = models.BigIntegerField(_("case id"))
    case_reference = models.CharField(_("case reference"), max_length=32, db_index=True)
    what = models.CharField(_("what was read"), max_length=40)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("restricted read")
        verbose_name_plural = _("restricted reads")
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.case_reference} {self.what}"


class AccessLogHead(models.Model):
    """The access log's chain head: the one row locked while a read is appended (never a case row)."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"
