"""Retrieval and grounding evaluation over labelled questions (``evaluate_retrieval`` and
``evaluate_grounding``).

A question file is JSONL: ``{"tenant": profile, "language", "question", "document", "answer",
"facts": [...]}``. ``document`` names the help-centre document that answers it; ``answer`` is
the reference answer and ``facts`` the parts of it a reply must state (numbers, names, the
yes/no word). The shipped set (``demo/eval/questions.jsonl``, 116 questions, half Chinese, over
both demo shops) was written by hand as paraphrases of the documents, never copied sentences,
and was not used to set any threshold: those were set on ``demo/eval/dev_questions.jsonl``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from apps.accounts.benchmark import bench_tenant
from apps.customer_service.demo import DEMO_DIR
from apps.customer_service.services.demo import PROFILES, demo_setup
from apps.customer_service.services.documents import knowledge_graph
from knowledge.selectors import graph_networkx, knowledge_search

EVAL_DIR = DEMO_DIR / "eval"
SHIPPED = EVAL_DIR / "questions.jsonl"
REQUIRED = ("question", "document")


class QuestionFileError(ValueError):
    """A line of a question file that cannot be used (names the file, line and field)."""


def load_questions(path: Path | str, *, required: tuple[str, ...] = REQUIRED) -> list[dict]:
    """The rows of a question file; each must have a non-empty string for every ``required``
    field (an out-of-scope file needs only ``question``)."""
    path = Path(path)
    rows = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise QuestionFileError(f"{path.name}:{number}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise QuestionFileError(f"{path.name}:{number}: not a JSON object")
            for name in required:
                if not isinstance(row.get(name), str) or not row[name].strip():
                    raise QuestionFileError(f"{path.name}:{number}:{name}: missing")
            rows.append(row)
    if not rows:
        raise QuestionFileError(f"{path.name}: no questions")
    return rows


def profile_of(row: dict) -> str:
    """The demo shop a question row is about (``outdoor`` when it names none)."""
    return row.get("tenant") or "outdoor"


def evaluation_tenants(questions: list[dict], *, tenant=None, train: bool) -> dict:
    """Profile -> tenant: the given tenant for every question, else one evaluation tenant per
    demo profile, set up like the demo (idempotent; a second run reuses it)."""
    if tenant is not None:
        return {profile_of(row): tenant for row in questions}
    tenants = {}
    for profile in sorted({profile_of(row) for row in questions}):
        if profile not in PROFILES:
            raise QuestionFileError(f"unknown tenant profile {profile!r}")
        found = bench_tenant(slug=f"cs-eval-{profile}", name=f"Evaluation ({profile})")
        demo_setup(tenant=found, profile=profile, train=train)
        tenants[profile] = found
    return tenants


def ranked_documents(tenant, question: str, language: str, k: int = 5) -> list[str]:
    """The distinct documents of the best chunks for ``question``, best first (hybrid
    retrieval over the tenant's chunks in the question's language)."""
    graph = knowledge_graph(tenant)
    g = graph_networkx(graph)
    hits = knowledge_search(graph, question, top_k=200, types=["chunk"])["hits"]
    documents: list[str] = []
    for hit in hits:
        properties = g.nodes[hit["key"]].get("properties") or {}
        if language and properties.get("language") not in (language, None):
            continue
        name = properties.get("document", "")
        if name not in documents:
            documents.append(name)
        if len(documents) >= k:
            break
    return documents


def _folded(text: str) -> str:
    text = text.casefold().replace("–", "-").replace("—", "-").replace("，", ",")
    return re.sub(r"\s+", "", text)


def states_facts(reply: str, facts: list[str]) -> bool:
    """Whether the reply states every reference fact (case, spaces and dashes ignored; a
    thousands separator may be left out: 1,000 = 1000)."""
    said = _folded(reply)
    for fact in facts:
        wanted = _folded(fact)
        if wanted not in said and wanted.replace(",", "") not in said.replace(",", ""):
            return False
    return True


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
