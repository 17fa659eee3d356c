"""Audit tables: events (append-only, hash-chained), chain heads and signed checkpoints.

Events and checkpoints are append-only at two levels: the ORM refuses ``save()`` on an existing
row, ``delete()`` and queryset ``update()``/``delete()`` (``AuditLogImmutable``), and on
PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE from any client. The chain head
rows are the one mutable part: they are the lock that serialises writers of a chain.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

GENESIS_HASH = "0" * 64
PLATFORM_CHAIN = "platform"


class AuditLogImmutable(Exception):
    """Raised on any attempt to change or delete an audit row through the ORM."""


class Outcome(models.TextChoices):
    """How an audited action ended."""

    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"  # refused by authentication, permissions, scoping or quotas
    ERROR = "error", "Error"  # the action raised; its transaction was rolled back
    FAILURE = "failure", "Failure"  # the action ran but reports a failed result


class AppendOnlyQuerySet(models.QuerySet):
    """A queryset whose ``update()`` and ``delete()`` raise ``AuditLogImmutable``."""

    def update(self, **kwargs):
        raise AuditLogImmutable(f"{self.model._meta.label} rows are append-only: update refused")

    def delete(self):
        raise AuditLogImmutable(f"{self.model._meta.label} rows are append-only: delete refused")

    delete.queryset_only = True  # as Django's own: ``Model.objects.delete()`` does not exist


class AppendOnlyModel(models.Model):
    """Base of the append-only audit tables: a row can be inserted once and never changed."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogImmutable(f"{self._meta.label} rows are append-only: save refused")
        kwargs["force_insert"] = True
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogImmutable(f"{self._meta.label} rows are append-only: delete refused")


def chain_key(tenant_id) -> str:
    """The chain an event of ``tenant_id`` belongs to: one per tenant, one for the platform."""
    return f"tenant:{tenant_id}" if tenant_id else PLATFORM_CHAIN


class AuditEvent(AppendOnlyModel):
    """One audited action: who did what to which resource, when, and with what outcome.

    Each chain (a tenant's, or the platform's for events with no tenant) is a hash chain: ``hash``
    is the SHA-256 of the event's content and ``prev_hash``, the hash of the chain's previous
    event. ``seq`` is the event's position in its chain (1, 2, …); it is deliberately not part of
    the hash, so that an event forged into the middle of the chain cannot borrow a position
    without its successor's link betraying it (see ``apps.audit.verification``).

    ``details`` is a small JSON object for counts, reasons and ids, never raw personal or health
    data; model inputs are recorded only as ``input_digest``, a keyed HMAC.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    chain = models.CharField(max_length=64, editable=False)
    seq = models.PositiveBigIntegerField(editable=False)
    tenant = models.ForeignKey(
        "accounts.Tenant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_events",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    actor_kind = models.CharField(max_length=16, blank=True, default="")
    actor_id = models.CharField(max_length=64, blank=True, default="")
    actor_label = models.CharField(max_length=200, blank=True, default="")
    actor_role = models.CharField(max_length=16, blank=True, default="")

    action = models.CharField(max_length=100)
    resource_type = models.CharField(max_length=100, blank=True, default="")
    resource_id = models.CharField(max_length=255, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)

    model_name = models.CharField(max_length=200, blank=True, default="")
    model_revision = models.CharField(max_length=100, blank=True, default="")
    input_digest = models.CharField(max_length=64, blank=True, default="")
    row_count = models.PositiveBigIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_unique_chain_seq"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="audit_event_tenant_time"),
            models.Index(fields=["tenant", "action"], name="audit_event_tenant_action"),
            models.Index(fields=["request_id"], name="audit_event_request"),
            models.Index(fields=["resource_type", "resource_id"], name="audit_event_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action} ({self.outcome})"


class AuditChainHead(models.Model):
    """The newest position of one chain: its last ``seq`` and ``hash``.

    Writers lock this row (``select_for_update``) before appending, so concurrent writers of a
    chain queue up instead of forking it. Verification also compares the chain's actual end with
    this row, which catches deletion of the newest events unless the row is rewritten too (and
    then the signed checkpoints catch it).
    """

    chain = models.CharField(max_length=64, primary_key=True)
    tenant = models.ForeignKey(
        "accounts.Tenant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["chain"]

    def __str__(self) -> str:
        return f"{self.chain} @ {self.last_seq}"


class AuditCheckpoint(AppendOnlyModel):
    """A signed statement "chain X had ``head_hash`` at ``seq`` at ``created_at``".

    The signature is Ed25519 under the key named by ``key_id`` (``apps.audit.signing``; key id
    "" marks the older HMAC-SHA256 under AUDIT_SIGNING_KEY). No key is in the database: someone
    able to rewrite the tables can delete the newest events and fix the head row, but cannot
    sign a checkpoint that agrees with the shortened chain. Every checkpoint is also written to
    the anchor store outside the database (``apps.audit.anchors``), which catches deleting the
    checkpoints themselves.
    """

    chain = models.CharField(max_length=64)
    tenant = models.ForeignKey(
        "accounts.Tenant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_checkpoints",
    )
    seq = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    key_id = models.CharField(max_length=64, blank=True, default="")
    signature = models.CharField(max_length=200)

    class Meta:
        ordering = ["chain", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_checkpoint_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"checkpoint {self.chain} @ {self.seq}"


class AuditPrune(AppendOnlyModel):
    """A signed record that the audit log's own retention deleted events ``1..seq`` of
    ``chain`` (whole anchored periods, ``apps.audit.services.retention``): the chain now
    starts after ``seq``, its first event linking to ``head_hash``. The same record is written
    to the anchor store (a ``prune`` record) and an ``audit.retention.prune`` event is appended
    to the chain, so ``audit_verify`` accepts this deletion and still reports any deletion
    without one (unsigned, or signed by an untrusted key) as removed events.
    """

    chain = models.CharField(max_length=64)
    tenant = models.ForeignKey(
        "accounts.Tenant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seq = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    deleted = models.PositiveBigIntegerField(default=0)
    before = models.DateTimeField(help_text="the retention cutoff the deleted events preceded")
    created_at = models.DateTimeField(default=timezone.now)
    key_id = models.CharField(max_length=64, blank=True, default="")
    signature = models.CharField(max_length=200)

    class Meta:
        ordering = ["chain", "-seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_prune_unique_seq"),
        ]

    def __str__(self) -> str:
        return f"retention of {self.chain} through {self.seq}"
