"""``manage.py gpu_check`` (``make gpu-check``): is this GPU host ready to serve chat?

On a machine with an NVIDIA GPU it loads a chat model in bf16 (and in 4-bit when bitsandbytes
from ``make gpu-extras`` is installed), sends ``--requests`` concurrent chat requests through the
platform's own runtime (the batcher the inference worker uses) and prints, per variant, tokens
per second, time to first token p50/p90 and the GPU's utilisation and memory while it ran
(NVML, from nvidia-ml-py). Last line: one JSON object. Without CUDA it exits 1 with one line that
says why, before loading anything.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from models_runtime.backends.base import ChatRequest
from models_runtime.registry import ModelRegistry
from models_runtime.runtime import InferenceRuntime
from models_runtime.specs import specs_from_settings


def cuda_problem() -> str | None:
    """Why this process cannot use a GPU, or None when it can."""
    import torch

    if torch.version.cuda is None:
        return (
            f"no NVIDIA GPU here: torch {torch.__version__} is a CPU build. On a GPU host "
            "install torch's CUDA build and `make gpu-extras`, then run `make gpu-check` "
            "(docs/operations.md, Serving on GPUs)"
        )
    if not torch.cuda.is_available():
        return (
            f"no NVIDIA GPU visible: torch {torch.__version__} (CUDA {torch.version.cuda}) finds "
            "no device; check the driver (nvidia-smi) and NVIDIA_VISIBLE_DEVICES"
        )
    return None


class _GpuSampler:
    """Samples NVML utilisation and memory of device 0 every 0.2 s while a run lasts."""

    def __init__(self):
        try:
            import pynvml

            pynvml.nvmlInit()
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            self._nvml = pynvml
        except Exception:  # nvidia-ml-py not installed (make gpu-extras): no utilisation figure
            self._nvml = None
        self.util: list[float] = []
        self.memory: list[int] = []
        self._stop = threading.Event()

    def __enter__(self):
        if self._nvml is not None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.2):
            self.util.append(self._nvml.nvmlDeviceGetUtilizationRates(self._handle).gpu / 100)
            self.memory.append(self._nvml.nvmlDeviceGetMemoryInfo(self._handle).used)

    def __exit__(self, *exc):
        self._stop.set()
        if self._nvml is not None:
            self._thread.join(5)


class Command(BaseCommand):
    help = "On an NVIDIA GPU: load a chat model (bf16, and 4-bit with the GPU extras), run "
    "concurrent chat, print tokens/s, time to first token and GPU utilisation."

    def add_arguments(self, parser):
        parser.add_argument("--model", default="chat", help="a configured chat model name")
        parser.add_argument("--requests", type=int, default=32, help="concurrent requests")
        parser.add_argument("--new-tokens", type=int, default=64)

    def handle(self, *args, model, requests, new_tokens, **options):
        problem = cuda_problem()
        if problem:
            raise CommandError(problem)
        base = specs_from_settings(settings.MODELS_RUNTIME).get(model)
        if base is None or base.task != "chat":
            raise CommandError(f"--model {model!r} is not a configured chat model")
        variants = {"bf16": {"dtype": "bfloat16", "quantization": "none"}}
        try:
            import bitsandbytes  # noqa: F401

            variants["4bit"] = {"dtype": "bfloat16", "quantization": "4bit"}
        except ImportError:
            self.stderr.write("bitsandbytes not installed (make gpu-extras): 4-bit skipped")
        report = {}
        for label, fields in variants.items():
            spec = dataclasses.replace(
                base,
                device="cuda",
                max_batch_size=max(base.max_batch_size, requests),
                max_queue_depth=max(base.max_queue_depth, requests),
                **fields,
            )
            report[label] = self._measure(spec, requests, new_tokens)
            line = report[label]
            self.stdout.write(
                f"{label}: {line['tokens_per_second']:.1f} tokens/s, time to first token p50 "
                f"{line['ttft_ms_p50']:.0f} ms, GPU utilisation {line['gpu_utilization_mean']}"
            )
        self.stdout.write(json.dumps(report, separators=(",", ":")))

    def _measure(self, spec, requests: int, new_tokens: int) -> dict:
        import torch

        runtime = InferenceRuntime(ModelRegistry([spec]))
        try:
            runtime.chat(spec.name, "Warm up.", max_new_tokens=4)
            prompts = [f"Write a short story about robot number {i}." for i in range(requests)]
            with _GpuSampler() as gpu:
                started = time.monotonic()
                futures = [
                    runtime.submit(
                        spec.name,
                        ChatRequest.build(p, max_new_tokens=new_tokens, ignore_eos=True),
                    )
                    for p in prompts
                ]
                outcomes = [f.result() for f in futures]
                wall = time.monotonic() - started
            tokens = sum(o.output.tokens_out for o in outcomes)
            ttft = sorted(
                (o.queue_ms / 1000 + (o.output.first_token_s or 0)) * 1000 for o in outcomes
            )
            return {
                "device": torch.cuda.get_device_name(0),
                "requests": requests,
                "tokens": tokens,
                "seconds": round(wall, 3),
                "tokens_per_second": tokens / wall,
                "ttft_ms_p50": statistics.median(ttft),
                "ttft_ms_p90": ttft[int(0.9 * (len(ttft) - 1))],
                "mean_batch_size": statistics.mean(o.batch_size for o in outcomes),
                "gpu_utilization_mean": round(statistics.mean(gpu.util), 3) if gpu.util else None,
                "gpu_memory_used_bytes_max": max(gpu.memory) if gpu.memory else None,
                "torch_max_memory_allocated_bytes": torch.cuda.max_memory_allocated(),
            }
        finally:
            runtime.close()
