"""``manage.py evaluate_retrieval [--file F] [--tenant T]``: for each labelled question, the
documents of the best chunks (the knowledge layer's hybrid retrieval: BM25 with jieba words
plus MiniLM embeddings) against the document that answers it. Prints the misses, then one JSON
line with ``recall_at_5`` and ``mrr`` (overall and per language).

Without ``--file`` it runs the shipped set (116 questions over both demo shops, half Chinese;
see ``apps/customer_service/evaluation/retrieval.py``). Without ``--tenant`` each question's
``tenant`` names a demo profile, loaded into an evaluation tenant of its own. Model calls run in
this process."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Tenant
from apps.core.context import Actor, actor_scope
from apps.customer_service.evaluation.retrieval import (
    SHIPPED,
    QuestionFileError,
    evaluation_tenants,
    load_questions,
    profile_of,
    ranked_documents,
)
from apps.customer_service.services.embedding import models_in_process


class Command(BaseCommand):
    help = "Recall@5 and MRR of help-centre retrieval on labelled questions."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=None, help="JSONL questions (default: shipped)")
        parser.add_argument("--tenant", default=None, help="an existing tenant's slug")

    def handle(self, *args, file, tenant, **options):
        try:
            questions = load_questions(file or SHIPPED)
        except (OSError, QuestionFileError) as exc:
            raise CommandError(str(exc)) from exc
        found = None
        if tenant:
            found = Tenant.objects.filter(slug=tenant).first()
            if found is None:
                raise CommandError(f"no tenant {tenant!r}")
        started = time.perf_counter()
        per_language: dict[str, list[tuple[bool, float]]] = {}
        with actor_scope(Actor("system", label="evaluate_retrieval")), models_in_process():
            tenants = evaluation_tenants(questions, tenant=found, train=False)
            for row in questions:
                language = row.get("language", "")
                ranked = ranked_documents(tenants[profile_of(row)], row["question"], language)
                rank = ranked.index(row["document"]) + 1 if row["document"] in ranked else 0
                per_language.setdefault(language or "-", []).append(
                    (rank > 0, 1 / rank if rank else 0.0)
                )
                if rank != 1:
                    self.stdout.write(
                        f"  rank {rank or '>5'}: {row['question']!r} -> want {row['document']}, "
                        f"got {ranked[:3]}"
                    )
        everything = [r for rows in per_language.values() for r in rows]
        report = {
            "recall_at_5": round(sum(hit for hit, _ in everything) / len(everything), 4),
            "mrr": round(sum(rr for _, rr in everything) / len(everything), 4),
            "questions": len(everything),
            "per_language": {
                language: {
                    "recall_at_5": round(sum(h for h, _ in rows) / len(rows), 4),
                    "mrr": round(sum(rr for _, rr in rows) / len(rows), 4),
                    "questions": len(rows),
                }
                for language, rows in sorted(per_language.items())
            },
            "seconds": round(time.perf_counter() - started, 2),
        }
        self.stdout.write(json.dumps(report, separators=(",", ":"), ensure_ascii=False))
