"""Convert a GGUF checkpoint once into a saved transformers copy, then load that copy fast.

Loading a GGUF with transformers de-quantises every tensor (about 25 s for SmolLM2-135M here) and
the result refuses ``save_pretrained``. What works: drop ``quantization_config`` from the config,
build a fresh model with ``from_config``, ``load_state_dict`` from the GGUF-loaded one and save it
with the tokenizer. The copy is written to a temp folder and renamed into place, under a file lock,
so a crash leaves no half copy and two processes racing convert once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models_runtime.errors import ModelLoadError

MARKER = "models_runtime_conversion.json"
REPO_ROOT = Path(__file__).resolve().parent.parent

# How many conversions this process has run; tests read it to prove the cache was used.
conversions_run = 0


@dataclass(frozen=True)
class ConvertedCopy:
    path: Path
    converted_now: bool
    marker: dict


def models_cache_dir() -> Path:
    """``$MODELS_CACHE_DIR``, else ``<repo>/var/models``."""
    return Path(os.environ.get("MODELS_CACHE_DIR") or REPO_ROOT / "var" / "models")


def gguf_cache_key(gguf_path: Path) -> str:
    """Name + size + the first MiB: cheap, and different for any other file we would meet."""
    digest = hashlib.sha256(f"{gguf_path.name}:{gguf_path.stat().st_size}".encode())
    with gguf_path.open("rb") as fh:
        digest.update(fh.read(1 << 20))
    return f"{gguf_path.stem}-{digest.hexdigest()[:12]}"


def converted_copy(gguf_path: Path, cache_dir: Path | None = None) -> ConvertedCopy:
    """The transformers copy of ``gguf_path`` in the cache, converting it first if needed."""
    final = (cache_dir or models_cache_dir()) / "gguf" / gguf_cache_key(gguf_path)
    built = build_once(final, lambda tmp: _convert(gguf_path, tmp))
    return ConvertedCopy(final, built, json.loads((final / MARKER).read_text()))


def build_once(final: Path, build: Callable[[Path], None]) -> bool:
    """Create folder ``final`` with ``build(tmp_folder)`` unless it exists; True if this call did.

    The marker file is written last, inside the temp folder, and the folder is renamed into place:
    a folder without the marker is a leftover of a crash and is rebuilt.
    """
    if (final / MARKER).exists():
        return False
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(final.parent / f".{final.name}.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits here, then finds the marker
        try:
            if (final / MARKER).exists():
                return False
            if final.exists():
                shutil.rmtree(final)
            tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
            try:
                build(tmp)
                marker = {"conversion_id": uuid.uuid4().hex, "created_at": time.time()}
                (tmp / MARKER).write_text(json.dumps(marker))
                _readable_by_all(tmp)  # mkdtemp makes it private; other workers' users read it
                os.rename(tmp, final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            return True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _readable_by_all(folder: Path) -> None:
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _convert(gguf_path: Path, out: Path) -> None:
    global conversions_run
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    except ValueError as exc:  # e.g. "accelerate is required when loading a GGUF file"
        raise ModelLoadError(f"cannot read GGUF {gguf_path}: {exc}") from exc
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    fresh.load_state_dict(loaded.state_dict())
    fresh.generation_config = loaded.generation_config
    fresh.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "source.json").write_text(
        json.dumps({"gguf": str(gguf_path), "size": gguf_path.stat().st_size})
    )
    conversions_run += 1
