"""Forms of the dialogue: the slots an intent requires, the question that asks for a missing
one, validating and merging the slots a message gives, and going back to a form that a
digression interrupted."""

from __future__ import annotations

from apps.customer_service.demo import REQUIRED_SLOTS
from apps.customer_service.models import Intent

from .actions import action_for
from .assistant_texts import answer_yes_no, say
from .plan import Plan

SLOT_QUESTIONS = {
    "order_number": "ask_order_number",
    "product": "ask_product",
    "email": "ask_email",
}


def required_slots(tenant, intent: str) -> list[str]:
    row = Intent.objects.filter(tenant=tenant, name=intent).values("required_slots").first()
    if row is not None:
        return list(row["required_slots"])
    return list(REQUIRED_SLOTS.get(intent, []))


def ask_slot(plan: Plan, slot: str) -> str:
    key = SLOT_QUESTIONS.get(slot)
    if key:
        return say(plan.config, key, plan.language)
    return say(plan.config, "ask_slot", plan.language, slot=slot.replace("_", " "))


def slots_fill(plan: Plan, tenant, conversation, extracted) -> str | None:
    """Validated slots merged into the conversation's (a new value replaces the old one); an
    error text for an invalid one."""
    plan.slots = dict(conversation.slots)
    action = action_for(plan.intent)
    for name, value in extracted.items():
        if action is not None and (
            error := action.validate(
                tenant=tenant, slot=name, value=value, config=plan.config, language=plan.language
            )
        ):
            plan.requested_slot, plan.form = name, plan.intent
            return error
        plan.slots[name] = value
    return None


def form_resumed(plan: Plan, tenant, conversation) -> bool:
    """A yes or no to "shall we go back to your earlier question?"."""
    paused = conversation.paused_form
    if not paused or conversation.active_form:
        return False
    yes = answer_yes_no(plan.text, plan.config, plan.language)
    if yes is None:
        return False
    plan.slots = dict(conversation.slots)
    if not yes:
        plan.reply = say(plan.config, "form_dropped", plan.language)
        return True
    plan.intent = paused
    missing = [s for s in required_slots(tenant, paused) if not plan.slots.get(s)]
    if missing:
        plan.form, plan.requested_slot = paused, missing[0]
        plan.reply = ask_slot(plan, missing[0])
        return True
    return False  # nothing missing: answer the resumed intent below
