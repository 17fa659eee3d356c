"""The full vocabularies go into the tenant's medical graph through the knowledge layer's import
service (versioned, audited), and stay out of the per-concept target rules."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.medical_records.services import extractor_for, medical_graph
from apps.medical_records.services.vocabularies import medical_vocabularies_import
from knowledge.models import Node


@pytest.mark.django_db
def test_the_medical_graph_holds_the_complete_vocabularies(tenant):
    report = medical_vocabularies_import(tenant=tenant)
    graph = medical_graph(tenant=tenant)
    assert report["ICD-10-CM codes"] == 98_186 and report["drugs"] == 20_070
    assert Node.objects.filter(graph=graph, key__startswith="icd10cm:").count() == 98_186
    assert Node.objects.filter(graph=graph, key__startswith="generic:").count() == 20_070
    apixaban = Node.objects.get(graph=graph, key="generic:apixaban")
    assert "eliquis" in apixaban.aliases and apixaban.properties["atc"] == "B01AF02"
    assert AuditEvent.objects.filter(
        tenant=tenant, action="medical_records.vocabularies.import"
    ).exists()
    # The curated drug nodes keep their rows; the vocabulary is the matcher's, not target rules.
    assert Node.objects.get(graph=graph, key="drug:warfarin").properties.get("atc") == "B01AA03"
    extractor, _, _ = extractor_for(graph)
    assert len(extractor.concepts) < 500  # curated concepts only; the rest is the matcher's
