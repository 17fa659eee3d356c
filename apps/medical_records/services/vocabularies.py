"""Loading the full code systems into the tenant's ``medical`` knowledge graph, through the
knowledge layer's own import service (``graph_upsert``: validated, all or nothing, versioned).

Nodes: every ICD-10-CM 2026 category, subcategory and leaf (type ``condition``, ``symptom`` for
chapter R, ``allergy`` for Z88; property ``icd10cm``, ``leaf``), with ``is_a`` edges to the
parent code; every drug of ``drug-named-entity-recognition`` (type ``drug``, label the English
generic name, brand names and other variants as aliases, ``drugbank``/``mesh`` ids, ``atc`` where
the project data has it). All carry ``source: vocabulary`` and the vocabulary's version: the
extraction pipeline matches them through its vocabulary matcher (built once per process), not
through per-concept target rules, which stay for the curated concepts.
"""

from __future__ import annotations

import time
from collections import defaultdict

from apps.audit.services import audited
from apps.medical_records.engine import vocabulary
from knowledge.services.graphs import graph_ensure, graph_upsert

from .notes import medical_graph

IS_A = {"is_a": [["condition", "symptom", "allergy"], ["condition", "symptom", "allergy"]]}


def _icd_type(code: str) -> str:
    if code.startswith("Z88"):
        return "allergy"
    return "symptom" if code.startswith("R") else "condition"


def vocabulary_records() -> tuple[list[dict], list[dict]]:
    """The nodes and edges of the full vocabularies."""
    import simple_icd_10_cm as cm  # deferred: reads its data files on import

    nodes, edges = [], []
    for code, description in vocabulary.icd_codes().items():
        nodes.append(
            {
                "key": f"icd10cm:{code}",
                "type": _icd_type(code),
                "label": description,
                "aliases": list(cm.get_inclusion_term(code))[:20],
                "properties": {
                    "icd10cm": code,
                    "leaf": cm.is_leaf(code),
                    "source": "vocabulary",
                    "version": vocabulary.ICD_VERSION,
                },
            }
        )
        parent = cm.get_parent(code)
        if parent and cm.is_category_or_subcategory(parent):
            edges.append(
                {"source": f"icd10cm:{code}", "target": f"icd10cm:{parent}", "type": "is_a"}
            )
    data = vocabulary._drug_data()
    variants = defaultdict(list)
    for variant, targets in data["drug_variant_to_canonical"].items():
        for target in targets[:1]:
            if variant != target:
                variants[target].append(variant)
    atc = vocabulary.atc_codes()
    for generic, info in data["drug_canonical_to_data"].items():
        properties = {"source": "vocabulary", "version": vocabulary.DRUG_VERSION}
        for field in ("drugbank_id", "mesh_id"):
            if info.get(field):
                properties[field.removesuffix("_id")] = info[field]
        if generic in atc:
            properties["atc"] = atc[generic]
        nodes.append(
            {
                # Not "drug:": the curated ontology's drug nodes use that prefix and must keep their
                # own rows (ATC, Chinese name, target rules).
                "key": f"generic:{generic}",
                "type": "drug",
                "label": generic,
                "aliases": variants[generic][:20],
                "properties": properties,
            }
        )
    return nodes, edges


def medical_vocabularies_import(*, tenant) -> dict:
    """Upsert the full vocabularies into the tenant's ``medical`` graph (audited); counts per
    code system and the seconds it took."""
    graph = medical_graph(tenant=tenant)
    graph = graph_ensure(
        tenant=tenant,
        name=graph.name,
        domain=graph.domain,
        schema={
            "node_types": graph.schema.get("node_types", []),
            "edge_types": {**graph.schema.get("edge_types", {}), **IS_A},
        },
    )
    nodes, edges = vocabulary_records()
    with audited(
        tenant=tenant,
        action="medical_records.vocabularies.import",
        resource_type="knowledge.graph",
        resource_id=str(graph.public_id),
    ) as event:
        started = time.perf_counter()
        result = graph_upsert(graph=graph, nodes=nodes, edges=edges)
        seconds = time.perf_counter() - started
        counts = {
            "ICD-10-CM codes": sum(1 for n in nodes if n["key"].startswith("icd10cm:")),
            "ICD-10-CM leaves": sum(1 for n in nodes if n["properties"].get("leaf")),
            "drugs": sum(1 for n in nodes if n["type"] == "drug"),
            "drugs with ATC": sum(1 for n in nodes if "atc" in n["properties"]),
            "drug aliases": sum(len(n["aliases"]) for n in nodes if n["type"] == "drug"),
            "is_a edges": len(edges),
        }
        event.row_count = len(nodes) + len(edges)
        event.details = {"version": result.version, **counts}
    return {
        **counts,
        "nodes": len(nodes),
        "edges": len(edges),
        "seconds": round(seconds, 2),
        "rows_per_s": round((len(nodes) + len(edges)) / seconds, 1),
        "graph_version": result.version,
    }
