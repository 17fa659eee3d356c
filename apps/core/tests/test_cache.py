"""The Redis cache shares one client per connection pool instead of building one per call."""

from __future__ import annotations

import os
import uuid

import pytest

from apps.core.cache import SharedClientRedisCache


@pytest.mark.redis
def test_one_client_serves_every_operation_and_the_cache_works():
    cache = SharedClientRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"t{uuid.uuid4().hex}"})
    client = cache._cache
    first = client.get_client(write=True)
    assert client.get_client(write=False) is first
    assert client.get_client("any-key", write=True) is first
    cache.set("counter", 1, 30)
    assert cache.incr("counter") == 2
    assert cache.get_many(["counter", "missing"]) == {"counter": 2}
    assert cache.add("counter", 5, 30) is False
    cache.delete("counter")
    assert cache.get("counter") is None
