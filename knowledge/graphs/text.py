"""Text handling shared by search and entity linking: normalisation, and tokens with offsets,
with jieba segmenting Chinese runs (and plain word splitting elsewhere)."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

import jieba

jieba.setLogLevel(logging.WARNING)  # it announces its dictionary load at INFO

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{_CJK}]+")
WORD = re.compile(rf"[^\W{_CJK}]+", re.UNICODE)
_NON_WORD = re.compile(rf"[^\w{_CJK}]+", re.UNICODE)
_jieba_ready = threading.Lock()


def has_cjk(text: str) -> bool:
    return CJK_RUN.search(text) is not None


def normalize(text: str) -> str:
    """Lower case, punctuation and runs of spaces folded to one space, none between CJK
    characters: "High-Blood  Pressure" -> "high blood pressure", "高 血压" -> "高血压"."""
    folded = _NON_WORD.sub(" ", text.casefold()).strip()
    return re.sub(rf"(?<=[{_CJK}]) (?=[{_CJK}])", "", folded)


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # normalised
    start: int
    end: int
    cjk: bool


def _segment(run: str):
    with _jieba_ready:  # jieba builds its prefix dictionary lazily, once, not thread-safely
        jieba.dt.check_initialized()
    return jieba.tokenize(run)


def tokens(text: str) -> list[Token]:
    """Words outside CJK runs, jieba's words inside them, in order, with character offsets."""
    found: list[Token] = []
    position = 0
    for run in CJK_RUN.finditer(text):
        found.extend(_words(text, position, run.start()))
        for word, start, end in _segment(run.group()):
            found.append(Token(word, run.start() + start, run.start() + end, True))
        position = run.end()
    found.extend(_words(text, position, len(text)))
    return found


def _words(text: str, start: int, end: int):
    for match in WORD.finditer(text, start, end):
        yield Token(match.group().casefold(), match.start(), match.end(), False)


def search_terms(text: str) -> list[str]:
    """Terms for BM25: words, plus jieba's search-mode words (a long Chinese word and its
    parts) so that 高血压 is found by 血压 too."""
    terms: list[str] = []
    position = 0
    for run in CJK_RUN.finditer(text):
        terms.extend(m.group().casefold() for m in WORD.finditer(text, position, run.start()))
        with _jieba_ready:
            jieba.dt.check_initialized()
        terms.extend(jieba.lcut_for_search(run.group()))
        position = run.end()
    terms.extend(m.group().casefold() for m in WORD.finditer(text, position, len(text)))
    return terms


def spans(text: str, found: list[Token], max_tokens: int = 5):
    """Every run of up to ``max_tokens`` consecutive tokens as (normalised text, start, end);
    normalised exactly like the surface forms it is compared with."""
    for i in range(len(found)):
        for j in range(i, min(i + max_tokens, len(found))):
            start, end = found[i].start, found[j].end
            yield normalize(text[start:end]), start, end
