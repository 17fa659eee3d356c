"""The dialogue: a message in, a reply out, through these steps (model calls first, outside any
transaction; then every row and the audit event in one transaction):

1. understand: intent ranking with fallback, sentiment (one embedding call);
2. slots: patterns and entity linking, validated by the intent's action, carried across turns;
   a form (the intent's required slots) asks for what is missing and continues once it is given;
3. handoff when asked, on strongly negative sentiment or on repeated fallback;
4. the answer: an action over the system of record, a fixed text (greeting, fallback, "I do
   not know"), or a grounded reply generated from retrieved facts, citing them as sources.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Max

from apps.audit.services import audited, input_digest
from apps.customer_service.actions import action_for
from apps.customer_service.models import (
    Conversation,
    ConversationStatus,
    Handoff,
    HandoffReason,
    HandoffState,
    Intent,
    Turn,
    TurnRole,
)
from apps.customer_service.nlu.fallback import FALLBACK, OUT_OF_SCOPE
from apps.customer_service.nlu.slots import QUESTIONS, extract_patterns, extract_product

from .privacy import mask_text
from .replies import cs_setting, generate, prompt_messages, retrieve, shop_graph
from .understanding import understand

logger = logging.getLogger(__name__)

TEXTS = {
    "greeting": (
        "Hello! I am Demo Shop's assistant. I can help with orders, returns, refunds, "
        "shipping, payments, warranty and our products."
    ),
    "goodbye": "Thank you for contacting Demo Shop. Goodbye!",
    "fallback": (
        "Sorry, I did not understand that. Could you say it another way? You can also ask "
        "for a person."
    ),
    OUT_OF_SCOPE: (
        "I can only help with Demo Shop: orders, returns, refunds, shipping, payments, "
        "warranty and our products."
    ),
    "no_answer": (
        "I could not find this in Demo Shop's information, so I will not guess. Would you "
        "like me to connect you with a person?"
    ),
    "complaint": (
        "I am sorry that this went wrong. I can connect you with a person from our team "
        "who can look into it; just say so."
    ),
    "handoff": "I am passing this conversation to a person from our team; they will answer here.",
}
# Intents that end a form even while the form's slot is being given.
FORM_BREAKERS = {"human_handoff", "goodbye", "complaint"}


class ConversationClosed(ValueError):
    """Messages to a closed conversation are refused."""


@dataclass
class Plan:
    """What one message turns into before anything is written."""

    conversation: Conversation
    text: str
    started: float
    intent: str = ""
    confidence: float | None = None
    ranking: list = field(default_factory=list)
    fallback: bool = False
    slots: dict = field(default_factory=dict)
    sentiment: str = ""
    sentiment_score: float | None = None
    reply: str | None = None  # a fixed reply; None with ``messages``: generated
    messages: list | None = None
    sources: list = field(default_factory=list)
    handoff_reason: str = ""
    form: str = ""
    requested_slot: str = ""
    fallback_streak: int = 0
    no_answer: bool = False
    timings: dict = field(default_factory=dict)
    model_ms: float = 0.0
    model_name: str = ""
    model_revision: str = ""


def conversation_start(*, tenant, channel: str = "api") -> Conversation:
    """A new conversation."""
    with audited(
        tenant=tenant,
        action="customer_service.conversation.create",
        resource_type="customer_service.conversation",
    ) as event:
        conversation = Conversation.objects.create(tenant=tenant, channel=channel)
        event.resource_id = conversation.pk
    return conversation


def _history(conversation) -> list[dict]:
    rows = (
        Turn.objects.filter(conversation=conversation).order_by("-seq").values("role", "text")[:6]
    )
    return list(reversed(rows))


def _required_slots(tenant, intent: str) -> list[str]:
    row = Intent.objects.filter(tenant=tenant, name=intent).values("required_slots").first()
    return list(row["required_slots"]) if row else []


def _understand_step(plan: Plan, tenant, conversation, text):
    """Intent (or the form being continued), sentiment and new slots."""
    graph = shop_graph(tenant)
    started = time.perf_counter()
    understood = understand(tenant=tenant, text=text)
    plan.model_ms += understood.embed_ms
    extracted = extract_patterns(text)
    extracted.update(extract_product(graph, text))
    plan.ranking = understood.ranking
    plan.sentiment, plan.sentiment_score = understood.sentiment, understood.sentiment_score
    decision = understood.decision
    plan.intent, plan.confidence, plan.fallback = (
        decision.intent,
        decision.confidence,
        decision.fallback,
    )
    form, wanted = conversation.active_form, conversation.requested_slot
    if form and wanted in extracted and (decision.fallback or decision.intent not in FORM_BREAKERS):
        plan.intent, plan.fallback = form, False  # the user answered the form's question
    plan.timings["nlu_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return graph, understood, extracted


def _fill_slots(plan: Plan, tenant, conversation, extracted) -> str | None:
    """Validated slots merged into the conversation's; an error text for an invalid one."""
    plan.slots = dict(conversation.slots)
    action = action_for(plan.intent)
    for name, value in extracted.items():
        if action is not None and (error := action.validate(tenant=tenant, slot=name, value=value)):
            plan.requested_slot, plan.form = name, plan.intent
            return error
        plan.slots[name] = value
    return None


def message_prepare(*, conversation: Conversation, text: str) -> Plan:
    """Everything about a message except the generated text and the writes."""
    tenant = conversation.tenant
    plan = Plan(conversation=conversation, text=text, started=time.perf_counter())
    if conversation.status == ConversationStatus.CLOSED:
        raise ConversationClosed("this conversation is closed")
    plan.fallback_streak = conversation.fallback_streak
    if conversation.status == ConversationStatus.HANDOFF:
        plan.slots = dict(conversation.slots)
        return plan  # with a person: the message joins the transcript, no assistant reply
    graph, understood, extracted = _understand_step(plan, tenant, conversation, text)

    # Only fallbacks repeat into a handoff: an out-of-scope question was understood.
    if plan.fallback:
        plan.fallback_streak += 1
    else:
        plan.fallback_streak = 0
    if plan.intent == "human_handoff":
        plan.handoff_reason = HandoffReason.REQUESTED
    elif understood.negative >= cs_setting("NEGATIVE_HANDOFF", 0.7):
        plan.handoff_reason = HandoffReason.NEGATIVE_SENTIMENT
    elif plan.fallback_streak >= cs_setting("FALLBACK_HANDOFF", 2):
        plan.handoff_reason = HandoffReason.REPEATED_FALLBACK
    if plan.handoff_reason:
        plan.slots = {**conversation.slots, **extracted}
        plan.reply = TEXTS["handoff"]
        return plan

    if plan.fallback:
        plan.slots, plan.reply = dict(conversation.slots), TEXTS["fallback"]
        return plan
    error = _fill_slots(plan, tenant, conversation, extracted)
    if error:
        plan.reply = error
        return plan
    if plan.intent in (OUT_OF_SCOPE, "greeting", "goodbye"):
        plan.reply = TEXTS[plan.intent]
        return plan

    missing = [s for s in _required_slots(tenant, plan.intent) if not plan.slots.get(s)]
    if missing:
        plan.form, plan.requested_slot = plan.intent, missing[0]
        plan.reply = QUESTIONS.get(missing[0], f"Could you tell me the {missing[0]}?")
        return plan

    facts, sources = [], []
    action = action_for(plan.intent)
    if action is not None:
        done = action.run(tenant=tenant, slots=plan.slots)
        if done.text:
            plan.reply, plan.sources = done.text, done.sources
            return plan
        facts.extend(done.facts)
        sources.extend(done.sources)
    started = time.perf_counter()
    # Retrieval is narrowed to a product the message itself names; a product carried from an
    # earlier turn would hide the answer to a question about something else.
    product = extracted.get("product", "")
    query = text
    retrieved = retrieve(graph=graph, query=query, intent=plan.intent, product=product)
    plan.timings["retrieval_ms"] = round((time.perf_counter() - started) * 1000, 2)
    facts.extend(retrieved)
    sources.extend(fact["key"] for fact in retrieved)
    if not retrieved:
        plan.no_answer = True
        plan.reply = TEXTS["complaint" if plan.intent == "complaint" else "no_answer"]
        plan.sources = []
        return plan
    plan.sources = list(dict.fromkeys(sources))
    plan.messages = prompt_messages(
        facts=facts, history=_history(conversation), text=text, sentiment=plan.sentiment
    )
    return plan


def _state_after(plan: Plan) -> dict:
    conversation = plan.conversation
    if conversation.status == ConversationStatus.HANDOFF:
        return {}
    changes = {
        "slots": plan.slots,
        "fallback_streak": plan.fallback_streak,
        "active_form": plan.form,
        "requested_slot": plan.requested_slot,
    }
    if plan.handoff_reason:
        changes.update(
            status=ConversationStatus.HANDOFF, active_form="", requested_slot="", fallback_streak=0
        )
    return changes


def _record(plan: Plan, reply: str | None, result=None) -> dict:
    """Write the user's turn, the reply's turn, the conversation's new state, a handoff when
    one starts, and the audit event, in one transaction."""
    conversation = plan.conversation
    tenant = conversation.tenant
    if result is not None:
        plan.model_name, plan.model_revision = result.model, result.revision
        plan.timings.update(
            queue_ms=round(result.queue_ms, 2), compute_ms=round(result.compute_ms, 2)
        )
    stored = time.perf_counter()
    masked = mask_text(plan.text)
    masked_reply = mask_text(reply) if reply else ""
    with audited(
        tenant=tenant,
        action="customer_service.message",
        resource_type="customer_service.conversation",
        resource_id=str(conversation.pk),
        model_name=plan.model_name,
        model_revision=plan.model_revision,
        input_digest=input_digest(tenant=tenant, data={"text": plan.text}),
    ) as event:
        Conversation.objects.select_for_update().filter(pk=conversation.pk).values("id").first()
        seq = Turn.objects.filter(conversation=conversation).aggregate(m=Max("seq"))["m"] or 0
        user_turn = Turn.objects.create(
            tenant=tenant,
            conversation=conversation,
            seq=seq + 1,
            role=TurnRole.USER,
            text=plan.text,
            masked_text=masked,
            intent=plan.intent,
            confidence=plan.confidence,
            ranking=plan.ranking,
            fallback=plan.fallback,
            sentiment=plan.sentiment,
            sentiment_score=plan.sentiment_score,
        )
        reply_turn = None
        if reply is not None:
            reply_turn = Turn.objects.create(
                tenant=tenant,
                conversation=conversation,
                seq=seq + 2,
                role=TurnRole.ASSISTANT,
                text=reply,
                masked_text=masked_reply,
                intent=plan.intent,
                confidence=plan.confidence,
                fallback=plan.fallback,
                slots=plan.slots,
                sources=plan.sources,
                model_name=f"{plan.model_name}@{plan.model_revision}" if plan.model_name else "",
                timings=plan.timings,
            )
        changes = _state_after(plan)
        if changes:
            for name, value in changes.items():
                setattr(conversation, name, value)
            conversation.save(update_fields=[*changes, "updated_at"])
        if plan.handoff_reason:
            Handoff.objects.create(
                tenant=tenant, conversation=conversation, reason=plan.handoff_reason
            )
        event.details = {
            "intent": plan.intent,
            "fallback": plan.fallback,
            "sources": len(plan.sources),
            "handoff": plan.handoff_reason or None,
            "sentiment": plan.sentiment,
        }
    plan.timings["store_ms"] = round((time.perf_counter() - stored) * 1000, 2)
    plan.timings["model_ms"] = round(plan.model_ms, 2)
    plan.timings["total_ms"] = round((time.perf_counter() - plan.started) * 1000, 2)
    if reply_turn is not None:
        Turn.objects.filter(pk=reply_turn.pk).update(timings=plan.timings)
    logger.info(
        "customer-service reply: intent=%s fallback=%s sources=%d handoff=%s total_ms=%.0f",
        plan.intent,
        plan.fallback,
        len(plan.sources),
        plan.handoff_reason or "-",
        plan.timings["total_ms"],
    )
    return {
        "conversation": str(conversation.pk),
        "status": conversation.status,
        "user_turn": str(user_turn.pk),
        "turn": str(reply_turn.pk) if reply_turn else None,
        "reply": reply,
        "intent": plan.intent or None,
        "confidence": plan.confidence,
        "fallback": plan.fallback,
        "ranking": plan.ranking,
        "slots": {k: v for k, v in plan.slots.items() if not k.endswith("_label")},
        "requested_slot": plan.requested_slot or None,
        "sources": plan.sources,
        "no_answer": plan.no_answer,
        "sentiment": {"label": plan.sentiment or None, "score": plan.sentiment_score},
        "handoff": conversation.status == ConversationStatus.HANDOFF,
        "handoff_reason": plan.handoff_reason or None,
        "timings": plan.timings,
    }


def message_reply(*, conversation: Conversation, text: str) -> dict:
    """Handle one message and answer it (the reply's whole text at once)."""
    plan = message_prepare(conversation=conversation, text=text)
    if plan.messages is None:
        return _record(plan, plan.reply)
    started = time.perf_counter()
    result = generate(plan.messages, tenant=conversation.tenant)
    spent = (time.perf_counter() - started) * 1000
    plan.model_ms += spent
    plan.timings["generation_ms"] = round(spent, 2)
    reply = result.output["text"].strip() or TEXTS["no_answer"]
    return _record(plan, reply, result)


def message_stream(*, conversation: Conversation, text: str) -> Iterator[dict]:
    """Handle one message and stream the reply: ``{"delta": text}`` events, then
    ``{"done": body}`` with the same body as ``message_reply``. Errors before the first event
    (bad state, quota, backpressure) raise at once."""
    plan = message_prepare(conversation=conversation, text=text)
    if plan.messages is None:

        def fixed():
            if plan.reply:
                yield {"delta": plan.reply}
            yield {"done": _record(plan, plan.reply)}

        return fixed()
    started = time.perf_counter()
    events = generate(plan.messages, tenant=conversation.tenant, stream=True)
    first = next(events)

    def streamed():
        pieces, event = [], first
        while "done" not in event:
            pieces.append(event["delta"])
            yield event
            event = next(events)
        spent = (time.perf_counter() - started) * 1000
        plan.model_ms += spent
        plan.timings["generation_ms"] = round(spent, 2)
        reply = "".join(pieces).strip() or TEXTS["no_answer"]
        yield {"done": _record(plan, reply, event["done"])}

    return streamed()


def agent_reply(*, conversation: Conversation, user, text: str) -> Turn:
    """An agent's message joins the transcript; the handoff is marked assigned to them."""
    tenant = conversation.tenant
    with audited(
        tenant=tenant,
        action="customer_service.agent_reply",
        resource_type="customer_service.conversation",
        resource_id=str(conversation.pk),
    ):
        Conversation.objects.select_for_update().filter(pk=conversation.pk).values("id").first()
        seq = Turn.objects.filter(conversation=conversation).aggregate(m=Max("seq"))["m"] or 0
        turn = Turn.objects.create(
            tenant=tenant,
            conversation=conversation,
            seq=seq + 1,
            role=TurnRole.AGENT,
            text=text,
            masked_text=mask_text(text),
            author=user if getattr(user, "pk", None) else None,
        )
        Handoff.objects.filter(conversation=conversation, state=HandoffState.OPEN).update(
            state=HandoffState.ASSIGNED, agent=user if getattr(user, "pk", None) else None
        )
    return turn


def handoff_close(*, conversation: Conversation, back_to_assistant: bool = True) -> Conversation:
    """Close the conversation's handoffs; the assistant answers again (or the conversation
    closes)."""
    from django.utils import timezone

    with audited(
        tenant=conversation.tenant,
        action="customer_service.handoff.close",
        resource_type="customer_service.conversation",
        resource_id=str(conversation.pk),
    ):
        Handoff.objects.filter(conversation=conversation).exclude(state=HandoffState.CLOSED).update(
            state=HandoffState.CLOSED, closed_at=timezone.now()
        )
        conversation.status = (
            ConversationStatus.ACTIVE if back_to_assistant else ConversationStatus.CLOSED
        )
        conversation.save(update_fields=["status", "updated_at"])
    return conversation


__all__ = [
    "FALLBACK",
    "ConversationClosed",
    "agent_reply",
    "conversation_start",
    "handoff_close",
    "message_prepare",
    "message_reply",
    "message_stream",
]
