"""Detecting and masking personal data: used by logs, audit digests and the verticals.

Importing this package is cheap: Presidio and spaCy (several seconds, they pull in PyTorch) load
only when ``detect_pii``/``mask_pii`` or the analyzer are first used, so the logging filter can be
configured before Django's apps are ready without slowing every process start.
"""

import os

# Importing presidio_analyzer instantiates its DeviceDetector, which, unless told otherwise,
# allocates a tensor on the GPU to probe CUDA. That would create a CUDA context in web and Celery
# parent processes, which fork afterwards, just to mask log lines; nothing here uses a GPU.
os.environ.setdefault("PRESIDIO_DEVICE", "cpu")

_LAZY_EXPORTS = {
    "Finding": "apps.privacy.masking",
    "detect_pii": "apps.privacy.masking",
    "mask_pii": "apps.privacy.masking",
    "build_analyzer": "apps.privacy.engine",
    "get_analyzer": "apps.privacy.engine",
}

__all__ = sorted(_LAZY_EXPORTS)


def __getattr__(name: str):
    """Import the public API on first access (PEP 562)."""
    module_name = _LAZY_EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
