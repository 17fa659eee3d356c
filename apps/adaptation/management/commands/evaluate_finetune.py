"""``manage.py evaluate_finetune [--file PAIRS.jsonl] [--smoke]``: train a LoRA adapter with the
default settings on the demo pairs (or the file), evaluate base and adapted model on the
validation split, print the figures and examples; the last line is one JSON object.

``--smoke`` (CI) runs the same path in seconds: a tiny randomly initialised Llama, 40 pairs and
a few steps; its figures say nothing about quality. The run itself:
``apps/adaptation/evaluation/finetune.py``.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from apps.adaptation.evaluation.finetune import FinetuneEvaluationError, finetune_evaluation


class Command(BaseCommand):
    help = "Fine-tune a LoRA adapter on the demo pairs (or --file) and compare it with the base."

    def add_arguments(self, parser):
        parser.add_argument("--file", help="JSONL pairs ({prompt, response} or {messages})")
        parser.add_argument("--model", default="chat", help="models_runtime chat model")
        parser.add_argument("--smoke", action="store_true", help="tiny model, a few steps (CI)")

    def handle(self, *args, **options):
        try:
            report = finetune_evaluation(
                file=options["file"],
                model=options["model"],
                smoke=options["smoke"],
                say=self.stdout.write,
            )
        except FinetuneEvaluationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(report))
