"""``manage.py bench_inference``: the platform's inference path against the raw model.

Three measures per workload, in one run, on one machine:

- raw: the same weights in this process, plain transformers/torch, one batch per round of the
  clients' inputs (no platform code);
- platform: concurrent HTTP clients with an API key, through authentication, audit, Celery over
  Redis, the inference worker and its dynamic batcher;
- naive: the same platform path with batching off (``MODELS_RUNTIME_MAX_BATCH_SIZE=1``).

``runner.Benchmark.run`` drives it: raw first (nothing else running), then a web process and a
batching worker, then a worker with batching off; every process it starts it also stops.
``single_user`` is ``--single-user``; ``in_process`` is the older in-process comparison
(``python -m benchmarks.inference.in_process``), with no web server or Celery.
"""
