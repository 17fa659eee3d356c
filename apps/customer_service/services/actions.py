"""Actions: intents that need the shop's system of record (order status, cancellation, address
change), through the tenant's connector (``connectors.py``: the demo table or the shop's HTTP
API). An action answers with a final text from the system of record (no generation), or with
facts that the grounded reply uses; a change (a cancellation) first asks the customer to
confirm and then runs once per idempotency key. Its texts are the tenant's templates in the
message's language. A connector failure raises ``ConnectorError``: the dialogue apologises and
hands the conversation to a person."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.customer_service.models import OrderStatus
from apps.customer_service.services.assistant_texts import say
from apps.customer_service.services.connectors import OrderRecord, order_cancel, order_lookup


@dataclass
class ActionResult:
    text: str = ""  # a final answer; empty when the reply is generated from ``facts``
    facts: list[dict] = field(default_factory=list)  # {"key", "text"}
    sources: list[str] = field(default_factory=list)
    pending: dict = field(default_factory=dict)  # a change waiting for the customer's "yes"
    handoff: bool = False


class Action:
    intent = ""

    def validate(self, *, tenant, slot: str, value: str, config, language: str) -> str | None:
        """An error message for an invalid slot value, else None."""
        return None

    def run(self, *, tenant, slots: dict, config, language: str, conversation) -> ActionResult:
        raise NotImplementedError


class OrderAction(Action):
    def validate(self, *, tenant, slot, value, config, language):
        if slot == "order_number" and order_lookup(tenant=tenant, number=value) is None:
            return say(config, "order_not_found", language, number=value)
        return None

    @staticmethod
    def fact(order: OrderRecord) -> dict:
        tracking = f", tracking number {order.tracking}" if order.tracking else ""
        return {
            "key": f"order:{order.number}",
            "text": f"Order {order.number} is {order.status}{tracking}.",
        }

    @staticmethod
    def order(tenant, slots, config, language) -> OrderRecord | ActionResult:
        found = order_lookup(tenant=tenant, number=slots["order_number"])
        if found is None:
            number = slots["order_number"]
            return ActionResult(text=say(config, "order_not_found", language, number=number))
        return found


class OrderStatusAction(OrderAction):
    intent = "order_status"

    def run(self, *, tenant, slots, config, language, conversation):
        order = self.order(tenant, slots, config, language)
        if isinstance(order, ActionResult):
            return order
        text = say(config, f"status_{order.status}", language, number=order.number)
        if order.tracking:
            text += say(config, "tracking", language, tracking=order.tracking)
        return ActionResult(text=text, facts=[self.fact(order)], sources=[f"order:{order.number}"])


class CancelOrderAction(OrderAction):
    intent = "cancel_order"

    def run(self, *, tenant, slots, config, language, conversation):
        order = self.order(tenant, slots, config, language)
        if isinstance(order, ActionResult):
            return order
        source = [f"order:{order.number}"]
        if order.status == OrderStatus.PROCESSING:
            pending = {
                "operation": "order_cancel",
                "number": order.number,
                "key": f"{conversation.pk}:order_cancel:{order.number}",
            }
            text = say(config, "cancel_confirm", language, number=order.number)
            return ActionResult(text=text, sources=source, pending=pending)
        if order.status == OrderStatus.CANCELLED:
            return ActionResult(
                text=say(config, "cancel_already", language, number=order.number), sources=source
            )
        text = say(config, "cancel_too_late", language, number=order.number, status=order.status)
        return ActionResult(text=text, sources=source)


class ChangeAddressAction(OrderAction):
    intent = "change_address"

    def run(self, *, tenant, slots, config, language, conversation):
        order = self.order(tenant, slots, config, language)
        if isinstance(order, ActionResult):
            return order
        text = say(config, "address_change", language, number=order.number, status=order.status)
        return ActionResult(text=text, sources=[f"order:{order.number}"])


def confirm(*, tenant, pending: dict, yes: bool, config, language: str) -> ActionResult:
    """The customer's answer to a pending change: run it once (idempotent) or drop it."""
    number = pending["number"]
    if not yes:
        return ActionResult(text=say(config, "cancel_declined", language, number=number))
    order = order_cancel(tenant=tenant, number=number, key=pending["key"])
    if order is None:
        return ActionResult(text=say(config, "order_not_found", language, number=number))
    key = "cancel_done" if order.status == OrderStatus.CANCELLED else "cancel_too_late"
    text = say(config, key, language, number=number, status=order.status)
    return ActionResult(text=text, sources=[f"order:{number}"])


ACTIONS = {cls.intent: cls() for cls in (OrderStatusAction, CancelOrderAction, ChangeAddressAction)}


def action_for(intent: str) -> Action | None:
    return ACTIONS.get(intent)
