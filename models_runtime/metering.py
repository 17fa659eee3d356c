"""Usage metering per tenant and model: ``ModelUsage`` rows plus the accounts usage hook.

The inference worker meters what it computed, added up in memory and written once a second
(``MODELS_RUNTIME_METER_FLUSH_S``) by a background thread, and once more when the worker stops:
a busy model then costs a few UPDATEs a second instead of three per request on the web server's
request path. Quotas see the usage that late (a second at most). A worker killed without a warm
shutdown loses at most that last second; a redelivered task (``acks_late``) is metered twice.

Without a worker (in-process tasks) the caller writes the usage at once: ``write_usage``.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ModelUsage

logger = logging.getLogger(__name__)


@dataclass
class Usage:
    """What requests of one tenant on one model used (one request, or a second's worth)."""

    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    compute_seconds: float = 0.0

    def add(self, other: Usage) -> None:
        self.requests += other.requests
        self.tokens_in += other.tokens_in
        self.tokens_out += other.tokens_out
        self.compute_seconds += other.compute_seconds


def usage_of(result: dict) -> Usage:
    """One request's usage from the inference task's answer (its share of batch compute)."""
    return Usage(
        requests=1,
        tokens_in=result["tokens_in"],
        tokens_out=result["tokens_out"],
        compute_seconds=result["compute_share_s"],
    )


def write_usage(*, tenant_id, model: str, usage: Usage, day=None) -> None:
    """Add ``usage`` to the tenant's ModelUsage row of ``day`` (today) and to its quota
    counters through MODELS_RUNTIME_USAGE_HOOK."""
    day = day or timezone.now().date()
    values = dict(
        requests=F("requests") + usage.requests,
        tokens_in=F("tokens_in") + usage.tokens_in,
        tokens_out=F("tokens_out") + usage.tokens_out,
        compute_seconds=F("compute_seconds") + usage.compute_seconds,
    )
    rows = ModelUsage.objects.filter(tenant_id=tenant_id, model=model, day=day)
    if not rows.update(**values):
        try:
            with transaction.atomic():
                ModelUsage.objects.create(
                    tenant_id=tenant_id,
                    model=model,
                    day=day,
                    requests=usage.requests,
                    tokens_in=usage.tokens_in,
                    tokens_out=usage.tokens_out,
                    compute_seconds=usage.compute_seconds,
                )
        except IntegrityError:  # a concurrent writer created it first
            rows.update(**values)
    hook = getattr(settings, "MODELS_RUNTIME_USAGE_HOOK", None)
    if hook:
        import_string(hook)(
            tenant_id=tenant_id,
            model=model,
            tokens=usage.tokens_in + usage.tokens_out,
            compute_seconds=usage.compute_seconds,
        )


class UsageMeter:
    """Adds usage up per (tenant, model, day) and writes the sums on ``flush()``."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str, object], Usage] = defaultdict(Usage)
        self._flusher: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self._flusher is not None and self._flusher.is_alive()

    def add(self, *, tenant_id, model: str, usage: Usage) -> None:
        day = timezone.now().date()
        with self._lock:
            self._pending[(str(tenant_id), model, day)].add(usage)

    def pending(self) -> dict[tuple[str, str, object], Usage]:
        with self._lock:
            return {key: Usage(**vars(usage)) for key, usage in self._pending.items()}

    def flush(self) -> int:
        """Write everything added so far; returns the number of (tenant, model, day) sums
        written. A sum that fails to write is put back and tried again on the next flush."""
        with self._lock:
            pending, self._pending = self._pending, defaultdict(Usage)
        written = 0
        for (tenant_id, model, day), usage in pending.items():
            try:
                write_usage(tenant_id=tenant_id, model=model, usage=usage, day=day)
                written += 1
            except Exception:
                logger.exception("metering: could not write usage of model %s; will retry", model)
                with self._lock:
                    self._pending[(tenant_id, model, day)].add(usage)
        return written

    def start(self, interval_s: float) -> None:
        """Flush every ``interval_s`` seconds in a daemon thread (the inference worker)."""
        if self.running:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.flush()
                finally:
                    close_old_connections()
            self.flush()
            connection.close()

        self._flusher = threading.Thread(target=loop, name="usage-meter", daemon=True)
        self._flusher.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the thread after a last flush (the worker's warm shutdown)."""
        if self._flusher is None:
            return
        self._stop.set()
        self._flusher.join(timeout_s)
        self._flusher = None


meter = UsageMeter()
