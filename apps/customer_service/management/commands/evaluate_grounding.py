"""``manage.py evaluate_grounding [--file F] [--tenant T]``: the whole reply path (intent,
retrieval, the chat model, the grounding check and its extractive fallback) on labelled
questions, each in a new conversation. Prints the failures, then one JSON line with
``supported_fraction`` (replies whose every sentence the cited sources support, re-checked on
the final text; a fixed text such as "I do not know" counts as not supported),
``answer_accuracy`` (replies stating every reference fact) and
``extractive_fallback_fraction`` (replies that fell back to an extractive answer), overall and
per language, and ``grounding_ms_p50``.

With ``--negatives F`` (JSONL rows ``{"tenant", "language", "question"}`` that no document
answers, such as ``demo/eval/negatives_heldout.jsonl``) it also asks those, each in a new
conversation, and reports under ``negatives`` the share answered from the shop's facts instead
of an out-of-scope or "I did not understand" text (``answered_fraction``, overall and per
language): how often the help centre speaks where it should not.

Without ``--file`` it runs the shipped set (116 questions over both demo shops, half Chinese).
Model calls (MiniLM, SmolLM2 by default) run in this process; replies are not cached."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Tenant
from apps.core.context import Actor, actor_scope
from apps.customer_service.engine import grounding
from apps.customer_service.evaluation.retrieval import (
    SHIPPED,
    QuestionFileError,
    evaluation_tenants,
    load_questions,
    percentile,
    profile_of,
    states_facts,
)
from apps.customer_service.models import Turn
from apps.customer_service.services import conversation_start, message_reply
from apps.customer_service.services.embedding import models_in_process


def _supported(turn: Turn) -> bool:
    """The final reply re-checked against the facts it was built from (lexical and numbers
    rule; the fixed prefix of an extractive answer is not a claim)."""
    facts = (turn.grounding or {}).get("facts") or []
    if not facts or turn.support_score is None:
        return False
    text = turn.grounding.get("final_claims") or turn.text
    result = grounding.check(text, facts, slots=[str(v) for v in (turn.slots or {}).values()])
    return bool(result.sentences) and all(s.supported for s in result.sentences)


class Command(BaseCommand):
    help = "Supported fraction, answer accuracy and fallback share of grounded replies."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=None, help="JSONL questions (default: shipped)")
        parser.add_argument("--tenant", default=None, help="an existing tenant's slug")
        parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
        parser.add_argument(
            "--negatives", default=None, help="JSONL out-of-scope questions (none by default)"
        )

    def handle(self, *args, file, tenant, limit, negatives, **options):
        try:
            questions = load_questions(file or SHIPPED)
            outside = load_questions(negatives, required=("question",)) if negatives else []
        except (OSError, QuestionFileError) as exc:
            raise CommandError(str(exc)) from exc
        if limit:
            questions = questions[:limit]
        found = None
        if tenant:
            found = Tenant.objects.filter(slug=tenant).first()
            if found is None:
                raise CommandError(f"no tenant {tenant!r}")
        settings.CUSTOMER_SERVICE_MODEL_CACHE = False  # every reply generated, none replayed
        started = time.perf_counter()
        rows, grounding_ms = [], []
        with actor_scope(Actor("system", label="evaluate_grounding")), models_in_process():
            tenants = evaluation_tenants(questions + outside, tenant=found, train=True)
            for row in questions:
                conversation = conversation_start(tenant=tenants[profile_of(row)])
                outcome = message_reply(conversation=conversation, text=row["question"])
                reply, plan = outcome.reply, outcome.plan
                turn = Turn.objects.get(pk=outcome.reply_turn.pk) if outcome.reply_turn else None
                supported = turn is not None and _supported(turn)
                correct = states_facts(reply or "", row.get("facts") or [])
                fallback = bool(plan.grounding.get("extractive_fallback"))
                if "grounding_ms" in plan.timings:
                    grounding_ms.append(plan.timings["grounding_ms"])
                rows.append((row.get("language", "-"), supported, correct, fallback))
                if not (supported and correct):
                    self.stdout.write(
                        f"  {'unsupported ' if not supported else ''}"
                        f"{'wrong ' if not correct else ''}{row['question']!r} -> "
                        f"{(reply or '')[:160]!r} (want {row.get('facts')})"
                    )
            answered = self._negatives(outside, tenants)
        report = _summary(rows)
        if outside:
            report["negatives"] = _summary(answered, _answered)
        report["grounding_ms_p50"] = round(percentile(grounding_ms, 50), 2)
        report["seconds"] = round(time.perf_counter() - started, 2)
        self.stdout.write(json.dumps(report, separators=(",", ":"), ensure_ascii=False))

    def _negatives(self, rows: list[dict], tenants: dict) -> list[tuple[str, bool]]:
        """(language, answered from the shop's facts) for each out-of-scope question."""
        answered = []
        for row in rows:
            conversation = conversation_start(tenant=tenants[profile_of(row)])
            outcome = message_reply(conversation=conversation, text=row["question"])
            spoke = outcome.plan.messages is not None
            answered.append((row.get("language", "-"), spoke))
            if spoke:
                self.stdout.write(
                    f"  answered out of scope {row['question']!r} -> {outcome.reply[:160]!r}"
                )
        return answered


def _answered(rows: list[tuple[str, bool]]) -> dict:
    n = len(rows)
    return {"answered_fraction": round(sum(r[1] for r in rows) / n, 4), "questions": n}


def _figures(rows) -> dict:
    n = len(rows)
    return {
        "supported_fraction": round(sum(r[1] for r in rows) / n, 4),
        "answer_accuracy": round(sum(r[2] for r in rows) / n, 4),
        "extractive_fallback_fraction": round(sum(r[3] for r in rows) / n, 4),
        "questions": n,
    }


def _summary(rows, figures=_figures) -> dict:
    """``figures`` of all rows and of each language's (a row's first item is its language)."""
    languages = sorted({r[0] for r in rows})
    return {
        **figures(rows),
        "per_language": {lang: figures([r for r in rows if r[0] == lang]) for lang in languages},
    }
