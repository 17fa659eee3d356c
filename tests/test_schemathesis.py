"""Property-based fuzzing of the whole REST API from its own OpenAPI schema (`/api/schema/`).

Schemathesis generates requests for every operation (fixed seed, FUZZ_EXAMPLES each) and sends
them with a tenant admin's API key through the WSGI application; the test fails if any operation
went unexercised, if any response is a 5xx, or if a documented response does not match its
schema. Models answer through an OpenAI-compatible stub (models_runtime.testing), so that the
fuzzer measures the API, not SmolLM2's generation speed; the models have their own tests.

``test_type_confusion_is_a_400_naming_the_field`` adds deterministic cases generated from the same
schema: every scalar property of every JSON body, and of the objects nested in one (a list of
transactions), gets values of the wrong JSON type (a number for a string, ``"yes"`` for a
boolean…); each must answer 400 naming the field (``transactions.0.amount``), and none may store
anything.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import schemathesis
from django.apps import apps
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from apps.accounts.roles import Role
from tests.schema_cases import load_schema, nest, type_confusions

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FUZZ_SEED = 20261125
FUZZ_EXAMPLES = 25


def _fuzz_operation(operation, headers: dict, calls: Counter) -> None:
    label = operation.label

    @seed(FUZZ_SEED)
    @hypothesis_settings(
        max_examples=FUZZ_EXAMPLES,
        database=None,
        deadline=None,
        derandomize=False,
        # Explicit examples and generation only: a failure is reported as found (shrinking
        # would multiply the run time); the seed makes it reproducible.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        calls[label] += 1
        response = case.call(headers=headers)
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance], headers=headers
        )

    run()


def _describe(exc: BaseException) -> str:
    parts = [str(exc)]
    for sub in getattr(exc, "exceptions", ()):
        parts.append(str(sub))
    return "\n".join(parts)[:3000]


def test_every_operation_survives_fuzzing(tenant, make_api_client, stub_models):
    token = make_api_client(tenant, Role.ADMIN).token
    headers = {"Authorization": f"Api-Key {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    calls: Counter[str] = Counter()
    failures: dict[str, str] = {}
    for operation in operations:
        try:
            _fuzz_operation(operation, headers, calls)
        # Schemathesis raises a FailureGroup (an exception group); collected so that one
        # report names every failing operation.
        except (Exception, BaseExceptionGroup) as exc:
            failures[operation.label] = _describe(exc)

    # Hypothesis stops early only where fewer distinct requests exist (no parameters, no body).
    few = sorted(label for label, n in calls.items() if n < FUZZ_EXAMPLES)
    print(f"fuzz: {len(operations)} operations, {sum(calls.values())} requests; fewer: {few}")
    assert len(operations) > 50
    unexercised = [op.label for op in operations if calls[op.label] == 0]
    assert not unexercised, unexercised
    assert not failures, "\n\n".join(f"{label}\n{error}" for label, error in failures.items())


# Models whose rows a refused request may add: the request's own bookkeeping, not its data.
# Audit events are counted: every write is audited, so an update (which adds no row) that got
# through would add one.
BOOKKEEPING = {"accounts.usagecounter"}


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


def test_type_confusion_is_a_400_naming_the_field(tenant, make_member, stub_models):
    # A signed-in admin: some decisions are made by people only, never by a bare API key.
    client = APIClient()
    client.force_login(make_member(tenant, Role.ADMIN))
    schema = load_schema(client)
    cases = type_confusions(schema)
    urls = {op: op.url(tenant) for op in {op for op, _, _ in cases}}
    before = _row_counts()
    wrong = []
    for op, field, value in cases:
        body = json.dumps(nest(field, value))
        response = client.generic(op.method.upper(), urls[op], body, "application/json")
        errors = response.json().get("errors", {}) if response.status_code < 500 else {}
        named = any(key == field or key.startswith(f"{field}.") for key in errors)
        if response.status_code != 400 or not named:
            wrong.append(
                f"{op.method.upper()} {op.path} {field}={value!r}: "
                f"{response.status_code} {response.content[:200]!r}"
            )
    after = _row_counts()
    stored = {
        label: after[label] - n
        for label, n in before.items()
        if after[label] != n and label not in BOOKKEEPING
    }
    print(f"type confusion: {len(cases)} cases over {len(urls)} operations")
    assert len(urls) > 40, "the schema walk found too few operations: the walker is broken"
    assert not wrong, f"{len(wrong)} of {len(cases)} cases:\n" + "\n".join(wrong)
    assert not stored, f"refused requests stored rows: {stored}"
