"""``manage.py evaluate_medical [--assertions F] [--phi F] [--entities F ...] [--lookalikes F]``.

With no arguments it runs the project's held-out sets (``apps/medical_records/data/heldout_v2/``,
and ``heldout_v3/`` for assertions since 2026-12-07; never tuned on; how they were made:
``evaluation/make_heldout_v2.py``, ``make_heldout_v3.py`` and the README). Prints
tables, then one JSON object as its last line: ``assertion_accuracy``, ``assertion_macro_f1``,
``entity_recall``, ``entity_precision``, ``coding_accuracy``, ``phi_recall_names``,
``phi_recall_identifiers``, ``phi_precision`` (look-alike set), and the same per language under
``en`` and ``zh``.

The pipeline uses the ``medical`` graph of the ``eval-medical`` tenant (loaded from the seed
when missing) and the full vocabularies; nothing of the evaluation is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.benchmark import bench_tenant
from apps.medical_records.evaluation.entities import (
    check_entity_rows,
    entity_scores,
    phi_precision,
)
from apps.medical_records.evaluation.scores import (
    HELDOUT_ASSERTIONS,
    HELDOUT_ENTITIES,
    HELDOUT_LOOKALIKES,
    HELDOUT_PHI,
    SEEN_HELDOUT_ASSERTIONS,
    assertion_scores,
    phi_scores,
    read_jsonl,
)
from apps.medical_records.services import Pseudonymizer, extractor_for, medical_graph
from apps.medical_records.services.corrections import corrections_as_eval_rows

LANGUAGES = ("en", "zh")


def _is_held_out(paths, held_out) -> bool:
    """Whether any of ``paths`` is one of the ``held_out`` files."""
    held = {Path(h).resolve() for h in held_out}
    return any(Path(p).resolve() in held for p in paths)


class Command(BaseCommand):
    help = "Evaluate de-identification, entity recognition, coding and assertions."

    def add_arguments(self, parser):
        parser.add_argument("--assertions", default=str(HELDOUT_ASSERTIONS))
        parser.add_argument("--phi", default=str(HELDOUT_PHI))
        parser.add_argument("--entities", nargs="*", default=[str(p) for p in HELDOUT_ENTITIES])
        parser.add_argument("--lookalikes", default=str(HELDOUT_LOOKALIKES))
        parser.add_argument(
            "--tenant", default="", help="also score the corrections of this tenant (slug)"
        )
        parser.add_argument("--show-errors", action="store_true")

    def handle(self, *args, **options):
        # The evaluation runs its models (the NER model included) in this process, like the
        # tests: it needs no inference worker, and what it sends is the evaluation's own text.
        from celery import current_app

        eager = current_app.conf.task_always_eager
        current_app.conf.task_always_eager = True
        try:
            self._evaluate(**options)
        finally:
            current_app.conf.task_always_eager = eager

    def _evaluate(self, *, assertions, phi, entities, lookalikes, tenant, show_errors, **options):
        try:
            assertion_rows = read_jsonl(Path(assertions))
            phi_rows = read_jsonl(Path(phi))
            lookalike_rows = read_jsonl(Path(lookalikes))
            entity_rows = []
            for path in entities:
                rows = read_jsonl(Path(path))
                check_entity_rows(rows, path)
                entity_rows += rows
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        for number, row in enumerate(assertion_rows, start=1):
            if not {"text", "concept", "assertion"} <= set(row):
                raise CommandError(f"{assertions}:{number}: needs text, concept and assertion")
        eval_tenant = bench_tenant(slug="eval-medical", name="Medical evaluation")
        extractor, _, version = extractor_for(medical_graph(tenant=eval_tenant))
        if tenant:
            corrected = corrections_as_eval_rows(tenant_slug=tenant)
            entity_rows += corrected["entities"]
            phi_rows += corrected["phi"]
        tenant_id = str(eval_tenant.pk)
        report = assertion_scores(assertion_rows, extractor, tenant_id=tenant_id)
        entity_report = (
            entity_scores(entity_rows, extractor, tenant_id=tenant_id) if entity_rows else {}
        )
        pseudonymizer = Pseudonymizer(eval_tenant)
        try:
            phi_report = phi_scores(phi_rows, pseudonymizer)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        precision_report = phi_precision(lookalike_rows, pseudonymizer)
        self._tables(report, entity_report, phi_report, precision_report, version)
        if show_errors:
            self._errors(
                report,
                entity_report,
                phi_report,
                held_out={
                    "assertions": _is_held_out(
                        [assertions], [HELDOUT_ASSERTIONS, SEEN_HELDOUT_ASSERTIONS]
                    ),
                    "entities": _is_held_out(entities, HELDOUT_ENTITIES),
                    "phi": _is_held_out([phi], [HELDOUT_PHI]),
                },
            )
        summary = {
            "assertion_accuracy": report["assertion_accuracy"],
            "assertion_macro_f1": report["assertion_macro_f1"],
            "assertion_sentences": report["n"],
            "entity_f1": report["entity_f1"],
            "phi_recall_names": phi_report["phi_recall_names"],
            "phi_recall_identifiers": phi_report["phi_recall_identifiers"],
            "phi_precision": precision_report["phi_precision"],
            "lookalikes_kept": precision_report["lookalikes_kept"],
            "phi_items": phi_report["phi_items"],
            "phi_notes": phi_report["phi_notes"],
            "phi_per_kind": {k: v["recall"] for k, v in phi_report["phi_per_kind"].items()},
            "per_language_accuracy": {k: v["accuracy"] for k, v in report["per_language"].items()},
        }
        for key in ("entity_recall", "entity_precision", "coding_accuracy", "entity_mentions"):
            summary[key] = entity_report.get("all", {}).get(key, 0.0)
        for language in LANGUAGES:
            block = {
                "assertion_accuracy": report["per_language"].get(language, {}).get("accuracy", 0.0),
                "assertion_sentences": report["per_language"].get(language, {}).get("n", 0),
                **phi_report["phi_by_language"].get(
                    language, {"phi_recall_names": 0.0, "phi_recall_identifiers": 0.0}
                ),
                "phi_precision": precision_report["per_language"].get(language, 0.0),
            }
            for key in ("entity_recall", "entity_precision", "coding_accuracy", "entity_mentions"):
                block[key] = entity_report.get(language, {}).get(key, 0.0)
            summary[language] = block
        self.stdout.write(json.dumps(summary, ensure_ascii=False, separators=(",", ":")))

    def _tables(self, report, entity_report, phi_report, precision_report, version):
        out = self.stdout.write
        out(f"assertions: {report['n']} sentences, graph version {version}")
        out(f"{'assertion':<14}{'n':>5}{'precision':>11}{'recall':>9}{'f1':>8}")
        for label, row in report["per_assertion"].items():
            out(
                f"{label:<14}{row['n']:>5}{row['precision']:>11.3f}{row['recall']:>9.3f}"
                f"{row['f1']:>8.3f}"
            )
        for language, row in report["per_language"].items():
            out(f"  [{language}] {row['n']:>4} sentences, accuracy {row['accuracy']:.3f}")
        for language, row in entity_report.items():
            if language == "misses":
                continue
            out(
                f"entities [{language}] {row['entity_mentions']} mentions: recall "
                f"{row['entity_recall']:.3f}, precision {row['entity_precision']:.3f}, coding "
                f"{row['coding_accuracy']:.3f}"
            )
        out(f"PHI: {phi_report['phi_notes']} notes, {phi_report['phi_items']} items")
        for kind, row in phi_report["phi_per_kind"].items():
            out(f"  {kind:<13}{row['found']:>4}/{row['n']:<4} recall {row['recall']:.3f}")
        out(
            f"look-alikes: {precision_report['lookalike_notes']} notes, precision "
            f"{precision_report['phi_precision']:.3f}, look-alikes kept "
            f"{precision_report['lookalikes_kept']:.3f}"
        )

    def _errors(self, report, entity_report, phi_report, *, held_out: dict[str, bool]) -> None:
        """Each error of the sets named on the command line. A held-out set's errors are never
        printed (reading them would make it a development set): a run that leaves a set's
        option out scores the held-out one, aggregates only."""
        out = self.stdout.write
        for name, hidden in held_out.items():
            if hidden:
                out(f"  ({name}: held-out set, errors not shown; name a development file)")
        if not held_out["assertions"]:
            for error in report["errors"]:
                out(
                    f"  ✗ {error['gold']:>12} → {error['predicted']:<12} {error['concept']}: "
                    f"{error['text']}"
                )
        if not held_out["entities"]:
            for miss in entity_report.get("misses", []):
                out(f"  ✗ entity {miss['span']} → {miss['got']}: {miss['text']}")
        if not held_out["phi"]:
            for miss in phi_report["phi_missed"]:
                out(f"  ✗ PHI note {miss['note']} {miss['kind']} ({miss['value_length']} chars)")
