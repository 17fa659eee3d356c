"""Synthetic data: applications drawn from the German credit data's columns (for the batch
benchmark) and transactions with planted fraud rings (for the fraud demo and tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from apps.financial_risk.engine.data import NUMERIC, Schema, Table


def synthetic_applications(table: Table, schema: Schema, rows: int, *, seed: int = 0) -> Table:
    """``rows`` applications: each column resampled from the real column (numeric values
    jittered a little), independently of the others. Realistic marginals, no target."""
    rng = np.random.default_rng(seed)
    out: Table = {}
    for name in schema.features:
        values = table[name]
        picked = values[rng.integers(0, len(values), rows)]
        if schema.kind(name) == NUMERIC:
            picked = np.asarray(picked, dtype=np.float64)
            spread = np.nanstd(picked) * 0.05
            picked = np.round(picked + rng.normal(0, spread, rows), 0)
        out[name] = picked
    return out


@dataclass
class SyntheticAccount:
    external_id: str
    confirmed_fraud: bool


@dataclass
class SyntheticTransaction:
    account: str
    amount: float
    device_id: str
    ip_address: str
    phone: str
    card: str
    occurred_at: datetime
    is_fraud: bool


def synthetic_transactions(
    *,
    accounts: int = 200,
    rings: tuple[int, ...] = (6, 5, 4),
    hub_accounts: int = 40,
    seed: int = 0,
    start: datetime | None = None,
) -> tuple[list[SyntheticAccount], list[SyntheticTransaction]]:
    """Accounts with their own device, phone, card and home IP; ``rings`` groups of accounts
    that share one device and one phone among them (the first member of each ring confirmed
    as fraud); ``hub_accounts`` honest accounts that also shop through one public Wi-Fi IP,
    the hub that ring detection must ignore."""
    rng = np.random.default_rng(seed)
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    ids = [f"acct-{i:05d}" for i in range(accounts)]
    ring_of: dict[str, int] = {}
    cursor = 0
    for number, size in enumerate(rings):
        for member in ids[cursor : cursor + size]:
            ring_of[member] = number
        cursor += size
    honest = ids[cursor:]
    hub_users = set(honest[:hub_accounts])
    result_accounts = []
    transactions = []
    for index, external_id in enumerate(ids):
        ring = ring_of.get(external_id)
        first_in_ring = ring is not None and ids.index(external_id) == sum(rings[:ring])
        result_accounts.append(SyntheticAccount(external_id, confirmed_fraud=first_in_ring))
        own = {
            "device_id": f"dev-{index:05d}",
            "ip_address": f"10.{index // 250}.{index % 250}.7",
            "phone": f"+4477009{index:05d}",
            "card": f"card-{index:05d}",
        }
        for n in range(int(rng.integers(2, 6))):
            identifiers = dict(own)
            if ring is not None and n % 2 == 0:
                identifiers["device_id"] = f"ring-dev-{ring}"
                identifiers["phone"] = f"+4477111{ring:05d}"
            if external_id in hub_users and n == 0:
                identifiers["ip_address"] = "203.0.113.10"  # public Wi-Fi (TEST-NET-3)
            transactions.append(
                SyntheticTransaction(
                    account=external_id,
                    amount=float(np.round(rng.lognormal(3.5, 0.8), 2)),
                    occurred_at=start + timedelta(minutes=int(rng.integers(0, 60 * 24 * 30))),
                    is_fraud=ring is not None and n == 0,
                    **identifiers,
                )
            )
    return result_accounts, transactions
