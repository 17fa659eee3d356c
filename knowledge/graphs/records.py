"""What an import carries: node and edge records, and where each came from (file and line)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(slots=True)
class NodeRecord:
    key: str
    type: str  # noqa: A003
    label: str = ""
    aliases: list[str] = field(default_factory=list)
    properties: dict = field(default_factory=dict)
    file: str = ""
    line: int = 0

    def text_hash(self) -> str:
        """Fingerprint of everything search and embeddings read (see Node.text_hash)."""
        return node_text_hash(self.label, self.aliases, self.properties)


class EdgeRecord(NamedTuple):
    """A tuple, not a dataclass: a bulk import makes 250,000 of them, and ``_make`` builds one
    without a Python-level ``__init__`` call. Never mutated (an empty ``properties`` may be
    shared)."""

    source: str
    target: str
    type: str  # noqa: A003
    weight: float = 1.0
    properties: dict = {}  # read-only by contract (see the docstring)
    file: str = ""
    line: int = 0


# A generated identifier (a UUID) says nothing a question could ask about, and it differs
# between databases: inside the search text it made rankings differ from one fresh database
# to the next (a document chunk's ``document_id``).
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)


def without_identifiers(text: str) -> str:
    """``text`` with generated identifiers (UUIDs) left out: "doc:<uuid>:v1:3" -> "doc::v1:3"."""
    return UUID.sub("", text)


def node_search_text(label: str, aliases, properties) -> str:
    """The text a node is found by: label, aliases and its scalar property values, generated
    identifiers (UUIDs) left out."""
    parts = [label or "", *(aliases or [])]
    for value in (properties or {}).values():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            parts.append(str(value))
        elif isinstance(value, list):
            parts.extend(str(item) for item in value if isinstance(item, str | int | float))
    return " \n".join(text for part in parts if (text := without_identifiers(part).strip()))


def node_text_hash(label: str, aliases, properties) -> str:
    return node_text_hash_json(
        label,
        json.dumps(aliases or [], ensure_ascii=False),
        json.dumps(properties or {}, sort_keys=True, ensure_ascii=False),
    )


def node_text_hash_json(label: str, aliases_json: str, properties_json: str) -> str:
    """The same hash from JSON texts already made (bulk writes dump them for COPY anyway):
    aliases as ``json.dumps(aliases)``, properties with ``sort_keys=True``."""
    payload = "\x1f".join((label, aliases_json, properties_json))
    return hashlib.md5(payload.encode(), usedforsecurity=False).hexdigest()
