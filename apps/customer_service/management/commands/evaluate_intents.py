"""``manage.py evaluate_intents [--file FILE.jsonl]``: train on the demo training split and
evaluate on the held-out split (or on FILE: one ``{"text", "intent"}`` object per line), with
the fallback rule applied. Prints per-intent figures, then one JSON line with ``accuracy``,
``macro_f1``, ``oos_recall`` and ``in_scope_precision``.

Embeddings go through ``models_runtime.client`` (MiniLM by default), run in this process so that
the command needs no inference worker. Only the model usage of its own tenant
(``cs-evaluation``) is written.
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.benchmark import bench_tenant
from apps.customer_service.demo import INTENT_NAMES, DataFileError, demo_split, load_jsonl
from apps.customer_service.services.embedding import models_in_process
from apps.customer_service.services.training import fit_and_evaluate

EVALUATION_TENANT = "cs-evaluation"


class Command(BaseCommand):
    help = "Train on the demo intents and report held-out accuracy, OOS recall, precision."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", default=None, help="JSONL test cases instead of the demo split"
        )
        parser.add_argument("--threshold", type=float, default=0.4)
        parser.add_argument("--ambiguity-margin", type=float, default=0.1)
        parser.add_argument(
            "--no-chars",
            action="store_true",
            help="embedding features only (no character n-grams)",
        )

    def handle(self, *args, file, threshold, ambiguity_margin, no_chars, **options):
        train = demo_split("train")
        try:
            test = load_jsonl(file) if file else demo_split("test")
        except (OSError, DataFileError) as exc:
            raise CommandError(str(exc)) from exc
        unknown = sorted({label for _, label in test} - set(INTENT_NAMES))
        if unknown:
            raise CommandError(f"unknown intents in the test cases: {', '.join(unknown)}")
        started = time.perf_counter()
        with models_in_process():
            fitted = fit_and_evaluate(
                # Model calls are metered per tenant: the evaluation's own, without quotas.
                tenant=bench_tenant(slug=EVALUATION_TENANT, name="Intent evaluation"),
                train=train,
                test=test,
                threshold=threshold,
                ambiguity_margin=ambiguity_margin,
                chars=not no_chars,
            )
        report = fitted["report"]
        self.stdout.write(f"{'intent':<18}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}")
        for name, row in report["per_intent"].items():
            self.stdout.write(
                f"{name:<18}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}"
                f"{row['support']:>9}"
            )
        for error in report["errors"][:20]:
            self.stdout.write(
                f"  miss: {error['text']!r} {error['intent']} -> {error['predicted']}"
            )
        self.stdout.write(
            json.dumps(
                {
                    "accuracy": report["accuracy"],
                    "macro_f1": report["macro_f1"],
                    "oos_recall": report["oos_recall"],
                    "in_scope_precision": report["in_scope_precision"],
                    "cases": report["cases"],
                    "fallbacks": report["fallbacks"],
                    "train_examples": len(train),
                    "threshold": threshold,
                    "ambiguity_margin": ambiguity_margin,
                    "features": "embedding" if no_chars else "embedding+chars",
                    "embedding_model": fitted["embedding_model"],
                    "seconds": round(time.perf_counter() - started, 2),
                },
                separators=(",", ":"),
            )
        )
