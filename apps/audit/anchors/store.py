"""Anchor stores: where signed checkpoints are kept outside the database.

``open_store(url)`` picks the store by scheme: ``file:///path`` (``FileAnchorStore``) or
``s3://bucket/prefix`` (``apps.audit.anchors.s3.S3AnchorStore``). Every store only ever adds:
nothing here rewrites or deletes a record, so the store can sit on write-once media (a WORM
volume, S3 Object Lock).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings

from .base import AnchorStore, parse_line, record_line, safe_chain_name
from .records import AnchorRecord
from .s3 import S3AnchorStore

__all__ = ["FileAnchorStore", "S3AnchorStore", "anchor_store", "open_store"]


class FileAnchorStore(AnchorStore):
    """Append-only JSON-lines files under a root folder:

    ``manifest.jsonl`` and ``chains/<chain>/<YYYY-MM-DD>.jsonl`` (one file per chain per UTC
    day). Each record is one line written with O_APPEND and fsynced (and the folder too when a
    file is created), so an acknowledged anchor survives a crash; no line is ever rewritten.
    """

    def __init__(self, root: str):
        self.root = Path(root)
        self.url = f"file://{self.root}"

    def _append_line(self, path: Path, record: dict) -> None:
        created = not path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, record_line(record).encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _chain_dir(self, chain: str) -> Path:
        return self.root / "chains" / safe_chain_name(chain)

    def append(self, record: dict) -> None:
        day = record["time"][:10]
        self._append_line(self._chain_dir(record["chain"]) / f"{day}.jsonl", record)

    def add_to_manifest(self, record: dict) -> None:
        self._append_line(self.root / "manifest.jsonl", record)

    @staticmethod
    def _read(path: Path) -> list[AnchorRecord]:
        if not path.exists():
            return []
        with open(path, encoding="ascii", errors="replace") as lines:
            return [
                parse_line(line, f"{path.name}:{number}")
                for number, line in enumerate(lines, 1)
                if line.strip()
            ]

    def manifest(self) -> list[AnchorRecord]:
        return self._read(self.root / "manifest.jsonl")

    def _files(self, chain_dir: Path) -> list[Path]:
        return sorted(chain_dir.glob("*.jsonl")) if chain_dir.is_dir() else []

    def chains(self) -> list[str]:
        found = set()
        base = self.root / "chains"
        for chain_dir in sorted(base.iterdir()) if base.is_dir() else []:
            for path in self._files(chain_dir):
                found.update(r.chain for r in self._read(path) if r.chain)
        return sorted(found)

    def records(self, chain: str) -> list[AnchorRecord]:
        records = []
        for path in self._files(self._chain_dir(chain)):
            records.extend(self._read(path))
        return records

    def last_record(self, chain: str) -> AnchorRecord | None:
        files = self._files(self._chain_dir(chain))
        if not files:
            return None
        records = self._read(files[-1])
        return records[-1] if records else None


def open_store(url: str) -> AnchorStore:
    """The anchor store ``url`` names: ``file:///path`` or ``s3://bucket/prefix``."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"AUDIT_ANCHOR_URL {url!r}: a file URL needs an absolute path")
        return FileAnchorStore(unquote(parsed.path))
    if parsed.scheme == "s3":
        return S3AnchorStore(bucket=parsed.netloc, prefix=parsed.path.strip("/"))
    raise ValueError(f"AUDIT_ANCHOR_URL {url!r}: the scheme must be file:// or s3://")


_stores: dict[str, AnchorStore] = {}


def anchor_store() -> AnchorStore | None:
    """The store of ``settings.AUDIT_ANCHOR_URL``, or None when anchoring is off."""
    url = getattr(settings, "AUDIT_ANCHOR_URL", "") or ""
    if not url:
        return None
    if url not in _stores:
        _stores[url] = open_store(url)
    return _stores[url]
