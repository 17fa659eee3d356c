"""Prometheus metrics of the inference path, in base units (seconds, tokens, requests).

Each worker pool serves them on MODELS_RUNTIME_METRICS_PORT (9100 in compose and Kubernetes);
the web process's client-side counters (cache hits, backpressure refusals) and the broker's
queue lengths appear in its /metrics. Names follow vLLM's where it has one (time to first
token, inter-token latency, end-to-end request latency), with the ``models_runtime_`` prefix;
they are the names of contract 5 that the Kubernetes alert rules and KEDA scalers read.
"""

from __future__ import annotations

import logging
import threading
import time

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

REQUESTS = Counter(
    "models_runtime_requests_total", "Inference requests by model and outcome", ["model", "outcome"]
)
QUEUE_SECONDS = Histogram(
    "models_runtime_queue_seconds",
    "Time a request waited for its batch (vLLM: request_queue_time_seconds)",
    ["model"],
    buckets=LATENCY_BUCKETS,
)
COMPUTE_SECONDS = Histogram(
    "models_runtime_compute_seconds",
    "Compute time of the batch a request ran in",
    ["model"],
    buckets=LATENCY_BUCKETS,
)
BATCH_SIZE = Histogram(
    "models_runtime_batch_size",
    "Requests per batch, observed once per request",
    ["model"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
QUEUE_DEPTH = Gauge(
    "models_runtime_queue_depth",
    "Requests waiting in a model's batcher (vLLM: num_requests_waiting)",
    ["model"],
)
TOKENS = Counter(
    "models_runtime_tokens_total",
    "Tokens processed (vLLM: prompt_tokens_total for in, generation_tokens_total for out)",
    ["model", "direction"],
)  # direction: in | out
CACHE = Counter("models_runtime_cache_total", "Result cache lookups", ["model", "result"])
REFUSED = Counter(
    "models_runtime_refused_total", "Requests refused before queueing", ["model", "reason"]
)
GPU_MEMORY = Gauge(
    "models_runtime_gpu_memory_bytes", "CUDA memory allocated by this process", ["device"]
)
TOKEN_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5)
TIME_TO_FIRST_TOKEN = Histogram(
    "models_runtime_time_to_first_token_seconds",
    "Request received by the worker -> its first generated token (vLLM: time_to_first_token)",
    ["model"],
    buckets=LATENCY_BUCKETS,
)
INTER_TOKEN_LATENCY = Histogram(
    "models_runtime_inter_token_latency_seconds",
    "Mean time between a request's generated tokens (vLLM: inter_token_latency)",
    ["model"],
    buckets=TOKEN_BUCKETS,
)
E2E_LATENCY = Histogram(
    "models_runtime_e2e_request_latency_seconds",
    "Request received by the worker -> its answer (vLLM: e2e_request_latency)",
    ["model"],
    buckets=LATENCY_BUCKETS,
)
TOKENS_PER_SECOND = Gauge(
    "models_runtime_generation_tokens_per_second",
    "Tokens generated per second by a model's latest batch (all its requests together)",
    ["model"],
)


def observe_outcome(model: str, outcome, tokens_in: int, tokens_out: int, depth: int) -> None:
    REQUESTS.labels(model, "success").inc()
    QUEUE_SECONDS.labels(model).observe(outcome.queue_ms / 1000)
    COMPUTE_SECONDS.labels(model).observe(outcome.compute_ms / 1000)
    BATCH_SIZE.labels(model).observe(outcome.batch_size)
    QUEUE_DEPTH.labels(model).set(depth)
    TOKENS.labels(model, "in").inc(tokens_in)
    TOKENS.labels(model, "out").inc(tokens_out)


def observe_generation(model: str, outcome, e2e_s: float) -> None:
    """Time to first token, inter-token latency and end-to-end latency of one chat request.

    ``e2e_s`` runs from the task's start in the worker to its answer. The first token came
    ``first_token_s`` into the request's batch, which ended ``compute_ms`` after it started."""
    E2E_LATENCY.labels(model).observe(e2e_s)
    result = outcome.output
    first = getattr(result, "first_token_s", None)
    if first is None:
        return
    compute_s = outcome.compute_ms / 1000
    TIME_TO_FIRST_TOKEN.labels(model).observe(max(0.0, e2e_s - compute_s + first))
    last = getattr(result, "last_token_s", None)
    if last is not None and result.tokens_out > 1:
        INTER_TOKEN_LATENCY.labels(model).observe((last - first) / (result.tokens_out - 1))
    if compute_s > 0:
        TOKENS_PER_SECOND.labels(model).set(
            result.tokens_out * max(1, outcome.batch_size) / compute_s
        )


class BrokerQueueCollector:
    """``models_runtime_broker_queue_length{queue}``: the broker's backlog of each queue (the
    Redis list length, what KEDA's redis scaler reads), read when Prometheus scrapes, at most
    once a second. Nothing without a broker (in-process tasks)."""

    MAX_AGE_S = 1.0

    def __init__(self, queues_fn, length_fn):
        self._queues_fn, self._length_fn = queues_fn, length_fn
        self._lock = threading.Lock()
        self._read_at, self._lengths = 0.0, {}

    def lengths(self) -> dict[str, int]:
        with self._lock:
            if time.monotonic() - self._read_at > self.MAX_AGE_S:
                try:
                    self._lengths = {q: int(self._length_fn(q)) for q in self._queues_fn()}
                except Exception as exc:  # a scrape must not fail because Redis is away
                    logger.warning("broker queue lengths unavailable: %s", exc)
                    self._lengths = {}
                self._read_at = time.monotonic()
            return dict(self._lengths)

    def collect(self):
        family = GaugeMetricFamily(
            "models_runtime_broker_queue_length",
            "Messages waiting in the broker per queue (Redis LLEN)",
            labels=["queue"],
        )
        for queue, length in sorted(self.lengths().items()):
            family.add_metric([queue], length)
        yield family

    def describe(self):
        return []  # lengths are read at scrape time only, never at registration


class GpuCollector:
    """GPU utilisation and memory per device through NVIDIA's management library
    (``nvidia-ml-py``, from requirements-gpu.txt), only where it is installed and finds a GPU:
    ``models_runtime_gpu_utilization_ratio`` (0..1), ``models_runtime_gpu_memory_used_bytes``,
    ``models_runtime_gpu_memory_total_bytes``. Elsewhere it exports nothing."""

    def __init__(self):
        self._nvml = None
        try:
            import pynvml

            pynvml.nvmlInit()
            if pynvml.nvmlDeviceGetCount() > 0:
                self._nvml = pynvml
        except Exception:  # not installed, no driver, no device: no GPU metrics here
            self._nvml = None

    @property
    def present(self) -> bool:
        return self._nvml is not None

    def collect(self):
        if self._nvml is None:
            return
        nvml = self._nvml
        util = GaugeMetricFamily(
            "models_runtime_gpu_utilization_ratio", "GPU busy fraction (NVML)", labels=["device"]
        )
        used = GaugeMetricFamily(
            "models_runtime_gpu_memory_used_bytes", "GPU memory in use (NVML)", labels=["device"]
        )
        total = GaugeMetricFamily(
            "models_runtime_gpu_memory_total_bytes", "GPU memory (NVML)", labels=["device"]
        )
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            device = f"cuda:{index}"
            util.add_metric([device], nvml.nvmlDeviceGetUtilizationRates(handle).gpu / 100)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            used.add_metric([device], memory.used)
            total.add_metric([device], memory.total)
        yield from (util, used, total)

    def describe(self):
        return []


_registered: dict[str, object] = {}
_registered_lock = threading.Lock()


def register_collectors(queues_fn, length_fn) -> None:
    """Add the broker-queue and GPU collectors to the default registry, once per process (the
    web's /metrics and each worker pool's metrics port both serve that registry)."""
    with _registered_lock:
        if "broker" not in _registered:
            _registered["broker"] = BrokerQueueCollector(queues_fn, length_fn)
            REGISTRY.register(_registered["broker"])
        if "gpu" not in _registered:
            _registered["gpu"] = GpuCollector()
            REGISTRY.register(_registered["gpu"])


def observe_gpu_memory() -> None:
    """Set the GPU memory gauge when CUDA is in use (never initialises CUDA itself)."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return
    for index in range(torch.cuda.device_count()):
        GPU_MEMORY.labels(f"cuda:{index}").set(torch.cuda.memory_allocated(index))
