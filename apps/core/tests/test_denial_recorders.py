"""The error handler hands refused requests to the recorders registered with it (apps.core sits
below apps.audit, which registers its recorder when it is ready)."""

from types import SimpleNamespace

import pytest
from rest_framework import exceptions

from apps.audit.services.denials import denial_record
from apps.core import errors


@pytest.fixture
def recorders(monkeypatch):
    registered: list = []
    monkeypatch.setattr(errors, "_denial_recorders", registered)
    return registered


def test_each_refusal_reaches_every_recorder_once(recorders):
    calls = []

    def recorder(**call):
        calls.append(call)

    errors.denial_recorder_register(recorder)
    errors.denial_recorder_register(recorder)
    request = SimpleNamespace(path="/api/v1/x/")
    errors._audit_denied(request, 403, exceptions.PermissionDenied("no"))
    errors._audit_denied(request, 400, exceptions.ValidationError("bad"))  # not a refusal
    errors._audit_denied(None, 401, exceptions.NotAuthenticated())  # no request: nothing to say
    assert calls == [{"request": request, "status_code": 403, "reason": "no"}]


def test_the_audit_app_registers_its_denial_recorder():
    assert denial_record in errors._denial_recorders
