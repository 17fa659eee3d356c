"""The ``s3://bucket/prefix`` anchor store: one object per record, under S3 Object Lock.

Objects are written once with Object Lock in COMPLIANCE mode and a retention date
(``AUDIT_ANCHOR_S3_RETENTION_DAYS``): until then nobody, the bucket's owner included, can
delete or overwrite them. The bucket must be created with Object Lock enabled (which turns on
versioning). Layout under the prefix:

- ``manifest/<chain>/<time>-<hash>.json``: the chain's manifest entry;
- ``chains/<chain>/<YYYY-MM-DD>/<time>-<hash>.json``: its anchor and restore records; keys sort
  in the order written (records of a chain are written under a lock, times increase).

``AUDIT_ANCHOR_S3_ENDPOINT_URL`` points boto3 at another S3-compatible server (MinIO, a test
server); credentials come from boto3's usual chain (environment, instance role).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .base import AnchorStore, parse_line, record_line, safe_chain_name
from .records import AnchorRecord


class S3AnchorStore(AnchorStore):
    """Anchor records as write-once S3 objects (see the module docstring)."""

    def __init__(self, *, bucket: str, prefix: str):
        if not bucket:
            raise ValueError("AUDIT_ANCHOR_URL s3://BUCKET/prefix needs a bucket")
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.url = f"s3://{bucket}/{prefix}"
        # boto3 (a heavy import) loads only in deployments that anchor to S3.
        import boto3

        self.client = boto3.client(
            "s3", endpoint_url=getattr(settings, "AUDIT_ANCHOR_S3_ENDPOINT_URL", "") or None
        )

    def _key_name(self, record: dict) -> str:
        stamp = record["time"].replace(":", "").replace("-", "").replace("+", "Z")
        return f"{stamp}-{record['sig'][:16]}.json"

    def _put(self, key: str, record: dict) -> None:
        days = int(getattr(settings, "AUDIT_ANCHOR_S3_RETENTION_DAYS", 2557))
        self.client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + key,
            Body=record_line(record).encode("ascii"),
            ContentType="application/json",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=timezone.now() + timedelta(days=days),
        )

    def append(self, record: dict) -> None:
        chain = safe_chain_name(record["chain"])
        self._put(f"chains/{chain}/{record['time'][:10]}/{self._key_name(record)}", record)

    def add_to_manifest(self, record: dict) -> None:
        self._put(f"manifest/{safe_chain_name(record['chain'])}/{self._key_name(record)}", record)

    def _keys(self, prefix: str) -> list[str]:
        keys = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def _get(self, key: str) -> AnchorRecord:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return parse_line(body.decode("ascii", errors="replace"), key[len(self.prefix) :])

    def manifest(self) -> list[AnchorRecord]:
        return [self._get(key) for key in self._keys("manifest/")]

    def chains(self) -> list[str]:
        chains = set()
        for key in self._keys("chains/"):
            chains.add(key[len(self.prefix) :].split("/")[1])
        found = set()
        for name in chains:  # the chain key as written inside the records
            last = self.last_record_by_name(name)
            if last is not None and last.chain:
                found.add(last.chain)
        return sorted(found)

    def last_record_by_name(self, name: str) -> AnchorRecord | None:
        keys = self._keys(f"chains/{name}/")
        return self._get(keys[-1]) if keys else None

    def records(self, chain: str) -> list[AnchorRecord]:
        return [self._get(key) for key in self._keys(f"chains/{safe_chain_name(chain)}/")]

    def last_record(self, chain: str) -> AnchorRecord | None:
        return self.last_record_by_name(safe_chain_name(chain))


def s3_bucket_create(client, bucket: str) -> None:
    """Create ``bucket`` with Object Lock enabled (what the anchor store needs)."""
    client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)


__all__ = ["S3AnchorStore", "s3_bucket_create"]
