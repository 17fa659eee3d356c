"""What one message turns into before anything is written (shared by the dialogue's steps and
the writing of the turn)."""

from __future__ import annotations

from dataclasses import dataclass, field

from apps.customer_service.models import AssistantSettings, Conversation


@dataclass
class Plan:
    """The understood message and the reply decided for it."""

    conversation: Conversation
    text: str
    started: float
    config: AssistantSettings | None = None
    language: str = ""
    intent: str = ""
    confidence: float | None = None
    ranking: list = field(default_factory=list)
    fallback: bool = False
    slots: dict = field(default_factory=dict)
    sentiment: str = ""
    sentiment_score: float | None = None
    reply: str | None = None  # a fixed reply; None with ``messages``: generated
    messages: list | None = None
    facts: list = field(default_factory=list)
    # Retrieved facts ranked below the prompt's: the extractive answer may quote them.
    more_facts: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    citations: list = field(default_factory=list)
    handoff_reason: str = ""
    form: str = ""
    requested_slot: str = ""
    paused_form: str = ""
    pending: dict = field(default_factory=dict)
    fallback_streak: int = 0
    no_answer: bool = False
    support_score: float | None = None
    grounding: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    model_ms: float = 0.0
    model_name: str = ""
    model_revision: str = ""
