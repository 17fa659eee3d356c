"""No plaintext in Redis: a chat prompt sent as a Celery task, a task result and a cached
model result are read back raw (keys, lists, values of this test's own Redis database) and
hold none of the text; through the platform they read back as sent."""

from __future__ import annotations

import os
import uuid

import pytest
import redis
from celery.backends.redis import RedisBackend
from django.test import override_settings

from config.celery import app
from models_runtime.cache import cache_drop_tenant, cache_get, cache_key, cache_set

pytestmark = pytest.mark.redis
PROMPT = "Patient Jane Roe, MRN 55501234, asks about her warfarin dose"
REPLY = "Dear Jane Roe, keep taking warfarin 5 mg daily"


def _raw_dump(client: redis.Redis) -> bytes:
    """Every key and value of the database, whatever its type, as bytes."""
    found = []
    for key in client.scan_iter(count=1000):
        found.append(key)
        kind = client.type(key)
        if kind == b"string":
            found.append(client.get(key) or b"")
        elif kind == b"list":
            found.extend(client.lrange(key, 0, -1))
        elif kind == b"hash":
            for field, value in client.hgetall(key).items():
                found.extend([field, value])
        elif kind in (b"set", b"zset"):
            found.extend(client.zrange(key, 0, -1) if kind == b"zset" else client.smembers(key))
    return b"\n".join(found)


def _assert_no_plaintext(client):
    dump = _raw_dump(client)
    for secret in (PROMPT, REPLY, "Jane Roe", "55501234", "warfarin"):
        assert secret.encode() not in dump


def test_task_messages_results_and_cache_hold_no_plaintext():
    url = os.environ["REDIS_URL"]
    client = redis.Redis.from_url(url)
    queue = f"test-encryption-{uuid.uuid4().hex[:8]}"
    with app.connection_for_write(url) as connection:
        app.send_task(
            "models_runtime.tasks.generate_task",
            kwargs={"model": "chat", "prompt": PROMPT},
            queue=queue,
            connection=connection,
        )
    assert client.llen(queue) == 1
    backend = RedisBackend(app=app, url=url)
    task_id = str(uuid.uuid4())
    backend.store_result(task_id, {"text": REPLY}, "SUCCESS")
    tenant_id = uuid.uuid4()
    redis_cache = {
        "default": {"BACKEND": "apps.core.cache.SharedClientRedisCache", "LOCATION": url}
    }
    with override_settings(CACHES=redis_cache):
        key = cache_key(tenant_id=tenant_id, model="chat", kind="generate", payload={"p": PROMPT})
        cache_set(key, {"text": REPLY})
        try:
            _assert_no_plaintext(client)
            assert cache_get(key) == {"text": REPLY}
            assert backend.get_task_meta(task_id)["result"] == {"text": REPLY}
            with app.connection_for_read(url) as connection:
                message = connection.SimpleQueue(queue).get(timeout=5)
                assert message.headers["task"] == "models_runtime.tasks.generate_task"
                assert message.content_type == "application/x-encrypted-json"
                assert message.decode()[1] == {"model": "chat", "prompt": PROMPT}
                message.ack()
        finally:
            assert cache_drop_tenant(tenant_id) == 1
            backend.forget(task_id)
            client.delete(queue)
