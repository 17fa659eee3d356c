"""The WSGI entry point loads every view at start and freezes what start-up created, so that
the garbage collector's full collections do not walk the verticals' libraries on every pass."""

from __future__ import annotations

import gc
import sys

from apps.core.verticals import installed


def test_wsgi_start_loads_the_views_and_freezes_startup_objects():
    gc.unfreeze()
    sys.modules.pop("config.wsgi", None)
    try:
        import config.wsgi  # noqa: F401

        assert gc.get_freeze_count() > 10_000
        assert "knowledge.api.views" in sys.modules
        for vertical in installed():
            assert vertical.path(vertical.api_urls) in sys.modules, vertical.name
    finally:
        gc.unfreeze()
