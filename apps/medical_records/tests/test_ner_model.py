"""The clinical-entity NER model: served by models_runtime (token-classify), batched, on
de-identified text only; the de-identification models run in the calling process."""

from __future__ import annotations

import pytest

from apps.medical_records.services import NoteInput, ner, note_structure
from apps.privacy import statistical


@pytest.mark.django_db
def test_the_ner_model_is_called_through_models_runtime_and_batched(tenant):
    from models_runtime import client

    texts = [
        "Admitted with cholangitis; started meropenem.",
        "Known sarcoidosis, on methotrexate 10 mg.",
        "Seen for gastroparesis. Medications: domperidone, aspirin.",
        "Denies claudication. Continue cilostazol.",
    ]
    result = client.token_classify(texts, tenant_id=str(tenant.pk), model=ner.MODEL_NAME)
    assert result.model == ner.MODEL_NAME
    assert result.batch_size > 1  # the four texts ran in one batch on the worker
    labels = {span["label"] for spans in result.outputs for span in spans}
    assert labels <= {"CONDITION", "MEDICATION"} and labels


@pytest.mark.django_db
def test_a_note_sends_only_de_identified_text_to_the_model(tenant, monkeypatch):
    sent = []
    real = ner.model_spans

    def spy(texts, **kwargs):
        sent.extend(texts)
        return real(texts, **kwargs)

    monkeypatch.setattr(ner, "model_spans", spy)
    from apps.medical_records.services import notes

    notes._extractors.clear()
    text = "Patient: Oluwaseun Adeyemi\nHusband Marcus Bell says she takes cilostazol."
    note = note_structure(tenant=tenant, item=NoteInput(text=text), source="api")
    assert sent == [note.text]
    assert "Adeyemi" not in sent[0] and "Marcus" not in sent[0]
    # The de-identification models ran here, in the calling process.
    assert statistical.rampart_model.cache_info().currsize == 1
    assert statistical.spacy_ner.cache_info().currsize == 1
    found_by = {e["text"]: e["found_by"] for e in note.extraction.entities}
    assert any(source.endswith("model") for source in found_by.values()), found_by
