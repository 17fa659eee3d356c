"""The GGUF -> transformers conversion runs once, atomically, even with racing processes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from models_runtime import gguf_cache
from models_runtime.registry import ModelRegistry
from models_runtime.specs import DEFAULT_MODELS

REPO = Path(__file__).resolve().parents[2]


def test_second_load_uses_the_converted_copy(chat_backend):
    first = chat_backend.details
    conversions_before = gguf_cache.conversions_run
    again = ModelRegistry({"chat": DEFAULT_MODELS["chat"]}).get("chat")
    assert again.details["converted_now"] is False
    assert gguf_cache.conversions_run == conversions_before
    assert again.details["conversion_id"] == first["conversion_id"]  # the same copy, not redone
    copy = Path(again.details["converted_copy"])
    assert (copy / "config.json").exists() and (copy / gguf_cache.MARKER).exists()
    assert again.revision == chat_backend.revision and again.revision.startswith("sha256:")


RACER = """
import sys, time
from pathlib import Path
from models_runtime.gguf_cache import build_once

def build(tmp):
    with open(sys.argv[2], "a") as log:
        log.write("built\\n")
    time.sleep(0.5)  # long enough for the other process to arrive while this one builds
    (tmp / "weights.bin").write_text("w")

print(build_once(Path(sys.argv[1]), build))
"""


def test_racing_processes_build_once(tmp_path):
    final, log = tmp_path / "cache" / "model-abc", tmp_path / "builds.log"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(final), str(log)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    verdicts = sorted(racer.communicate(timeout=120)[0].strip() for racer in racers)
    assert verdicts == ["False", "True"]
    assert log.read_text() == "built\n"
    assert (final / "weights.bin").read_text() == "w"
    assert json.loads((final / gguf_cache.MARKER).read_text())["conversion_id"]
    assert sorted(p.name for p in final.parent.iterdir() if not p.name.endswith(".lock")) == [
        "model-abc"
    ]  # no temp folder left behind


def test_failed_build_leaves_nothing_and_a_leftover_is_rebuilt(tmp_path):
    final = tmp_path / "model-x"

    def broken(tmp):
        (tmp / "half.bin").write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        gguf_cache.build_once(final, broken)
    assert not final.exists()
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []

    final.mkdir()  # a copy without the marker: what an interrupted older layout might leave
    (final / "stale.bin").write_text("stale")
    assert gguf_cache.build_once(final, lambda tmp: (tmp / "good.bin").write_text("ok")) is True
    assert sorted(p.name for p in final.iterdir()) == ["good.bin", gguf_cache.MARKER]
    assert gguf_cache.build_once(final, lambda tmp: pytest.fail("must not rebuild")) is False


def test_cache_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MODELS_CACHE_DIR", str(tmp_path))
    assert gguf_cache.models_cache_dir() == tmp_path
    monkeypatch.delenv("MODELS_CACHE_DIR")
    assert gguf_cache.models_cache_dir() == REPO / "var" / "models"
