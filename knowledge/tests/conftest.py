import pytest

from knowledge import cache


@pytest.fixture(autouse=True)
def fresh_graph_cache():
    """Each test starts with an empty per-process graph cache (ids repeat across tests)."""
    cache.forget()
    yield
    cache.forget()
