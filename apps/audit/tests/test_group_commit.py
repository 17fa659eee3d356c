"""Group commit: concurrent appends to one chain outside a transaction share one transaction,
and the chain they make is the one that one transaction per event would make.

Each test holds the chain's head row lock from the test's own connection, so that the first
appending thread (the group's writer) blocks on it and the others queue behind it; releasing
the lock lets the first write its own event and the next write all the queued ones in one
transaction. PostgreSQL's ``xmin`` (the id of the transaction that inserted a row) shows which
events were committed together.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from apps.audit.models import AuditChainHead, AuditEvent, chain_key
from apps.audit.services import audit_event_record
from apps.audit.services import group_commit as gc
from apps.audit.verification import audit_chains_verify

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

QUEUED = 9  # callers that queue behind the first one


def _wait_until(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


class Callers:
    """Threads that each append one event and keep what it returned or raised."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.threads: list[threading.Thread] = []
        self.returned: dict[int, AuditEvent] = {}
        self.raised: dict[int, BaseException] = {}

    def start(self, number: int, **fields) -> None:
        def call() -> None:
            try:
                self.returned[number] = audit_event_record(
                    tenant=self.tenant, action="test.group", details={"caller": number}, **fields
                )
            except BaseException as exc:
                self.raised[number] = exc
            finally:
                connection.close()  # each thread has its own connection

        thread = threading.Thread(target=call)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self.threads)


def _lock_head(key: str) -> None:
    """Take the chain head's row lock on the test's connection (inside an atomic block)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {AuditChainHead._meta.db_table} WHERE chain = %s FOR UPDATE", [key]
        )


def _writer_blocked_on_lock() -> bool:
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps the first reading of its activity view.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query LIKE %s",
            ["%FOR UPDATE%"],
        )
        return cursor.fetchone()[0] == 1


def _transactions_of(key: str) -> list[int]:
    """Events per inserting transaction, in chain order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT xmin::text, count(*), min(seq) FROM {AuditEvent._meta.db_table} "
            "WHERE chain = %s GROUP BY xmin::text ORDER BY min(seq)",
            [key],
        )
        return [count for _, count, _ in cursor.fetchall()]


def _queue_behind_a_blocked_writer(tenant, callers: Callers, fields_of=lambda n: {}) -> list:
    """The first caller writes (and blocks on the lock held here), QUEUED more queue behind it.
    Returns the ids of the queued events in the order they queued."""
    key = chain_key(tenant.pk)
    callers.start(0, **fields_of(0))
    _wait_until(lambda: gc._queue_of(key).writing, "the first caller writes")
    for number in range(1, QUEUED + 1):
        callers.start(number, **fields_of(number))
    _wait_until(lambda: gc.waiting_count(key) == QUEUED, "every other caller queues")
    return [waiter.event.id for waiter in gc._queue_of(key).waiting]


def test_concurrent_appends_share_one_transaction_and_make_one_chain(tenant):
    key = chain_key(tenant.pk)
    first = audit_event_record(tenant=tenant, action="test.seed")
    callers = Callers(tenant)
    with transaction.atomic():
        _lock_head(key)
        queued_order = _queue_behind_a_blocked_writer(tenant, callers)
        _wait_until(_writer_blocked_on_lock, "the writer waits for the head row")
    callers.join()

    assert not callers.raised, callers.raised
    # The seed, the first caller alone, then the nine queued callers in one transaction.
    assert _transactions_of(key) == [1, 1, QUEUED]
    stored = {e.id: e for e in AuditEvent.objects.filter(chain=key)}
    assert sorted(e.seq for e in stored.values()) == list(range(1, QUEUED + 3))
    # Every caller got back its own event exactly as it was committed.
    for number, event in callers.returned.items():
        row = stored[event.id]
        assert (row.seq, row.hash, row.prev_hash, row.details) == (
            event.seq,
            event.hash,
            event.prev_hash,
            {"caller": number},
        )
    # Queued callers are written in the order they queued, each linked to the one before.
    assert [stored[i].seq for i in queued_order] == list(range(3, QUEUED + 3))
    assert stored[queued_order[0]].prev_hash == callers.returned[0].hash
    assert callers.returned[0].prev_hash == first.hash
    head = AuditChainHead.objects.get(chain=key)
    assert head.last_seq == QUEUED + 2
    assert head.last_hash == stored[queued_order[-1]].hash
    result = audit_chains_verify(tenant=tenant)
    assert result.ok, result.problems
    assert result.events == QUEUED + 2


def test_a_bad_event_fails_only_its_own_caller(tenant):
    """One event the database refuses (a negative row count breaks its CHECK) fails the
    group's transaction; the group is written again event by event, so only that caller
    raises and everyone else's event is in the chain."""
    key = chain_key(tenant.pk)
    audit_event_record(tenant=tenant, action="test.seed")
    bad = 4
    callers = Callers(tenant)
    failed_before = gc.stats.failed_groups
    with transaction.atomic():
        _lock_head(key)
        _queue_behind_a_blocked_writer(
            tenant, callers, fields_of=lambda n: {"row_count": -1} if n == bad else {}
        )
    callers.join()

    assert list(callers.raised) == [bad]
    assert isinstance(callers.raised[bad], IntegrityError)
    assert gc.stats.failed_groups == failed_before + 1
    stored = {e.id: e for e in AuditEvent.objects.filter(chain=key)}
    assert len(stored) == QUEUED + 1  # the seed and every caller but the bad one
    assert {e.id for e in callers.returned.values()} <= set(stored)
    assert sorted(e.seq for e in stored.values()) == list(range(1, QUEUED + 2))
    assert not any(e.details.get("caller") == bad for e in stored.values())
    result = audit_chains_verify(tenant=tenant)
    assert result.ok, result.problems


def test_a_failed_group_raises_in_every_caller_and_leaves_the_chain_whole(tenant):
    """Nothing is lost silently: when no event of a group can be written, every one of its
    callers raises, none is reported written, and the chain goes on from the last commit."""
    key = chain_key(tenant.pk)
    audit_event_record(tenant=tenant, action="test.seed")
    callers = Callers(tenant)
    with transaction.atomic():
        _lock_head(key)
        _queue_behind_a_blocked_writer(
            tenant, callers, fields_of=lambda n: {"row_count": -1} if n else {}
        )
    callers.join()

    assert sorted(callers.raised) == list(range(1, QUEUED + 1))
    assert all(isinstance(exc, IntegrityError) for exc in callers.raised.values())
    assert list(callers.returned) == [0]
    assert AuditEvent.objects.filter(chain=key).count() == 2
    after = audit_event_record(tenant=tenant, action="test.after")
    assert after.seq == 3
    assert after.prev_hash == callers.returned[0].hash
    result = audit_chains_verify(tenant=tenant)
    assert result.ok, result.problems


def test_a_write_whose_connection_dies_is_written_again(tenant):
    """The database drops the writer's connection while it waits for the head row: its event
    is written again on a new connection (once: no duplicate), and the queue behind it goes on."""
    key = chain_key(tenant.pk)
    audit_event_record(tenant=tenant, action="test.seed")
    callers = Callers(tenant)
    failed_before = gc.stats.failed_groups
    with transaction.atomic():
        _lock_head(key)
        _queue_behind_a_blocked_writer(tenant, callers)
        _wait_until(_writer_blocked_on_lock, "the writer waits for the head row")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                "AND query LIKE %s",
                ["%FOR UPDATE%"],
            )
        _wait_until(lambda: gc.stats.failed_groups == failed_before + 1, "the write fails")
        _wait_until(_writer_blocked_on_lock, "the writer waits again on a new connection")
    callers.join()

    assert not callers.raised, callers.raised
    stored = {e.id: e for e in AuditEvent.objects.filter(chain=key)}
    assert len(stored) == QUEUED + 2
    assert {e.id for e in callers.returned.values()} == set(stored) - {
        e.id for e in stored.values() if e.action == "test.seed"
    }
    assert sorted(e.seq for e in stored.values()) == list(range(1, QUEUED + 3))
    result = audit_chains_verify(tenant=tenant)
    assert result.ok, result.problems


def test_inside_a_transaction_the_event_stays_with_it(tenant):
    """Group commit is only for appends outside a transaction: inside one, the event still
    rolls back with the action it records."""
    key = chain_key(tenant.pk)
    groups_before = gc.stats.groups
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_event_record(tenant=tenant, action="test.rolled_back")
        raise RuntimeError("the action failed")
    assert not AuditEvent.objects.filter(chain=key).exists()
    assert gc.stats.groups == groups_before
