"""Device ids, IP addresses and phone numbers of stored transactions become the keyed digests
that arriving transactions now get (``services.fraud_transactions.identifier_token``; issue 19).

What was derived from the clear values goes with them: the fraud graph's device, IP and phone
nodes (and their edges; the next ring detection rebuilds them from the digests) and the online
window state in Redis (rebuilt from the stored history on each account's next transaction).
"""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models

PREFIXES = {"device_id": "dt_", "ip_address": "it_", "phone": "pt_"}
BATCH = 5000


def token(field: str, value: str) -> str:
    # The same digest as identifier_token, written out here so the migration keeps its meaning
    # whatever the service later becomes.
    value = (value or "").strip()
    prefix = PREFIXES[field]
    if not value or (value.startswith(prefix) and len(value) == len(prefix) + 40):
        return value
    key = settings.FRAUD_CARD_TOKEN_KEY.encode()
    digest = hmac.new(key, f"{field}\x00{value}".encode(), hashlib.sha256).hexdigest()[:40]
    return prefix + digest


def tokenise(apps, schema_editor):
    Transaction = apps.get_model("financial_risk", "Transaction")
    last = 0
    while True:
        rows = list(
            Transaction.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", *PREFIXES)[:BATCH]
        )
        if not rows:
            break
        changed = []
        for row in rows:
            new = {field: token(field, getattr(row, field)) for field in PREFIXES}
            if any(new[f] != getattr(row, f) for f in PREFIXES):
                for field, value in new.items():
                    setattr(row, field, value)
                changed.append(row)
        Transaction.objects.bulk_update(changed, list(PREFIXES))
        last = rows[-1].pk
    Node = apps.get_model("knowledge", "Node")
    Node.objects.filter(graph__name="fraud", type__in=("device", "ip", "phone")).delete()
    _forget_online_state()


def _forget_online_state():
    import redis

    url = getattr(settings, "REDIS_URL", "") or ""
    if not url.startswith("redis"):
        return  # no Redis (the zero-setup mode): no online state was kept
    try:
        client = redis.Redis.from_url(url, socket_timeout=5)
        for key in client.scan_iter(match=f"{settings.FRAUD_STATE_PREFIX}:*", count=1000):
            client.delete(key)
    except redis.RedisError:
        pass  # state missing or stale is rebuilt from SQL on the account's next transaction


class Migration(migrations.Migration):
    dependencies = [
        ("financial_risk", "0009_lc19_encrypt_transaction_imports"),
        ("knowledge", "0003_graph_public_id_key"),
    ]

    operations = [
        # A digest is 43 characters; a phone number had 32.
        migrations.AlterField(
            model_name="transaction",
            name="phone",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(tokenise, migrations.RunPython.noop),
    ]
