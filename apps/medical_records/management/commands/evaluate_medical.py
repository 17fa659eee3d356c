"""``manage.py evaluate_medical [--assertions FILE.jsonl] [--phi FILE.jsonl]``: assertion and
de-identification quality on the project's annotated sets (``apps/medical_records/data/``) or
the given files. Prints per-assertion and per-language precision and recall, then one JSON line
with ``assertion_accuracy``, ``assertion_macro_f1``, ``entity_f1``, ``phi_recall_identifiers``
(every kind but NAME) and ``phi_recall_names``.

The pipeline uses the ``medical`` graph of the ``eval-medical`` tenant (loaded from the seed
when missing); nothing of the evaluation is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.benchmark import bench_tenant
from apps.medical_records.evaluation import (
    DEFAULT_ASSERTIONS,
    DEFAULT_PHI,
    assertion_scores,
    phi_scores,
    read_jsonl,
)
from apps.medical_records.services import Pseudonymizer, extractor_for, medical_graph


class Command(BaseCommand):
    help = "Evaluate assertion classification and PHI recall of the medical pipeline."

    def add_arguments(self, parser):
        parser.add_argument("--assertions", default=str(DEFAULT_ASSERTIONS))
        parser.add_argument("--phi", default=str(DEFAULT_PHI))
        parser.add_argument("--show-errors", action="store_true")

    def handle(self, *args, assertions, phi, show_errors, **options):
        try:
            assertion_rows = read_jsonl(Path(assertions))
            phi_rows = read_jsonl(Path(phi))
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for number, row in enumerate(assertion_rows, start=1):
            if not {"text", "concept", "assertion"} <= set(row):
                raise CommandError(f"{assertions}:{number}: needs text, concept and assertion")
        tenant = bench_tenant(slug="eval-medical", name="Medical evaluation")
        extractor, _, version = extractor_for(medical_graph(tenant=tenant))
        report = assertion_scores(assertion_rows, extractor)
        try:
            phi_report = phi_scores(phi_rows, Pseudonymizer(tenant))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out = self.stdout.write
        out(f"assertions: {report['n']} sentences, graph version {version}")
        out(f"{'assertion':<14}{'n':>5}{'precision':>11}{'recall':>9}{'f1':>8}")
        for label, row in report["per_assertion"].items():
            out(
                f"{label:<14}{row['n']:>5}{row['precision']:>11.3f}{row['recall']:>9.3f}"
                f"{row['f1']:>8.3f}"
            )
        out(f"{'language':<14}{'n':>5}{'precision':>11}{'recall':>9}{'accuracy':>10}")
        for language, row in report["per_language"].items():
            out(
                f"{language:<14}{row['n']:>5}{row['macro_precision']:>11.3f}"
                f"{row['macro_recall']:>9.3f}{row['accuracy']:>10.3f}"
            )
        out(f"PHI: {phi_report['phi_notes']} notes")
        for kind, row in phi_report["phi_per_kind"].items():
            out(f"  {kind:<10}{row['found']:>4}/{row['n']:<4} recall {row['recall']:.3f}")
        for language, row in phi_report["phi_per_language"].items():
            out(f"  [{language}]     {row['found']:>4}/{row['n']:<4} recall {row['recall']:.3f}")
        if show_errors:
            for error in report["errors"]:
                out(
                    f"  ✗ {error['gold']:>12} → {error['predicted']:<12} {error['concept']}: "
                    f"{error['text']}"
                )
            for miss in phi_report["phi_missed"]:
                out(f"  ✗ PHI note {miss['note']} {miss['kind']} ({miss['value_length']} chars)")
        summary = {
            "assertion_accuracy": report["assertion_accuracy"],
            "assertion_macro_f1": report["assertion_macro_f1"],
            "entity_f1": report["entity_f1"],
            "entity_precision": report["entity_precision"],
            "entity_recall": report["entity_recall"],
            "phi_recall_identifiers": phi_report["phi_recall_identifiers"],
            "phi_recall_names": phi_report["phi_recall_names"],
            "assertion_sentences": report["n"],
            "per_language_accuracy": {k: v["accuracy"] for k, v in report["per_language"].items()},
            "phi_per_kind": {k: v["recall"] for k, v in phi_report["phi_per_kind"].items()},
            "phi_notes": phi_report["phi_notes"],
        }
        out(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))
