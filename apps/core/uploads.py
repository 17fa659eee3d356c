"""One checked file-upload field for every upload endpoint: a size limit, an allow-list of
file kinds, and a look at the bytes, so that a declared type or extension alone gets nothing in.

    from apps.core.uploads import UploadField

    class DatasetCreateSerializer(StrictSerializer):
        file = UploadField(kinds=("csv", "parquet"))

A refused file is a 400 naming the field (``{"file": ["..."]}``). The whole request body is
capped before that by UPLOAD_MAX_BYTES for multipart uploads and DJANGO_MAX_BODY_BYTES for
other bodies (413, apps.core.middleware.BodySizeLimitMiddleware).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from rest_framework import serializers


@dataclass(frozen=True)
class FileKind:
    """What a file of one kind looks like: extensions, content types and a content test."""

    extensions: tuple[str, ...]
    content_types: tuple[str, ...]
    text: bool  # must be UTF-8 text without NUL bytes
    magic: bytes = b""  # must start (and, for Parquet, end) with these bytes


# Clients that do not know a type send application/octet-stream (curl -F does): accepted, the
# content test decides.
GENERIC_TYPES = ("application/octet-stream", "")

KINDS: dict[str, FileKind] = {
    "csv": FileKind(
        (".csv", ".txt"),
        ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel"),
        text=True,
    ),
    "parquet": FileKind(
        (".parquet", ".pq"),
        ("application/vnd.apache.parquet", "application/x-parquet"),
        text=False,
        magic=b"PAR1",
    ),  # fmt: skip
    "text": FileKind((".txt", ".text", ".note"), ("text/plain",), text=True),
    "json": FileKind((".json",), ("application/json", "text/json", "text/plain"), text=True),
    "jsonl": FileKind(
        (".jsonl", ".ndjson"),
        ("application/jsonl", "application/x-ndjson", "application/json", "text/plain"),
        text=True,
    ),
    "hl7": FileKind((".hl7", ".txt"), ("x-application/hl7-v2+er7", "text/plain"), text=True),
}


def upload_max_bytes() -> int:
    """Default per-file limit: UPLOAD_MAX_BYTES (the multipart body limit: a file cannot be
    larger anyway), else the request-body limit."""
    return int(getattr(settings, "UPLOAD_MAX_BYTES", 0) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def check_upload(upload, *, kinds: Sequence[str], max_bytes: int | None = None) -> str:
    """Check ``upload`` (a Django UploadedFile); returns the matched kind or raises
    ``serializers.ValidationError`` with a message for the client."""
    limit = max_bytes or upload_max_bytes()
    if upload.size is not None and upload.size > limit:
        raise serializers.ValidationError(f"File is {upload.size} bytes; the limit is {limit}.")
    if not upload.size:
        raise serializers.ValidationError("File is empty.")
    name = (upload.name or "").lower()
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    candidates = [k for k in kinds if name.endswith(KINDS[k].extensions)]
    if not candidates:
        allowed = sorted({ext for k in kinds for ext in KINDS[k].extensions})
        raise serializers.ValidationError(
            f"File name must end in one of {', '.join(allowed)} (got {upload.name!r})."
        )
    problems = []
    for kind_name in candidates:
        kind = KINDS[kind_name]
        if declared not in kind.content_types and declared not in GENERIC_TYPES:
            problems.append(
                f"content type {declared!r} is not one of {', '.join(kind.content_types)}"
            )
            continue
        problem = _content_problem(upload, kind)
        if problem is None:
            return kind_name
        problems.append(problem)
    raise serializers.ValidationError(f"Not a valid {'/'.join(candidates)} file: {problems[0]}.")


def _content_problem(upload, kind: FileKind) -> str | None:
    upload.seek(0)
    head = upload.read(8192)
    try:
        if kind.magic:
            if not head.startswith(kind.magic):
                return f"it does not start with {kind.magic!r}"
            if upload.size >= len(kind.magic):
                upload.seek(upload.size - len(kind.magic))
                if upload.read(len(kind.magic)) != kind.magic:
                    return f"it does not end with {kind.magic!r}"
        if kind.text:
            if b"\x00" in head:
                return "it holds binary data (NUL bytes)"
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as exc:
                if exc.start < len(head) - 4:  # not just a character cut at the 8 KiB edge
                    return "it is not UTF-8 text"
        return None
    finally:
        upload.seek(0)


class UploadField(serializers.FileField):
    """A FileField that accepts only the given kinds (see KINDS) up to ``max_bytes``."""

    def __init__(self, *, kinds: Sequence[str], max_bytes: int | None = None, **kwargs):
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown upload kinds {sorted(unknown)}; known: {sorted(KINDS)}")
        self.kinds = tuple(kinds)
        self.max_bytes = max_bytes
        kwargs.setdefault(
            "help_text", f"{' or '.join(k.upper() for k in self.kinds)} file (multipart upload)"
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        upload = super().to_internal_value(data)
        check_upload(upload, kinds=self.kinds, max_bytes=self.max_bytes)
        return upload
