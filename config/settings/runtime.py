"""The shared inference worker (models_runtime) and the knowledge graphs."""

from .core import env
from .observability import READINESS_CHECKS

# ---------------------------------------------------------------------------- models runtime
# Model specs (models_runtime/specs.py). Without MODELS_RUNTIME_MODELS the offline defaults
# serve: "chat" = SmolLM2-135M-Instruct, "embed" = all-MiniLM-L6-v2. A deployment names its
# DeepSeek checkpoints here, e.g.
#   MODELS_RUNTIME_MODELS='{"deepseek-r1": {"task": "chat",
#       "source": "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "revision": "<commit>"}}'
MODELS_RUNTIME = {
    "models": env.json("MODELS_RUNTIME_MODELS", default={}),
    "include_defaults": env.bool("MODELS_RUNTIME_INCLUDE_DEFAULTS", default=True),
    # One torch thread per inference process keeps OpenMP from fighting the web server and
    # the database for a small machine's cores; raise it on a dedicated host.
    "torch_threads": env.int("MODELS_RUNTIME_TORCH_THREADS", default=1),
    "max_batch_size_override": env.int("MODELS_RUNTIME_MAX_BATCH_SIZE", default=0),
    # "static": every local chat model batches one generate() per batch, as before continuous
    # batching (bench_inference's comparison); empty: each spec's own (continuous by default).
    "chat_batching": env.str("MODELS_RUNTIME_CHAT_BATCHING", default=""),
}
# Models loaded when the inference worker starts, not on first request.
MODELS_RUNTIME_WARM = env.list("MODELS_RUNTIME_WARM", default=[])
# How long a caller waits for a model result before a 504.
INFERENCE_TIMEOUT_S = env.float("INFERENCE_TIMEOUT_S", default=120.0)
# Backpressure: past this many tasks waiting in the inference queue, answer 429 (a task is one
# request, or one coalesced group of embedding requests).
INFERENCE_MAX_QUEUED = env.int("INFERENCE_MAX_QUEUED", default=512)
INFERENCE_RETRY_AFTER_S = env.int("INFERENCE_RETRY_AFTER_S", default=2)
# Each web process reads a queue's length for backpressure at most this often (seconds; 0: on
# every request). models_runtime/admission.py.
INFERENCE_QUEUE_DEPTH_MAX_AGE_S = env.float("INFERENCE_QUEUE_DEPTH_MAX_AGE_S", default=0.1)
# Concurrent embedding calls of one process share a worker task once this many are on the way
# (models_runtime/coalesce.py); 0 sends every call on its own. A group holds at most
# INFERENCE_COALESCE_TEXTS texts.
# bench_inference, 32 clients on a 2-core CPU: with a fixed batching window (2026-11-25) embed
# platform/raw was 0.51 with 2, 0.63 with 3, 0.67 with 4. With the adaptive wait (2026-12-07,
# quiet machine) 2 gives 0.75 and 0.76, 4 gives 0.65-0.73 and 8 gives 0.70: the worker's batcher
# now gathers across tasks itself, and fewer, larger groups cost the web tier less.
INFERENCE_COALESCE_IN_FLIGHT = env.int("INFERENCE_COALESCE_IN_FLIGHT", default=2)
INFERENCE_COALESCE_TEXTS = env.int("INFERENCE_COALESCE_TEXTS", default=64)
# Deterministic results (embeddings, greedy chat) are cached in Redis this long.
INFERENCE_CACHE_TTL_S = env.int("INFERENCE_CACHE_TTL_S", default=24 * 3600)
# The inference worker serves Prometheus metrics on this port (0 = off).
MODELS_RUNTIME_METRICS_PORT = env.int("MODELS_RUNTIME_METRICS_PORT", default=0)
# Hooks through which models_runtime meters usage and checks quotas without importing accounts.
MODELS_RUNTIME_USAGE_HOOK = "apps.accounts.metering.record_model_usage"
# The inference worker writes metered usage this often (models_runtime/metering.py).
MODELS_RUNTIME_METER_FLUSH_S = env.float("MODELS_RUNTIME_METER_FLUSH_S", default=1.0)
MODELS_RUNTIME_QUOTA_HOOK = "apps.accounts.metering.check_model_quota"
READINESS_CHECKS["inference_worker"] = "models_runtime.health.check_inference_worker"
# ---------------------------------------------------------------------------- knowledge graphs
# How often (seconds) a process re-reads a graph's version to see other processes' writes;
# its own writes it sees at once. 0 = on every query (knowledge/cache.py; bench_knowledge
# measures both).
KNOWLEDGE_VERSION_CHECK_S = env.float("KNOWLEDGE_VERSION_CHECK_S", default=1.0)
