"""The online window state of every account, kept in Redis, and the stored history it is
rebuilt from (the "incremental SQL" path).

Per account, under ``FRAUD_STATE_PREFIX:<tenant>:<account>``: ``:w`` a sorted set of the last
7 days' events (score: time in ms; member: time, id, cents, night flag), ``:a`` a list of the
last 50 amounts in cents, ``:s`` a hash (count, last time), ``:d`` and ``:c`` the devices and
countries seen. All keys expire ``FRAUD_STATE_TTL_DAYS`` after the account's last event; a
missing state is rebuilt from the stored transactions, so Redis is a cache of the database,
never the only copy. Without ``REDIS_URL`` (the zero-setup mode) every score takes the SQL path.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import numpy as np
import redis
from django.conf import settings

from apps.financial_risk.engine.fraud_features import (
    CHANNELS,
    RECENT_AMOUNTS,
    STATE_WINDOW_MS,
    AccountState,
    Event,
    History,
    MemoryState,
    is_night,
)
from apps.financial_risk.models import RiskAccount, Transaction

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NO_RING_MS = np.iinfo(np.int64).max
_client: redis.Redis | None = None
_client_lock = threading.Lock()


def to_ms(moment: datetime) -> int:
    """Exact integer milliseconds (no float rounding of the timestamp)."""
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def redis_client() -> redis.Redis | None:
    global _client
    if not settings.REDIS_URL:
        return None
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = redis.Redis.from_url(
                    settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
                )
    return _client


def _prefix(tenant_id, account_id) -> str:
    return f"{settings.FRAUD_STATE_PREFIX}:{tenant_id}:{account_id}"


def channel_code(channel: str) -> int:
    return CHANNELS.index(channel) if channel in CHANNELS else -1


def ring_of(account: RiskAccount) -> tuple[float, int | None]:
    ring = account.ring
    if ring is None:
        return 0.0, None
    return float(ring.score), to_ms(ring.detected_at)


def event_of(*, occurred_at, amount, device, country, merchant_category, channel, account) -> Event:
    score, detected = ring_of(account)
    return Event(
        ts_ms=to_ms(occurred_at),
        amount_cents=int(amount * 100),
        device=device or "",
        country=country or "",
        merchant_category=int(merchant_category or 0),
        channel=channel_code(channel),
        ring_score=score,
        ring_detected_ms=detected,
    )


# ------------------------------------------------------------------ Redis state
# One round trip each way: a payment reads its account's state with one script and adds
# itself with another (atomic), instead of a pipeline's dozen replies. ``state_rebuild``
# writes the same structure with the same commands (``_write_event``).
READ_LUA = """
return {redis.call('HMGET', KEYS[3], 'n', 'last'),
        redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf'),
        redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[2])),
        redis.call('SISMEMBER', KEYS[4], ARGV[3]),
        redis.call('SISMEMBER', KEYS[5], ARGV[4])}
"""
ADD_LUA = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[4])
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]))
redis.call('HINCRBY', KEYS[3], 'n', 1)
redis.call('HSET', KEYS[3], 'last', ARGV[1])
redis.call('SADD', KEYS[4], ARGV[6])
redis.call('SADD', KEYS[5], ARGV[7])
for i = 1, 5 do redis.call('EXPIRE', KEYS[i], tonumber(ARGV[8])) end
return 1
"""
_scripts: dict[tuple[int, str], object] = {}


def _script(client, source: str):
    key = (id(client), source)
    if key not in _scripts:
        _scripts[key] = client.register_script(source)
    return _scripts[key]


def _read_script(client):
    return _script(client, READ_LUA)


def _add_script(client):
    return _script(client, ADD_LUA)


def _keys(tenant_id, account_id) -> list[str]:
    prefix = _prefix(tenant_id, account_id)
    return [f"{prefix}:{suffix}" for suffix in ("w", "a", "s", "d", "c")]


def state_read(*, tenant, account: RiskAccount, event: Event) -> AccountState | None:
    """The account's state before ``event``, or None when Redis has none (or is down)."""
    client = redis_client()
    if client is None:
        return None
    keys = _keys(tenant.pk, account.pk)
    try:
        (n, last), window, amounts, device_seen, country_seen = _read_script(client)(
            keys=keys,
            args=[f"({event.ts_ms - STATE_WINDOW_MS}", RECENT_AMOUNTS - 1, event.device,
                  event.country],
        )  # fmt: skip
    except redis.RedisError:
        return None
    if n is None:
        return None
    parsed = []
    for member in window:
        ts, _, cents, night = member.split(b":")
        parsed.append((int(ts), int(cents), int(night)))
    return AccountState(
        n=int(n),
        last_ms=int(last) if last is not None else None,
        window=parsed,
        recent_amounts=[int(a) for a in amounts],
        device_seen=bool(device_seen),
        country_seen=bool(country_seen),
    )


def _write_event(pipe, key: str, event: Event, row_id: int, ttl_s: int) -> None:
    night = int(is_night(event.ts_ms))
    pipe.zadd(f"{key}:w", {f"{event.ts_ms}:{row_id}:{event.amount_cents}:{night}": event.ts_ms})
    pipe.zremrangebyscore(f"{key}:w", "-inf", event.ts_ms - STATE_WINDOW_MS)
    pipe.lpush(f"{key}:a", event.amount_cents)
    pipe.ltrim(f"{key}:a", 0, RECENT_AMOUNTS - 1)
    pipe.hincrby(f"{key}:s", "n", 1)
    pipe.hset(f"{key}:s", "last", event.ts_ms)
    pipe.sadd(f"{key}:d", event.device)
    pipe.sadd(f"{key}:c", event.country)
    for suffix in ("w", "a", "s", "d", "c"):
        pipe.expire(f"{key}:{suffix}", ttl_s)


def state_add(*, tenant, account: RiskAccount, event: Event, row_id: int) -> None:
    """Add a stored transaction to the account's state (one round trip, atomic)."""
    client = redis_client()
    if client is None:
        return
    night = int(is_night(event.ts_ms))
    try:
        _add_script(client)(
            keys=_keys(tenant.pk, account.pk),
            args=[event.ts_ms, f"{event.ts_ms}:{row_id}:{event.amount_cents}:{night}",
                  event.amount_cents, event.ts_ms - STATE_WINDOW_MS, RECENT_AMOUNTS - 1,
                  event.device, event.country, _ttl()],
        )  # fmt: skip
    except redis.RedisError:
        state_forget(tenant=tenant, account_ids=[account.pk])


def _ttl() -> int:
    return int(settings.FRAUD_STATE_TTL_DAYS) * 86_400


def state_forget(*, tenant, account_ids) -> None:
    """Drop the accounts' state (rebuilt from the database on their next transaction)."""
    client = redis_client()
    if client is None:
        return
    keys = [
        f"{_prefix(tenant.pk, a)}:{suffix}"
        for a in account_ids
        for suffix in ("w", "a", "s", "d", "c")
    ]
    try:
        for start in range(0, len(keys), 5000):
            client.delete(*keys[start : start + 5000])
    except redis.RedisError:
        pass


def state_rebuild(*, tenant, account_ids) -> int:
    """Rebuild the accounts' Redis state from their stored transactions; returns events."""
    client = redis_client()
    account_ids = list(account_ids)
    if client is None or not account_ids:
        return 0
    state_forget(tenant=tenant, account_ids=account_ids)
    rows = _history_rows(Transaction.objects.filter(tenant=tenant, account_id__in=account_ids))
    pipe = client.pipeline(transaction=False)
    ttl = _ttl()
    for count, row in enumerate(rows, start=1):
        key = _prefix(tenant.pk, row["account_id"])
        _write_event(pipe, key, _event_of_row(row), row["id"], ttl)
        if count % 2000 == 0:
            pipe.execute()
    pipe.execute()
    return len(rows)


def tenant_state_clear(*, tenant) -> None:
    """Drop every account state of the tenant (tests and benchmarks start clean)."""
    client = redis_client()
    if client is None:
        return
    keys = list(client.scan_iter(match=f"{settings.FRAUD_STATE_PREFIX}:{tenant.pk}:*", count=1000))
    for start in range(0, len(keys), 5000):
        client.delete(*keys[start : start + 5000])


# ------------------------------------------------------------------ the stored history
_FIELDS = ("id", "account_id", "occurred_at", "amount", "device_id", "country",
           "merchant_category", "channel", "account__ring__score", "account__ring__detected_at",
           "is_fraud", "account__external_id")  # fmt: skip


def _history_rows(queryset) -> list[dict]:
    return list(queryset.order_by("account_id", "occurred_at", "id").values(*_FIELDS))


def _event_of_row(row) -> Event:
    detected = row["account__ring__detected_at"]
    return Event(
        ts_ms=to_ms(row["occurred_at"]),
        amount_cents=int(row["amount"] * 100),
        device=row["device_id"] or "",
        country=row["country"] or "",
        merchant_category=int(row["merchant_category"] or 0),
        channel=channel_code(row["channel"]),
        ring_score=float(row["account__ring__score"] or 0.0),
        ring_detected_ms=None if detected is None else to_ms(detected),
    )


def state_from_sql(*, account: RiskAccount, event: Event) -> AccountState:
    """The account's state before ``event`` from its stored transactions (the SQL path: a
    missing Redis state, Redis down, or an event older than the account's latest)."""
    rows = _history_rows(
        Transaction.objects.filter(
            account=account, occurred_at__lte=datetime.fromtimestamp(event.ts_ms / 1000, UTC)
        )
    )
    memory = MemoryState()
    for row in rows:
        if to_ms(row["occurred_at"]) <= event.ts_ms:
            memory.add(str(row["account_id"]), _event_of_row(row))
    return memory.state_for(str(account.pk), event)


def history(queryset) -> tuple[History, np.ndarray, list[dict]]:
    """The stored transactions as the offline features' input, their labels and rows."""
    rows = _history_rows(queryset)
    events = [_event_of_row(r) for r in rows]
    n = len(rows)
    h = History(
        account=np.asarray([r["account_id"] for r in rows], dtype=np.int64),
        ts_ms=np.asarray([e.ts_ms for e in events], dtype=np.int64),
        seq=np.asarray([r["id"] for r in rows], dtype=np.int64),
        amount_cents=np.asarray([e.amount_cents for e in events], dtype=np.int64),
        device=np.asarray([e.device for e in events], dtype=object),
        country=np.asarray([e.country for e in events], dtype=object),
        merchant_category=np.asarray([e.merchant_category for e in events], dtype=np.int64),
        channel=np.asarray([e.channel for e in events], dtype=np.int64),
        ring_score=np.asarray([e.ring_score for e in events], dtype=np.float64),
        ring_detected_ms=np.asarray(
            [NO_RING_MS if e.ring_detected_ms is None else e.ring_detected_ms for e in events],
            dtype=np.int64,
        ),
    )
    labels = np.asarray([r["is_fraud"] for r in rows], dtype=bool) if n else np.zeros(0, bool)
    return h, labels, rows
