"""Training pairs from the three sources: approved customer-service corrections (callables
named in ``ADAPTATION_PAIR_SOURCES``, so this app imports no vertical), FAQ nodes of the
tenant's knowledge graph, and uploaded JSONL; plus the project's demo pairs. Personal data is
masked through apps.privacy before anything is stored or trained on."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

from apps.adaptation.engine.pairs import (
    Pair,
    PairsError,
    data_digest,
    deduplicate,
    pair_from_record,
    parse_jsonl,
)
from apps.adaptation.models import TrainingSet
from apps.audit.services import audited
from apps.core.upload_guard import check_lines, check_record
from apps.privacy import mask_pii
from knowledge.selectors import nodes_of

logger = logging.getLogger(__name__)

DEMO_PAIRS = Path(__file__).resolve().parent.parent / "demo" / "shop_pairs.jsonl"
SOURCES = ("corrections", "faq", "demo")


def demo_pairs() -> list[Pair]:
    """The project's demo pairs about Demo Shop (apps/adaptation/demo/shop_pairs.jsonl)."""
    return parse_jsonl(DEMO_PAIRS.read_text(encoding="utf-8"), source="demo")


def correction_pairs(*, tenant) -> tuple[list[Pair], int]:
    """Approved corrections from every callable in ``ADAPTATION_PAIR_SOURCES``; records that
    are not valid pairs are skipped and counted."""
    pairs, skipped = [], 0
    for path in getattr(settings, "ADAPTATION_PAIR_SOURCES", []):
        for record in import_string(path)(tenant=tenant):
            try:
                pairs.append(pair_from_record(record, source="correction"))
            except ValueError:
                skipped += 1
    return pairs, skipped


def faq_pairs(*, tenant) -> list[Pair]:
    """Question (label) and answer of each FAQ node in the tenant's graph named
    ``ADAPTATION_FAQ_GRAPH`` (the customer-service seed's ``shop``)."""
    nodes = nodes_of(tenant=tenant).filter(
        graph__name=getattr(settings, "ADAPTATION_FAQ_GRAPH", "shop"), type="faq"
    )
    pairs = []
    for node in nodes:
        answer = (node.properties or {}).get("answer")
        if isinstance(answer, str) and answer.strip() and node.label.strip():
            pairs.append(
                Pair((("user", node.label.strip()),), answer.strip(), f"faq:{node.key}"[:40])
            )
    return pairs


def mask_pairs(pairs: list[Pair]) -> tuple[list[Pair], int]:
    """Every prompt turn and answer with personal identifiers replaced (``<PERSON>``…); the
    number of texts in which something was masked."""
    masked, changed = [], 0

    def clean(text: str) -> str:
        nonlocal changed
        result = mask_pii(text)
        changed += result != text
        return result

    for pair in pairs:
        messages = tuple((role, clean(content)) for role, content in pair.messages)
        masked.append(Pair(messages, clean(pair.response), pair.source, pair.key_fact))
    return masked, changed


def jsonl_guard(content: str, *, field: str) -> None:
    """The upload guard's caps on JSONL: lines are rows, every record within the column and cell
    limits (a line that is not JSON is left to the parser, which names it)."""
    for number, line in enumerate(check_lines(content, field=field, cells=False), start=1):
        try:
            record = json.loads(line) if line.strip() else None
        except (ValueError, RecursionError):
            continue
        check_record(record, field=field, where=f"at line {number}")


def training_set_create(
    *, tenant, name: str, content: str, filename: str = "", field: str = "file"
) -> TrainingSet:
    """Validate uploaded JSONL (``PairsError`` naming each bad line), drop duplicates, mask
    personal data and store the pairs; audited with the count and digest, never the text."""
    jsonl_guard(content, field=field)
    pairs = parse_jsonl(content, source="upload")
    pairs, dropped = deduplicate(pairs)
    pairs, masked = mask_pairs(pairs)
    if len(pairs) < 2:
        raise PairsError({"file": ["at least two distinct pairs are needed"]})
    with audited(
        tenant=tenant,
        action="adaptation.training_set.create",
        resource_type="adaptation.trainingset",
    ) as event:
        training_set = TrainingSet.objects.create(
            tenant=tenant,
            name=name,
            pairs=[pair.as_dict() for pair in pairs],
            pair_count=len(pairs),
            duplicates_dropped=dropped,
            masked_fields=masked,
            digest=data_digest(pairs),
            source_filename=filename[:255],
        )
        event.resource_id = training_set.pk
        event.row_count = len(pairs)
        event.details = {"duplicates_dropped": dropped, "masked_fields": masked}
    return training_set


def training_pairs_collect(
    *, tenant, sources: list[str], training_set: TrainingSet | None = None
) -> tuple[list[Pair], dict]:
    """The pairs of the chosen sources, in a fixed order, deduplicated and masked, with a
    count per source for the model card."""
    pairs: list[Pair] = []
    counts: dict = {}
    if "corrections" in sources:
        found, skipped = correction_pairs(tenant=tenant)
        pairs += found
        counts["corrections"] = len(found)
        if skipped:
            counts["corrections_skipped"] = skipped
    if "faq" in sources:
        found = faq_pairs(tenant=tenant)
        pairs += found
        counts["faq"] = len(found)
    if "demo" in sources:
        found = demo_pairs()
        pairs += found
        counts["demo"] = len(found)
    if training_set is not None:
        found = [Pair.from_dict(item) for item in training_set.pairs]  # masked on upload
        counts["upload"] = len(found)
        counts["training_set"] = str(training_set.pk)
    else:
        found = []
    to_mask, dropped = deduplicate(pairs)
    masked, changed = mask_pairs(to_mask)
    combined, dropped_again = deduplicate(masked + found)
    counts["duplicates_dropped"] = dropped + dropped_again
    counts["masked_fields"] = changed
    return combined, counts
