"""The s3:// anchor store against a real local S3-compatible HTTP server (moto's server mode):
objects written under Object Lock (compliance), verification through them, erasure detected."""

from __future__ import annotations

import socket

import boto3
import pytest
from django.utils import timezone
from moto.server import ThreadedMotoServer

from apps.audit.anchors.s3 import s3_bucket_create
from apps.audit.anchors.store import anchor_store
from apps.audit.models import chain_key
from apps.audit.services import audit_checkpoint_create, audit_event_record
from apps.audit.verification import audit_chains_verify

from .conftest import CHECKPOINTS, EVENTS, HEADS, tamper

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_anchors(s3_server, settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=s3_server)
    s3_bucket_create(client, "audit-anchors")
    settings.AUDIT_ANCHOR_S3_ENDPOINT_URL = s3_server
    settings.AUDIT_ANCHOR_URL = "s3://audit-anchors/prod"
    return client


def test_s3_store_anchors_under_object_lock_and_detects_erasure(s3_anchors, tenant):
    for i in range(4):
        audit_event_record(tenant=tenant, action="test.event", resource_id=str(i))
    audit_checkpoint_create()
    chain = chain_key(tenant.pk)
    keys = [o["Key"] for o in s3_anchors.list_objects_v2(Bucket="audit-anchors")["Contents"]]
    assert any(k.startswith("prod/manifest/") for k in keys)
    anchor_key = next(k for k in keys if k.startswith("prod/chains/"))
    head = s3_anchors.head_object(Bucket="audit-anchors", Key=anchor_key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"].year >= timezone.now().year + 6
    assert [r.seq for r in anchor_store().records(chain)] == [4]
    assert audit_chains_verify().ok

    tamper(*[(f"DELETE FROM {t} WHERE chain = %s", [chain]) for t in (EVENTS, HEADS, CHECKPOINTS)])
    problems = audit_chains_verify().problems
    assert [(p.kind, p.chain) for p in problems] == [("chain_erased", chain)]
