"""The grounding check applied to a generated reply (``grounding.py`` holds the method): keep
the reply when every sentence is supported by the retrieved facts, drop the unsupported
sentences when the rest still states the answer, else fall back to the best extractive
sentence of the sources with its citation. The support score and what was done are recorded
on the reply's turn."""

from __future__ import annotations

import re
import time

import numpy as np

from apps.customer_service.engine import extractive, grounding
from apps.customer_service.services.assistant_texts import say
from models_runtime import client

from .embedding import embed_model
from .plan import Plan

METHOD = "lexical+embedding overlap per sentence, numbers rule (grounding.py)"
# A sentence that is code, or a question back to the customer, answers nothing. Code is told
# by its syntax, not its words: "You can return a book within 21 days" is a sentence, and was
# dropped as code while ``return`` alone counted.
CODE = re.compile(
    r"```|\bdef \w+\s*\(|^\s*(?:import|from [\w.]+ import) \w|\breturn [\w.\[\]]+\(|"
    r"\breturn [\w.]+;|print\(|[{};=]\s*$|=>|</?\w+>|\w\s*==\s*\w"
)
QUESTION_END = ("?", "？")


def _embedder(plan: Plan):
    def run(texts: list[str]) -> np.ndarray:
        started = time.perf_counter()
        result = client.embed(texts, tenant_id=plan.conversation.tenant_id, model=embed_model())
        plan.model_ms += (time.perf_counter() - started) * 1000
        return np.asarray(result.outputs, dtype=np.float64)

    return run


# How a finished sentence ends (a closing quote or bracket may follow the mark).
SENTENCE_CLOSED = re.compile(r"[.!?。！？；…][\"'”’)）」』》]*$")
WORDS = re.compile(r"[^\W_]")


def _clean(text: str, *, cut: bool = False) -> str:
    """The reply without repeated sentences (a small model loops) and without code; when the
    model was ``cut`` off at its token limit, without the unfinished last sentence (it ends
    mid-word, even mid-character, and states half a fact)."""
    seen, kept = set(), []
    # A small model may echo the sources' "heading: text" layout and begin with the colon.
    sentences = grounding.split_sentences(text.lstrip(":：;； "))
    # Only a fragment with words in it is unfinished (a lone closing quote split off after
    # "。" is not), and a reply of one unfinished sentence stays whole: dropping it would leave
    # nothing, and the check decides about it as before.
    if (
        cut
        and len(sentences) > 1
        and WORDS.search(sentences[-1])
        and not SENTENCE_CLOSED.search(sentences[-1])
    ):
        sentences.pop()
    for sentence in sentences:
        key = sentence.casefold()
        if key in seen:
            continue
        seen.add(key)
        kept.append(sentence)
    joiner = "" if grounding.has_cjk(text) else " "
    return joiner.join(kept)


def _states(kept: str, extractive: str, question: str) -> bool:
    """Whether the kept sentences state the answer: every number of the best source sentence
    (``extractive``) and every one of its content words that the question does not hold. A
    paraphrase that keeps only some of them has, on the development sets, changed the answer
    as often as not ("charged when they are dispatched" became "charged when you make a
    pre-order"; "in unread condition within 21 days" lost "unread"): with "some of its words"
    as the test, 7 of 24 kept replies there were wrong, and the quote, which replaces them,
    was right in all 24."""
    if not kept:
        return False
    if not grounding.facts_of(extractive) <= grounding.facts_of(kept):
        return False
    beyond = grounding.content_terms(extractive) - grounding.content_terms(question)
    return beyond <= grounding.content_terms(kept)


def ground_reply(plan: Plan, generated: str, *, cut: bool = False) -> str:
    """The checked reply for ``generated`` (see the module docstring); ``cut`` says the model
    stopped at its token limit, not at the end of its reply."""
    config = plan.config
    text = _clean(generated.strip(), cut=cut)
    sources = [fact["text"] for fact in plan.facts]
    if not config.grounding_enabled:
        plan.grounding = {"method": "off"}
        return text or say(config, "no_answer", plan.language)
    started = time.perf_counter()
    model_before = plan.model_ms
    slots = [str(v) for k, v in plan.slots.items() if not k.endswith("_label")]
    result = grounding.check(text, sources, slots=slots, embed=_embedder(plan))
    for sentence in result.sentences:
        if CODE.search(sentence.text) or sentence.text.endswith(QUESTION_END):
            sentence.supported = False
    # The quote may come from a retrieved fact ranked below the prompt's (``more_facts``).
    quotable = plan.facts + plan.more_facts
    answer = extractive.best_answer(plan.text, quotable, embed=_embedder(plan))
    kept = result.supported_text
    # The best sentence alone: a tied second one from another source is not required of the
    # model's reply.
    fallback = not _states(kept, answer.best, plan.text)
    if fallback:
        reply = say(config, "extractive", plan.language, text=answer.text)
        claims = answer.text
        # The citations and keys of the sources the answer quotes (an action's own facts, such
        # as an order's status, come first and cite nothing).
        uncited = len(plan.facts) - len(plan.citations)
        cited = plan.citations + [fact["citation"] for fact in plan.more_facts]
        plan.citations = [cited[i - uncited] for i in answer.sources if i >= uncited]
        quoted = [quotable[i]["key"] for i in answer.sources if quotable[i].get("key")]
        plan.sources = list(dict.fromkeys([*plan.sources, *quoted]))
        sources = [fact["text"] for fact in quotable]
    else:
        reply = claims = kept
    spent = (time.perf_counter() - started) * 1000 - (plan.model_ms - model_before)
    plan.timings["grounding_ms"] = round((time.perf_counter() - started) * 1000, 2)
    plan.timings["grounding_overhead_ms"] = round(spent, 2)
    plan.support_score = round(result.score, 4)
    plan.grounding = {
        "method": METHOD,
        "score": plan.support_score,
        "removed": sum(not s.supported for s in result.sentences),
        "extractive_fallback": fallback,
        "generated": generated,
        "sentences": result.as_dict()["sentences"],
        # What the final reply claims, and the facts it was checked against (the evaluation
        # re-checks the one against the other).
        "final_claims": claims,
        "facts": sources,
    }
    return reply
