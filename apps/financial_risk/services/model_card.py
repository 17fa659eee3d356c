"""The model card of a version as a document a model-risk committee reads: data, features
(with their reason phrases in English and Chinese), metrics beside the baseline, fairness,
the promotion gates, the approvals, global SHAP importance drawn by shap, the input schema and
the library versions.

``model_card_html`` is one self-contained HTML file (styles inline, pictures inline SVG: no
request leaves the file); the admin shows the same body. ``model_card_pdf`` prints the same
facts with matplotlib's PDF backend (already installed for the pictures): text pages and the
importance picture."""

from __future__ import annotations

import io
import json
import textwrap

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from pypdf import PdfReader, PdfWriter

from apps.approvals.selectors import approval_requests_of
from apps.financial_risk.engine import reason_phrases
from apps.financial_risk.models import RiskModel
from apps.registry.four_eyes import promotion_target

from .explanations import risk_model_importance
from .governance import PROMOTION_APPROVAL_KIND

METRICS = (("AUC", "auc"), ("Gini", "gini"), ("KS", "ks"), ("Brier", "brier"))
SHOWN = {
    "dataset",
    "features",
    "training",
    "metrics",
    "fairness",
    "gates",
    "decision",
    "outcomes",
    "global_importance",
    "reference",
    "input_schema",
    "library_versions",
}
CONFUSION = ("true_positive", "false_positive", "true_negative", "false_negative")


def _value(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)


def _metrics(card: dict) -> list[dict]:
    metrics = card.get("metrics") or {}
    rows = []
    for name, part in (("model", metrics.get("model")), ("baseline", metrics.get("baseline"))):
        if not part:
            continue
        label = name if name == "model" else f"baseline ({part.get('kind', '')})"
        confusion = part.get("confusion_matrix") or {}
        rows.append(
            {
                "name": label,
                "cv_auc": (metrics if name == "model" else part).get("cv_auc_mean"),
                "values": [part.get(key) for _, key in METRICS],
                "confusion": [confusion.get(key) for key in CONFUSION],
            }
        )
    return rows


def _features(model: RiskModel, card: dict) -> list[dict]:
    config = model.feature_config or (card.get("features") or {}).get("configuration") or {}
    phrases = config.get("reason_phrases") or {}
    schema = card.get("input_schema") or {}
    rows = []
    for column, transforms in (config.get("columns") or {}).items():
        entry = phrases.get(column)
        entry = {"en": entry} if isinstance(entry, str) else (entry or {})
        rows.append(
            {
                "column": column,
                "transforms": ", ".join(transforms),
                "en": entry.get("en") or reason_phrases.label(phrases, column),
                "zh": entry.get("zh", ""),
                "schema": _value(schema.get(column, "")),
            }
        )
    return rows


def _fairness(card: dict) -> list[dict]:
    attributes = (card.get("fairness") or {}).get("attributes") or {}
    return [
        {
            "attribute": name,
            "ratio": report.get("disparate_impact"),
            "flagged": report.get("flagged"),
            "groups": [
                (group, rate.get("applicants"), rate.get("approval_rate"))
                for group, rate in (report.get("groups") or {}).items()
            ],
        }
        for name, report in attributes.items()
    ]


def _gates(card: dict) -> dict:
    gates = card.get("gates") or {}
    return {
        "evaluated_at": gates.get("evaluated_at"),
        "to": gates.get("to"),
        "results": [
            {"name": name, **result} for name, result in (gates.get("results") or {}).items()
        ],
        "override": gates.get("override"),
    }


def _approvals(model: RiskModel) -> list[dict]:
    requests = (
        approval_requests_of(tenant=model.tenant, kind=PROMOTION_APPROVAL_KIND)
        .filter(target=promotion_target(model))
        .select_related("requested_by", "decided_by")
        .order_by("created_at")
    )
    return [
        {
            "state": r.state,
            "to": (r.payload or {}).get("state", ""),
            "requested_by": r.requested_by.get_username(),
            "reason": r.reason,
            "created_at": r.created_at,
            "decided_by": r.decided_by.get_username() if r.decided_by_id else "",
            "decided_at": r.decided_at,
            "justification": r.justification,
        }
        for r in requests
    ]


def model_card_context(model: RiskModel) -> dict:
    card = model.card or {}
    features = card.get("features") or {}
    importance = card.get("global_importance") or []
    return {
        "model": model,
        "generated_at": timezone.now(),
        "dataset": card.get("dataset") or {},
        "features": _features(model, card),
        "derived_features": features.get("derived_features"),
        "protected": features.get("protected") or [],
        "warnings": features.get("warnings") or [],
        "training": [(k, _value(v)) for k, v in (card.get("training") or {}).items()],
        "metric_names": [name for name, _ in METRICS],
        "metrics": _metrics(card),
        "metrics_note": (card.get("metrics") or {}).get("note", ""),
        "fairness": _fairness(card),
        "fairness_note": (card.get("fairness") or {}).get("approval", ""),
        "gates": _gates(card),
        "approvals": _approvals(model),
        "decision": [(k, _value(v)) for k, v in (card.get("decision") or {}).items()],
        "importance": importance[:20],
        "importance_svg": mark_safe(risk_model_importance(model)) if importance else "",  # noqa: S308 - drawn by matplotlib from numbers and the version's labels
        "libraries": sorted((card.get("library_versions") or {}).items()),
        # what other purposes' cards hold (a fraud model's validation, thresholds, rows)
        "other": [(k, _value(v)) for k, v in card.items() if k not in SHOWN],
    }


def model_card_body(model: RiskModel) -> str:
    """The card's readable body (the admin's model card field)."""
    return render_to_string("financial_risk/model_card_body.html", model_card_context(model))


def model_card_html(model: RiskModel) -> str:
    """The whole card as one self-contained HTML file."""
    return render_to_string("financial_risk/model_card.html", model_card_context(model))


# ---------------------------------------------------------------------------- PDF

PAGE = (8.27, 11.69)  # A4, inches
LINES_PER_PAGE = 64
WIDTH = 100


def _text_lines(context: dict) -> list[str]:
    model = context["model"]
    lines = [f"Model card: {model.label}  ({model.purpose}, {model.state})", ""]

    def section(title, rows):
        lines.extend(["", title.upper(), "-" * len(title)])
        for row in rows:
            lines.extend(textwrap.wrap(row, WIDTH, subsequent_indent="    ") or [""])

    dataset = context["dataset"]
    section("Data", [f"{k}: {v}" for k, v in dataset.items()] or ["not recorded"])
    section(
        "Features",
        [f"protected: {', '.join(context['protected']) or 'none'}", *context["warnings"]]
        + [f"{f['column']} [{f['transforms']}]: {f['en']}" for f in context["features"]],
    )
    section("Training", [f"{k}: {v}" for k, v in context["training"]])
    section(
        "Metrics (" + ", ".join(["CV AUC", *context["metric_names"]]) + ")",
        [f"{m['name']}: {m['cv_auc']} {m['values']}" for m in context["metrics"]],
    )
    section(
        "Fairness",
        [
            f"{a['attribute']}: disparate impact {a['ratio']}{' FLAGGED' if a['flagged'] else ''}"
            for a in context["fairness"]
        ],
    )
    gates = context["gates"]
    section(
        f"Gates (to {gates['to'] or '-'})",
        [f"{g['name']}: {g['status']} - {g['detail']}" for g in gates["results"]]
        + ([f"override: {gates['override']}"] if gates["override"] else []),
    )
    section(
        "Approvals",
        [
            f"{a['created_at']:%Y-%m-%d %H:%M} {a['requested_by']} asked {a['to']}: {a['state']}"
            f" by {a['decided_by'] or '-'} {a['justification']}"
            for a in context["approvals"]
        ]
        or ["none"],
    )
    section("Library versions", [f"{k}: {v}" for k, v in context["libraries"]])
    return lines


def model_card_pdf(model: RiskModel) -> bytes:
    """The card as a PDF: its facts as text pages, then the global importance drawn by shap."""
    context = model_card_context(model)
    lines = _text_lines(context)
    text = io.BytesIO()
    with PdfPages(text) as pdf:
        for start in range(0, len(lines), LINES_PER_PAGE):
            figure = Figure(figsize=PAGE)
            figure.text(
                0.06,
                0.96,
                "\n".join(lines[start : start + LINES_PER_PAGE]),
                va="top",
                family="monospace",
                fontsize=7.5,
            )
            pdf.savefig(figure)
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(text.getvalue())))
    if context["importance"]:
        writer.append(PdfReader(io.BytesIO(risk_model_importance(model, fmt="pdf"))))
    writer.add_metadata({"/Title": f"Model card {model.label}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
