"""Help-centre documents: upload (one file or a zip of files) → versions → chunks → nodes of
type ``chunk`` in the tenant's knowledge graph (hybrid retrieval finds them; the inference
worker embeds them). Everything is parsed before anything is written, and a document's new
chunks replace its old ones in one transaction: a broken file leaves the old version in place,
and a reader sees either the old chunks or the new ones."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.db import transaction

from apps.audit.services import audited
from apps.core.upload_guard import read_zip_members
from apps.customer_service.models import Chunk, Document, DocumentVersion
from apps.customer_service.services.ingest import (
    ChunkText,
    DocumentError,
    chunk_sections,
    detect_format,
    parse,
)
from knowledge.graphs.text import CJK_RUN
from knowledge.models import Domain, Graph
from knowledge.services import (
    graph_ensure,
    graph_upsert,
    node_embeddings_compute,
    node_embeddings_start,
    nodes_delete,
)

from .replies import cs_setting

CHUNK_TYPE = "chunk"


@dataclass
class _Parsed:
    name: str
    filename: str
    fmt: str
    title: str
    sha256: str
    language: str
    chunks: list[ChunkText]


def knowledge_graph(tenant) -> Graph:
    """The tenant's assistant graph (created empty when the tenant has none), accepting
    document chunks."""
    return graph_ensure(
        tenant=tenant,
        name=cs_setting("GRAPH", "shop"),
        domain=Domain.CUSTOMER_SERVICE,
        description="The assistant's knowledge: help-centre document chunks and shop facts.",
        schema={"node_types": [CHUNK_TYPE]},
    )


def text_language(text: str) -> str:
    cjk = sum(len(run) for run in CJK_RUN.findall(text))
    return "zh" if cjk > 0.2 * max(len(text.replace(" ", "")), 1) else "en"


def _parse_one(filename: str, data: bytes, fmt: str, name: str, language: str) -> _Parsed:
    parsed = parse(filename, data, fmt)
    chunks = chunk_sections(parsed.sections)
    whole = " ".join(c.text for c in chunks)
    return _Parsed(
        name=name,
        filename=filename,
        fmt=fmt,
        title=parsed.title[:300],
        sha256=hashlib.sha256(data).hexdigest(),
        language=language or text_language(whole),
        chunks=chunks,
    )


def documents_parse(*, filename: str, data: bytes, name: str = "", language: str = ""):
    """Every file of an upload parsed and chunked (nothing written); ``DocumentError`` or the
    upload guard's error for a file that cannot be used."""
    fmt = detect_format(filename, data)
    if fmt != "zip":
        return [_parse_one(filename, data, fmt, name or filename, language)]
    parsed = []
    for member, content in read_zip_members(io.BytesIO(data), field="file"):
        member_fmt = detect_format(member, content)
        parsed.append(_parse_one(member, content, member_fmt, member, language))
    if not parsed:
        raise DocumentError(f"{filename}: the archive holds no files")
    return parsed


def _node(document: Document, version: DocumentVersion, seq: int, chunk: ChunkText) -> dict:
    return {
        "key": f"doc:{document.pk}:v{version.number}:{seq}",
        "type": CHUNK_TYPE,
        "label": document.title or document.name,
        "properties": {
            "text": chunk.text,
            "heading_path": chunk.heading_path,
            "title": document.title,
            "document": document.name,
            "document_id": str(document.pk),
            "version": version.number,
            "seq": seq,
            "language": document.language,
        },
    }


def _store(tenant, graph: Graph, item: _Parsed) -> DocumentVersion | None:
    document, _ = Document.objects.select_for_update().get_or_create(tenant=tenant, name=item.name)
    current = document.versions.order_by("-number").first()
    if current is not None and current.sha256 == item.sha256:
        return None  # the same file again: nothing changes
    old_keys = list(Chunk.objects.filter(document=document).values_list("node_key", flat=True))
    document.version += 1
    document.title, document.language = item.title, item.language
    document.save(update_fields=["version", "title", "language", "updated_at"])
    version = DocumentVersion.objects.create(
        tenant=tenant,
        document=document,
        number=document.version,
        filename=item.filename[:300],
        file_format=item.fmt,
        sha256=item.sha256,
        chunk_count=len(item.chunks),
    )
    nodes = [_node(document, version, seq, c) for seq, c in enumerate(item.chunks, start=1)]
    Chunk.objects.filter(document=document).delete()
    Chunk.objects.bulk_create(
        Chunk(
            tenant=tenant,
            document=document,
            version=version,
            seq=node["properties"]["seq"],
            heading_path=node["properties"]["heading_path"],
            text=node["properties"]["text"],
            node_key=node["key"],
        )
        for node in nodes
    )
    if old_keys:
        nodes_delete(graph=graph, keys=old_keys)
    graph_upsert(graph=graph, nodes=nodes)
    return version


def documents_upload(
    *, tenant, filename: str, data: bytes, name: str = "", language: str = ""
) -> list[DocumentVersion]:
    """Upload a help-centre file (or a zip of them): the new versions (a file identical to a
    document's current version makes none). All files are parsed first; then every document
    changes in one transaction, audited. Embeddings follow (``documents_embed``)."""
    parsed = documents_parse(filename=filename, data=data, name=name, language=language)
    graph = knowledge_graph(tenant)
    with (
        audited(
            tenant=tenant,
            action="customer_service.documents.upload",
            resource_type="customer_service.document",
            resource_id=(name or filename)[:200],
        ) as event,
        transaction.atomic(),
    ):
        versions = [v for item in parsed if (v := _store(tenant, graph, item)) is not None]
        event.row_count = sum(v.chunk_count for v in versions)
        event.details = {"files": len(parsed), "new_versions": len(versions)}
    return versions


@dataclass(frozen=True)
class DocumentsAdded:
    """An upload over the API: the new versions, their documents and the embedding job (None
    when nothing changed)."""

    versions: list[DocumentVersion]
    documents: list[Document]
    embedding_job: object | None


def documents_add(
    *, tenant, filename: str, data: bytes, name: str = "", language: str = ""
) -> DocumentsAdded:
    """Upload (``documents_upload``) and start embedding the new chunks as a job."""
    versions = documents_upload(
        tenant=tenant, filename=filename, data=data, name=name, language=language
    )
    job = documents_embed(tenant=tenant) if versions else None
    documents = list(Document.objects.filter(pk__in=[v.document_id for v in versions]))
    return DocumentsAdded(versions=versions, documents=documents, embedding_job=job)


def document_delete(*, document: Document) -> None:
    """Remove a document, its versions, chunks and graph nodes, audited."""
    graph = knowledge_graph(document.tenant)
    with (
        audited(
            tenant=document.tenant,
            action="customer_service.documents.delete",
            resource_type="customer_service.document",
            resource_id=str(document.pk),
        ),
        transaction.atomic(),
    ):
        keys = list(Chunk.objects.filter(document=document).values_list("node_key", flat=True))
        nodes_delete(graph=graph, keys=keys)
        document.delete()


def documents_embed(*, tenant, in_process: bool = False):
    """Embed the new chunks through the inference worker: a job (202 + job URL) from the API,
    or at once for the seed and commands."""
    graph = knowledge_graph(tenant)
    if in_process:
        return node_embeddings_compute(graph=graph)
    return node_embeddings_start(graph=graph)
