"""``manage.py evaluate_fraud [--seed N] [--smoke]``: time-split validation of the fraud model
on a synthetic stream of pattern variants the features were not designed on (other window
lengths, other hours, mixed patterns, fraud with no pattern), against a baseline without the
behavioural features. Needs no database. Last line: one JSON object with ``fraud_pr_auc``,
``fraud_recall_at_1pct_fpr``, ``baseline_pr_auc``, ``baseline_recall_at_1pct_fpr``."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand

from apps.financial_risk.evaluation.fraud import evaluate


class Command(BaseCommand):
    help = "PR-AUC and recall at 1% FPR of the fraud model vs a baseline, on unseen variants."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=101, help="the variant stream's seed")
        parser.add_argument("--accounts", type=int, default=1500)
        parser.add_argument("--weeks", type=int, default=8)
        parser.add_argument("--smoke", action="store_true", help="300 accounts, 6 weeks (CI)")

    def handle(self, *args, seed, accounts, weeks, smoke, **options):
        if smoke:
            accounts, weeks = 300, 6
        started = time.monotonic()
        report = evaluate(seed=seed, accounts=accounts, weeks=weeks, say=self._say)
        report["seconds"] = round(time.monotonic() - started, 1)
        self.stdout.write(
            f"{'measure':<30}{'behavioural':>12}{'baseline':>12}\n"
            f"{'PR-AUC':<30}{report['fraud_pr_auc']:>12.4f}{report['baseline_pr_auc']:>12.4f}\n"
            f"{'recall at 1% FPR':<30}{report['fraud_recall_at_1pct_fpr']:>12.4f}"
            f"{report['baseline_recall_at_1pct_fpr']:>12.4f}"
        )
        self.stdout.write(json.dumps(report, separators=(",", ":")))

    def _say(self, line: str) -> None:
        self.stderr.write(f"[evaluate_fraud {time.strftime('%H:%M:%S')}] {line}")
