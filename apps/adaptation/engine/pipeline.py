"""One fine-tuning run from a base folder and split pairs to adapter files and figures: the
path shared by the training job and ``evaluate_finetune``."""

from __future__ import annotations

import hashlib
import json
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import evaluation, lora
from .pairs import Pair, data_digest

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


@dataclass
class FinetuneOutcome:
    files: dict[str, bytes]  # adapter_config.json, adapter_model.safetensors
    digest: str
    adapter_config: dict
    evaluation: dict  # compare(): base and adapted figures, examples
    training: dict  # steps, best step, history, seconds, stopped early
    trainable_fraction: float
    trainable_parameters: int
    total_parameters: int
    device: str
    dtype: str


def library_versions() -> dict:
    from importlib.metadata import version

    packages = ("torch", "transformers", "peft", "rouge-score", "safetensors")
    return {"python": platform.python_version(), **{name: version(name) for name in packages}}


def files_digest(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    return digest.hexdigest()


def adapter_files(peft_model) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        peft_model.save_pretrained(tmp)
        files = {name: (Path(tmp) / name).read_bytes() for name in ADAPTER_FILES}
    # One canonical form of the config, so the digest of the files served later (re-written
    # from the stored JSON) is the digest registered now.
    config = json.loads(files["adapter_config.json"])
    files["adapter_config.json"] = json.dumps(config, sort_keys=True).encode()
    return files


def finetune(
    base_folder: str,
    train_pairs: list[Pair],
    validation_pairs: list[Pair],
    config: lora.TrainConfig,
    *,
    progress=None,
    max_new_tokens: int = 64,
) -> FinetuneOutcome:
    """Evaluate the base model, train the adapter, evaluate base plus adapter."""
    device, dtype = lora.device_and_dtype()
    model, tokenizer = lora.load_base(base_folder, device, dtype)
    before = evaluation.evaluate(
        model,
        tokenizer,
        validation_pairs,
        max_length=config.max_length,
        max_new_tokens=max_new_tokens,
    )
    result = lora.train(model, tokenizer, train_pairs, validation_pairs, config, progress)
    after = evaluation.evaluate(
        result.model,
        tokenizer,
        validation_pairs,
        max_length=config.max_length,
        max_new_tokens=max_new_tokens,
    )
    files = adapter_files(result.model)
    return FinetuneOutcome(
        files=files,
        digest=files_digest(files),
        adapter_config=json.loads(files["adapter_config.json"]),
        evaluation=evaluation.compare(before, after, validation_pairs),
        training={
            "steps": result.steps,
            "best_step": result.best_step,
            "stopped_early": result.stopped_early,
            "history": result.history,
            "train_seconds": round(result.seconds, 2),
        },
        trainable_fraction=result.trainable / result.total,
        trainable_parameters=result.trainable,
        total_parameters=result.total,
        device=device,
        dtype=str(dtype).removeprefix("torch."),
    )


def model_card(
    outcome: FinetuneOutcome,
    *,
    base_model: str,
    base_folder: str,
    config: lora.TrainConfig,
    train_pairs: list[Pair],
    validation_pairs: list[Pair],
    sources: dict,
    started: float,
) -> dict:
    """What a reader needs to trust and reproduce the adapter."""
    return {
        "base_model": base_model,
        "base_weights": Path(base_folder).name,
        "method": "LoRA (peft); loss on answer tokens only",
        "seed": config.seed,
        "training_config": config.as_dict(),
        "data": {
            "digest": data_digest(train_pairs + validation_pairs),
            "train_pairs": len(train_pairs),
            "validation_pairs": len(validation_pairs),
            "sources": sources,
            "split": "deterministic: SHA-256 of seed and pair, lowest hashes to validation",
            "personal_data": "masked with apps.privacy before training",
        },
        "parameters": {
            "trainable": outcome.trainable_parameters,
            "total": outcome.total_parameters,
            "trainable_fraction": round(outcome.trainable_fraction, 6),
        },
        "training": outcome.training,
        "evaluation": outcome.evaluation,
        "device": outcome.device,
        "dtype": outcome.dtype,
        "adapter_digest": outcome.digest,
        "library_versions": library_versions(),
        "seconds": round(time.monotonic() - started, 2),
    }
