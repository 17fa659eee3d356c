"""The platform's one upload guard (contract 1 of CONTRACTS.md; the ``trust`` helper owns the
module and its version wins at merge: callers use only these names).

Limits come from the ``UPLOAD_LIMITS`` setting, over the defaults below. A count or size over
its limit is a 413 naming the field; a malformed or unsafe archive is a 400 naming it.
"""

from __future__ import annotations

import io
import stat
import zipfile

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException

DEFAULT_LIMITS = {
    "max_rows": 200_000,
    "max_columns": 500,
    "max_cell_chars": 20_000,
    "max_pages": 500,
    "max_decompressed_bytes": 100 * 2**20,
    "max_archive_members": 1_000,
    "max_compression_ratio": 200,
}


class UploadLimitExceeded(APIException):
    """An upload over one of the limits (413), or a malformed archive (400)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "upload_limit"

    def __init__(self, field: str, message: str, status_code: int | None = None):
        super().__init__({field: [message]})
        if status_code is not None:
            self.status_code = status_code


def upload_limit(name: str) -> int:
    limits = {**DEFAULT_LIMITS, **getattr(settings, "UPLOAD_LIMITS", {})}
    return int(limits[name])


def _over(what: str, value, limit: str, field: str) -> UploadLimitExceeded:
    maximum = upload_limit(limit)
    return UploadLimitExceeded(
        field, f"{what} is {value}; the limit is {maximum} (UPLOAD_LIMITS['{limit}'])"
    )


def check_count(limit: str, value: int, *, field: str) -> None:
    names = {
        "max_rows": "the number of rows",
        "max_columns": "the number of columns",
        "max_pages": "the number of pages",
        "max_archive_members": "the number of archive members",
    }
    if value > upload_limit(limit):
        raise _over(names.get(limit, limit), value, limit, field)


def check_cell(value: str, *, field: str, where: str = "") -> None:
    if len(value) > upload_limit("max_cell_chars"):
        what = f"the length of {where}" if where else "the length of a cell"
        raise _over(what, len(value), "max_cell_chars", field)


def _bad(field: str, message: str) -> UploadLimitExceeded:
    return UploadLimitExceeded(field, message, status_code=status.HTTP_400_BAD_REQUEST)


def read_zip_members(fileobj, *, field: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of the archive's regular files, inflated under the limits."""
    try:
        archive = zipfile.ZipFile(fileobj)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _bad(field, f"not a readable zip archive ({exc})") from exc
    check_count("max_archive_members", len(infos), field=field)
    budget = upload_limit("max_decompressed_bytes")
    ratio = upload_limit("max_compression_ratio")
    members, total = [], 0
    for info in infos:
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
            raise _bad(field, f"archive member {name!r} has an unsafe path")
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise _bad(field, f"archive member {name!r} is a symbolic link")
        if info.is_dir():
            continue
        if name.lower().endswith(".zip"):
            raise _bad(field, f"archive member {name!r} is a nested archive")
        data = io.BytesIO()
        try:
            with archive.open(info) as member:
                while chunk := member.read(64 * 1024):
                    total += len(chunk)
                    data.write(chunk)
                    if total > budget:
                        raise _over(
                            "the decompressed size",
                            f"over {budget} bytes",
                            "max_decompressed_bytes",
                            field,
                        )
                    if data.tell() > max(info.compress_size, 1) * ratio:
                        raise _over(
                            f"the compression ratio of {name!r}",
                            f"over {ratio}",
                            "max_compression_ratio",
                            field,
                        )
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise _bad(field, f"archive member {name!r} is damaged ({exc})") from exc
        members.append((name, data.getvalue()))
    return members
