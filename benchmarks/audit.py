"""The measurements of ``bench_audit``, run inside its scratch database and anchor store.

- Throughput: 8 writer threads (one tenant each) append events through ``audited()``; the
  same run with anchoring off (AUDIT_ANCHOR_URL empty) and on at its production cadence (a
  checkpoint and anchor every AUDIT_ANCHOR_EVERY_EVENTS events per chain, inline after commit,
  and a beat thread running ``audit_anchor_run`` every AUDIT_ANCHOR_SECONDS). Rounds alternate
  off/on/on/off so that load on a shared machine, and the table's growth, fall on both alike.
- Anchoring lag: for every event of the anchored rounds, the time from its commit to the
  ``time`` of the first anchor record of its chain at or past its seq.
- Verification: ``audit_chains_verify`` over every chain (against the anchors), in seconds
  per million events.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import connection

from apps.accounts.services import tenant_create
from apps.audit.anchors.records import ANCHOR
from apps.audit.anchors.store import open_store
from apps.audit.services import audit_anchor_run, audited
from apps.audit.verification import audit_chains_verify

WRITERS = 8


def _write(tenant, count: int, commits: list) -> None:
    try:
        for i in range(count):
            with audited(
                tenant=tenant, action="bench.event", resource_type="bench", resource_id=str(i)
            ) as draft:
                pass
            commits.append((draft.event.chain, draft.event.seq, time.time()))
    finally:
        connection.close()


def _round(tenants, per_writer: int) -> tuple[float, list]:
    commits: list = []
    threads = [
        threading.Thread(target=_write, args=(tenant, per_writer, commits)) for tenant in tenants
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(commits) / (time.perf_counter() - started), commits


class _Beat(threading.Thread):
    """celery-beat's audit-anchor entry: ``audit_anchor_run`` every AUDIT_ANCHOR_SECONDS."""

    def __init__(self, every: float):
        super().__init__(daemon=True)
        self.every = every
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(self.every):
                audit_anchor_run()
        finally:
            connection.close()


def _lags(commits, store) -> list[float]:
    anchors = {}
    for chain in {chain for chain, _, _ in commits}:
        anchors[chain] = [
            (r.seq, datetime.fromisoformat(r.time).timestamp())
            for r in store.records(chain)
            if r.kind == ANCHOR
        ]
    lags = []
    for chain, seq, committed in commits:
        covering = [at for anchored_seq, at in anchors[chain] if anchored_seq >= seq]
        lags.append(max(0.0, min(covering) - committed) if covering else float("inf"))
    return lags


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_bench(*, per_writer: int, rounds: int, anchor_seconds: float) -> dict:
    url = settings.AUDIT_ANCHOR_URL
    store = open_store(url)
    tenants = [tenant_create(name=f"bench audit {i}") for i in range(WRITERS)]
    plain, anchored, anchored_commits = [], [], []
    # Off, on, on, off, ...: the table grows as the run goes on, and load on a shared machine
    # comes and goes; alternating in pairs puts both on each side alike.
    for anchoring in ([False, True, True, False] * rounds)[: 2 * rounds]:
        if not anchoring:
            settings.AUDIT_ANCHOR_URL = ""
            plain.append(_round(tenants, per_writer)[0])
            continue
        settings.AUDIT_ANCHOR_URL = url
        beat = _Beat(anchor_seconds)
        beat.start()
        rate, commits = _round(tenants, per_writer)
        anchored.append(rate)
        anchored_commits.extend(commits)
        # The events after the last 1000-event anchor wait for the next beat, as in production.
        last_seq = {chain: seq for chain, seq, _ in sorted(commits, key=lambda c: c[1])}
        while any(
            (store.last_record(chain) is None or store.last_record(chain).seq < seq)
            for chain, seq in last_seq.items()
        ):
            time.sleep(0.5)
        beat.stopped.set()
        beat.join()
    settings.AUDIT_ANCHOR_URL = url
    lags = _lags(anchored_commits, store)
    started = time.perf_counter()
    result = audit_chains_verify()
    verify_s = time.perf_counter() - started
    return {
        "writers": WRITERS,
        "events_per_round": WRITERS * per_writer,
        "rounds": rounds,
        "plain_events_per_s": round(sum(plain) / len(plain), 1),
        "anchored_events_per_s": round(sum(anchored) / len(anchored), 1),
        "anchored_over_plain": round(sum(anchored) / sum(plain), 3),
        "anchor_every_events": settings.AUDIT_ANCHOR_EVERY_EVENTS,
        "anchor_every_s": anchor_seconds,
        "anchor_lag_s_p50": round(_percentile(lags, 0.50), 2),
        "anchor_lag_s_p99": round(_percentile(lags, 0.99), 2),
        "anchor_lag_s_max": round(max(lags), 2),
        "verify_ok": result.ok,
        "events_verified": result.events,
        "verify_s": round(verify_s, 2),
        "verify_s_per_million": round(verify_s / max(1, result.events) * 1e6, 1),
        "database": connection.vendor,
    }
