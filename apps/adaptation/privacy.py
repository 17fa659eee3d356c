"""Domain adaptation's data in the platform's lifecycle (``PRIVACY_DATA_KINDS``).

- ``adaptation.training_sets``: uploaded instruction–response pairs (masked on upload, but an
  order number or an account id is not personal data to the masker) and the held-out pairs
  each trained adapter keeps (``validation_pairs``). A subject's identifier of 6 characters or
  more found in a pair removes that pair, from the set (its count and digest recomputed) and
  from every adapter's held-out pairs; the adapter's weights stay (they hold no text to search).
  Training sets expire after their period; tenant erasure deletes the sets and the adapters.
"""

from __future__ import annotations

import json

from apps.data_lifecycle.kinds import (
    ANY_SUBJECT,
    DataKind,
    delete_batch,
    deleted_counts,
    export_rows,
)

from .engine.pairs import Pair, data_digest
from .models import AdapterVersion, TrainingSet

MIN_SUBSTRING = 6


def _names(pair: dict, subject_id: str) -> bool:
    return subject_id.lower() in json.dumps(pair, ensure_ascii=False).lower()


def _erase_subject(tenant, subject_kind, subject_id) -> dict:
    subject_id = subject_id.strip()
    if len(subject_id) < MIN_SUBSTRING:
        return {}
    counts: dict[str, int] = {}
    for training_set in TrainingSet.objects.filter(tenant=tenant, pairs__icontains=subject_id):
        kept = [pair for pair in training_set.pairs if not _names(pair, subject_id)]
        removed = len(training_set.pairs) - len(kept)
        if not removed:
            continue
        training_set.pairs = kept
        training_set.pair_count = len(kept)
        training_set.digest = data_digest([Pair.from_dict(pair) for pair in kept])
        training_set.save(update_fields=["pairs", "pair_count", "digest"])
        counts["adaptation.TrainingSet pairs"] = counts.get("adaptation.TrainingSet pairs", 0)
        counts["adaptation.TrainingSet pairs"] += removed
    adapters = AdapterVersion.objects.filter(tenant=tenant, validation_pairs__icontains=subject_id)
    for adapter in adapters:
        kept = [pair for pair in adapter.validation_pairs if not _names(pair, subject_id)]
        removed = len(adapter.validation_pairs) - len(kept)
        if removed:
            AdapterVersion.objects.filter(pk=adapter.pk).update(validation_pairs=kept)
            counts["adaptation.AdapterVersion pairs"] = (
                counts.get("adaptation.AdapterVersion pairs", 0) + removed
            )
    return counts


def _erase_tenant(tenant) -> dict:
    counts = deleted_counts(TrainingSet.objects.filter(tenant=tenant))
    counts.update(deleted_counts(AdapterVersion.objects.filter(tenant=tenant)))
    return counts


def _expire(tenant, before, limit) -> int:
    return delete_batch(TrainingSet.objects.filter(tenant=tenant, created_at__lt=before), limit)


def _export(tenant):
    yield from export_rows("adaptation_trainingset", TrainingSet.objects.filter(tenant=tenant))
    versions = AdapterVersion.objects.filter(tenant=tenant).defer("weights")
    yield from export_rows("adaptation_adapterversion", versions)


DATA_KINDS = [
    DataKind(
        name="adaptation.training_sets",
        default_days=2 * 365,
        expire=_expire,
        erase_tenant=_erase_tenant,
        export=_export,
        erase_subject=_erase_subject,
        subject_kinds=(ANY_SUBJECT,),
    )
]
