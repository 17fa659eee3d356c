"""Connectors: the way from the assistant to a shop's own order system.

Two kinds, one interface (``order_get``, ``order_cancel``): the demo table (``DemoOrder``) and
an HTTP API described as configuration (``Connector.mapping``)::

    {"order_get": {"method": "GET", "path": "/orders/{number}",
                   "fields": {"number": "data.id", "status": "data.state",
                              "tracking": "data.shipment.tracking"},
                   "status_map": {"in_transit": "shipped"}},
     "order_cancel": {"method": "POST", "path": "/orders/{number}/cancel",
                      "fields": {"number": "data.id", "status": "data.state"}}}

The HTTP connector calls only hosts on ``CUSTOMER_SERVICE_CONNECTOR_ALLOWED_HOSTS``, with a
time-out, retries on time-outs and 5xx, and a circuit breaker (after ``breaker_threshold``
failures in a row it stops calling for ``breaker_reset_s``). A changing call carries an
``Idempotency-Key`` and is recorded (``ConnectorCall``): asked again, it answers from the record.
Every call is audited with the operation, connector and outcome only (no personal data).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from apps.audit.services import audited
from apps.customer_service.models import (
    Connector,
    ConnectorCall,
    ConnectorKind,
    DemoOrder,
    OrderStatus,
)

STATUSES = {choice.value for choice in OrderStatus}


class ConnectorError(RuntimeError):
    """The shop's system did not answer usefully (time-out, 5xx, open breaker, mapping
    mismatch, refused URL): the dialogue apologises and hands the conversation to a person."""


class ConnectorRefused(ConnectorError):
    """A URL off the platform's allow-list: never called."""


@dataclass
class OrderRecord:
    number: str
    status: str
    tracking: str = ""


def url_allowed(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    allowed = {h.lower() for h in settings.CUSTOMER_SERVICE_CONNECTOR_ALLOWED_HOSTS}
    host = parts.hostname.lower()
    return host in allowed or f"{host}:{parts.port}" in allowed


def _dig(data, path: str):
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            raise KeyError(path)
    return data


def _optional(data, path: str | None):
    """An optional field (tracking): absent or null along the path means none."""
    if not path:
        return ""
    try:
        return _dig(data, path)
    except KeyError:
        return ""


class DemoTableConnector:
    """The demo orders table of the tenant."""

    def __init__(self, tenant, row: Connector | None = None):
        self.tenant, self.row = tenant, row

    def order_get(self, number: str) -> OrderRecord | None:
        order = DemoOrder.objects.filter(tenant=self.tenant, number=number).first()
        return OrderRecord(order.number, order.status, order.tracking) if order else None

    def order_cancel(self, number: str, *, key: str) -> OrderRecord | None:
        DemoOrder.objects.filter(
            tenant=self.tenant, number=number, status=OrderStatus.PROCESSING
        ).update(status=OrderStatus.CANCELLED)
        return self.order_get(number)


class HttpConnector:
    """A shop's HTTP API, driven by the connector's mapping."""

    def __init__(self, tenant, row: Connector):
        self.tenant, self.row = tenant, row

    def _headers(self, key: str = "") -> dict:
        headers = {"Accept": "application/json"}
        row = self.row
        if row.auth_header and row.auth_secret:
            if row.auth_secret not in settings.CUSTOMER_SERVICE_CONNECTOR_SECRETS:
                raise ConnectorRefused(f"secret {row.auth_secret!r} is not a declared secret")
            headers[row.auth_header] = os.environ.get(row.auth_secret, "")
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def _breaker_open(self) -> bool:
        self.row.refresh_from_db(fields=["failures", "open_until"])
        return bool(self.row.open_until and self.row.open_until > timezone.now())

    def _failed(self) -> None:
        Connector.objects.filter(pk=self.row.pk).update(failures=F("failures") + 1)
        self.row.refresh_from_db(fields=["failures"])
        if self.row.failures >= self.row.breaker_threshold:
            until = timezone.now() + timedelta(seconds=self.row.breaker_reset_s)
            Connector.objects.filter(pk=self.row.pk).update(open_until=until)

    def _call(self, operation: str, number: str, key: str = "") -> OrderRecord | None:
        spec = (self.row.mapping or {}).get(operation)
        if not spec:
            raise ConnectorError(f"the connector maps no {operation!r}")
        url = self.row.base_url.rstrip("/") + spec["path"].format(number=quote(number, safe=""))
        if not url_allowed(url):
            raise ConnectorRefused(f"{urlsplit(url).hostname} is not on the allow-list")
        if self._breaker_open():
            raise ConnectorError("circuit breaker open")
        headers = self._headers(key)
        response = None
        for attempt in range(self.row.retries + 1):
            try:
                response = requests.request(
                    spec.get("method", "GET"),
                    url,
                    headers=headers,
                    timeout=self.row.timeout_s,
                    allow_redirects=False,  # a redirect could lead off the allow-list
                )
            except requests.RequestException as exc:
                response, error = None, exc
            else:
                if response.status_code < 500:
                    break
                error = ConnectorError(f"HTTP {response.status_code}")
            if attempt < self.row.retries:
                time.sleep(min(0.2 * 2**attempt, 2.0))
        if response is None or response.status_code >= 500:
            self._failed()
            raise ConnectorError(f"{operation} failed: {error}")
        Connector.objects.filter(pk=self.row.pk).update(failures=0, open_until=None)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ConnectorError(f"{operation} answered HTTP {response.status_code}")
        return self._map(spec, response)

    def _map(self, spec: dict, response) -> OrderRecord:
        try:
            data = response.json()
            fields = spec["fields"]
            status = str(_dig(data, fields["status"]))
            status = (spec.get("status_map") or {}).get(status, status)
            tracking = _optional(data, fields.get("tracking"))
            record = OrderRecord(str(_dig(data, fields["number"])), status, str(tracking or ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConnectorError(f"the answer does not match the mapping ({exc})") from exc
        if record.status not in STATUSES:
            raise ConnectorError(f"unknown order status {record.status!r} in the answer")
        return record

    def order_get(self, number: str) -> OrderRecord | None:
        return self._call("order_get", number)

    def order_cancel(self, number: str, *, key: str) -> OrderRecord | None:
        return self._call("order_cancel", number, key)


KINDS = {ConnectorKind.DEMO_TABLE: DemoTableConnector, ConnectorKind.HTTP: HttpConnector}


def connector_for(tenant):
    """The tenant's active connector (the demo table when it configured none)."""
    row = Connector.objects.filter(tenant=tenant, active=True).order_by("created_at").first()
    if row is None:
        return DemoTableConnector(tenant)
    return KINDS[row.kind](tenant, row)


def _name(connector) -> str:
    return connector.row.name if connector.row else "demo_table"


def _called(tenant, connector, operation: str, call):
    """Run a connector call, then audit it (operation, connector and outcome only). The call
    runs outside the audit block: a failure's breaker count must stay when the error
    propagates."""
    try:
        record = call()
    except ConnectorError as exc:
        with audited(
            tenant=tenant,
            action=f"customer_service.connector.{operation}",
            resource_type="connector",
            resource_id=_name(connector),
        ) as event:
            event.details = {"outcome": "error", "error": type(exc).__name__}
        raise
    return record


def order_lookup(*, tenant, number: str) -> OrderRecord | None:
    """An order through the tenant's connector, audited (operation and outcome only)."""
    connector = connector_for(tenant)
    record = _called(tenant, connector, "order_get", lambda: connector.order_get(number))
    with audited(
        tenant=tenant,
        action="customer_service.connector.order_get",
        resource_type="connector",
        resource_id=_name(connector),
    ) as event:
        event.details = {"outcome": "found" if record else "not_found"}
    return record


def order_cancel(*, tenant, number: str, key: str) -> OrderRecord | None:
    """Cancel through the connector once per idempotency ``key`` (a repeat answers from the
    record of the first call), audited without personal data."""
    done = ConnectorCall.objects.filter(tenant=tenant, idempotency_key=key).first()
    if done is not None:
        return OrderRecord(**done.result) if done.result else None
    connector = connector_for(tenant)
    record = _called(
        tenant, connector, "order_cancel", lambda: connector.order_cancel(number, key=key)
    )
    with audited(
        tenant=tenant,
        action="customer_service.connector.order_cancel",
        resource_type="connector",
        resource_id=_name(connector),
    ) as event:
        event.details = {"outcome": record.status if record else "not_found"}
        if connector.row is not None:
            ConnectorCall.objects.get_or_create(
                tenant=tenant,
                idempotency_key=key,
                defaults={
                    "connector": connector.row,
                    "operation": "order_cancel",
                    "result": record.__dict__ if record else {},
                },
            )
    return record
