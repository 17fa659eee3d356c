"""The adapter registry: training jobs that register draft versions with their model card,
re-evaluation, promotion to serving (admin only, needs an improvement; audited) on the shared
model registry (``apps.registry``), and merging an adapter into full weights for export."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from django.utils import timezone

from apps.adaptation.engine import evaluation, lora
from apps.adaptation.engine.pairs import Pair, PairsError, split
from apps.adaptation.engine.pipeline import files_digest, finetune, model_card
from apps.adaptation.models import AdapterVersion, TrainingSet
from apps.audit.services import audited
from apps.jobs.models import Job
from apps.jobs.services import job_create
from apps.registry.gates import PromotionRequest
from apps.registry.models import ModelState
from apps.registry.services import (
    version_create,
    version_transition,
)
from models_runtime.adapters import base_model_folder

from .data import SOURCES, training_pairs_collect

TRAIN_TASK = "apps.adaptation.tasks.adapter_train_task"
EVALUATE_TASK = "apps.adaptation.tasks.adapter_evaluate_task"
MIN_PAIRS = 10


def _base_folder(base_model: str) -> str:
    return str(base_model_folder(base_model))


def adapter_train_start(
    *,
    tenant,
    name: str,
    base_model: str = "chat",
    sources: list[str] | None = None,
    training_set: TrainingSet | None = None,
    training_config: dict | None = None,
) -> Job:
    """Check the request (``lora.ConfigError``/``PairsError`` naming the field) and queue the
    training job, which runs on the inference queue's workers (202 + job URL in the API)."""
    config = lora.TrainConfig.from_dict(training_config)
    sources = list(dict.fromkeys(sources or []))
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise PairsError(
            {"sources": [f"unknown source {unknown[0]!r}; one of {', '.join(SOURCES)}"]}
        )
    if not sources and training_set is None:
        raise PairsError({"sources": ["name at least one source or a training_set"]})
    with audited(
        tenant=tenant, action="adaptation.adapter.train_start", resource_type="jobs.job"
    ) as event:
        job = job_create(
            tenant=tenant,
            kind="adaptation.train",
            task_name=TRAIN_TASK,
            params={
                "name": name,
                "base_model": base_model,
                "sources": sources,
                "training_set": str(training_set.pk) if training_set else None,
                "training_config": config.as_dict(),
            },
        )
        event.resource_id = job.pk
        event.model_name = base_model
        event.details = {"name": name, "sources": sources}
    job.refresh_from_db()  # in-process mode: already ran
    return job


def adapter_train(*, tenant, job: Job | None = None, progress=None, **params) -> AdapterVersion:
    """Collect and split the pairs, train and evaluate, and register a draft version."""
    started = time.monotonic()
    config = lora.TrainConfig.from_dict(params.get("training_config"))
    training_set = None
    if params.get("training_set"):
        training_set = TrainingSet.objects.get(tenant=tenant, pk=params["training_set"])
    pairs, counts = training_pairs_collect(
        tenant=tenant, sources=params.get("sources") or [], training_set=training_set
    )
    if len(pairs) < MIN_PAIRS:
        raise PairsError({"sources": [f"{len(pairs)} pairs; at least {MIN_PAIRS} are needed"]})
    train_pairs, validation_pairs = split(
        pairs, validation_fraction=config.validation_fraction, seed=config.seed
    )
    base_model = params.get("base_model") or "chat"
    folder = _base_folder(base_model)

    def report(entry: dict) -> None:
        if progress:
            message = (
                f"step {entry['step']}/{entry['total']} loss {entry['loss']} "
                f"val_loss {entry['val_loss']}"
            )
            progress(entry["step"], entry["total"], message)

    outcome = finetune(folder, train_pairs, validation_pairs, config, progress=report)
    card = model_card(
        outcome,
        base_model=base_model,
        base_folder=folder,
        config=config,
        train_pairs=train_pairs,
        validation_pairs=validation_pairs,
        sources=counts,
        started=started,
    )
    with audited(
        tenant=tenant, action="adaptation.adapter.train", resource_type="adaptation.adapterversion"
    ) as event:
        adapter = version_create(
            AdapterVersion,
            tenant=tenant,
            name=params["name"],
            base_model=base_model,
            job=job,
            training_config=config.as_dict(),
            adapter_config=outcome.adapter_config,
            weights=outcome.files["adapter_model.safetensors"],
            digest=outcome.digest,
            data_digest=card["data"]["digest"],
            validation_pairs=[pair.as_dict() for pair in validation_pairs],
            evaluation=outcome.evaluation,
            card=card,
        )
        event.resource_id = adapter.pk
        event.model_name, event.model_revision = base_model, adapter.label
        event.row_count = len(pairs)
        event.details = {
            "digest": adapter.digest,
            "val_loss_base": outcome.evaluation["val_loss_base"],
            "val_loss_adapted": outcome.evaluation["val_loss_adapted"],
        }
    return adapter


def adapter_files(adapter: AdapterVersion) -> dict[str, bytes]:
    """The adapter's peft files, as the inference worker and the export write them."""
    import json

    return {
        "adapter_config.json": json.dumps(adapter.adapter_config, sort_keys=True).encode(),
        "adapter_model.safetensors": bytes(adapter.weights),
    }


def load_adapted(adapter: AdapterVersion):
    """Base model plus this adapter (peft ``PeftModel``), and the tokenizer."""
    from peft import PeftModel

    model, tokenizer = lora.load_base(_base_folder(adapter.base_model))
    with tempfile.TemporaryDirectory() as tmp:
        for filename, content in adapter_files(adapter).items():
            (Path(tmp) / filename).write_bytes(content)
        adapted = PeftModel.from_pretrained(model, tmp)
    adapted.eval()
    return adapted, tokenizer


def adapter_evaluate_start(*, tenant, adapter: AdapterVersion) -> Job:
    """Queue a re-evaluation of ``adapter`` (base and adapted) on its validation pairs."""
    with audited(
        tenant=tenant,
        action="adaptation.adapter.evaluate_start",
        resource_type="jobs.job",
        model_name=adapter.base_model,
        model_revision=adapter.label,
    ) as event:
        job = job_create(
            tenant=tenant,
            kind="adaptation.evaluate",
            task_name=EVALUATE_TASK,
            params={"adapter": str(adapter.pk)},
        )
        event.resource_id = job.pk
    job.refresh_from_db()
    return job


def adapter_evaluate(*, tenant, adapter: AdapterVersion, progress=None) -> AdapterVersion:
    """Evaluate base and base plus adapter on the version's validation pairs again and store
    the figures (the card keeps those of training)."""
    pairs = [Pair.from_dict(item) for item in adapter.validation_pairs]
    config = lora.TrainConfig.from_dict(adapter.training_config)
    adapted, tokenizer = load_adapted(adapter)
    if progress:
        progress(0, 2, "adapted model")
    after = evaluation.evaluate(adapted, tokenizer, pairs, max_length=config.max_length)
    if progress:
        progress(1, 2, "base model")
    with adapted.disable_adapter():
        before = evaluation.evaluate(adapted, tokenizer, pairs, max_length=config.max_length)
    figures = evaluation.compare(before, after, pairs)
    figures["evaluated_at"] = timezone.now().isoformat()
    with audited(
        tenant=tenant,
        action="adaptation.adapter.evaluate",
        resource_type="adaptation.adapterversion",
        resource_id=str(adapter.pk),
        model_name=adapter.base_model,
        model_revision=adapter.label,
    ) as event:
        AdapterVersion.objects.filter(pk=adapter.pk, tenant=tenant).update(evaluation=figures)
        event.row_count = len(pairs)
        event.details = {"improved": figures["improved"]}
    adapter.evaluation = figures
    return adapter


def adapter_improved_gate(request: PromotionRequest) -> list[str]:
    """The adapter's own promotion gate: it must have improved on its validation pairs."""
    adapter, figures = request.version, request.version.evaluation or {}
    if figures and evaluation.improved(figures):
        return []
    return [
        f"{adapter.label} did not improve on its validation pairs (validation loss "
        f"{figures.get('val_loss_adapted')} vs {figures.get('val_loss_base')} for the "
        f"base model; ROUGE-L {figures.get('rougeL_adapted')} vs "
        f"{figures.get('rougeL_base')})."
    ]


def _promotion_figures(adapter: AdapterVersion) -> dict:
    figures = adapter.evaluation or {}
    return {
        "digest": adapter.digest,
        "val_loss_base": figures.get("val_loss_base"),
        "val_loss_adapted": figures.get("val_loss_adapted"),
        "rougeL_base": figures.get("rougeL_base"),
        "rougeL_adapted": figures.get("rougeL_adapted"),
    }


def adapter_promote(*, tenant, adapter: AdapterVersion, approval=None) -> AdapterVersion:
    """Serve ``adapter`` for its name (the view admits admins only): the registry makes it
    the champion, so it must be a draft or retired version, and it must pass the promotion
    hook, its own gate first (an improvement on its validation pairs), then four eyes when the
    tenant asks for them (``approval``: the approved request, ``apps.registry.promotions``);
    the version serving before is retired. Audited with the figures, refusals included
    (outcome ``error``)."""
    return version_transition(
        tenant=tenant,
        version=adapter,
        state=ModelState.CHAMPION,
        action="adaptation.adapter.promote",
        details=_promotion_figures,
        context={"approval": approval} if approval is not None else None,
        gates=(adapter_improved_gate,),
    )


def adapter_retire(*, tenant, adapter: AdapterVersion) -> AdapterVersion:
    """Stop serving ``adapter`` (requests naming it get 404 until another is promoted)."""
    return version_transition(
        tenant=tenant, version=adapter, state=ModelState.RETIRED, action="adaptation.adapter.retire"
    )


def adapter_merge_export(*, tenant, adapter: AdapterVersion, out: Path) -> Path:
    """Merge the adapter into the base weights (``merge_and_unload``) and save a plain
    transformers folder with the tokenizer; audited."""
    with audited(
        tenant=tenant,
        action="adaptation.adapter.export",
        resource_type="adaptation.adapterversion",
        resource_id=str(adapter.pk),
        model_name=adapter.base_model,
        model_revision=adapter.label,
    ) as event:
        adapted, tokenizer = load_adapted(adapter)
        merged = adapted.merge_and_unload()
        out.mkdir(parents=True, exist_ok=True)
        merged.save_pretrained(out)
        tokenizer.save_pretrained(out)
        event.details = {"digest": adapter.digest}
    return out


def check_files_digest(adapter: AdapterVersion) -> bool:
    """The stored files still hash to the registered digest (what the worker serves)."""
    return files_digest(adapter_files(adapter)) == adapter.digest
