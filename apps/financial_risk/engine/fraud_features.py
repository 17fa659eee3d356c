"""Behavioural fraud features, declared once and computed two ways (no Django here).

Every feature of ``FEATURES`` is one declaration with two computations that share the final
formula:

- ``offline``: vectorised over a whole stored history (training, evaluation), each row seeing
  only the rows before it in event order (point-in-time correct by construction: windows are
  index ranges ending before the row);
- ``online``: for one new transaction, from the account's window state (``AccountState``: the
  last 7 days of events, the last 50 amounts, the devices and countries seen), kept in Redis
  by ``services.fraud_state``.

Event order is (time, arrival): ties on the timestamp are broken by the order the platform
received the events (the transaction's id). Money is held in integer cents and every formula
applies the same IEEE operations to the same integers in both paths, so the two agree to the
last bit (``tests/test_fraud_features.py`` replays a stream through both).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

HOUR_MS = 3_600_000
WINDOWS_H = {"1h": 1, "24h": 24, "7d": 168}
STATE_WINDOW_MS = max(WINDOWS_H.values()) * HOUR_MS  # the online window state keeps 7 days
RECENT_AMOUNTS = 50  # the amount z-score is against the account's last 50 amounts
NIGHT_HOURS = (0, 6)  # [start, end) in UTC
CHANNELS = ("pos", "ecom", "atm", "moto")
MAX_AMOUNT_CENTS = 100_000_000  # 1,000,000.00: keeps 50 squared amounts inside int64


def is_night(ts_ms):
    hour = (ts_ms // HOUR_MS) % 24
    return (hour >= NIGHT_HOURS[0]) & (hour < NIGHT_HOURS[1])


# ------------------------------------------------------------------ shared final formulas
def _money(cents):
    return np.float64(cents) / np.float64(100) if np.isscalar(cents) else cents / np.float64(100)


def _share(part, whole):
    part = np.asarray(part, dtype=np.float64)
    whole = np.asarray(whole, dtype=np.float64)
    return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), 0.0)


def _zscore(amount, n, total, squares):
    """(amount - mean) / std of the ``n`` earlier amounts (cents), 0 when undefined."""
    n = np.asarray(n, dtype=np.float64)
    safe_n = np.where(n > 0, n, 1.0)
    mean = np.asarray(total, dtype=np.float64) / safe_n
    var = np.asarray(squares, dtype=np.float64) / safe_n - mean * mean
    std = np.sqrt(np.maximum(var, 0.0))
    ok = (n >= 2) & (std > 0)
    return np.where(ok, (np.asarray(amount, dtype=np.float64) - mean) / np.where(ok, std, 1.0), 0.0)


# ------------------------------------------------------------------ the inputs
@dataclass
class History:
    """Columns of a stored history, one row per transaction, any order (sorted here)."""

    account: np.ndarray  # str
    ts_ms: np.ndarray  # int64, epoch milliseconds UTC
    seq: np.ndarray  # int64, arrival order (ties on ts_ms)
    amount_cents: np.ndarray  # int64
    device: np.ndarray  # str
    country: np.ndarray  # str
    merchant_category: np.ndarray  # int64 (0 unknown)
    channel: np.ndarray  # int64 code of CHANNELS (-1 unknown)
    # the account's fraud ring as stored: score and the time it was detected (ms); a ring
    # counts for a transaction only if it was detected at or before the transaction's time
    ring_score: np.ndarray  # float64, 0 when none
    ring_detected_ms: np.ndarray  # int64, a huge value when none


@dataclass
class AccountState:
    """The online window state of one account before a new transaction."""

    n: int = 0  # earlier transactions, all time
    last_ms: int | None = None
    window: list[tuple[int, int, int]] = field(default_factory=list)  # (ts, cents, night), 7 d
    recent_amounts: list[int] = field(default_factory=list)  # last 50 amounts in cents
    device_seen: bool = False
    country_seen: bool = False


@dataclass
class Event:
    """One new transaction as the online path sees it."""

    ts_ms: int
    amount_cents: int
    device: str
    country: str
    merchant_category: int
    channel: int
    ring_score: float = 0.0
    ring_detected_ms: int | None = None


# ------------------------------------------------------------------ declarations
@dataclass
class _Sorted:
    """A history in event order with the index arithmetic the declarations share."""

    h: History
    order: np.ndarray
    first: np.ndarray  # index of the account's first row, per row
    position: np.ndarray  # row index
    key: np.ndarray  # account offset + time: one sorted key for window lookups
    cents_cum: np.ndarray
    squares_cum: np.ndarray
    night_cum: np.ndarray

    def window_start(self, hours: int) -> np.ndarray:
        return np.searchsorted(self.key, self.key - hours * HOUR_MS, side="right")


class Declaration:
    """One feature: ``group`` is ``transaction`` (the payment's own fields; the baseline
    model's features) or ``behaviour`` (history over time); ``phrase`` turns a value into a
    reason a person can read."""

    group = "behaviour"

    def __init__(self, name: str, phrase: str):
        self.name, self.phrase = name, phrase

    def offline(self, s: _Sorted) -> np.ndarray:
        raise NotImplementedError

    def online(self, e: Event, st: AccountState) -> float:
        raise NotImplementedError


class Own(Declaration):
    group = "transaction"

    def __init__(self, name, phrase, column):
        super().__init__(name, phrase)
        self.column = column

    def offline(self, s):
        h = s.h
        if self.column == "amount":
            return _money(h.amount_cents[s.order])
        if self.column == "hour":
            return ((h.ts_ms[s.order] // HOUR_MS) % 24).astype(np.float64)
        return getattr(h, self.column)[s.order].astype(np.float64)

    def online(self, e, st):
        if self.column == "amount":
            return float(_money(e.amount_cents))
        if self.column == "hour":
            return float((e.ts_ms // HOUR_MS) % 24)
        return float(getattr(e, self.column))


class WindowCount(Declaration):
    def __init__(self, name, phrase, hours):
        super().__init__(name, phrase)
        self.hours = hours

    def offline(self, s):
        return (s.position - s.window_start(self.hours)).astype(np.float64)

    def online(self, e, st):
        since = e.ts_ms - self.hours * HOUR_MS
        return float(sum(1 for ts, _, _ in st.window if ts > since))


class WindowSum(WindowCount):
    def offline(self, s):
        start = s.window_start(self.hours)
        return _money(s.cents_cum[s.position] - s.cents_cum[start])

    def online(self, e, st):
        since = e.ts_ms - self.hours * HOUR_MS
        return float(_money(sum(c for ts, c, _ in st.window if ts > since)))


class NightShare(WindowCount):
    def offline(self, s):
        start = s.window_start(self.hours)
        return _share(s.night_cum[s.position] - s.night_cum[start], s.position - start)

    def online(self, e, st):
        since = e.ts_ms - self.hours * HOUR_MS
        inside = [night for ts, _, night in st.window if ts > since]
        return float(_share(sum(inside), len(inside)))


class SinceLast(Declaration):
    def offline(self, s):
        ts = s.h.ts_ms[s.order]
        out = np.full(len(ts), -1.0)
        has = s.position > s.first
        out[has] = (ts[has] - ts[s.position[has] - 1]) / np.float64(1000)
        return out

    def online(self, e, st):
        return -1.0 if st.last_ms is None else float((e.ts_ms - st.last_ms) / np.float64(1000))


class HistoryCount(Declaration):
    def offline(self, s):
        return (s.position - s.first).astype(np.float64)

    def online(self, e, st):
        return float(st.n)


class NewValue(Declaration):
    def __init__(self, name, phrase, column):
        super().__init__(name, phrase)
        self.column = column

    def offline(self, s):
        account = s.h.account[s.order]
        value = getattr(s.h, self.column)[s.order]
        seen = _duplicated(account, value)  # an earlier row of this account had this value
        return ((~seen) & (s.position > s.first)).astype(np.float64)

    def online(self, e, st):
        seen = st.device_seen if self.column == "device" else st.country_seen
        return float((not seen) and st.n > 0)


class AmountZScore(Declaration):
    def offline(self, s):
        n = np.minimum(s.position - s.first, RECENT_AMOUNTS)
        start = s.position - n
        # Running sums over the whole sorted array may wrap around int64; a difference of two
        # of them is still exact (arithmetic modulo 2**64) because the window's own sum fits.
        with np.errstate(over="ignore"):
            total = s.cents_cum[s.position] - s.cents_cum[start]
            squares = s.squares_cum[s.position] - s.squares_cum[start]
        return _zscore(s.h.amount_cents[s.order], n, total, squares)

    def online(self, e, st):
        recent = st.recent_amounts[:RECENT_AMOUNTS]
        total = np.int64(sum(recent))
        squares = np.int64(sum(a * a for a in recent))
        return float(_zscore(e.amount_cents, len(recent), total, squares))


class RingMember(Declaration):
    def __init__(self, name, phrase, score: bool):
        super().__init__(name, phrase)
        self.score = score

    def offline(self, s):
        known = s.h.ring_detected_ms[s.order] <= s.h.ts_ms[s.order]
        value = s.h.ring_score[s.order] if self.score else (s.h.ring_score[s.order] > 0)
        return np.where(known, value, 0.0).astype(np.float64)

    def online(self, e, st):
        if e.ring_detected_ms is None or e.ring_detected_ms > e.ts_ms or e.ring_score <= 0:
            return 0.0
        return float(e.ring_score) if self.score else 1.0


FEATURES: tuple[Declaration, ...] = (
    Own("amount", "an amount of {v:,.2f}", "amount"),
    Own("hour", "made at {v:02.0f}:00 UTC", "hour"),
    Own("merchant_category", "merchant category {v:.0f}", "merchant_category"),
    Own("channel", "the {channel} channel", "channel"),
    WindowCount("count_1h", "{v:.0f} earlier transactions in the last hour", 1),
    WindowSum("sum_1h", "{v:,.2f} spent in the last hour", 1),
    WindowCount("count_24h", "{v:.0f} earlier transactions in the last 24 hours", 24),
    WindowSum("sum_24h", "{v:,.2f} spent in the last 24 hours", 24),
    WindowCount("count_7d", "{v:.0f} earlier transactions in the last 7 days", 168),
    WindowSum("sum_7d", "{v:,.2f} spent in the last 7 days", 168),
    NightShare("night_share_7d", "{pct:.0f}% of the last 7 days' transactions at night", 168),
    SinceLast("seconds_since_last", "{ago} since the previous transaction"),
    HistoryCount("history_count", "{v:.0f} earlier transactions on this account"),
    NewValue("new_device", "a device this account has not used before", "device"),
    NewValue("new_country", "a country this account has not paid from before", "country"),
    AmountZScore("amount_zscore", "an amount {v:+.1f} standard deviations from the usual"),
    RingMember("ring_member", "the account belongs to a fraud ring", score=False),
    RingMember("ring_score", "fraud ring score {v:.2f}", score=True),
)
NAMES = [f.name for f in FEATURES]
BASELINE_NAMES = [f.name for f in FEATURES if f.group == "transaction"]


def _duplicated(account: np.ndarray, value: np.ndarray) -> np.ndarray:
    """True where an earlier row (in the given order) has the same (account, value)."""
    import pandas as pd  # noqa: PLC0415 - only the offline path needs pandas

    return pd.DataFrame({"a": account, "v": value}).duplicated().to_numpy()


def _sorted(h: History) -> _Sorted:
    order = np.lexsort((h.seq, h.ts_ms, h.account))
    account = h.account[order]
    ts = h.ts_ms[order].astype(np.int64)
    n = len(order)
    position = np.arange(n)
    change = np.ones(n, dtype=bool)
    change[1:] = account[1:] != account[:-1]
    first = np.maximum.accumulate(np.where(change, position, 0))
    index = np.cumsum(change) - 1
    t0 = int(ts.min()) if n else 0
    span = (int(ts.max()) - t0 if n else 0) + STATE_WINDOW_MS + 1
    key = index.astype(np.int64) * np.int64(span) + (ts - t0)
    cents = h.amount_cents[order].astype(np.int64)
    with np.errstate(over="ignore"):
        cents_cum = np.concatenate([[0], np.cumsum(cents)]).astype(np.int64)
        squares_cum = np.concatenate([[0], np.cumsum(cents * cents)]).astype(np.int64)
    night_cum = np.concatenate([[0], np.cumsum(is_night(ts).astype(np.int64))])
    return _Sorted(h, order, first, position, key, cents_cum, squares_cum, night_cum)


def offline_features(h: History, names: list[str] | None = None) -> np.ndarray:
    """The feature matrix (rows in ``h``'s own order, columns ``names``, default ``NAMES``)."""
    names = names or NAMES
    s = _sorted(h)
    wanted = {f.name: f for f in FEATURES}
    matrix = np.empty((len(s.order), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        matrix[:, j] = wanted[name].offline(s)
    out = np.empty_like(matrix)
    out[s.order] = matrix
    return out


def online_features(e: Event, st: AccountState, names: list[str] | None = None) -> np.ndarray:
    """One row for ``e`` from the account's state before it."""
    names = names or NAMES
    wanted = {f.name: f for f in FEATURES}
    return np.array([wanted[name].online(e, st) for name in names], dtype=np.float64)


class MemoryState:
    """Window state of every account in this process's memory: the benchmark's raw path and
    the SQL path (``services.fraud_state`` rebuilds an account's state from its stored history
    with it). Redis holds the same structure for the web processes."""

    def __init__(self):
        self.accounts: dict[str, tuple[AccountState, set, set]] = {}

    def state_for(self, account: str, e: Event) -> AccountState:
        base, devices, countries = self.accounts.get(account, (AccountState(), set(), set()))
        since = e.ts_ms - STATE_WINDOW_MS
        return AccountState(
            n=base.n,
            last_ms=base.last_ms,
            window=[w for w in base.window if w[0] > since],
            recent_amounts=base.recent_amounts,
            device_seen=e.device in devices,
            country_seen=e.country in countries,
        )

    def add(self, account: str, e: Event) -> None:
        base, devices, countries = self.accounts.get(account, (AccountState(), set(), set()))
        keep_from = e.ts_ms - STATE_WINDOW_MS
        window = [w for w in base.window if w[0] > keep_from]
        window.append((e.ts_ms, e.amount_cents, int(is_night(e.ts_ms))))
        state = AccountState(
            n=base.n + 1,
            last_ms=e.ts_ms if base.last_ms is None else max(base.last_ms, e.ts_ms),
            window=window,
            recent_amounts=([e.amount_cents] + base.recent_amounts)[:RECENT_AMOUNTS],
        )
        self.accounts[account] = (state, devices | {e.device}, countries | {e.country})
