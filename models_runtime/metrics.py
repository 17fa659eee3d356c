"""Prometheus metrics of the inference path, in base units (seconds, tokens, requests).

The worker serves them on MODELS_RUNTIME_METRICS_PORT; the web process's client-side counters
(cache hits, backpressure refusals) appear in its /metrics.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

REQUESTS = Counter(
    "models_runtime_requests_total", "Inference requests by model and outcome", ["model", "outcome"]
)
QUEUE_SECONDS = Histogram(
    "models_runtime_queue_seconds",
    "Time a request waited for its batch",
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
    "models_runtime_queue_depth", "Requests waiting in a model's batcher", ["model"]
)
TOKENS = Counter(
    "models_runtime_tokens_total", "Tokens processed", ["model", "direction"]
)  # direction: in | out
CACHE = Counter("models_runtime_cache_total", "Result cache lookups", ["model", "result"])
REFUSED = Counter(
    "models_runtime_refused_total", "Requests refused before queueing", ["model", "reason"]
)
GPU_MEMORY = Gauge(
    "models_runtime_gpu_memory_bytes", "CUDA memory allocated by this process", ["device"]
)


def observe_outcome(model: str, outcome, tokens_in: int, tokens_out: int, depth: int) -> None:
    REQUESTS.labels(model, "success").inc()
    QUEUE_SECONDS.labels(model).observe(outcome.queue_ms / 1000)
    COMPUTE_SECONDS.labels(model).observe(outcome.compute_ms / 1000)
    BATCH_SIZE.labels(model).observe(outcome.batch_size)
    QUEUE_DEPTH.labels(model).set(depth)
    TOKENS.labels(model, "in").inc(tokens_in)
    TOKENS.labels(model, "out").inc(tokens_out)


def observe_gpu_memory() -> None:
    """Set the GPU memory gauge when CUDA is in use (never initialises CUDA itself)."""
    import sys

    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return
    for index in range(torch.cuda.device_count()):
        GPU_MEMORY.labels(f"cuda:{index}").set(torch.cuda.memory_allocated(index))
