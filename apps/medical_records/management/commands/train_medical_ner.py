"""``manage.py train_medical_ner [--examples N] [--epochs E]``: train the clinical-entity NER
model on synthetic notes labelled from the vocabularies and save it to
``apps/medical_records/ner_model/`` (see ``apps/medical_records/services/ner.py``)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from apps.medical_records.services.ner import train


class Command(BaseCommand):
    help = "Train the medical NER model (token classifier) on synthetic, vocabulary-labelled notes."

    def add_arguments(self, parser):
        parser.add_argument("--examples", type=int, default=6000)
        parser.add_argument("--epochs", type=int, default=3)

    def handle(self, *args, examples, epochs, **options):
        report = train(examples=examples, epochs=epochs, say=self.stdout.write)
        self.stdout.write(json.dumps(report))
