"""A card-transaction stream as columns (one row per transaction, in time order): what the
synthetic generator draws and what the fraud evaluation, tests and benchmark read, as API rows
or as the feature code's ``History`` (no Django here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

from apps.financial_risk.engine.fraud_features import CHANNELS, HOUR_MS, History

DAY_MS = 24 * HOUR_MS
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@dataclass
class Stream:
    """Columns, one row per transaction, in time order."""

    account: np.ndarray
    ts_ms: np.ndarray
    amount_cents: np.ndarray
    currency: np.ndarray
    merchant_category: np.ndarray
    channel: np.ndarray  # code into CHANNELS
    device: np.ndarray
    ip: np.ndarray
    country: np.ndarray
    card: np.ndarray  # a synthetic card number (tokenised when stored)
    is_fraud: np.ndarray
    pattern: np.ndarray  # "" for honest rows

    def __len__(self) -> int:
        return len(self.ts_ms)

    def rows(self, index=None) -> list[dict]:
        """Rows as the transactions API takes them (clear card numbers, to be tokenised)."""
        picked = range(len(self)) if index is None else index
        return [
            {
                "account": str(self.account[i]),
                "amount": Decimal(int(self.amount_cents[i])) / 100,
                "currency": str(self.currency[i]),
                "occurred_at": datetime.fromtimestamp(int(self.ts_ms[i]) / 1000, UTC),
                "merchant_category": int(self.merchant_category[i]),
                "device_id": str(self.device[i]),
                "ip_address": str(self.ip[i]),
                "channel": CHANNELS[int(self.channel[i])],
                "country": str(self.country[i]),
                "card_number": str(self.card[i]),
                "is_fraud": bool(self.is_fraud[i]),
            }
            for i in picked
        ]

    def take(self, index) -> Stream:
        return Stream(**{k: v[index] for k, v in self.__dict__.items()})

    def history(self, ring_score=None, ring_detected_ms=None) -> History:
        n = len(self)
        return History(
            account=self.account,
            ts_ms=self.ts_ms,
            seq=np.arange(n, dtype=np.int64),
            amount_cents=self.amount_cents,
            device=self.device,
            country=self.country,
            merchant_category=self.merchant_category,
            channel=self.channel,
            ring_score=np.zeros(n) if ring_score is None else ring_score,
            ring_detected_ms=np.full(n, np.iinfo(np.int64).max)
            if ring_detected_ms is None
            else ring_detected_ms,
        )


def card_number(index: int, seed: int) -> str:
    """A Luhn-valid 16-digit number in the 4000 test range."""
    body = f"400000{seed % 100:02d}{index:07d}"
    digits = [int(d) for d in body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)
