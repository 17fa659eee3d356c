"""``ModelRegistry``: each model loaded once per process, lazily or at start (``warm``)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from models_runtime.backends import Backend, load_backend
from models_runtime.errors import ModelLoadError, ModelsRuntimeError, UnknownModel
from models_runtime.specs import ModelSpec

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelStatus:
    name: str
    task: str
    backend: str
    source: str
    quantization: str
    loaded: bool
    device: str | None = None
    dtype: str | None = None
    revision: str | None = None
    load_seconds: float | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class ModelRegistry:
    """Specs by name, and the backends loaded from them.

    ``get(name)`` loads a model on first use. One lock per model: two threads asking for the same
    model wait for one load; threads asking for different models load them in parallel. A failed
    load is not cached: the next ``get`` tries again (the weights may have appeared since).
    """

    def __init__(
        self,
        specs: Mapping[str, ModelSpec] | Iterable[ModelSpec],
        loader: Callable[[ModelSpec], Backend] = load_backend,
    ):
        items = specs.values() if isinstance(specs, Mapping) else specs
        self._specs: dict[str, ModelSpec] = {spec.name: spec for spec in items}
        self._loader = loader
        self._locks = {name: threading.Lock() for name in self._specs}
        self._backends: dict[str, Backend] = {}
        self._load_seconds: dict[str, float] = {}
        self._errors: dict[str, str] = {}
        self.load_counts: dict[str, int] = dict.fromkeys(self._specs, 0)

    def names(self) -> list[str]:
        return sorted(self._specs)

    def spec(self, name: str) -> ModelSpec:
        try:
            return self._specs[name]
        except (KeyError, TypeError):
            raise UnknownModel(str(name), self._specs) from None

    def is_loaded(self, name: str) -> bool:
        return name in self._backends

    def get(self, name: str) -> Backend:
        backend = self._backends.get(name)
        if backend is not None:
            return backend
        spec = self.spec(name)
        with self._locks[name]:
            backend = self._backends.get(name)
            if backend is None:
                backend = self._load(spec)
        return backend

    def _load(self, spec: ModelSpec) -> Backend:
        started = time.perf_counter()
        try:
            backend = self._loader(spec)
        except ModelsRuntimeError as exc:
            self._errors[spec.name] = str(exc)
            raise
        except Exception as exc:  # an unexpected library error: keep the cause, name the model
            self._errors[spec.name] = f"{type(exc).__name__}: {exc}"
            raise ModelLoadError(f"model {spec.name!r} failed to load: {exc}") from exc
        elapsed = time.perf_counter() - started
        self._load_seconds[spec.name] = elapsed
        self._errors.pop(spec.name, None)
        self.load_counts[spec.name] += 1
        self._backends[spec.name] = backend
        logger.info(
            "loaded model %s (%s on %s, %s) in %.2fs",
            spec.name,
            backend.revision,
            backend.device,
            backend.dtype,
            elapsed,
        )
        return backend

    def warm_up(self, only: set[str] | None = None) -> list[str]:
        """Load every ``warm`` spec now (call it at worker start, in the process that serves);
        ``only``: of these models (the ones served from the worker's queues)."""
        warmed = []
        for name, spec in self._specs.items():
            if spec.warm and (only is None or name in only):
                self.get(name)
                warmed.append(name)
        return warmed

    def status(self) -> list[ModelStatus]:
        report = []
        for name in self.names():
            spec, backend = self._specs[name], self._backends.get(name)
            report.append(
                ModelStatus(
                    name=name,
                    task=spec.task,
                    backend=spec.backend,
                    source=spec.source or str(spec.base_url),
                    quantization=spec.quantization,
                    loaded=backend is not None,
                    device=backend.device if backend else None,
                    dtype=backend.dtype if backend else None,
                    revision=backend.revision if backend else None,
                    load_seconds=self._load_seconds.get(name),
                    error=self._errors.get(name),
                )
            )
        return report

    def unload(self, name: str) -> None:
        with self._locks[self.spec(name).name]:
            backend = self._backends.pop(name, None)
        if backend is not None:
            backend.close()

    def close(self) -> None:
        for name in list(self._backends):
            self.unload(name)
