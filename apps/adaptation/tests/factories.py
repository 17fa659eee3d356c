"""Rows and adapter files for tests (and tests/isolation_registry.py)."""

from __future__ import annotations

import hashlib
import uuid

from apps.adaptation.engine.evaluation import improved
from apps.adaptation.models import AdapterState, AdapterVersion, TrainingSet

IMPROVED = {
    "val_loss_base": 3.6,
    "val_loss_adapted": 1.4,
    "rougeL_base": 0.12,
    "rougeL_adapted": 0.45,
    "examples": [],
}
WORSE = {**IMPROVED, "val_loss_adapted": 3.9}
assert improved(IMPROVED) and not improved(WORSE)


def training_set(tenant, name="uploaded"):
    pairs = [
        {"messages": [{"role": "user", "content": f"q{i}"}], "response": f"a{i}", "source": "t"}
        for i in range(3)
    ]
    return TrainingSet.objects.create(
        tenant=tenant, name=name, pairs=pairs, pair_count=3, digest="0" * 64
    )


def adapter_version(
    tenant,
    *,
    name="shop",
    state=AdapterState.DRAFT,
    base_model="chat",
    files: dict | None = None,
    evaluation: dict | None = None,
    version: int | None = None,
):
    """A registered version; ``files`` (from ``adapter_files_for``) make it servable. ``state``
    in the API's words (``promoted`` is stored as the registry's champion)."""
    import json

    from apps.adaptation.engine.pipeline import files_digest

    if files is None:
        files = {
            "adapter_config.json": b"{}",
            "adapter_model.safetensors": uuid.uuid4().bytes,
        }
    if version is None:
        version = AdapterVersion.objects.filter(tenant=tenant, name=name).count() + 1
    return AdapterVersion.objects.create(
        tenant=tenant,
        name=name,
        version=version,
        base_model=base_model,
        state=AdapterVersion.state_from_word(state),
        adapter_config=json.loads(files["adapter_config.json"]),
        weights=files["adapter_model.safetensors"],
        digest=files_digest(files),
        data_digest=hashlib.sha256(b"data").hexdigest(),
        evaluation=IMPROVED if evaluation is None else evaluation,
        card={"seed": 0},
    )


def adapter_files_for(base_folder, seed: int = 1, rank: int = 4) -> dict[str, bytes]:
    """Real peft files for the tiny model, with non-zero B matrices (a fresh LoRA adapter is
    an identity: B starts at zero), so an adapted answer differs from the base one."""
    import torch

    from apps.adaptation.engine import lora
    from apps.adaptation.engine.pipeline import adapter_files

    model, _ = lora.load_base(str(base_folder), "cpu", torch.float32)
    peft_model = lora.attach_lora(model, lora.TrainConfig(rank=rank, alpha=2 * rank))
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.5)
    return adapter_files(peft_model)
