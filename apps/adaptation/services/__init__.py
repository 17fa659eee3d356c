"""Writes of domain adaptation (HackSoft services), re-exported here."""

# The registry's refusal is part of this package's interface: the view catches it here.
from apps.registry.services import PromotionError

from .adapters import (
    adapter_evaluate,
    adapter_evaluate_start,
    adapter_files,
    adapter_merge_export,
    adapter_promote,
    adapter_retire,
    adapter_train,
    adapter_train_start,
    load_adapted,
)
from .data import (
    demo_pairs,
    faq_pairs,
    mask_pairs,
    training_pairs_collect,
    training_set_create,
)

__all__ = [
    "PromotionError",
    "adapter_evaluate",
    "adapter_evaluate_start",
    "adapter_files",
    "adapter_merge_export",
    "adapter_promote",
    "adapter_retire",
    "adapter_train",
    "adapter_train_start",
    "demo_pairs",
    "faq_pairs",
    "load_adapted",
    "mask_pairs",
    "training_pairs_collect",
    "training_set_create",
]
