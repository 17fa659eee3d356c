"""Writes of the customer-service vertical (HackSoft services), re-exported here."""

from .demo import demo_orders_load, demo_setup
from .dialogue import (
    ConversationClosed,
    MessageOutcome,
    agent_reply,
    conversation_start,
    handoff_close,
    message_prepare,
    message_reply,
    message_stream,
)
from .documents import document_delete, documents_embed, documents_upload, knowledge_graph
from .feedback import (
    ReviewError,
    rating_create,
    ratings_report_create,
    review_approve,
    review_dismiss,
)
from .intents import intent_create, intent_update
from .training import (
    TrainingDataError,
    example_add,
    examples_import_csv,
    fit_and_evaluate,
    intent_ensure,
    intent_model_promote,
    intent_model_train,
    intent_model_train_start,
    intents_seed_demo,
)
from .understanding import NoIntentModel, understand

__all__ = [
    "ConversationClosed",
    "MessageOutcome",
    "NoIntentModel",
    "ReviewError",
    "TrainingDataError",
    "agent_reply",
    "conversation_start",
    "demo_orders_load",
    "demo_setup",
    "document_delete",
    "documents_embed",
    "documents_upload",
    "knowledge_graph",
    "example_add",
    "examples_import_csv",
    "fit_and_evaluate",
    "handoff_close",
    "intent_create",
    "intent_ensure",
    "intent_update",
    "intent_model_promote",
    "intent_model_train",
    "intent_model_train_start",
    "intents_seed_demo",
    "message_prepare",
    "message_reply",
    "message_stream",
    "rating_create",
    "ratings_report_create",
    "review_approve",
    "review_dismiss",
    "understand",
]
