"""Intents, their examples (API, admin, CSV import, the demo data) and training: embeddings
through ``models_runtime``, a classifier on them, and an evaluation report on the held-out split
stored with the model version. Training runs as a job (``intent_model_train_start``)."""

from __future__ import annotations

import csv
import io

from django.db import IntegrityError, transaction

from apps.audit.services import audited
from apps.core.upload_guard import csv_header, guarded_csv
from apps.customer_service.demo import (
    INTENT_NAMES,
    REQUIRED_SLOTS,
    demo_sentiment,
    demo_split,
)
from apps.customer_service.engine import classifier
from apps.customer_service.engine.evaluation import evaluate
from apps.customer_service.engine.fallback import as_label, decide
from apps.customer_service.models import ExampleSplit, Intent, IntentModel, TrainingExample
from apps.jobs.services import job_create
from apps.registry.models import ModelState
from apps.registry.services import transition_apply, version_create, version_transition

from .embedding import embed_texts

TRAIN_TASK = "apps.customer_service.tasks.intent_model_train_task"
MAX_CSV_ROWS = 20_000
KNOWN_SLOTS = {"order_number", "product", "email"}


class TrainingDataError(ValueError):
    """Examples that cannot be used; ``errors`` maps a field (or ``file:line:field``) to
    messages."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))


def intent_ensure(*, tenant, name: str, description: str = "", required_slots=None) -> Intent:
    """The tenant's intent ``name``, created when missing (idempotent)."""
    intent, _ = Intent.objects.get_or_create(
        tenant=tenant,
        name=name,
        defaults={"description": description, "required_slots": list(required_slots or [])},
    )
    return intent


def example_add(
    *, tenant, intent: Intent, text: str, split: str = ExampleSplit.TRAIN, source: str = "api"
) -> TrainingExample:
    """One example; a text the tenant already has (for any intent) is refused."""
    text = text.strip()
    try:
        with transaction.atomic():
            return TrainingExample.objects.create(
                tenant=tenant, intent=intent, text=text, split=split, source=source
            )
    except IntegrityError as exc:
        raise TrainingDataError({"text": ["this text is already an example"]}) from exc


def examples_import_csv(*, tenant, content: str, source: str = "csv") -> dict:
    """Import ``intent,text[,split]`` rows (header required); validated whole, written all or
    nothing; texts already present are skipped. Unknown intents are created."""
    reader = csv.DictReader(io.StringIO(content))
    if not {"intent", "text"} <= set(csv_header(reader, field="file")):
        raise TrainingDataError({"file": ["the header must name the columns intent and text"]})
    rows, errors = [], {}
    for number, row in enumerate(guarded_csv(reader, field="file"), start=2):
        if number > MAX_CSV_ROWS + 1:
            errors["file"] = [f"more than {MAX_CSV_ROWS} rows"]
            break
        name = (row.get("intent") or "").strip()
        text = (row.get("text") or "").strip()
        split = (row.get("split") or ExampleSplit.TRAIN).strip()
        if not name or len(name) > 64 or not name.replace("_", "").replace("-", "").isalnum():
            errors[f"line {number}:intent"] = ["a name of letters, digits, _ and -"]
        if not text or len(text) > 500:
            errors[f"line {number}:text"] = ["1 to 500 characters"]
        if split not in ExampleSplit.values:
            errors[f"line {number}:split"] = [f"one of {', '.join(ExampleSplit.values)}"]
        rows.append((name, text, split))
    if errors:
        raise TrainingDataError(errors)
    existing = set(TrainingExample.objects.filter(tenant=tenant).values_list("text", flat=True))
    created = 0
    with transaction.atomic():
        intents = {}
        for name, text, split in rows:
            if text in existing:
                continue
            existing.add(text)
            if name not in intents:
                intents[name] = intent_ensure(
                    tenant=tenant, name=name, required_slots=REQUIRED_SLOTS.get(name)
                )
            TrainingExample.objects.create(
                tenant=tenant, intent=intents[name], text=text, split=split, source=source
            )
            created += 1
    return {"rows": len(rows), "created": created, "skipped": len(rows) - created}


def intents_seed_demo(*, tenant) -> dict:
    """The demo intents with their training and held-out examples (idempotent)."""
    created = 0
    existing = set(TrainingExample.objects.filter(tenant=tenant).values_list("text", flat=True))
    with transaction.atomic():
        intents = {
            name: intent_ensure(tenant=tenant, name=name, required_slots=REQUIRED_SLOTS.get(name))
            for name in INTENT_NAMES
        }
        for split in (ExampleSplit.TRAIN, ExampleSplit.TEST):
            for text, name in demo_split(split):
                if text in existing:
                    continue
                existing.add(text)
                TrainingExample.objects.create(
                    tenant=tenant, intent=intents[name], text=text, split=split, source="demo"
                )
                created += 1
    return {"intents": len(INTENT_NAMES), "examples_created": created}


def fit_and_evaluate(
    *,
    tenant,
    train: list[tuple[str, str]],
    test: list[tuple[str, str]],
    threshold: float,
    ambiguity_margin: float,
    chars: bool = True,
    progress=None,
) -> dict:
    """Embed, fit the intent and sentiment classifiers, evaluate on ``test`` with fallback.
    Model calls only; nothing is written."""
    sentiment = demo_sentiment()
    texts = [t for t, _ in train] + [t for t, _ in test] + [t for t, _ in sentiment]
    if progress:
        progress(0, 3, "embedding examples")
    vectors, model_label, _ = embed_texts(tenant=tenant, texts=texts)
    n_train, n_test = len(train), len(test)
    train_vectors = vectors[:n_train]
    test_vectors = vectors[n_train : n_train + n_test]
    sentiment_vectors = vectors[n_train + n_test :]
    if progress:
        progress(1, 3, "fitting")
    intents = classifier.fit(
        train_vectors, [t for t, _ in train], [label for _, label in train], chars=chars
    )
    moods = classifier.fit(
        sentiment_vectors,
        [t for t, _ in sentiment],
        [label for _, label in sentiment],
        chars=False,
        c=5.0,
    )
    report = {}
    if test:
        probabilities = intents.probabilities(test_vectors, [t for t, _ in test])
        predicted, decisions = [], []
        for row in probabilities:
            order = row.argsort()[::-1]
            ranking = [{"name": intents.classes[i], "confidence": float(row[i])} for i in order[:2]]
            decision = decide(ranking, threshold=threshold, ambiguity_margin=ambiguity_margin)
            decisions.append(decision)
            predicted.append(as_label(decision))
        report = evaluate([label for _, label in test], predicted, intents.classes)
        report["fallbacks"] = sum(d.fallback for d in decisions)
        report["errors"] = [
            {"text": text, "intent": truth, "predicted": guess}
            for (text, truth), guess in zip(test, predicted, strict=True)
            if truth != guess
        ][:50]
    if progress:
        progress(2, 3, "evaluated")
    return {
        "intents": intents,
        "sentiment": moods,
        "report": report,
        "embedding_model": model_label,
        "threshold": threshold,
        "ambiguity_margin": ambiguity_margin,
    }


def _split_examples(tenant) -> tuple[list, list]:
    rows = TrainingExample.objects.filter(tenant=tenant).values_list(
        "text", "intent__name", "split"
    )
    train = [(t, n) for t, n, s in rows if s == ExampleSplit.TRAIN]
    test = [(t, n) for t, n, s in rows if s == ExampleSplit.TEST]
    return train, test


def intent_model_train(
    *, tenant, threshold: float = 0.4, ambiguity_margin: float = 0.1, job=None, progress=None
) -> IntentModel:
    """Train a new version on the tenant's training examples (corrections approved from the
    review queue included), evaluate on its held-out examples, register it on the model registry
    and make it the champion (``active``)."""
    train, test = _split_examples(tenant)
    if len({name for _, name in train}) < 2:
        raise TrainingDataError({"examples": ["training needs examples of at least two intents"]})
    fitted = fit_and_evaluate(
        tenant=tenant,
        train=train,
        test=test,
        threshold=threshold,
        ambiguity_margin=ambiguity_margin,
        progress=progress,
    )
    with audited(
        tenant=tenant,
        action="customer_service.intent_model.train",
        resource_type="customer_service.intentmodel",
    ) as event:
        model = version_create(
            IntentModel,
            tenant=tenant,
            job=job,
            embedding_model=fitted["embedding_model"],
            classifier=fitted["intents"].to_state(),
            sentiment=fitted["sentiment"].to_state(),
            fallback_threshold=threshold,
            ambiguity_margin=ambiguity_margin,
            report=fitted["report"],
            example_count=len(train),
        )
        # The new version answers from now on: the registry makes it the champion (through
        # the promotion hook) and retires the one before, in this training's audit event.
        # A tenant with four eyes on promotions keeps it a draft: a member asks for its
        # promotion and a second person approves (intent_model_promote).
        if not tenant.four_eyes_promotions:
            model, _ = transition_apply(tenant=tenant, version=model, state=ModelState.CHAMPION)
        event.resource_id = model.pk
        event.model_name, event.model_revision = model.audit_identity()
        event.row_count = len(train)
        event.details = {
            "accuracy": fitted["report"].get("accuracy"),
            "embedding_model": fitted["embedding_model"],
            "state": model.state,
        }
    return model


def intent_model_promote(*, tenant, model: IntentModel, approval=None) -> IntentModel:
    """Make ``model`` (a draft) the version that answers, retiring the one before, through the
    registry's promotion hook: four eyes when the tenant asks for them (``approval``: the
    approved request of ``apps.registry.promotions``). Audited, refusals included."""
    return version_transition(
        tenant=tenant,
        version=model,
        state=ModelState.CHAMPION,
        action="customer_service.intent_model.promote",
        details=lambda locked: {"accuracy": (locked.report or {}).get("accuracy")},
        context={"approval": approval} if approval is not None else None,
    )


def intent_model_train_start(*, tenant, threshold: float = 0.4, ambiguity_margin: float = 0.1):
    """Queue a training job (202 in the API); starting a training is a privileged write, so
    it is audited. The job is read back inside the block: the API answers with the job as
    queued, before an in-process run starts at commit."""
    with audited(
        tenant=tenant,
        action="customer_service.intent_model.train.start",
        resource_type="jobs.job",
    ) as event:
        job = job_create(
            tenant=tenant,
            kind="customer_service.train",
            task_name=TRAIN_TASK,
            params={"threshold": threshold, "ambiguity_margin": ambiguity_margin},
        )
        event.resource_id = str(job.pk)
        job.refresh_from_db()
    return job
