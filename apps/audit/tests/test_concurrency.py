"""Concurrent writers of one chain are serialised by the head row's lock: no fork, no gap."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.audit.models import AuditChainHead, AuditEvent, chain_key
from apps.audit.services import audit_event_record
from apps.audit.verification import audit_chains_verify

WRITERS = 8
EVENTS_EACH = 25


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(tenant):
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait(timeout=30)
            for i in range(EVENTS_EACH):
                audit_event_record(
                    tenant=tenant, action="test.concurrent", details={"writer": number, "i": i}
                )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    seqs = list(
        AuditEvent.objects.filter(tenant=tenant).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, WRITERS * EVENTS_EACH + 1))
    head = AuditChainHead.objects.get(chain=chain_key(tenant.pk))
    assert head.last_seq == WRITERS * EVENTS_EACH
    result = audit_chains_verify(tenant=tenant)
    assert result.ok, result.problems
    assert result.events == WRITERS * EVENTS_EACH
