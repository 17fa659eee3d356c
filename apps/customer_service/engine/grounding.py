"""The grounding check: is each sentence of a generated reply supported by the cited sources?

Method (no entailment model installs offline here, so this is the issue's second option): a
scored lexical and embedding overlap, sentence by sentence.

* **Numbers rule** — every number, price, size or date in the sentence (``9.95``, ``30``,
  ``XS-XXL``, ``2026-01-05``) must appear in the sources or in the conversation's own slots
  (the order number); otherwise the sentence is unsupported, whatever else it shares.
* **Lexical support** — the share of the sentence's content terms (jieba words for Chinese,
  words elsewhere, stop words left out) found among the sources' terms.
* **Semantic support** — the best cosine similarity between the sentence's embedding and the
  embeddings of the sources' sentences (MiniLM through the inference worker).

* **Polarity** (the part of entailment that overlap misses) — the source sentence that shares
  most of the sentence's content (words, and characters for Chinese; at least
  ``POLARITY_OVERLAP``) must agree with it on negation: "独立出版社的电子书有DRM" against
  "独立出版社的电子书没有DRM", or "Gift cards can be returned" against "Gift cards cannot be
  returned", share nearly every word and say the opposite.

A sentence is supported when the numbers rule holds, the polarity agrees, and lexical ≥
``LEXICAL_MIN``, or lexical ≥ ``LEXICAL_FLOOR`` with semantic ≥ ``SEMANTIC_MIN`` (a close
paraphrase; new names and details still fail the lexical floor). MiniLM is weak in Chinese, so
a Chinese sentence needs the lexical test.
The reply keeps its supported sentences; when none is left, or the question's answer is not
among them, the caller falls back to the best extractive sentence of the sources
(``extractive.py``). Django-free.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from knowledge.graphs.text import has_cjk, search_terms

# Set on the development questions (demo/eval/dev_questions.jsonl), never on the reported set.
LEXICAL_MIN = 0.75
LEXICAL_FLOOR = 0.5
SEMANTIC_MIN = 0.8
POLARITY_OVERLAP = 0.6
# Negation: English words, and the Chinese negators (不, 没, 无, 未, 非, 别, 勿).
NEGATION = re.compile(
    r"\b(?:not|no|never|cannot|nor|none|neither|without)\b|n't\b|[不没无未非别勿]",
    re.IGNORECASE,
)
CJK_CHARS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；])")
NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
SIZE = re.compile(r"\b(?:X{0,3}S|X{1,3}L|XXS|[2-6]XL)(?:\s*-\s*(?:X{0,3}S|X{1,3}L|M|L))?\b")
STOP = set(
    "a an the is are was were be been am i you we they he she it its this that these those to "
    "of in on at for with by from and or but not no yes do does did can could will would shall "
    "should may might must our your my their me us them as if so than then there here what "
    "which who how when where why all any some more most very just also only please thank "
    "thanks hello hi sorry about into out up down over under again has have had".split()
) | set(
    "的 了 是 在 我 您 你 我们 吗 呢 吧 啊 和 与 或 也 都 就 请 可以 能 会 要 有 "
    "这 那 个 一 把 被 给 你们 我的 您的 怎么 怎么办 什么 吗？ 如何 哪些 多少".split()
)


@dataclass
class SentenceCheck:
    text: str
    supported: bool
    lexical: float
    semantic: float
    unsupported_numbers: list[str] = field(default_factory=list)
    contradicts: bool = False


@dataclass
class GroundingResult:
    sentences: list[SentenceCheck]

    @property
    def score(self) -> float:
        if not self.sentences:
            return 0.0
        return sum(s.supported for s in self.sentences) / len(self.sentences)

    @property
    def supported_text(self) -> str:
        kept = [s.text for s in self.sentences if s.supported]
        joiner = "" if kept and has_cjk("".join(kept)) else " "
        return joiner.join(kept).strip()

    def as_dict(self) -> dict:
        return {
            "score": round(self.score, 4),
            "sentences": [
                {
                    "text": s.text,
                    "supported": s.supported,
                    "lexical": round(s.lexical, 3),
                    "semantic": round(s.semantic, 3),
                    "unsupported_numbers": s.unsupported_numbers,
                    "contradicts": s.contradicts,
                }
                for s in self.sentences
            ],
        }


# Text in a document that speaks to the assistant instead of the customer: never quoted back,
# never support for a reply (documents are data, not instructions).
INJECTION = re.compile(
    r"ignore (all |any )?(the )?(previous|prior|above|earlier) (instructions|rules)|"
    r"system prompt|reveal (the|your) (prompt|instructions)|you are now|disregard (the|your)|"
    r"100% discount|忽略.{0,6}(指令|规则|说明)|系统提示|提示词|你现在是|100%的?折扣|<<<|>>>",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    return [p.strip() for p in SENTENCE_END.split(text.strip()) if p and p.strip()]


def _number(token: str) -> str:
    token = token.replace(",", ".")
    return token.rstrip(".:/-")


def facts_of(text: str) -> set[str]:
    """Numbers (normalised: ``9,95`` = ``9.95``; ``10.00`` = ``10``) and sizes in ``text``."""
    found = set()
    for match in NUMBER.finditer(text):
        value = _number(match.group())
        found.add(value)
        for part in re.split(r"[/-]", value):  # "2-4" supports "2" and "4"
            found.add(part)
            if re.fullmatch(r"\d+\.0+", part):
                found.add(part.split(".")[0])
    found.update(m.group().replace(" ", "").upper() for m in SIZE.finditer(text))
    return {f for f in found if f}


def _stem(term: str) -> str:
    """A light English stem ("returned", "returns" -> "return"), so that support does not
    depend on inflection; Chinese words are left as jieba gives them."""
    if len(term) > 4 and term.isascii():
        for suffix in ("ing", "ed", "es", "s"):
            if term.endswith(suffix) and len(term) - len(suffix) >= 3:
                return term[: -len(suffix)]
    return term


def content_terms(text: str) -> set[str]:
    return {
        _stem(t) for t in search_terms(text) if t not in STOP and not t.isdigit() and len(t) > 0
    }


STOP_CHARS = set("的了是在我您你们吗呢吧啊和与或也都就请要有这那个一把被给什么怎么多少哪吗？")


def coverage(query: str, text: str) -> float:
    """The share of the query's content found in ``text``: stemmed words, plus for Chinese
    its characters (jieba's words are too coarse to match a paraphrase: 退书 vs 退货)."""
    wanted = {t for t in content_terms(query) if not has_cjk(t)}
    chars = {c for c in "".join(CJK_CHARS.findall(query)) if c not in STOP_CHARS}
    if not wanted and not chars:
        return 0.0
    found = len(wanted & content_terms(text)) + sum(c in text for c in chars)
    return found / (len(wanted) + len(chars))


def contradicts(sentence: str, source_sentences: list[str]) -> bool:
    """Whether the source sentences that share most of ``sentence``'s content (at least
    ``POLARITY_OVERLAP``) all say the opposite: one of the two negated, the other not."""
    overlaps = [coverage(sentence, source) for source in source_sentences]
    best = max(overlaps, default=0.0)
    if best < POLARITY_OVERLAP:
        return False
    negated = NEGATION.search(sentence) is not None
    closest = [s for s, o in zip(source_sentences, overlaps, strict=True) if o == best]
    return all((NEGATION.search(s) is not None) != negated for s in closest)


def check(
    reply: str,
    sources: list[str],
    *,
    slots: list[str] = (),
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> GroundingResult:
    """Check each sentence of ``reply`` against ``sources`` (and the slot values)."""
    sentences = split_sentences(reply)
    if not sentences:
        return GroundingResult([])
    allowed = set().union(*(facts_of(s) for s in [*sources, *slots])) if sources or slots else set()
    source_terms = set().union(*(content_terms(s) for s in sources)) if sources else set()
    source_sentences = [s for text in sources for s in split_sentences(text)]
    semantic = np.zeros(len(sentences))
    if embed is not None and source_sentences:
        vectors = unit_rows(embed(sentences + source_sentences))
        similarity = vectors[: len(sentences)] @ vectors[len(sentences) :].T
        semantic = similarity.max(axis=1)
    checks = []
    for i, sentence in enumerate(sentences):
        missing = sorted(facts_of(sentence) - allowed)
        terms = content_terms(sentence)
        lexical = len(terms & source_terms) / len(terms) if terms else 1.0
        meaning = float(semantic[i]) if not has_cjk(sentence) else 0.0
        opposite = contradicts(sentence, source_sentences)
        ok = (
            not missing
            and not opposite
            and not INJECTION.search(sentence)
            and (lexical >= LEXICAL_MIN or (lexical >= LEXICAL_FLOOR and meaning >= SEMANTIC_MIN))
        )
        checks.append(SentenceCheck(sentence, ok, lexical, float(semantic[i]), missing, opposite))
    return GroundingResult(checks)


# A question asking for an amount, a duration, a size or a time wants a sentence with a number.
QUANTITY = re.compile(
    r"\b(how (much|many|long|big|bright|heavy|far|often|soon)|what does .* cost|price|cost|fee|"
    r"when|what time)\b|多少|多久|多长|几|什么时候|多大|多亮|费用|价格|时间",
    re.IGNORECASE,
)


PRICE_QUESTION = re.compile(
    r"\b(how much|cost|costs|price|fee|charge)\b|多少钱|费用|价格|运费|收费|年费", re.IGNORECASE
)
PRICE = re.compile(r"\d+(?:[.,]\d+)?\s*(?:EUR|GBP|USD|€|£|欧元|英镑)|[€£]\s*\d")


def unit_rows(vectors) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero): cosine similarity by dot product."""
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)
