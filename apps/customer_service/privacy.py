"""The customer-service data the platform's lifecycle manages (``PRIVACY_DATA_KINDS``).

Conversations hold the transcript (turns) and, cascading from it, ratings, handoffs and
review items (the source of adaptation training pairs). A customer is erased by an identifier
that appears among a conversation's slot values (e-mail, order number, ...) or by the
conversation's id.
"""

from __future__ import annotations

import uuid

from apps.data_lifecycle.kinds import DataKind, delete_batch, deleted_counts, export_rows

from .models import Conversation, Turn


def _conversations(tenant):
    return Conversation.objects.filter(tenant=tenant)


def _expire(tenant, before, limit) -> int:
    return delete_batch(_conversations(tenant).filter(created_at__lt=before), limit)


def _customer_conversations(tenant, subject_kind: str, subject_id: str):
    if subject_kind == "conversation":
        return _conversations(tenant).filter(pk=subject_id) if _is_uuid(subject_id) else None
    ids = [
        pk
        for pk, slots in _conversations(tenant).values_list("pk", "slots").iterator()
        if subject_id in {str(value) for value in (slots or {}).values()}
    ]
    return _conversations(tenant).filter(pk__in=ids)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _erase_subject(tenant, subject_kind, subject_id) -> dict:
    conversations = _customer_conversations(tenant, subject_kind, subject_id)
    return deleted_counts(conversations) if conversations is not None else {}


def _erase_tenant(tenant) -> dict:
    return deleted_counts(_conversations(tenant))


def _export(tenant):
    yield from export_rows("customer_service_conversation", _conversations(tenant))
    yield from export_rows("customer_service_turn", Turn.objects.filter(tenant=tenant))


DATA_KINDS = [
    DataKind(
        name="customer_service.conversations",
        default_days=2 * 365,
        expire=_expire,
        erase_tenant=_erase_tenant,
        export=_export,
        erase_subject=_erase_subject,
        subject_kinds=("customer", "conversation"),
    )
]
