"""Help-centre documents: each upload of a document is a version, split into chunks with their
heading paths (imported by ``models.py``). The chunks of the current version are also nodes of
type ``chunk`` in the tenant's knowledge graph, where hybrid retrieval finds them."""

from __future__ import annotations

import uuid

from django.db import models


class Document(models.Model):
    """One help-centre document of a tenant (its name is unique per tenant); ``version`` is
    the current version's number."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=300, blank=True, default="")
    language = models.CharField(max_length=16, blank=True, default="")
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="cs_document_name_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class DocumentVersion(models.Model):
    """One upload: the file's format, fingerprint and how many chunks it made."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    filename = models.CharField(max_length=300)
    file_format = models.CharField(max_length=16)
    sha256 = models.CharField(max_length=64)
    chunk_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="cs_document_version")
        ]

    def __str__(self) -> str:
        return f"{self.document.name} v{self.number}"


class Chunk(models.Model):
    """A piece of a version's text with its heading path (``["Returns", "Electronics"]``).
    ``node_key`` names its node in the knowledge graph; citations point here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    heading_path = models.JSONField(default=list, blank=True)
    text = models.TextField()
    node_key = models.CharField(max_length=300)

    class Meta:
        ordering = ["document", "seq"]
        indexes = [models.Index(fields=["tenant", "node_key"], name="cs_chunk_node_key")]

    def __str__(self) -> str:
        return f"{self.document.name} #{self.seq}"
