"""The customer-service data the platform's lifecycle manages (``PRIVACY_DATA_KINDS``).

- ``customer_service.conversations``: conversations hold the transcript (turns) and, cascading
  from it, ratings, handoffs and review items. A customer is erased by an identifier that
  appears among a conversation's slot values (e-mail, order number, ...) or by the
  conversation's id; what was derived from those conversations goes with them: the FAQ nodes
  and training examples that approved review items made (``cs-correction:<item>``) and the
  notification deliveries about the conversations.
- ``customer_service.documents``: help-centre documents, their versions and chunks, and the
  chunk nodes (with their embeddings) in the assistant's graph. A customer's identifier found
  in a chunk's text removes that chunk and its node; in a document's name, title or file name,
  the whole document.
"""

from __future__ import annotations

import uuid

from django.db.models import Q

from apps.data_lifecycle.kinds import DataKind, delete_batch, deleted_counts, export_rows
from apps.notifications.models import Delivery
from knowledge.models import Node
from knowledge.services import nodes_delete

from .document_models import Chunk, Document, DocumentVersion
from .models import Conversation, ReviewItem, TrainingExample, Turn
from .services.replies import shop_graph

CORRECTION_SOURCE = "cs-correction:"


def _conversations(tenant):
    return Conversation.objects.filter(tenant=tenant)


def _drop_nodes(tenant, keys) -> dict:
    keys = [key for key in keys if key]
    graph = shop_graph(tenant)
    if graph is None or not keys:
        return {}
    deleted = nodes_delete(graph=graph, keys=keys)
    return {Node._meta.label: deleted} if deleted else {}


def _add(counts: dict, more: dict) -> dict:
    for table, count in more.items():
        counts[table] = counts.get(table, 0) + count
    return counts


def _derived_of(tenant, conversation_ids) -> dict:
    """Delete what approved corrections and notifications derived from these conversations."""
    items = list(
        ReviewItem.objects.filter(
            tenant=tenant, turn__conversation_id__in=conversation_ids
        ).values_list("pk", "faq_key")
    )
    sources = [f"{CORRECTION_SOURCE}{pk}" for pk, _ in items]
    counts = _drop_nodes(tenant, [key for _, key in items])
    _add(counts, deleted_counts(TrainingExample.objects.filter(tenant=tenant, source__in=sources)))
    deliveries = Delivery.objects.filter(
        tenant=tenant, payload__conversation__in=[str(pk) for pk in conversation_ids]
    )
    return _add(counts, deleted_counts(deliveries))


def _erase_conversations(tenant, conversations) -> dict:
    ids = list(conversations.values_list("pk", flat=True))
    if not ids:
        return {}
    counts = _derived_of(tenant, ids)
    return _add(counts, deleted_counts(_conversations(tenant).filter(pk__in=ids)))


def _expire(tenant, before, limit) -> int:
    ids = list(
        _conversations(tenant)
        .filter(created_at__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        _derived_of(tenant, ids)
    return delete_batch(_conversations(tenant).filter(pk__in=ids), limit)


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
    return _erase_conversations(tenant, conversations) if conversations is not None else {}


def _erase_tenant(tenant) -> dict:
    counts = _derived_of(tenant, list(_conversations(tenant).values_list("pk", flat=True)))
    return _add(counts, deleted_counts(_conversations(tenant)))


def _export(tenant):
    yield from export_rows("customer_service_conversation", _conversations(tenant))
    yield from export_rows("customer_service_turn", Turn.objects.filter(tenant=tenant))


# ---------------------------------------------------------------------------- documents


def _delete_documents(tenant, documents) -> dict:
    keys = Chunk.objects.filter(tenant=tenant, document__in=documents).values_list(
        "node_key", flat=True
    )
    counts = _drop_nodes(tenant, list(keys))
    return _add(counts, deleted_counts(documents))


def _expire_documents(tenant, before, limit) -> int:
    ids = list(
        Document.objects.filter(tenant=tenant, updated_at__lt=before)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    _delete_documents(tenant, Document.objects.filter(pk__in=ids))
    return len(ids)


def _erase_from_documents(tenant, subject_kind, subject_id) -> dict:
    if len(subject_id.strip()) < 4:
        return {}  # too short to tell a customer's identifier from ordinary words
    named = Q(name__icontains=subject_id) | Q(title__icontains=subject_id)
    named |= Q(versions__filename__icontains=subject_id)
    documents = Document.objects.filter(named, tenant=tenant).distinct()
    counts = _delete_documents(tenant, Document.objects.filter(pk__in=list(documents)))
    chunks = Chunk.objects.filter(tenant=tenant, text__icontains=subject_id)
    _add(counts, _drop_nodes(tenant, list(chunks.values_list("node_key", flat=True))))
    return _add(counts, deleted_counts(chunks))


def _export_documents(tenant):
    yield from export_rows("customer_service_document", Document.objects.filter(tenant=tenant))
    versions = DocumentVersion.objects.filter(tenant=tenant)
    yield from export_rows("customer_service_documentversion", versions)
    yield from export_rows("customer_service_chunk", Chunk.objects.filter(tenant=tenant))


DATA_KINDS = [
    DataKind(
        name="customer_service.conversations",
        default_days=2 * 365,
        expire=_expire,
        erase_tenant=_erase_tenant,
        export=_export,
        erase_subject=_erase_subject,
        subject_kinds=("customer", "conversation"),
    ),
    DataKind(
        name="customer_service.documents",
        default_days=None,  # help-centre content stays until replaced or deleted
        expire=_expire_documents,
        erase_tenant=lambda tenant: _delete_documents(
            tenant, Document.objects.filter(tenant=tenant)
        ),
        export=_export_documents,
        erase_subject=_erase_from_documents,
        subject_kinds=("customer",),
    ),
]
