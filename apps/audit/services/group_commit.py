"""Group commit of audit events.

``group_append`` is how an event recorded outside any transaction is written (an inference
call's event, recorded after the model answered). Concurrent appends to one chain in this
process share one transaction, one head lock and one commit (group commit, as databases do with
their own log): the first caller to arrive writes its event at once; callers that arrive while a
write is in progress queue up, and when it ends the oldest of them writes everything queued, in
arrival order, in one transaction. Every caller returns only once its event is committed, or
raises: nothing is reported written that is not. If a group's write fails, each of its events is
written again in a transaction of its own (unless the group did commit, which is checked by the
events' ids), so one bad event fails its own caller only.

The chain itself is unchanged: the same rows, hashes, links and positions as one transaction per
event would give; events of other processes still queue on the head row's lock.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from apps.audit.models import AuditEvent

logger = logging.getLogger("apps.audit.services")

# Appends prepared events to a chain inside the open transaction (``events.append_locked``).
Append = Callable[[str, object, list[AuditEvent]], None]

# The most events one transaction writes; callers beyond it wait for the next group.
GROUP_MAX_EVENTS = 64


def group_commit_enabled() -> bool:
    """AUDIT_GROUP_COMMIT (default on): off, every event outside a transaction gets its own."""
    return bool(getattr(settings, "AUDIT_GROUP_COMMIT", True))


# ---------------------------------------------------------------------------- group commit


@dataclass(eq=False)
class _Waiter:
    """One caller's event on its way into a group."""

    event: AuditEvent
    settled: threading.Event = field(default_factory=threading.Event)
    leads: bool = False  # woken to write the next group, not because its event was written
    written: bool = False
    error: BaseException | None = None


@dataclass(eq=False)
class _ChainQueue:
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: list[_Waiter] = field(default_factory=list)
    writing: bool = False


@dataclass
class GroupCommitStats:
    """What this process's group commits did (for tests and the operator): transactions
    written, events in them, the largest group, and groups whose write failed."""

    groups: int = 0
    events: int = 0
    largest: int = 0
    failed_groups: int = 0


_queues: dict[str, _ChainQueue] = {}
_queues_lock = threading.Lock()
stats = GroupCommitStats()


def _reset_after_fork() -> None:
    """A forked child starts with no queue: a lock held by a thread of the parent at the fork
    would never be released in the child."""
    global _queues_lock, stats
    _queues.clear()
    _queues_lock = threading.Lock()
    stats = GroupCommitStats()


os.register_at_fork(after_in_child=_reset_after_fork)


def _queue_of(key: str) -> _ChainQueue:
    queue = _queues.get(key)
    if queue is None:
        with _queues_lock:
            queue = _queues.setdefault(key, _ChainQueue())
    return queue


def waiting_count(key: str) -> int:
    """How many appends to chain ``key`` wait for the write in progress (tests, diagnostics)."""
    queue = _queues.get(key)
    return len(queue.waiting) if queue is not None else 0


def group_append(event: AuditEvent, *, append: Append) -> None:
    """Write ``event`` (prepared, unsaved), outside any transaction, in a group with the
    concurrent appends to its chain, with ``append(chain, tenant, events)`` (which runs inside
    the group's transaction); returns once it is committed, raises if it was not."""
    queue = _queue_of(event.chain)
    me = _Waiter(event)
    with queue.lock:
        queue.waiting.append(me)
        leads = not queue.writing
        queue.writing = True
    if not leads:
        me.settled.wait()
        if not me.leads:
            if me.error is not None:
                raise me.error
            return
    with queue.lock:
        group = queue.waiting[:GROUP_MAX_EVENTS]
        del queue.waiting[:GROUP_MAX_EVENTS]
    try:
        _write_group(event.chain, group, append)
    except BaseException as exc:  # interrupted: no caller may go on waiting
        for waiter in group:
            if not waiter.written and waiter.error is None:
                waiter.error = exc
        raise
    finally:
        with queue.lock:
            if queue.waiting:
                successor = queue.waiting[0]
                successor.leads = True
                successor.settled.set()
            else:
                queue.writing = False
        for waiter in group:
            if waiter is not me:
                waiter.settled.set()
    if me.error is not None:
        raise me.error


def _write(key: str, events: list[AuditEvent], append: Append) -> None:
    with transaction.atomic():
        append(key, events[0].tenant, events)


def _unsaved(event: AuditEvent) -> None:
    """Back to unsaved after a failed write (the insert may have run before a failed commit)."""
    event._state.adding = True
    event._state.db = None


def _write_group(key: str, group: list[_Waiter], append: Append) -> None:
    events = [waiter.event for waiter in group]
    stats.groups += 1
    stats.events += len(events)
    stats.largest = max(stats.largest, len(events))
    try:
        _write(key, events, append)
    except Exception:
        stats.failed_groups += 1
        logger.warning(
            "audit group of %d events on %s failed; writing them one by one",
            len(events),
            key,
            exc_info=True,
        )
    else:
        for waiter in group:
            waiter.written = True
        return
    for event in events:
        _unsaved(event)
    # A connection the database dropped is replaced by a new one for the retries.
    connection.close_if_unusable_or_obsolete()
    # A failed COMMIT may still have committed: then every event of the group is there.
    ids = [event.id for event in events]
    try:
        committed = set(AuditEvent.objects.filter(id__in=ids).values_list("id", flat=True))
    except Exception as exc:
        for waiter in group:
            waiter.error = exc
        return
    if committed:
        stored = AuditEvent.objects.in_bulk(ids)
        for waiter in group:
            waiter.event.__dict__.update(stored[waiter.event.id].__dict__)
            waiter.written = True
        return
    for waiter in group:
        try:
            _write(key, [waiter.event], append)
        except Exception as exc:
            _unsaved(waiter.event)
            waiter.error = exc
        else:
            waiter.written = True
