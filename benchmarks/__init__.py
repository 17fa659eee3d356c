"""The benchmark harness behind the ``bench_*`` management commands (docs/benchmarks.md).

It measures the product from outside: it starts the platform's own processes (web server,
Celery workers), drives them over HTTP or through services, and compares each path with the
raw library it wraps on the same machine in the same run. The product never imports this
package; only the ``bench_*`` commands and the tests do.

- ``harness``: the process starter, the benchmark session (lock, migrate, errors), the
  benchmark API key, and the smoke-test runner;
- ``inference``, ``knowledge``: bench_inference and bench_knowledge;
- ``customer_service``, ``medical``, ``risk``, ``fraud``, ``audit``: one module per vertical
  or product benchmark (bench_customer_service, bench_medical, bench_risk, bench_fraud,
  bench_audit).
"""
