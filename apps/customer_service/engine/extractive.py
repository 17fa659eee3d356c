"""The extractive answer: the source sentence that answers the question, chosen across all the
retrieved sources (not only the best-ranked one: retrieval ranks whole chunks, and its first hit
is not always the one that answers).

Each sentence of each source (``{"body", "heading"}``, best-ranked first) is scored against
the question:

* **words** — the share of the question's content words in the sentence, its heading counting
  half (the heading is the sentence's context: "Express delivery" > "It costs 9.95 EUR");
* **characters** (Chinese) — the share of the question's content characters in the sentence,
  its heading counting half (jieba's words are too coarse for a paraphrase: 退书 vs 退货);
* **meaning** (English, when an embedder is given) — the cosine similarity of the question and
  "heading: sentence" in MiniLM (it embeds Chinese poorly, so Chinese leaves it out);
* **what is asked** — a price question prefers a sentence with a price, an amount, duration or
  time question one with a number that the question does not already hold ("How heavy is the
  Ridge 30?" is not answered by "30"), and more so one whose unit fits the question (weight for
  "how heavy"/"多重", hours or days for "how long"/"多久", litres for "how big", lumens for
  "how bright", a clock time for "what time"/"几点"…);
* **where to** — a question about sending something to a place that no source names ("Do you
  post to Australia?", "能寄到澳大利亚吗？") prefers a sentence about where the shop sends
  ("worldwide", "overseas", "we ship to…", "全球", "海外"): the answer to an unnamed place is
  the shop's general rule, not a sentence that happens to share the verb;
* **rank** — ties go to the better-ranked source (a penalty per rank did not help on the
  development set, so it is 0).

The weights were set on the development questions (``demo/eval/dev_questions.jsonl``), never on
the reported sets. Django-free.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from knowledge.graphs.text import has_cjk

from .grounding import (
    CJK_CHARS,
    INJECTION,
    NUMBER,
    PRICE,
    PRICE_QUESTION,
    QUANTITY,
    STOP_CHARS,
    content_terms,
    coverage,
    unit_rows,
)

EXTRACT_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
# Set on the development questions (a grid over these six; the accuracy is flat around the
# chosen point: 62 of the 65 questions that reach retrieval, against 60 with the old rule).
WORDS_WEIGHT = 1.0
CHARS_WEIGHT = 1.5
MEANING_WEIGHT = 1.5
PRICE_BONUS = 0.5
NUMBER_BONUS = 0.25
UNIT_BONUS = 0.5
DESTINATION_BONUS = 0.75
RANK_PENALTY = 0.0
SECOND_SHARE = 0.75  # a second sentence of the same source joins when nearly as good
# A sentence of another source joins when the scores cannot tell the two apart (within 5 %):
# the customer reads both, each with its citation, rather than a coin toss between them.
TIE_SHARE = 0.95


# What a quantity question asks for, and the units (after a number) that answer it.
_UNITS = [
    (
        r"\bhow (heavy|much does .* weigh)\b|\bweigh|多重|重量|重不重|有多重",
        r"\d\s*(?:k?g|grams?|kilo\w*|克|公斤|千克)",
    ),
    (
        r"\bhow (long|many (hours|days|weeks|months|years))\b|多久|多长时间|几天|多少天|"
        r"几个?(小时|月)|有效期",
        r"\d\s*(?:(?:business |working )?(?:hours?|days?|weeks?|months?|years?)|小时|个?工作日|天|"
        r"周|个月|年)",
    ),
    (
        r"\bhow (big|large)\b|\bcapacity\b|\bvolume\b|多大|容量|几升|多少升",
        r"\d\s*(?:l\b|litres?|liters?|ml\b|升|毫升|毫安时|mah)",
    ),
    (r"\bhow bright\b|多亮|亮度", r"\d\s*(?:lumens?|流明)"),
    (
        r"\bwhat time\b|\bby when\b|\bhow late\b|几点|什么时间|最晚",
        r"\d{1,2}:\d{2}|\d\s*(?:am|pm|点)",
    ),
    (r"\bhow many times\b|几次|多少次", r"\d\s*(?:times|次)"),
    (r"\bhow many devices\b|几台|多少台", r"\d\s*(?:devices|台)"),
]
UNIT_QUESTIONS = [(re.compile(q, re.IGNORECASE), re.compile(a, re.IGNORECASE)) for q, a in _UNITS]
# "to <Place>" in a question about sending something; the place as written.
DESTINATION = re.compile(
    r"\b(?:ship|send|post|deliver|mail)\w*\b[^?]*?\bto\s+(?:the\s+)?"
    r"([A-Z][\w-]+(?:\s+[A-Z][\w-]+)*)|(?:寄|送|发|运|邮寄|配送)(?:到|往|去)"
    r"([\u4e00-\u9fff]{2,8}?)(?:吗|么|嘛|呢|需要|要|可以|可不可以|能|的|[？?，,]|$)"
)
# A sentence that says where the shop sends to (its general rule).
SENDS_TO = re.compile(
    r"\bworldwide\b|\boverseas\b|\binternational\b|\ball countries\b|"
    r"\b(?:ship|send|post|deliver)\w* (?:\w+ )?to the\b|全球|海外|国际|世界各地|寄往|配送到",
    re.IGNORECASE,
)


def destination(question: str) -> str:
    """The place a question asks to send something to ("" when it names none)."""
    match = DESTINATION.search(question)
    return (match.group(1) or match.group(2) or "").strip() if match else ""


def unnamed_place(question: str, text: str) -> str:
    """The destination ``question`` asks about when ``text`` does not name it ("" otherwise):
    what a text may leave out and still answer, with its general rule on where the shop
    sends."""
    place = destination(question)
    return place if place and place.casefold() not in text.casefold() else ""


def coverage_beyond_place(question: str, text: str) -> float:
    """``grounding.coverage`` of ``question`` by ``text``, leaving out a destination that
    ``text`` does not name: "能寄到澳大利亚吗？" is covered by "我们可以把图书寄往全球" (the
    help centre's general rule) although no document names Australia."""
    place = unnamed_place(question, text)
    return coverage(question.replace(place, " ") if place else question, text)


def _new_number(sentence: str, question: str) -> bool:
    """Whether the sentence holds a number that the question does not."""
    asked = {m.group() for m in NUMBER.finditer(question)}
    return any(m.group() not in asked for m in NUMBER.finditer(sentence))


def _chars(text: str) -> set[str]:
    return {c for c in "".join(CJK_CHARS.findall(text)) if c not in STOP_CHARS}


def _candidates(sources: list[dict]) -> list[tuple[int, int, str, str]]:
    """(rank, position, sentence, heading) of every sentence that may answer: questions and
    text that addresses the assistant are never picked."""
    found, position = [], 0
    for rank, source in enumerate(sources):
        heading = source.get("heading", "")
        body = source.get("body") or source.get("text", "")
        for sentence in [p.strip() for p in EXTRACT_END.split(body) if p.strip()]:
            position += 1
            if sentence.endswith(("?", "？")) or INJECTION.search(sentence):
                continue
            found.append((rank, position, sentence, heading))
    return found


def sentence_scores(
    question: str,
    candidates: list[tuple[int, int, str, str]],
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> list[float]:
    """The score of each candidate sentence for ``question`` (see the module docstring)."""
    wanted = content_terms(question)
    chars = _chars(question)
    quantity = QUANTITY.search(question) is not None
    price = PRICE_QUESTION.search(question) is not None
    units = [answer for asked, answer in UNIT_QUESTIONS if asked.search(question)]
    place = destination(question)
    unnamed_place = bool(place) and not any(
        place.casefold() in f"{h} {s}".casefold() for _, _, s, h in candidates
    )
    meaning = np.zeros(len(candidates))
    if embed is not None and candidates and not has_cjk(question):
        texts = [f"{h}: {s}" if h else s for _, _, s, h in candidates]
        vectors = unit_rows(embed([question, *texts]))
        meaning = vectors[1:] @ vectors[0]
    scores = []
    for i, (rank, _, sentence, heading) in enumerate(candidates):
        terms, head = content_terms(sentence), content_terms(heading)
        words = (len(wanted & terms) + 0.5 * len(wanted & (head - terms))) / max(1, len(wanted))
        in_chars = 0.0
        if chars:
            in_chars = sum(1.0 if c in sentence else 0.5 if c in heading else 0 for c in chars)
            in_chars /= len(chars)
        score = WORDS_WEIGHT * words + CHARS_WEIGHT * in_chars + MEANING_WEIGHT * meaning[i]
        if price and PRICE.search(sentence):
            score += PRICE_BONUS
        elif (quantity or units) and _new_number(sentence, question):
            score += NUMBER_BONUS
            if any(unit.search(sentence) for unit in units):
                score += UNIT_BONUS
        if unnamed_place and SENDS_TO.search(sentence):
            score += DESTINATION_BONUS
        scores.append(score - RANK_PENALTY * rank)
    return scores


class Answer(NamedTuple):
    """An extractive answer: its ``text``, the indexes of the ``sources`` it quotes (best first;
    [] when there is none) and its ``best`` sentence (what a reply must state to answer)."""

    text: str
    sources: list[int]
    best: str


def best_answer(
    question: str,
    sources: list[dict],
    *,
    max_sentences: int = 2,
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> Answer:
    """The extractive answer from ``sources``: the best-scoring sentence across all of them,
    with a second sentence (in source order) of the same source when it is nearly as good
    (``SECOND_SHARE``) or of another when the two are a tie (``TIE_SHARE``); a sentence two
    sources share is quoted once."""
    candidates = _candidates(sources)
    if not candidates:
        return Answer("", [], "")
    scores = sentence_scores(question, candidates, embed)
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], candidates[i][1]))
    best = order[0]
    chosen = [best]
    for i in order[1 : max_sentences + 5]:
        if len(chosen) >= max_sentences:
            break
        if any(_same_sentence(candidates[i][2], candidates[c][2]) for c in chosen):
            continue
        share = SECOND_SHARE if candidates[i][0] == candidates[best][0] else TIE_SHARE
        if scores[best] > 0 and scores[i] >= share * scores[best]:
            chosen.append(i)
    sentences = [candidates[i][2] for i in sorted(chosen, key=lambda i: candidates[i][1])]
    joiner = "" if has_cjk("".join(sentences)) else " "
    quoted = list(dict.fromkeys(candidates[i][0] for i in chosen))
    return Answer(joiner.join(sentences), quoted, candidates[best][2])


def _same_sentence(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
