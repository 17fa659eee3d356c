"""The attacks of ``audit_attack_drill``: erasing or rewriting history as an insider would.

The attacker holds the database (triggers off, every table writable) and write access to the
anchor folder, but not the signing key. Each attack fixes up every row it can (chain head,
checkpoints, re-hashed events, even anchor records re-signed with a key of its own under our
key id) so the rest looks consistent; ``run_attacks`` reports which ones verification missed.
Runs only inside the scratch environment the command creates.
"""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import connection, transaction

from apps.accounts.services import tenant_create
from apps.audit.anchors.base import record_line, safe_chain_name
from apps.audit.anchors.records import record_hash
from apps.audit.anchors.store import anchor_store
from apps.audit.hashing import canonical_json, checkpoint_payload, event_hash
from apps.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditPrune, chain_key
from apps.audit.prunes import prune_payload
from apps.audit.services import audit_checkpoint_create, audit_event_record
from apps.audit.signing import key_ring
from apps.audit.verification import audit_chains_verify

EVENTS, HEADS, CHECKPOINTS, PRUNES = (
    m._meta.db_table for m in (AuditEvent, AuditChainHead, AuditCheckpoint, AuditPrune)
)
ATTACKER_KEY = Ed25519PrivateKey.generate()


def sql(*statements) -> None:
    """Run ``statements`` as a database administrator would: PostgreSQL's triggers (and with
    them its foreign-key checks) off for the transaction; SQLite's foreign keys off for the
    session (its PRAGMA is ignored inside a transaction, so it is set around it)."""
    sqlite = connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL session_replication_role = replica")  # triggers off
            for statement, params in statements:
                cursor.execute(statement, params)
    finally:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA foreign_keys = ON")


def _db_id(model, pk) -> object:
    """A key as its column holds it (a uuid in PostgreSQL, 32 hex digits in SQLite)."""
    return model._meta.pk.get_db_prep_value(pk, connection)


def history(tenant, n: int) -> None:
    for i in range(n):
        audit_event_record(
            tenant=tenant, action="drill.event", resource_type="drill", resource_id=str(i)
        )


def new_tenant(label: str, events: int, *, checkpoints: int = 2):
    tenant = tenant_create(name=f"drill {label} {secrets.token_hex(3)}")
    per = max(1, events // checkpoints)
    for _ in range(checkpoints):
        history(tenant, per)
        audit_checkpoint_create(tenant=tenant)
    return tenant, chain_key(tenant.pk)


def forged_sig(payload: dict) -> str:
    return ATTACKER_KEY.sign(canonical_json(payload).encode("ascii")).hex()


def truncate_tail(chain: str, keep: int) -> AuditEvent:
    last = AuditEvent.objects.get(chain=chain, seq=keep)
    sql(
        (f"DELETE FROM {EVENTS} WHERE chain = %s AND seq > %s", [chain, keep]),
        (
            f"UPDATE {HEADS} SET last_seq = %s, last_hash = %s WHERE chain = %s",
            [keep, last.hash, chain],
        ),
        (f"DELETE FROM {CHECKPOINTS} WHERE chain = %s AND seq > %s", [chain, keep]),
    )
    return last


def erase_chain(chain: str) -> None:
    tables = (EVENTS, HEADS, CHECKPOINTS)
    sql(*[(f"DELETE FROM {table} WHERE chain = %s", [chain]) for table in tables])


def rewrite_history(chain: str, *, from_seq: int) -> list[AuditEvent]:
    """Change an event's details and re-hash it and every later event, head included."""
    events = list(AuditEvent.objects.filter(chain=chain).order_by("seq"))
    statements = []
    prev = events[from_seq - 2].hash if from_seq > 1 else "0" * 64
    for event in events[from_seq - 1 :]:
        if event.seq == from_seq:
            event.details = {"rewritten": True}
        event.prev_hash = prev
        event.hash = event_hash(event)
        prev = event.hash
        statements.append(
            (
                f"UPDATE {EVENTS} SET details = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [
                    json.dumps(event.details),
                    event.prev_hash,
                    event.hash,
                    _db_id(AuditEvent, event.id),
                ],
            )
        )
    statements.append((f"UPDATE {HEADS} SET last_hash = %s WHERE chain = %s", [prev, chain]))
    sql(*statements)
    return events


def _detected(chain: str | None, tenant=None) -> str | None:
    """The first problem verification reports for ``chain`` (None: undetected)."""
    result = audit_chains_verify(tenant=tenant)
    for problem in result.problems:
        if chain is None or problem.chain == chain:
            return str(problem)
    return None


def _intact(tenant) -> bool:
    return audit_chains_verify(tenant=tenant).ok


def attack_tail_truncation(n):
    tenant, chain = new_tenant("tail", n)
    ok = _intact(tenant)
    truncate_tail(chain, keep=n // 2)
    return ok, chain, tenant


def attack_tenant_erasure(n):
    tenant, chain = new_tenant("erase", n)
    ok = _intact(tenant)
    erase_chain(chain)
    return ok, chain, tenant


def attack_forged_checkpoint(n):
    """Rewrite history, re-hash it and replace the checkpoints with ones re-signed under our
    key id by the attacker's own key."""
    tenant, chain = new_tenant("resign", n)
    ok = _intact(tenant)
    rewrite_history(chain, from_seq=2)
    head = AuditChainHead.objects.get(chain=chain)
    checkpoint = AuditCheckpoint.objects.filter(chain=chain).order_by("-seq").first()
    payload = checkpoint_payload(
        chain=chain,
        tenant_id=tenant.pk,
        seq=head.last_seq,
        head_hash=head.last_hash,
        created_at=checkpoint.created_at,
    )
    sql(
        (f"DELETE FROM {CHECKPOINTS} WHERE chain = %s", [chain]),
        (
            f"INSERT INTO {CHECKPOINTS} (chain, tenant_id, seq, head_hash, created_at, key_id, "
            "signature) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                chain,
                _db_id(type(tenant), tenant.pk),
                head.last_seq,
                head.last_hash,
                checkpoint.created_at,
                key_ring().signing_id,
                forged_sig(payload),
            ],
        ),
    )
    return ok, chain, tenant


def attack_rewritten_anchor_file(n):
    """Truncate the chain in the database, then rewrite its anchor files to match: the records
    past the new end are dropped and the last one re-signed by the attacker."""
    tenant, chain = new_tenant("anchorfile", n)
    ok = _intact(tenant)
    keep = truncate_tail(chain, keep=n // 3)
    store = anchor_store()
    folder = Path(store.root) / "chains" / safe_chain_name(chain)
    records = [r.data for r in store.records(chain)]
    kept = [r for r in records if r["seq"] <= keep.seq]
    forged = dict(records[0] if not kept else kept[-1])
    forged.update(seq=keep.seq, head_hash=keep.hash, prev=record_hash(kept[-1]) if kept else None)
    forged.pop("sig")
    forged["sig"] = forged_sig(forged)
    for path in folder.glob("*.jsonl"):
        path.unlink()
    with open(folder / f"{forged['time'][:10]}.jsonl", "w") as out:
        for record in [*kept, forged]:
            out.write(record_line(record))
    return ok, chain, tenant


def attack_deleted_anchors_and_chain(n):
    """Erase a tenant's chain and delete its anchor folder too (the manifest remains, as it
    would on WORM storage, or it is caught by its own signature)."""
    tenant, chain = new_tenant("anchorgone", n)
    ok = _intact(tenant)
    erase_chain(chain)
    shutil.rmtree(Path(anchor_store().root) / "chains" / safe_chain_name(chain))
    return ok, chain, tenant


def attack_rewritten_history(n):
    """Rewrite and re-hash history, head included, and drop the checkpoints that disagree."""
    tenant, chain = new_tenant("rehash", n)
    ok = _intact(tenant)
    rewrite_history(chain, from_seq=3)
    sql((f"DELETE FROM {CHECKPOINTS} WHERE chain = %s", [chain]))
    return ok, chain, tenant


def attack_retention_forged(n):
    """Delete the oldest anchored period as the log's own retention would, with a retention
    record (``AuditPrune``) signed by the attacker's key under our key id."""
    tenant, chain = new_tenant("retention", n)
    ok = _intact(tenant)
    checkpoint = AuditCheckpoint.objects.filter(chain=chain).order_by("seq").first()
    prune = AuditPrune(
        chain=chain,
        tenant_id=tenant.pk,
        seq=checkpoint.seq,
        head_hash=checkpoint.head_hash,
        deleted=checkpoint.seq,
        before=checkpoint.created_at,
        created_at=checkpoint.created_at,
        key_id=key_ring().signing_id,
    )
    sql(
        (f"DELETE FROM {EVENTS} WHERE chain = %s AND seq <= %s", [chain, checkpoint.seq]),
        (
            f"INSERT INTO {PRUNES} (chain, tenant_id, seq, head_hash, deleted, before, "
            "created_at, key_id, signature) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                chain,
                _db_id(type(tenant), tenant.pk),
                prune.seq,
                prune.head_hash,
                prune.deleted,
                prune.before,
                prune.created_at,
                prune.key_id,
                forged_sig(prune_payload(prune)),
            ],
        ),
    )
    return ok, chain, tenant


def attack_truncate_everything(n):
    tenant, chain = new_tenant("all", n)
    ok = _intact(tenant)
    if connection.vendor == "postgresql":
        sql((f"TRUNCATE {EVENTS}, {HEADS}, {CHECKPOINTS}, {PRUNES}", []))
    else:
        sql(*[(f"DELETE FROM {table}", []) for table in (EVENTS, HEADS, CHECKPOINTS, PRUNES)])
    return ok, chain, None


ATTACKS = [
    ("tail truncation", attack_tail_truncation),
    ("whole-tenant erasure", attack_tenant_erasure),
    ("forged re-signed checkpoint", attack_forged_checkpoint),
    ("rewritten anchor file", attack_rewritten_anchor_file),
    ("anchors and chain deleted", attack_deleted_anchors_and_chain),
    ("history rewritten and re-hashed", attack_rewritten_history),
    ("old periods deleted as forged retention", attack_retention_forged),
    ("platform-wide truncate", attack_truncate_everything),  # last: it wipes every chain
]


def run_attacks(*, events: int) -> dict:
    """Run every attack; ``undetected`` names those verification missed (or that started
    from a chain that did not verify, which would prove nothing)."""
    detected, undetected = {}, []
    for name, attack in ATTACKS:
        intact, chain, tenant = attack(events)
        by_tenant = _detected(chain, tenant) if tenant is not None else "n/a"
        overall = _detected(chain)
        if intact and by_tenant and overall:
            detected[name] = overall
        else:
            undetected.append(name)
    return {
        "attacks": len(ATTACKS),
        "undetected": len(undetected),
        "missed": undetected,
        "detected": detected,
    }
