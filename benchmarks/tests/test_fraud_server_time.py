"""The fraud benchmark reads each scoring request's time inside Django from the request log
line that apps.core.middleware writes: the two must agree on its format."""

from __future__ import annotations

import pytest

from apps.core.middleware import request_duration_text
from benchmarks.fraud import server_ms_of

LINE = "POST /api/v1/risk/transactions/score -> 201 in {}"


@pytest.mark.parametrize("seconds", [0.0123, 0.8124, 9.9994, 15.28, 987.65, 4321.2])
def test_the_benchmark_reads_back_what_the_middleware_writes(seconds):
    (ms,) = server_ms_of(LINE.format(request_duration_text(seconds)))
    # Whole milliseconds below 10 s, tenths of a second below 1000 s, whole seconds beyond.
    tolerance = 0.5 if seconds < 10 else 50 if seconds < 1000 else 500
    assert abs(ms - seconds * 1000) <= tolerance
