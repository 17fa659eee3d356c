"""Writing a handled message (the user's turn, the reply's turn, the conversation's new state,
a handoff and its notification, the audit event: one transaction), the agent's reply and the
closing of a handoff."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from apps.audit.services import audited, input_digest
from apps.customer_service.models import (
    Conversation,
    ConversationStatus,
    Handoff,
    HandoffState,
    Turn,
    TurnRole,
)
from apps.notifications.services import notification_send

from .plan import Plan
from .privacy import mask_text


@dataclass(frozen=True)
class MessageOutcome:
    """A handled message as written: the plan it followed, its two turns and the reply (the
    API's reply body is built from it by ``api.serializers.ReplySerializer``)."""

    plan: Plan
    user_turn: Turn
    reply_turn: Turn | None
    reply: str | None

    @property
    def conversation(self) -> Conversation:
        return self.plan.conversation


logger = logging.getLogger("apps.customer_service.services.dialogue")
HANDOFF_TOPIC = "customer_service.handoff"


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


def handoff_notify(*, handoff: Handoff, plan) -> None:
    """Tell the tenant's agents (webhook and e-mail through the notification service; the
    live queue reads the handoff rows). The message is masked; the payload carries what the
    agent needs to find the conversation, not the customer's personal data."""
    conversation = handoff.conversation
    url = f"/customer-service/agent/#conversation-{conversation.pk}"
    notification_send(
        tenant=handoff.tenant,
        topic=HANDOFF_TOPIC,
        dedup_key=f"{conversation.pk}:{handoff.pk}",
        subject=f"Conversation handed to an agent ({handoff.reason})",
        body=(
            f"A customer conversation needs a person ({handoff.reason}).\n"
            f"Intent: {plan.intent or '-'}; language: {plan.language or '-'}.\n"
            f"Last message (masked): {mask_text(plan.text)}\nOpen: {url}"
        ),
        payload={
            "conversation": str(conversation.pk),
            "handoff": str(handoff.pk),
            "reason": handoff.reason,
            "intent": plan.intent,
            "language": plan.language,
            "url": url,
        },
    )


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
    changes.update(
        language=plan.language, paused_form=plan.paused_form, pending_action=plan.pending
    )
    if plan.handoff_reason:
        changes.update(
            status=ConversationStatus.HANDOFF,
            active_form="",
            requested_slot="",
            fallback_streak=0,
            paused_form="",
            pending_action={},
        )
    return changes


def message_record(plan: Plan, reply: str | None, result=None) -> MessageOutcome:
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
            language=plan.language,
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
                language=plan.language,
                support_score=plan.support_score,
                grounding={**plan.grounding, "citations": plan.citations},
            )
        changes = _state_after(plan)
        if changes:
            for name, value in changes.items():
                setattr(conversation, name, value)
            conversation.save(update_fields=[*changes, "updated_at"])
        if plan.handoff_reason:
            handoff = Handoff.objects.create(
                tenant=tenant, conversation=conversation, reason=plan.handoff_reason
            )
            handoff_notify(handoff=handoff, plan=plan)
        event.details = {
            "intent": plan.intent,
            "fallback": plan.fallback,
            "sources": len(plan.sources),
            "handoff": plan.handoff_reason or None,
            "sentiment": plan.sentiment,
            "language": plan.language,
            "support_score": plan.support_score,
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
    return MessageOutcome(plan=plan, user_turn=user_turn, reply_turn=reply_turn, reply=reply)


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
