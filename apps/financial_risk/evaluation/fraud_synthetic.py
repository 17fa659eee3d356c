"""A synthetic card-transaction stream with planted fraud patterns (no Django here).

Honest accounts pay at their own pace, hours, amounts, merchants and devices, with honest
look-alikes of every fraud pattern (trips abroad, a new phone, a shopping spree, night owls,
households sharing a device). Fraud is planted as episodes of named patterns whose shape
comes from a ``Patterns`` parameter set:

- ``TRAINING`` is what the features were designed on (bursts within 30 minutes, night runs
  at 01-04 UTC, card testing within 10 minutes, takeovers, rings of 3-5 accounts);
- ``VARIANTS`` is what ``evaluate_fraud`` reports on, never used to design or tune anything:
  other window lengths (bursts over 2-4 hours, card testing over 45 minutes), other hours
  (night runs at 22-23 and 04-05 UTC, partly outside the features' 00-06 night), mixed
  patterns (a takeover followed by a burst, card testing at night), larger rings, and a
  share of fraud that follows no pattern at all (one ordinary-looking payment).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apps.financial_risk.engine.fraud_features import HOUR_MS
from apps.financial_risk.evaluation.fraud_stream import DAY_MS, START_MS, Stream, card_number

COUNTRIES = ("GB", "FR", "DE", "ES", "IT", "NL", "IE", "PL", "SE", "US")
EVERYDAY_MCC = (5411, 5812, 5814, 5541, 5912, 4111, 5311, 5999, 4121, 5651)
RISKY_MCC = (5732, 5944, 4829, 6051, 5816)
_CHANNEL_CUMULATIVE = np.cumsum([0.6, 0.33, 0.05, 0.02])


def _CHANNEL_DRAW(u: float) -> int:  # noqa: N802 - a constant-like helper
    """pos 60 %, ecom 33 %, atm 5 %, moto 2 % (``rng.choice`` with ``p`` is slow per row)."""
    return int(np.searchsorted(_CHANNEL_CUMULATIVE, u, side="right"))


@dataclass(frozen=True)
class Patterns:
    name: str
    burst_minutes: tuple[int, int]
    burst_count: tuple[int, int]
    night_hours: tuple[int, ...]
    night_count: tuple[int, int]
    testing_minutes: tuple[int, int]
    testing_count: tuple[int, int]
    takeover_hours: tuple[int, int]
    ring_size: tuple[int, int]
    mixed_share: float  # episodes combining two patterns
    unpatterned_share: float  # fraud episodes with no pattern at all
    episodes_per_account_week: float = 0.02


TRAINING = Patterns(
    name="training",
    burst_minutes=(10, 30),
    burst_count=(4, 8),
    night_hours=(1, 2, 3),
    night_count=(3, 6),
    testing_minutes=(3, 10),
    testing_count=(8, 15),
    takeover_hours=(1, 3),
    ring_size=(3, 5),
    mixed_share=0.0,
    unpatterned_share=0.0,
)
VARIANTS = Patterns(
    name="variants",
    burst_minutes=(120, 240),
    burst_count=(3, 6),
    night_hours=(22, 23, 4, 5),
    night_count=(2, 5),
    testing_minutes=(30, 45),
    testing_count=(5, 10),
    takeover_hours=(4, 8),
    ring_size=(4, 7),
    mixed_share=0.25,
    unpatterned_share=0.2,
)


class _Builder:
    def __init__(self, rng, weeks):
        self.rng, self.end = rng, START_MS + weeks * 7 * DAY_MS
        self.rows: list[tuple] = []
        self.profiles: dict[str, dict] = {}

    def add(
        self,
        p,
        ts,
        amount,
        *,
        mcc=None,
        channel=None,
        device=None,
        country=None,
        ip=None,
        fraud="",
        card=None,
    ):
        if not START_MS <= ts < self.end:
            return
        rng = self.rng
        self.rows.append(
            (
                p["id"],
                int(ts),
                max(1, min(int(round(amount * 100)), 5_000_000)),
                "EUR",
                mcc or p["mcc"][int(rng.integers(0, 3))],
                channel if channel is not None else _CHANNEL_DRAW(rng.random()),
                device or p["devices"][0],
                ip or p["ip"],
                country or p["country"],
                card or p["card"],
                bool(fraud),
                fraud,
            )
        )

    def amount(self, p, scale=1.0):
        return float(self.rng.lognormal(p["mu"] + np.log(scale), 0.45))

    def hour_ms(self, p):
        rng = self.rng
        if rng.random() < p["night"]:
            hour = rng.integers(0, 6)
        else:
            hour = int(np.clip(rng.normal(14, 3.5), 7, 23))
        return int(hour * HOUR_MS + rng.integers(0, HOUR_MS))


def _profile(rng, index, seed, prefix="acct"):
    devices = [f"dev-{seed}-{index}-0"] + ([f"dev-{seed}-{index}-1"] if rng.random() < 0.2 else [])
    return {
        "id": f"{prefix}-{index:05d}",
        "country": str(
            rng.choice(COUNTRIES, p=[0.4, 0.1, 0.1, 0.08, 0.08, 0.06, 0.06, 0.05, 0.04, 0.03])
        ),
        "devices": devices,
        "ip": f"10.{index // 250}.{index % 250}.{seed % 250}",
        "card": card_number(index, seed),
        "mcc": [int(m) for m in rng.choice(EVERYDAY_MCC, 3, replace=False)],
        "mu": float(rng.normal(3.3, 0.6)),
        "rate": float(rng.gamma(2.0, 0.55)),
        "night": 0.4 if rng.random() < 0.05 else 0.04,
        "apps": float(rng.uniform(0.1, 0.5)) if rng.random() < 0.25 else 0.0,
    }


def _honest(b: _Builder, p, weeks):
    rng = b.rng
    for day in range(weeks * 7):
        base = START_MS + day * DAY_MS
        for _ in range(rng.poisson(p["rate"])):
            device = p["devices"][int(rng.integers(0, len(p["devices"])))]
            # honest people buy electronics, jewellery and transfers too
            mcc = (
                int(RISKY_MCC[int(rng.integers(0, len(RISKY_MCC)))]) if rng.random() < 0.1 else None
            )
            b.add(p, base + b.hour_ms(p), b.amount(p), device=device, mcc=mcc)
        if p["apps"] and rng.random() < p["apps"]:  # app-store micro-payments, online
            for _ in range(int(rng.integers(1, 4))):
                ts = base + b.hour_ms(p)
                b.add(p, ts, float(rng.uniform(0.5, 5.0)), mcc=5816, channel=1)
    if rng.random() < 0.12:  # a trip abroad: a new country, same phone
        start = START_MS + int(rng.integers(7, weeks * 7 - 4)) * DAY_MS
        country = str(rng.choice([c for c in COUNTRIES if c != p["country"]]))
        for day in range(int(rng.integers(2, 5))):
            for _ in range(int(rng.integers(1, 4))):
                ts = start + day * DAY_MS + b.hour_ms(p)
                b.add(p, ts, b.amount(p, 1.3), country=country, channel=0)
    if rng.random() < 0.1:  # a new phone from some day on
        p["devices"] = [f"{p['devices'][0]}-new"]
    if rng.random() < 0.15:  # a shopping spree: several payments within an hour or two
        ts = (
            START_MS
            + int(rng.integers(7, weeks * 7)) * DAY_MS
            + int(rng.integers(10, 18)) * HOUR_MS
        )
        for _ in range(int(rng.integers(3, 7))):
            ts += int(rng.integers(3, 25)) * 60_000
            b.add(p, ts, b.amount(p, 1.5))


def _episode(b: _Builder, kind: str, p, start: int, pat: Patterns):
    rng = b.rng
    lo_hi = lambda r: int(rng.integers(r[0], r[1] + 1))  # noqa: E731
    if kind == "burst":
        device = p["devices"][0] if rng.random() < 0.5 else f"fraud-dev-{rng.integers(1e9)}"
        window = lo_hi(pat.burst_minutes) * 60_000
        times = np.sort(rng.integers(0, window, lo_hi(pat.burst_count)))
        for t in times:
            mcc = int(rng.choice(RISKY_MCC)) if rng.random() < 0.5 else None
            b.add(
                p,
                start + int(t),
                b.amount(p, rng.uniform(1.0, 3.0)),
                mcc=mcc,
                device=device,
                fraud=kind,
            )
    elif kind == "night":
        day0 = start - start % DAY_MS
        for i in range(lo_hi(pat.night_count)):
            hour = int(rng.choice(pat.night_hours))
            ts = day0 + (i % 2) * DAY_MS + hour * HOUR_MS + int(rng.integers(0, HOUR_MS))
            b.add(p, ts, b.amount(p, rng.uniform(1.0, 2.5)), channel=1, fraud=kind)
    elif kind == "testing":
        device = f"fraud-dev-{rng.integers(1e9)}"
        window = lo_hi(pat.testing_minutes) * 60_000
        count = lo_hi(pat.testing_count)
        times = np.sort(rng.integers(0, window, count))
        for t in times:
            b.add(
                p,
                start + int(t),
                float(rng.uniform(0.5, 3.0)),
                mcc=int(rng.choice(RISKY_MCC)),
                channel=1,
                device=device,
                fraud=kind,
            )
        for k in range(int(rng.integers(1, 3))):
            b.add(
                p,
                start + window + k * 120_000,
                b.amount(p, rng.uniform(3, 6)),
                channel=1,
                device=device,
                fraud=kind,
            )
    elif kind == "takeover":
        device = f"fraud-dev-{rng.integers(1e9)}"
        country = str(rng.choice([c for c in COUNTRIES if c != p["country"]]))
        spread = lo_hi(pat.takeover_hours) * HOUR_MS
        for t in np.sort(rng.integers(0, spread, int(rng.integers(1, 4)))):
            b.add(
                p,
                start + int(t),
                b.amount(p, rng.uniform(2, 5)),
                device=device,
                country=country,
                channel=1,
                fraud=kind,
            )
    elif kind == "unpatterned":
        day0 = start - start % DAY_MS
        b.add(p, day0 + b.hour_ms(p), b.amount(p), fraud=kind)


def synthetic_stream(
    *, patterns: Patterns, accounts: int = 1500, weeks: int = 8, seed: int = 0
) -> Stream:
    """An honest population with fraud episodes planted after its first week."""
    rng = np.random.default_rng(seed)
    b = _Builder(rng, weeks)
    profiles = [_profile(rng, i, seed) for i in range(accounts)]
    for i in range(0, int(accounts * 0.04), 2):  # households: two accounts on one tablet
        profiles[i + 1]["devices"].append(profiles[i]["devices"][0])
    for p in profiles:
        _honest(b, p, weeks)
    # Rings: mule accounts opened together, sharing a device and a home IP; they shop a little
    # honestly, then each makes a few fraudulent payments within a day or two.
    mule = accounts
    for r in range(max(2, accounts // 250)):
        size = int(rng.integers(patterns.ring_size[0], patterns.ring_size[1] + 1))
        shared_dev, shared_ip = f"ring-dev-{seed}-{r}", f"172.16.{seed % 250}.{r}"
        strike = START_MS + int(rng.integers(14, weeks * 7 - 2)) * DAY_MS
        for _ in range(size):
            p = _profile(rng, mule, seed, prefix="mule")
            p["devices"], p["ip"], p["rate"] = [shared_dev], shared_ip, 0.3
            mule += 1
            _honest(b, p, weeks)
            for _ in range(int(rng.integers(2, 5))):
                ts = strike + int(rng.integers(0, 2 * DAY_MS))
                b.add(
                    p,
                    ts,
                    b.amount(p, rng.uniform(2, 4)),
                    mcc=int(rng.choice(RISKY_MCC)),
                    fraud="ring",
                )
    episodes = rng.poisson(patterns.episodes_per_account_week * accounts * weeks)
    kinds = ("burst", "night", "testing", "takeover")
    for _ in range(episodes):
        p = profiles[int(rng.integers(0, accounts))]
        start = START_MS + int(rng.integers(7 * DAY_MS, weeks * 7 * DAY_MS))
        roll = rng.random()
        if roll < patterns.unpatterned_share:
            _episode(b, "unpatterned", p, start, patterns)
        elif roll < patterns.unpatterned_share + patterns.mixed_share:
            if rng.random() < 0.5:
                _episode(b, "takeover", p, start, patterns)
                _episode(b, "burst", p, start + 2 * HOUR_MS, patterns)
            else:
                night = start - start % DAY_MS + int(rng.choice(patterns.night_hours)) * HOUR_MS
                _episode(b, "testing", p, night, patterns)
        else:
            _episode(b, str(rng.choice(kinds)), p, start, patterns)
    columns = list(zip(*b.rows, strict=True))
    names = (
        "account",
        "ts_ms",
        "amount_cents",
        "currency",
        "merchant_category",
        "channel",
        "device",
        "ip",
        "country",
        "card",
        "is_fraud",
        "pattern",
    )
    dtypes = (
        object,
        np.int64,
        np.int64,
        object,
        np.int64,
        np.int64,
        object,
        object,
        object,
        object,
        bool,
        object,
    )
    data = {n: np.asarray(c, dtype=t) for n, c, t in zip(names, columns, dtypes, strict=True)}
    order = np.argsort(data["ts_ms"], kind="stable")
    return Stream(**{n: v[order] for n, v in data.items()})
