"""The worker pools of docker-compose.yml subscribe to contract 4's queues, and `make gpu-check`
fails cleanly where there is no GPU (this machine and CI: CPU-only torch)."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from celery import current_app
from django.core.management import call_command
from django.core.management.base import CommandError

from models_runtime import routing
from models_runtime.errors import InvalidSpec
from models_runtime.specs import REGISTERED_MODELS, spec_from_dict

ROOT = Path(__file__).resolve().parents[2]


def _queues(service: dict) -> set[str]:
    command = service["command"]
    return set(command[command.index("-Q") + 1].split(","))


def test_compose_pools_consume_the_queues_their_hardware_serves():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    pools = {
        "worker-default": {"default"},
        "worker-gpu": {"inference.chat"},
        "worker-cpu": {"inference.embed", "inference.classify"},
        "worker-training": {"training"},
    }
    for name, queues in pools.items():
        assert _queues(services[name]) == queues, name
    consumed = set().union(*pools.values())
    assert consumed == {q.name for q in current_app.conf.task_queues}  # every queue has a pool
    for name in ("worker-gpu", "worker-training"):  # the GPU pools reserve a GPU
        devices = services[name]["deploy"]["resources"]["reservations"]["devices"]
        assert devices[0]["capabilities"] == ["gpu"], name
    assert "deploy" not in services["worker-cpu"]
    for name in ("worker-gpu", "worker-cpu", "worker-training"):
        assert services[name]["environment"]["MODELS_RUNTIME_METRICS_PORT"] == "9100"
    assert "worker-inference" not in services


def test_the_vllm_profile_serves_the_spec_the_compose_file_documents():
    """The recommended GPU chat backend: vLLM's OpenAI server with a DeepSeek-R1 distill, its
    reasoning parser and LoRA modules, on a GPU, only under its profile; the spec documented
    beside it is a valid openai-backend spec whose model name is the one vLLM serves."""
    import json
    import re

    text = (ROOT / "docker-compose.yml").read_text()
    vllm = yaml.safe_load(text)["services"]["vllm"]
    assert vllm["profiles"] == ["vllm"]  # never started by a plain `docker-compose up`
    command = vllm["command"]
    served = command[command.index("--served-model-name") + 1]
    assert "DeepSeek-R1-Distill" in command[command.index("--model") + 1]
    assert command[command.index("--reasoning-parser") + 1] == "deepseek_r1"
    assert "--enable-lora" in command
    assert vllm["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    documented = re.search(r"MODELS_RUNTIME_MODELS='(.+?)'", text, re.S).group(1)
    documented = json.loads(re.sub(r"\n\s*#\s*", " ", documented))
    ((name, raw),) = documented.items()
    spec = spec_from_dict(name, raw)
    assert (spec.backend, spec.task, spec.api_model) == ("openai", "chat", served)
    assert spec.base_url == "http://vllm:8000/v1"


def test_models_are_routed_by_group_and_a_model_may_have_its_own_queue(settings):
    assert routing.queue_for("chat") == "inference.chat"
    assert routing.queue_for("embed") == "inference.embed"
    settings.MODELS_RUNTIME = {
        "models": {
            "nli": {"task": "classify", "source": "./nli"},
            "big": {"task": "chat", "source": "./big", "queue": "inference.big"},
        },
        "include_defaults": True,
    }
    assert routing.queue_for("nli") == "inference.classify"
    assert routing.queue_for("big") == "inference.big"
    assert routing.models_on(["inference.chat"]) == ["chat"]
    registered = [name for name in REGISTERED_MODELS if routing.queue_for(name) != "inference.chat"]
    assert routing.models_on(["inference.embed", "inference.classify"]) == sorted(
        ["embed", "nli", *registered]
    )
    with pytest.raises(InvalidSpec, match="queue"):
        spec_from_dict("x", {"task": "chat", "source": "./x", "queue": "default"})


def test_gpu_check_fails_cleanly_without_a_gpu():
    import torch

    assert not torch.cuda.is_available()  # this machine and CI
    with pytest.raises(CommandError, match="no NVIDIA GPU"):
        call_command("gpu_check")
    # What `make gpu-check` runs (the target adds only the venv's install step).
    run = subprocess.run(
        [sys.executable, "manage.py", "gpu_check"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "no NVIDIA GPU" in run.stderr and "Traceback" not in run.stderr
