"""Chunks by headings and size: every section is split at paragraph, then sentence boundaries
into pieces of at most ``max_chars`` characters (Chinese text carries more per character, so
its limit is half); each chunk keeps its section's heading path as context."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.graphs.text import has_cjk

from .parsers import Section

MAX_CHARS = 700
SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[。！？；])")


@dataclass
class ChunkText:
    heading_path: list[str]
    text: str


def _pieces(text: str, limit: int) -> list[str]:
    pieces, current = [], ""
    for paragraph in text.split("\n"):
        units = [paragraph] if len(paragraph) <= limit else SENTENCE.split(paragraph)
        for unit in units:
            unit = unit.strip()
            if not unit:
                continue
            while len(unit) > limit:  # one sentence over the limit: cut it
                pieces.append(unit[:limit])
                unit = unit[limit:]
            joiner = "" if has_cjk(current[-1:] + unit[:1]) else " "
            if current and len(current) + len(unit) + 1 > limit:
                pieces.append(current)
                current = unit
            else:
                current = f"{current}{joiner}{unit}" if current else unit
    if current:
        pieces.append(current)
    return pieces


def chunk_sections(sections: list[Section], max_chars: int = MAX_CHARS) -> list[ChunkText]:
    chunks = []
    for section in sections:
        limit = max_chars // 2 if has_cjk(section.text) else max_chars
        for piece in _pieces(section.text, limit):
            chunks.append(ChunkText(list(section.heading_path), piece))
    return chunks
