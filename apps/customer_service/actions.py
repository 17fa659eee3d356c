"""Actions: intents that need a system of record (order status, cancellation, address change).

A small pluggable interface: an ``Action`` names its intent, validates the slots it needs
against the system of record and runs. It answers either with a final text (exact facts from
the system of record, no generation) or with facts that the grounded reply uses. The demo
implementation works on the ``DemoOrder`` table; a shop plugs its own in with
``CUSTOMER_SERVICE_ACTIONS`` (dotted paths of Action classes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

from .models import DemoOrder, OrderStatus


@dataclass
class ActionResult:
    text: str = ""  # a final answer; empty when the reply is generated from ``facts``
    facts: list[dict] = field(default_factory=list)  # {"key", "text"}
    sources: list[str] = field(default_factory=list)


class Action:
    intent = ""

    def validate(self, *, tenant, slot: str, value: str) -> str | None:
        """An error message for an invalid slot value, else None."""
        return None

    def run(self, *, tenant, slots: dict) -> ActionResult:
        raise NotImplementedError


def _order(tenant, number: str) -> DemoOrder | None:
    return DemoOrder.objects.filter(tenant=tenant, number=number).first()


class DemoOrderAction(Action):
    def validate(self, *, tenant, slot, value):
        if slot == "order_number" and _order(tenant, value) is None:
            return f"I could not find an order with the number {value}. Please check it."
        return None

    @staticmethod
    def fact(order: DemoOrder) -> dict:
        tracking = f", tracking number {order.tracking}" if order.tracking else ""
        return {
            "key": f"order:{order.number}",
            "text": f"Order {order.number} is {order.status}{tracking}.",
        }


class OrderStatusAction(DemoOrderAction):
    intent = "order_status"

    def run(self, *, tenant, slots):
        order = _order(tenant, slots["order_number"])
        text = {
            OrderStatus.PROCESSING: "is being prepared and ships within one business day",
            OrderStatus.SHIPPED: "has shipped",
            OrderStatus.DELIVERED: "was delivered",
            OrderStatus.CANCELLED: "was cancelled",
        }[order.status]
        tracking = f" Tracking number: {order.tracking}." if order.tracking else ""
        return ActionResult(
            text=f"Your order {order.number} {text}.{tracking}",
            facts=[self.fact(order)],
            sources=[f"order:{order.number}"],
        )


class CancelOrderAction(DemoOrderAction):
    intent = "cancel_order"

    def run(self, *, tenant, slots):
        order = _order(tenant, slots["order_number"])
        source = [f"order:{order.number}"]
        if order.status == OrderStatus.PROCESSING:
            DemoOrder.objects.filter(pk=order.pk, status=OrderStatus.PROCESSING).update(
                status=OrderStatus.CANCELLED
            )
            return ActionResult(
                text=f"Your order {order.number} is cancelled. The payment will not be charged.",
                sources=source,
            )
        if order.status == OrderStatus.CANCELLED:
            return ActionResult(text=f"Order {order.number} was already cancelled.", sources=source)
        return ActionResult(
            text=(
                f"Order {order.number} has already {order.status}, so it can no longer be "
                "cancelled; you can return it within 30 days instead."
            ),
            sources=source + ["faq:cancel-order"],
        )


class ChangeAddressAction(DemoOrderAction):
    intent = "change_address"

    def run(self, *, tenant, slots):
        order = _order(tenant, slots["order_number"])
        return ActionResult(facts=[self.fact(order)], sources=[f"order:{order.number}"])


DEFAULT_ACTIONS = (OrderStatusAction, CancelOrderAction, ChangeAddressAction)


def registered_actions() -> dict[str, Action]:
    classes = [
        import_string(path) for path in getattr(settings, "CUSTOMER_SERVICE_ACTIONS", [])
    ] or list(DEFAULT_ACTIONS)
    return {cls.intent: cls() for cls in classes}


def action_for(intent: str) -> Action | None:
    return registered_actions().get(intent)
