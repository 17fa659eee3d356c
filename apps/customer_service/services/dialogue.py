"""The dialogue: a message in, a reply out, through these steps (model calls first, outside any
transaction; then every row and the audit event in one transaction, ``turns.message_record``):

1. language: detected per message (the tenant's default when unsure); every fixed text comes
   from that language's template and the model is prompted in it;
2. a pending change ("Shall I cancel order 10045?") takes the customer's yes or no;
3. understand: intent ranking with fallback, sentiment (one embedding call);
4. slots: patterns and entity linking, validated through the connector, carried across turns; a
   form asks for what is missing; a new intent with high confidence interrupts the form (Rasa's
   unhappy paths): a question is served and the form offered again, another form replaces it,
   and a corrected value ("actually order 10045") replaces the old one;
5. handoff when asked, on strongly negative sentiment, on repeated fallback (the tenant's
   escalation rules) or when the shop's system fails;
6. the answer: an action through the connector, a fixed text, or a reply generated from
   retrieved facts and checked sentence by sentence against them (``grounded.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from apps.customer_service.engine import extractive, grounding
from apps.customer_service.engine.fallback import OUT_OF_SCOPE
from apps.customer_service.engine.slots import extract_patterns, extract_product
from apps.customer_service.models import (
    Conversation,
    ConversationStatus,
    HandoffReason,
    TrainingExample,
    Turn,
)
from apps.customer_service.services.actions import ActionResult, action_for, confirm
from apps.customer_service.services.assistant_texts import (
    answer_yes_no,
    assistant_settings,
    detect_language,
    say,
)
from apps.customer_service.services.connectors import ConnectorError
from knowledge.selectors import entity_link

from .forms import ask_slot, form_resumed, required_slots, slots_fill
from .grounded import ground_reply
from .plan import Plan
from .replies import (
    HELP_CENTRE,
    NODE_TYPES,
    cs_setting,
    generate,
    prompt_messages,
    retrieve,
    shop_graph,
)
from .turns import MessageOutcome, agent_reply, conversation_start, handoff_close, message_record
from .understanding import understand

# Intents that end a form even while the form's slot is being given.
FORM_BREAKERS = {"human_handoff", "goodbye", "complaint"}
# A new intent at least this confident interrupts a form (below it, a message carrying the
# form's slot continues the form).
INTERRUPT_CONFIDENCE = 0.6


class ConversationClosed(ValueError):
    """Messages to a closed conversation are refused."""


def _history(conversation) -> list[dict]:
    rows = (
        Turn.objects.filter(conversation=conversation).order_by("-seq").values("role", "text")[:6]
    )
    return list(reversed(rows))


def _understand_step(plan: Plan, tenant, conversation, text):
    """Intent (or the form being continued, or the change being corrected), sentiment and
    new slots."""
    graph = shop_graph(tenant)
    started = time.perf_counter()
    understood = understand(tenant=tenant, text=text)
    plan.model_ms += understood.embed_ms
    extracted = extract_patterns(text)
    if graph is not None:
        extracted.update(extract_product(entity_link(graph, text, types=["product"])["links"]))
    plan.ranking = understood.ranking
    plan.sentiment, plan.sentiment_score = understood.sentiment, understood.sentiment_score
    decision = understood.decision
    plan.intent, plan.confidence, plan.fallback = (
        decision.intent,
        decision.confidence,
        decision.fallback,
    )
    form, wanted = conversation.active_form, conversation.requested_slot
    pending_intent = "cancel_order" if conversation.pending_action else ""
    # A new intent interrupts the form when it is confident, or when the message does not
    # answer the form's question at all (Chinese intents score lower, but are no answer).
    interrupts = (
        not decision.fallback
        and decision.intent != form
        and (decision.confidence >= INTERRUPT_CONFIDENCE or wanted not in extracted)
    )
    if form and wanted in extracted and not interrupts and decision.intent not in FORM_BREAKERS:
        plan.intent, plan.fallback = form, False  # the user answered the form's question
    elif form and interrupts and decision.intent not in FORM_BREAKERS:
        # A digression: a question is served and the form offered again afterwards; another
        # form (or a form's own slot given with a new intent) replaces it.
        if not required_slots(tenant, decision.intent):
            plan.paused_form = form
    elif (
        pending_intent
        and "order_number" in extracted
        and (decision.fallback or decision.intent == pending_intent)
    ):
        plan.intent, plan.fallback = pending_intent, False  # "actually order 10046"
    elif decision.fallback and "order_number" in extracted:
        plan.intent, plan.fallback = "order_status", False  # "订单10045？": about that order
    plan.timings["nlu_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return graph, understood, extracted


def _handoff(plan: Plan, reason: str, text_key: str = "handoff") -> Plan:
    plan.handoff_reason = reason
    plan.reply = say(plan.config, text_key, plan.language)
    if plan.config.handoff_hours:
        hours = say(plan.config, "hours", plan.language, hours=plan.config.handoff_hours)
        plan.reply = plan.reply if plan.reply.endswith(hours) else plan.reply + hours
    plan.pending, plan.paused_form = {}, ""
    return plan


def _answered_change(plan: Plan, tenant, conversation) -> bool:
    """A yes or no to the pending change: run it (once) or drop it."""
    pending = conversation.pending_action
    if not pending:
        return False
    yes = answer_yes_no(plan.text, plan.config, plan.language)
    if yes is None:
        return False
    plan.intent, plan.slots = "cancel_order", dict(conversation.slots)
    try:
        done = confirm(
            tenant=tenant, pending=pending, yes=yes, config=plan.config, language=plan.language
        )
    except ConnectorError:
        _handoff(plan, HandoffReason.CONNECTOR_ERROR, "connector_error")
        return True
    plan.reply, plan.sources = done.text, done.sources
    return True


def message_prepare(*, conversation: Conversation, text: str) -> Plan:
    """Everything about a message except the generated text and the writes."""
    tenant = conversation.tenant
    plan = Plan(conversation=conversation, text=text, started=time.perf_counter())
    if conversation.status == ConversationStatus.CLOSED:
        raise ConversationClosed("this conversation is closed")
    plan.config = config = assistant_settings(tenant)
    plan.language = detect_language(text, config, conversation.language)
    plan.fallback_streak = conversation.fallback_streak
    plan.slots = dict(conversation.slots)
    if conversation.status == ConversationStatus.HANDOFF:
        return plan  # with a person: the message joins the transcript, no assistant reply
    if _answered_change(plan, tenant, conversation):
        return plan
    resumed = form_resumed(plan, tenant, conversation)
    if resumed and plan.reply:
        return plan
    graph, understood, extracted = _understand_step(plan, tenant, conversation, text)
    if resumed:
        plan.intent, plan.fallback = conversation.paused_form, False

    # Only fallbacks repeat into a handoff: an out-of-scope question was understood.
    plan.fallback_streak = plan.fallback_streak + 1 if plan.fallback else 0
    if plan.intent == "human_handoff":
        return _handoff(plan, HandoffReason.REQUESTED)
    if understood.negative >= config.negative_handoff_threshold:
        plan.slots = {**conversation.slots, **extracted}
        return _handoff(plan, HandoffReason.NEGATIVE_SENTIMENT)
    if plan.fallback_streak >= config.fallback_handoff_count:
        return _handoff(plan, HandoffReason.REPEATED_FALLBACK)
    if plan.fallback or plan.intent == OUT_OF_SCOPE:
        # Not one of the trained intents: the help centre may still answer it (an answer bot's
        # way); only a strongly relevant document chunk or FAQ counts, or a fairly relevant one
        # when the classifier, though unsure, ranks a help-centre topic first.
        if _help_centre(plan, conversation, graph, topic=_unsure_topic(plan)):
            plan.fallback_streak = 0
            plan.paused_form = conversation.active_form or conversation.paused_form
            return plan
    if plan.fallback:
        plan.reply = say(config, "fallback", plan.language)
        plan.paused_form = conversation.paused_form
        return plan
    try:
        return _answer(plan, tenant, conversation, graph, extracted)
    except ConnectorError:
        return _handoff(plan, HandoffReason.CONNECTOR_ERROR, "connector_error")


def _answer(plan: Plan, tenant, conversation, graph, extracted) -> Plan:
    config = plan.config
    error = slots_fill(plan, tenant, conversation, extracted)
    if error:
        plan.reply = error
        return plan
    if plan.intent in (OUT_OF_SCOPE, "greeting", "goodbye"):
        plan.reply = say(config, plan.intent, plan.language)
        return _with_resume(plan)

    missing = [s for s in required_slots(tenant, plan.intent) if not plan.slots.get(s)]
    if missing and not any(slot in extracted for slot in missing):
        # "Can I cancel my pre-order from my account?" is a question for the help centre, not
        # "cancel my order": it is answered there when a chunk covers what the message says
        # beyond the intent's own training examples (no order is named, so no form starts).
        specific = _beyond_intent(tenant, plan.intent, plan.text)
        if specific and _help_centre(plan, conversation, graph, specific=specific):
            return plan
    if missing:
        plan.form, plan.requested_slot = plan.intent, missing[0]
        plan.reply = ask_slot(plan, missing[0])
        return plan

    action = action_for(plan.intent)
    done = ActionResult()
    if action is not None:
        done = action.run(
            tenant=tenant,
            slots=plan.slots,
            config=config,
            language=plan.language,
            conversation=conversation,
        )
        plan.pending = done.pending
        if done.text:
            plan.reply, plan.sources = done.text, done.sources
            return plan
    started = time.perf_counter()
    # Retrieval is narrowed to a product the message itself names; a product carried from an
    # earlier turn would hide the answer to a question about something else.
    retrieved = retrieve(
        graph=graph,
        query=plan.text,
        intent=plan.intent,
        product=extracted.get("product", ""),
        language=plan.language,
        top_k=_quote_pool(),
    )
    plan.timings["retrieval_ms"] = round((time.perf_counter() - started) * 1000, 2)
    if not retrieved:
        plan.no_answer = True
        plan.reply = say(
            config, "complaint" if plan.intent == "complaint" else "no_answer", plan.language
        )
        return _with_resume(plan)
    plan.sources = list(done.sources)
    _prompt(plan, conversation, done.facts, retrieved)
    return plan


def _beyond_intent(tenant, intent: str, text: str) -> set[str]:
    """The message's content words that none of the intent's training examples has."""
    examples = TrainingExample.objects.filter(tenant=tenant, intent__name=intent)
    known = set()
    for example in examples.values_list("text", flat=True):
        known |= grounding.content_terms(example)
    beyond = grounding.content_terms(text) - known
    # jieba's search mode gives a word and its parts (奥地利, 地利): the word alone counts.
    return {t for t in beyond if not any(t != o and t in o for o in beyond)}


def _covers(terms: set[str], text: str) -> bool:
    """Whether ``text`` holds at least half of ``terms`` (a Chinese word as a substring)."""
    found = grounding.content_terms(text)
    hits = sum(t in found or (grounding.has_cjk(t) and t in text) for t in terms)
    return 2 * hits >= len(terms)


def _without_unnamed_place(terms: set[str], question: str, text: str) -> set[str]:
    """``terms`` less the words of a destination that the chunk ``text`` does not name, as
    ``extractive.coverage_beyond_place`` already counts it: "加急配送可以寄到奥地利吗？" may be
    answered by the chunk on express delivery ("仅限德国境内"), which never names Austria.
    Nothing left means the message said nothing beyond the intent but a place: it stays the
    intent's request."""
    place = extractive.unnamed_place(question, text)
    return terms - grounding.content_terms(place) if place else terms


# Intents whose questions the help centre answers (not a greeting, a hand-off or out of scope).
HELP_TOPICS = set(NODE_TYPES) - {HELP_CENTRE}
# The share of a message's content a chunk must hold to answer it: without an intent, or with
# the classifier's unsure guess of a help-centre topic (set on the development sets only).
HELP_CENTRE_COVERAGE = 0.5
TOPIC_COVERAGE = 0.3


def _unsure_topic(plan: Plan) -> str:
    """The classifier's first-ranked intent when it fell back on a help-centre topic ("" when
    it was sure, or its best guess is out of scope, a greeting or a hand-off): a paraphrase the
    classifier has not seen ("Do you take Amex?") still ranks its topic first."""
    if not plan.fallback or not plan.ranking:
        return ""
    top = plan.ranking[0]["name"]
    return top if top in HELP_TOPICS else ""


def _clear_meaning(plan: Plan, fact: dict) -> bool:
    """Whether a chunk answers the message by meaning alone, whatever words it uses ("When
    does the book club get together?" against "Meetings: the club meets on the first Tuesday
    of the month at 19:00"): much closer in meaning than any other candidate. English only:
    MiniLM embeds Chinese too poorly to be trusted without shared characters."""
    return (
        not grounding.has_cjk(plan.text)
        and fact["semantic"] >= cs_setting("HELP_CENTRE_CLEAR_SEMANTIC", 0.5)
        and fact["semantic_margin"] >= cs_setting("HELP_CENTRE_CLEAR_MARGIN", 0.1)
    )


def _help_centre(
    plan: Plan, conversation, graph, specific: set[str] | None = None, topic: str = ""
) -> bool:
    """Answer from the help centre when a chunk covers the message (and, for a form intent's
    question, what it says beyond the intent); a message no intent vouches for needs a chunk
    closer in meaning (``HELP_CENTRE_MIN_SEMANTIC``) unless the classifier's unsure guess
    (``topic``) is a help-centre topic, which is held to the ordinary bar on meaning and to
    ``TOPIC_COVERAGE``. A chunk clearly closest in meaning (``_clear_meaning``) answers without
    the wording test, except a form intent's question (``specific``)."""
    started = time.perf_counter()
    vouched = bool(specific or topic)
    # BM25 is normalised by its best hit, so some chunk always scores 1.0: without an intent
    # to vouch for the topic, half of the message's content words must be in the chunk (a
    # place it does not name left out: its general rule on where the shop sends answers).
    needed = TOPIC_COVERAGE if topic else HELP_CENTRE_COVERAGE

    def answers(fact: dict) -> bool:
        covered = extractive.coverage_beyond_place(plan.text, fact["text"]) >= needed
        if specific:  # a form intent's request stays a request unless the chunk says more
            beyond = _without_unnamed_place(specific, plan.text, fact["text"])
            return covered and bool(beyond) and _covers(beyond, fact["text"])
        return covered or _clear_meaning(plan, fact)

    retrieved = retrieve(
        graph=graph,
        query=plan.text,
        intent=HELP_CENTRE,
        language=plan.language,
        min_semantic=cs_setting("MIN_SEMANTIC", 0.3)
        if vouched
        else cs_setting("HELP_CENTRE_MIN_SEMANTIC", 0.4),
        accept=answers,
        top_k=_quote_pool(),
    )
    plan.timings["retrieval_ms"] = round((time.perf_counter() - started) * 1000, 2)
    if not retrieved:
        return False
    plan.intent, plan.fallback = HELP_CENTRE, False
    _prompt(plan, conversation, [], retrieved)
    return True


def _quote_pool() -> int:
    """How many retrieved facts the extractive answer chooses from: the prompt's
    (``CUSTOMER_SERVICE_FACTS``) and the next ones (``CUSTOMER_SERVICE_QUOTE_FACTS``, 5 by
    default). Retrieval ranks whole chunks, and the chunk that answers is sometimes fourth
    behind three that share more words ("Can I send back an engraved item?" ranks two FAQ
    entries and the 30-day rule above the chunk on what cannot be returned); quoting from five
    costs one sentence score each, while five in the prompt lengthen every generation."""
    return max(cs_setting("FACTS", 3), cs_setting("QUOTE_FACTS", 5))


def _prompt(plan: Plan, conversation, facts: list, retrieved: list) -> None:
    shown = cs_setting("FACTS", 3)
    retrieved, plan.more_facts = retrieved[:shown], retrieved[shown:]
    plan.facts = facts + retrieved
    plan.sources = list(dict.fromkeys([*plan.sources, *(f["key"] for f in retrieved)]))
    plan.citations = [f["citation"] for f in retrieved]
    plan.messages = prompt_messages(
        config=plan.config,
        language=plan.language,
        facts=plan.facts,
        history=_history(conversation),
        text=plan.text,
        sentiment=plan.sentiment,
    )


def _with_resume(plan: Plan) -> Plan:
    if plan.paused_form and plan.reply is not None:
        plan.reply += say(plan.config, "resume_form", plan.language, form=plan.paused_form)
    return plan


def _finish(plan: Plan, generated: str, result) -> MessageOutcome:
    cut = result.output.get("finish_reason") == "length"
    reply = ground_reply(plan, generated, cut=cut)
    if plan.paused_form:
        reply += say(plan.config, "resume_form", plan.language, form=plan.paused_form)
    return message_record(plan, reply, result)


def message_reply(*, conversation: Conversation, text: str) -> MessageOutcome:
    """Handle one message and answer it (the reply's whole text at once)."""
    plan = message_prepare(conversation=conversation, text=text)
    if plan.messages is None:
        return message_record(plan, plan.reply)
    started = time.perf_counter()
    result = generate(plan.messages, tenant=conversation.tenant)
    spent = (time.perf_counter() - started) * 1000
    plan.model_ms += spent
    plan.timings["generation_ms"] = round(spent, 2)
    return _finish(plan, result.output["text"], result)


def message_stream(*, conversation: Conversation, text: str) -> Iterator[dict]:
    """Handle one message and stream the reply: ``{"delta": text}`` events, then
    ``{"done": outcome}`` with the same ``MessageOutcome`` as ``message_reply``; its ``reply``
    is the checked text, which replaces what was streamed when the grounding check changed it.
    Errors before the first event (bad state, quota, backpressure) raise at once."""
    plan = message_prepare(conversation=conversation, text=text)
    if plan.messages is None:

        def fixed():
            if plan.reply:
                yield {"delta": plan.reply}
            yield {"done": message_record(plan, plan.reply)}

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
        yield {"done": _finish(plan, "".join(pieces), event["done"])}

    return streamed()


__all__ = [
    "ConversationClosed",
    "MessageOutcome",
    "agent_reply",
    "conversation_start",
    "handoff_close",
    "message_prepare",
    "message_reply",
    "message_stream",
]
