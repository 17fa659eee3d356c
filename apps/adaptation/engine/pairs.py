"""Instruction–response pairs: parsing uploaded JSONL, validation with the line named,
deduplication, the deterministic train/validation split and a key fact per reference answer.

A line is ``{"prompt": ..., "response": ...}`` or ``{"messages": [...]}`` in the chat format
(roles ``system``/``user``/``assistant``, ending with the assistant's answer, which is the
response; everything before it is the prompt).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

ROLES = ("system", "user", "assistant")
MAX_LINES = 20_000
MAX_PROMPT_CHARS = 4_000
MAX_RESPONSE_CHARS = 4_000


class PairsError(ValueError):
    """Invalid training data; ``errors`` maps a field to messages naming the line."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(m for messages in errors.values() for m in messages))


@dataclass(frozen=True)
class Pair:
    """One training example: the conversation up to the answer, and the answer."""

    messages: tuple[tuple[str, str], ...]  # (role, content), ending with a user turn
    response: str
    source: str = "upload"
    key_fact: str = field(default="", compare=False)

    @property
    def prompt(self) -> str:
        return "\n".join(content for role, content in self.messages if role == "user")

    def chat(self) -> list[dict]:
        return [{"role": role, "content": content} for role, content in self.messages]

    def as_dict(self) -> dict:
        return {
            "messages": self.chat(),
            "response": self.response,
            "source": self.source,
            "key_fact": self.key_fact or key_fact(self.response),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Pair:
        return cls(
            messages=tuple((m["role"], m["content"]) for m in data["messages"]),
            response=data["response"],
            source=data.get("source", "upload"),
            key_fact=data.get("key_fact", ""),
        )


def _text(value, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string")
    if "\x00" in value:  # PostgreSQL's JSON cannot store it; no real text holds one
        raise ValueError(f"{what} contains a NUL character")
    return value.strip()


def pair_from_record(record, *, source: str = "upload") -> Pair:
    """One record (a parsed JSONL line or a source's dict) as a Pair; ValueError says why not."""
    if not isinstance(record, dict):
        raise ValueError("must be a JSON object")
    if "messages" in record:
        messages = record["messages"]
        if not isinstance(messages, list) or len(messages) < 2:
            raise ValueError("messages must be a list of at least two turns")
        turns = []
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                raise ValueError(f"messages[{i}].role must be one of {', '.join(ROLES)}")
            turns.append((message["role"], _text(message.get("content"), f"messages[{i}].content")))
        if turns[-1][0] != "assistant":
            raise ValueError("the last message must be the assistant's answer")
        if turns[-2][0] != "user":
            raise ValueError("the answer must follow a user message")
        prompt_turns, response = tuple(turns[:-1]), turns[-1][1]
    elif "prompt" in record or "response" in record:
        prompt_turns = (("user", _text(record.get("prompt"), "prompt")),)
        response = _text(record.get("response"), "response")
    else:
        raise ValueError('needs "messages", or "prompt" and "response"')
    prompt_chars = sum(len(content) for _, content in prompt_turns)
    if prompt_chars > MAX_PROMPT_CHARS:
        raise ValueError(f"the prompt is {prompt_chars} characters; at most {MAX_PROMPT_CHARS}")
    if len(response) > MAX_RESPONSE_CHARS:
        raise ValueError(f"the response is longer than {MAX_RESPONSE_CHARS} characters")
    fact = record.get("key_fact", "")
    if not isinstance(fact, str) or "\x00" in fact:
        raise ValueError("key_fact must be a string")
    source = record.get("source") or source
    if not isinstance(source, str) or "\x00" in source:
        raise ValueError("source must be a string")
    return Pair(prompt_turns, response, source[:40], fact.strip())


def parse_jsonl(text: str, *, source: str = "upload", field_name: str = "file") -> list[Pair]:
    """Every line parsed and checked; all problems reported together (up to 20), each naming
    its line, as ``PairsError({field_name: [...]})``. Blank lines are skipped."""
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise PairsError({field_name: [f"{len(lines)} lines; at most {MAX_LINES}"]})
    pairs, problems = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        except RecursionError:
            problems.append(f"line {number}: nested too deeply")
            continue
        try:
            pairs.append(pair_from_record(record, source=source))
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
    if problems:
        shown = problems[:20]
        if len(problems) > 20:
            shown.append(f"… and {len(problems) - 20} more problems")
        raise PairsError({field_name: shown})
    if not pairs:
        raise PairsError({field_name: ["no training pairs in the file"]})
    return pairs


def _normalised(text: str) -> str:
    return " ".join(text.casefold().split())


def pair_key(pair: Pair) -> str:
    """What makes two pairs duplicates: the same prompt and answer, ignoring case and spacing."""
    turns = "\x1e".join(f"{role}:{_normalised(content)}" for role, content in pair.messages)
    return hashlib.sha256(f"{turns}\x1f{_normalised(pair.response)}".encode()).hexdigest()


def deduplicate(pairs: list[Pair]) -> tuple[list[Pair], int]:
    """The pairs without repeats (the first one kept), and how many were dropped."""
    seen, kept = set(), []
    for pair in pairs:
        key = pair_key(pair)
        if key not in seen:
            seen.add(key)
            kept.append(pair)
    return kept, len(pairs) - len(kept)


def split(
    pairs: list[Pair], *, validation_fraction: float = 0.15, seed: int = 0
) -> tuple[list[Pair], list[Pair]]:
    """A deterministic split by a hash of each pair's prompt and the seed: the same pair lands
    on the same side whatever else the data holds, so adding pairs never moves old ones.
    Both sides get at least one pair when there are two or more."""
    scored = sorted(
        pairs,
        key=lambda p: hashlib.sha256(f"{seed}:{pair_key(p)}".encode()).hexdigest(),
    )
    count = round(len(pairs) * validation_fraction)
    if len(pairs) >= 2:
        count = min(max(count, 1), len(pairs) - 1)
    validation = set(map(id, scored[:count]))
    return (
        [p for p in pairs if id(p) not in validation],
        [p for p in pairs if id(p) in validation],
    )


def data_digest(pairs: list[Pair]) -> str:
    """SHA-256 over the pairs in order: the same data gives the same digest (model card)."""
    digest = hashlib.sha256()
    for pair in pairs:
        digest.update(pair_key(pair).encode())
    return digest.hexdigest()


_NUMBER = re.compile(
    r"\d[\d.,:]*(?:\s?-\s?\d[\d.,]*)?(?:\s?(?:%|EUR|ml|mm|g|L|mAh|lumens|"
    r"business days|days|hours|months|years|litres))?"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]{3,}")


def key_fact(reference: str) -> str:
    """The fact an answer must contain to count as right, when the data names none: its first
    figure with its unit ("30 days", "4.95 EUR"), else its longest word."""
    match = _NUMBER.search(reference)
    if match:
        return match.group().strip(" .,")
    words = sorted(_WORD.findall(reference), key=len, reverse=True)
    return words[0] if words else reference.strip()


def contains_fact(answer: str, fact: str) -> bool:
    return _normalised(fact) in _normalised(answer)
