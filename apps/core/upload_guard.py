"""One guard for what an upload expands into, shared by every parser (CSV, JSONL, Parquet, HL7,
FHIR, GraphML, zip, and any format added later).

``apps.core.uploads.UploadField`` caps the bytes that arrive; this module caps what they become:
rows, columns, cell sizes, pages, and the bytes and members an archive inflates to. A 43 KB
Parquet file can declare four million rows, and a 1 MB zip can inflate to gigabytes, so every
parser asks here before (or while) it materialises anything.

The limits are the ``UPLOAD_LIMITS`` setting (defaults in ``config/settings/base.py``). A file
over a limit is a 413 naming the field, the value, the limit and the setting's key; a malformed
archive is a 400 naming the field.
"""

from __future__ import annotations

import csv
import posixpath
import stat
import zipfile

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException

DEFAULT_UPLOAD_LIMITS = {
    "max_rows": 200_000,
    "max_columns": 500,
    "max_cell_chars": 20_000,
    "max_pages": 500,
    "max_decompressed_bytes": 100 * 2**20,
    "max_archive_members": 1_000,
    "max_compression_ratio": 200,
}

_WHAT = {
    "max_rows": "row count",
    "max_columns": "column count",
    "max_cell_chars": "cell length",
    "max_pages": "page count",
    "max_decompressed_bytes": "decompressed size",
    "max_archive_members": "archive member count",
    "max_compression_ratio": "compression ratio",
}

# Inflate in pieces of this size, so a bomb is stopped after at most one piece past its limit.
_CHUNK = 64 * 1024


class UploadLimitExceeded(APIException):
    """413 (or 400 for a malformed archive) with ``detail = {field: [message]}``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload exceeds a limit."
    default_code = "upload_limit_exceeded"

    def __init__(self, field: str, message: str, *, status_code: int | None = None):
        if status_code is not None:
            self.status_code = status_code
        super().__init__({field: [message]})


def upload_limit(name: str) -> int:
    """The limit called ``name`` from ``UPLOAD_LIMITS`` (the default when the setting omits it)."""
    limits = getattr(settings, "UPLOAD_LIMITS", None) or {}
    if name not in DEFAULT_UPLOAD_LIMITS:
        raise KeyError(f"unknown upload limit {name!r}")
    return int(limits.get(name, DEFAULT_UPLOAD_LIMITS[name]))


def _over(limit: str, value, *, field: str, where: str = "") -> UploadLimitExceeded:
    what = _WHAT[limit] + (f" {where}" if where else "")
    return UploadLimitExceeded(
        field,
        f"{what} is {value}; the limit is {upload_limit(limit)} (UPLOAD_LIMITS['{limit}'])",
    )


def check_count(limit: str, value: int, *, field: str) -> None:
    """Refuse ``value`` rows/columns/pages/members over ``limit`` (413 naming ``field``)."""
    if limit not in ("max_rows", "max_columns", "max_pages", "max_archive_members"):
        raise KeyError(f"{limit!r} is not a count limit")
    if value > upload_limit(limit):
        raise _over(limit, value, field=field)


def check_decompressed(size: int, *, field: str) -> None:
    """Refuse ``size`` bytes inflated from an upload (a PDF's page streams) past
    ``max_decompressed_bytes``."""
    if size > upload_limit("max_decompressed_bytes"):
        raise _over("max_decompressed_bytes", size, field=field)


def check_cell(value: str, *, field: str, where: str = "") -> None:
    """Refuse one cell (or segment, or field value) longer than ``max_cell_chars``."""
    if value is not None and len(value) > upload_limit("max_cell_chars"):
        raise _over("max_cell_chars", len(value), field=field, where=where)


def _malformed(field: str, why: str) -> UploadLimitExceeded:
    return UploadLimitExceeded(field, why, status_code=status.HTTP_400_BAD_REQUEST)


def _unsafe_name(name: str) -> bool:
    normal = posixpath.normpath(name.replace("\\", "/"))
    return (
        name.startswith(("/", "\\"))
        or (len(name) > 1 and name[1] == ":")  # C:\...
        or normal == ".."
        or normal.startswith("../")
        or "/../" in f"/{normal}/"
    )


class _InflateBudget:
    """The decompressed-size and compression-ratio limits of one archive, and the bytes its
    members have inflated to so far (the size limit is for the whole archive)."""

    def __init__(self):
        self.max_total = upload_limit("max_decompressed_bytes")
        self.max_ratio = upload_limit("max_compression_ratio")
        self.total = 0


def _inflate(archive, info, budget: _InflateBudget, *, field: str):
    """The chunks of one member, inflated under ``budget`` (413 past a limit, 400 unreadable)."""
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                budget.total += len(chunk)
                if budget.total > budget.max_total:
                    raise _over("max_decompressed_bytes", f"over {budget.max_total}", field=field)
                ratio = size / max(info.compress_size, 1)
                if size > _CHUNK and ratio > budget.max_ratio:
                    raise _over("max_compression_ratio", f"over {int(ratio)}", field=field)
                yield chunk
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise _malformed(field, f"member {info.filename!r} cannot be read ({exc})") from exc


def read_zip_members(fileobj, *, field: str) -> list[tuple[str, bytes]]:
    """The regular files of a zip archive as ``(name, bytes)``, within every archive limit.

    Decompressed bytes are counted while inflating, never taken from the headers (which the
    archive's author writes). Absolute or parent paths, symlinks and nested zips are refused
    with a 400 naming ``field``; directories are skipped.
    """
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _malformed(field, f"is not a readable zip archive ({exc})") from exc
    with archive:
        infos = archive.infolist()
        check_count("max_archive_members", len(infos), field=field)
        budget = _InflateBudget()
        members: list[tuple[str, bytes]] = []
        for info in infos:
            name = info.filename
            if _unsafe_name(name):
                raise _malformed(field, f"member {name!r} has an absolute or parent path")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise _malformed(field, f"member {name!r} is a symbolic link")
            if info.is_dir():
                continue
            if name.lower().endswith((".zip", ".jar")):
                raise _malformed(field, f"member {name!r} is a nested archive")
            chunks = list(_inflate(archive, info, budget, field=field))
            if chunks and chunks[0][:4] == b"PK\x03\x04":
                raise _malformed(field, f"member {name!r} is a nested archive")
            members.append((name, b"".join(chunks)))
        return members


def check_zip_expansion(fileobj, *, field: str) -> None:
    """An archive read by a library (DOCX is a zip) within the member-count, decompressed-size
    and compression-ratio limits, counted by inflating every member (nothing is kept). Unlike
    ``read_zip_members`` it allows what such a container holds (embedded objects)."""
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _malformed(field, f"is not a readable zip container ({exc})") from exc
    with archive:
        infos = archive.infolist()
        check_count("max_archive_members", len(infos), field=field)
        budget = _InflateBudget()
        for info in infos:
            for _chunk in _inflate(archive, info, budget, field=field):
                pass


def check_lines(text: str, *, field: str, cells: bool = True) -> list[str]:
    """The lines of a text upload (a note, an HL7 message, a JSONL file): non-blank lines within
    ``max_rows`` and, with ``cells``, each line within ``max_cell_chars``."""
    lines = text.splitlines()
    check_count("max_rows", sum(1 for line in lines if line.strip()), field=field)
    if cells:
        for number, line in enumerate(lines, start=1):
            check_cell(line, field=field, where=f"at line {number}")
    return lines


def check_record(record, *, field: str, where: str = "", skip: frozenset[str] = frozenset()):
    """A parsed JSON value (a JSONL line, a FHIR resource): every object within ``max_columns``
    keys, every string within ``max_cell_chars`` (values under the keys in ``skip``, such as a
    base64 attachment checked once decoded, excepted)."""
    stack = [(record, where)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            check_cell(value, field=field, where=path)
        elif isinstance(value, dict):
            check_count("max_columns", len(value), field=field)
            for key, item in value.items():
                check_cell(str(key), field=field, where=path)
                if key not in skip:
                    stack.append((item, f"{path}.{key}" if path else f"at {key}"))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{index}") for index, item in enumerate(value))


def csv_header(reader, *, field: str) -> list[str]:
    """A ``csv.DictReader``'s header within ``max_columns`` and ``max_cell_chars`` (read under the
    same error mapping as ``guarded_csv``); empty for an empty file."""
    try:
        names = reader.fieldnames or []
    except csv.Error as exc:
        raise _csv_error(exc, field) from exc
    check_count("max_columns", len(names), field=field)
    for index, name in enumerate(names, start=1):
        check_cell(name, field=field, where=f"in the header, column {index}")
    return list(names)


def _csv_error(exc: csv.Error, field: str) -> UploadLimitExceeded:
    if "field larger than field limit" in str(exc):
        return _over("max_cell_chars", f"over {csv.field_size_limit()}", field=field)
    return _malformed(field, f"is not readable CSV ({exc})")


def guarded_csv(reader, *, field: str):
    """Rows of a ``csv.reader`` or ``csv.DictReader``, refused past ``max_rows``, a row past
    ``max_columns`` or a cell past ``max_cell_chars`` (413 naming the limit); CSV the parser
    cannot read is a 400 naming ``field``."""
    max_rows = upload_limit("max_rows")
    count = 0
    try:
        for row in reader:
            count += 1
            if count > max_rows:
                raise _over("max_rows", f"over {max_rows}", field=field)
            cells = []
            for cell in row.values() if isinstance(row, dict) else row:
                if isinstance(cell, list):  # a DictReader's surplus cells
                    cells.extend(cell)
                elif cell is not None:
                    cells.append(cell)
            check_count("max_columns", len(cells), field=field)
            for index, cell in enumerate(cells, start=1):
                check_cell(cell, field=field, where=f"at row {count}, column {index}")
            yield row
    except csv.Error as exc:
        raise _csv_error(exc, field) from exc
