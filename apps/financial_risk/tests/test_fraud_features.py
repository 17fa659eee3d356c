"""Behavioural features: point-in-time correct offline, equal online (Redis window state and
the SQL path) to the last bit on a replayed stream."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from apps.financial_risk.engine.fraud_features import (
    FEATURES,
    NAMES,
    Event,
    MemoryState,
    WindowCount,
    offline_features,
    online_features,
)
from apps.financial_risk.evaluation.fraud_synthetic import TRAINING, VARIANTS, synthetic_stream
from apps.financial_risk.models import FraudDecision, FraudRing, RiskAccount, Transaction
from apps.financial_risk.services.fraud_scoring import transaction_score
from apps.financial_risk.services.fraud_state import history, tenant_state_clear

from .factories import fraud_champion, small_stream, stream_rows, validated


@pytest.fixture(scope="module")
def stream():
    return synthetic_stream(patterns=VARIANTS, accounts=60, weeks=3, seed=9)


def _prefix_features(stream, cut_ms):
    keep = stream.ts_ms <= cut_ms
    return offline_features(stream.take(keep).history()), keep


def test_no_feature_uses_a_later_event(stream):
    """Every row's features computed on the whole stream equal those computed on the stream
    cut just after that row: a feature that looked at any later event would differ."""
    full = offline_features(stream.history())
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(stream.ts_ms, 25, replace=False))
    for cut in cuts:
        partial, keep = _prefix_features(stream, cut)
        assert np.array_equal(partial, full[keep]), (
            f"a feature changed when events after {cut} left"
        )


def _rings(stream, cut_ms=None):
    """A ring score for a fifth of the accounts, each detected at a time inside the stream; with
    ``cut_ms``, only the rings detected by then (what a snapshot taken at the cut would hold)."""
    rng = np.random.default_rng(1)
    accounts = np.unique(stream.account)
    members = rng.choice(accounts, max(1, len(accounts) // 5), replace=False)
    lo, hi = int(stream.ts_ms.min()), int(stream.ts_ms.max())
    detected = dict(zip(members, rng.integers(lo, hi, len(members)), strict=True))
    score = np.array([0.8 if a in detected else 0.0 for a in stream.account])
    when = np.array([detected.get(a, np.iinfo(np.int64).max) for a in stream.account])
    if cut_ms is not None:
        unknown = when > cut_ms
        score[unknown], when[unknown] = 0.0, np.iinfo(np.int64).max
    return score, when


def test_ring_features_use_only_rings_detected_by_the_transaction_s_time(stream):
    """The prefix check with rings: rows up to a cut get the same ring features whether the
    rings detected after the cut are known or not."""
    full = offline_features(stream.history(*_rings(stream)))
    ring_columns = [NAMES.index("ring_member"), NAMES.index("ring_score")]
    assert full[:, ring_columns].any() and not full[:, ring_columns].all()
    for cut in np.sort(np.random.default_rng(2).choice(stream.ts_ms, 10, replace=False)):
        keep = stream.ts_ms <= cut
        part = stream.take(keep)
        score, when = _rings(stream, cut)
        partial = offline_features(part.history(score[keep], when[keep]))
        assert np.array_equal(partial, full[keep]), f"a ring feature saw a ring found after {cut}"


def test_the_point_in_time_check_catches_a_leaking_feature(stream):
    """The check above has teeth: a window that also counts the next hour fails it."""

    class Leaky(WindowCount):
        def offline(self, s):
            ahead = np.searchsorted(s.key, s.key + 3_600_000, side="right")
            return (ahead - s.window_start(self.hours)).astype(np.float64)

    FEATURES_BACKUP = list(FEATURES)
    import apps.financial_risk.engine.fraud_features as module

    module.FEATURES = (*FEATURES_BACKUP, Leaky("leaky_1h", "", 1))
    try:
        names = [*NAMES, "leaky_1h"]
        full = module.offline_features(stream.history(), names)
        cut = np.sort(stream.ts_ms)[len(stream) // 2]
        keep = stream.ts_ms <= cut
        partial = module.offline_features(stream.take(keep).history(), names)
        assert not np.array_equal(partial[:, -1], full[keep][:, -1])
        assert np.array_equal(partial[:, :-1], full[keep][:, :-1])
    finally:
        module.FEATURES = tuple(FEATURES_BACKUP)


def test_online_in_memory_equals_offline_bit_for_bit():
    stream = synthetic_stream(patterns=TRAINING, accounts=50, weeks=3, seed=4)
    offline = offline_features(stream.history())
    memory = MemoryState()
    for i in range(len(stream)):
        event = Event(
            int(stream.ts_ms[i]), int(stream.amount_cents[i]), stream.device[i],
            stream.country[i], int(stream.merchant_category[i]), int(stream.channel[i]),
        )  # fmt: skip
        online = online_features(event, memory.state_for(stream.account[i], event))
        memory.add(stream.account[i], event)
        assert np.array_equal(online, offline[i]), (i, online, offline[i])


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db
def test_replayed_stream_scored_online_equals_offline_over_stored_history(tenant):
    """History stored (window state rebuilt in Redis), a ring detected before the replay, then
    the last week scored one by one through the scoring service: each stored decision's
    features (Redis window state) equal the offline features over the stored history, to the
    last bit; a late event takes the SQL path and is equal too."""
    stream = small_stream()
    cut = int(np.quantile(stream.ts_ms, 0.8))
    try:
        fraud_champion(tenant, stream=stream.take(stream.ts_ms <= cut))
        member = RiskAccount.objects.filter(tenant=tenant).order_by("external_id")[:3]
        ring = FraudRing.objects.create(tenant=tenant, size=3, score=0.61, shared_identifiers=[])
        FraudRing.objects.filter(pk=ring.pk).update(
            detected_at=datetime.fromtimestamp(cut / 1000, UTC)
        )
        RiskAccount.objects.filter(pk__in=[a.pk for a in member]).update(ring=ring)
        later = np.flatnonzero(stream.ts_ms > cut)[:400]
        rows = validated(stream_rows(stream, later))
        for row in rows:
            row.pop("is_fraud")
            decision, replayed = transaction_score(tenant=tenant, clean=row)
            assert not replayed and decision.feature_path == "redis"
        # a payment that arrives late (older than its account's latest): the SQL path
        late = dict(rows[-1], occurred_at=rows[0]["occurred_at"], amount=rows[-1]["amount"] + 1)
        late_decision, _ = transaction_score(tenant=tenant, clean=late)
        assert late_decision.feature_path == "sql"

        h, _, stored = history(Transaction.objects.filter(tenant=tenant))
        offline = offline_features(h)
        by_id = {row["id"]: offline[i] for i, row in enumerate(stored)}
        decisions = FraudDecision.objects.filter(tenant=tenant).select_related("transaction")
        assert decisions.count() == len(rows) + 1
        ringed = 0
        for decision in decisions:
            txn = decision.transaction
            if (
                txn.account_id == late_decision.transaction.account_id
                and txn.occurred_at > late_decision.transaction.occurred_at
                and decision.pk != late_decision.pk
            ):
                # scored before the late payment arrived: the stored history now holds an
                # earlier event that was unknown then; the online answer was right for its time
                continue
            online = np.array([decision.features[n] for n in NAMES])
            assert np.array_equal(online, by_id[decision.transaction_id]), decision.transaction_id
            ringed += decision.features["ring_member"] == 1.0
        assert ringed > 0  # the ring features were exercised, not only zeros
    finally:
        tenant_state_clear(tenant=tenant)
