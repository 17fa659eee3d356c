"""The anchor store: signed checkpoints kept outside the database (``AUDIT_ANCHOR_URL``).

- ``base``: the store interface and the one-line JSON form of a record;
- ``store``: ``open_store(url)`` and the ``file://`` store (append-only files, one per chain per
  day, fsynced, never rewritten; meant for a WORM-mounted volume);
- ``s3``: the ``s3://bucket/prefix`` store (boto3, one object per record under S3 Object Lock
  in compliance mode);
- ``records``: the signed records (anchors and the manifest of chains) and their checks.

Writing anchors is ``apps.audit.services.anchoring``; comparing the database with the anchors
is part of ``apps.audit.verification``.
"""

from .base import AnchorStore
from .records import AnchorRecord, anchor_record, manifest_record, record_hash
from .store import anchor_store, open_store

__all__ = [
    "AnchorRecord",
    "AnchorStore",
    "anchor_record",
    "anchor_store",
    "manifest_record",
    "open_store",
    "record_hash",
]
