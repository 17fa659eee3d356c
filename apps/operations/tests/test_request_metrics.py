"""An API request's metrics are recorded once the server closes the response, after the
answer is sent: the recorder's Redis round trip is not part of the client's wait."""

from __future__ import annotations

import time

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from apps.operations import recorder

pytestmark = pytest.mark.django_db

PATH = "/api/v1/risk/transactions/score"


def counted(group: str) -> int:
    minute = int(time.time() // 60)
    return sum(row.get(f"{group}|n", 0) for row in recorder.minutes(minute - 1, 3))


def test_the_request_is_recorded_when_the_response_is_closed():
    group = recorder.group_of(PATH)
    middleware = recorder.RequestMetricsMiddleware(lambda request: HttpResponse(status=201))
    before = counted(group)
    response = middleware(RequestFactory().post(PATH))
    assert response.status_code == 201
    assert counted(group) == before  # the answer goes out first
    response.close()  # what the WSGI server does once the body is written
    assert counted(group) == before + 1
