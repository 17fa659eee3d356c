"""The clinical-entity NER model: a small token classifier trained here on synthetic notes
labelled from the vocabularies, served by ``models_runtime`` (model ``medical-ner``, task
``token-classify``) on de-identified text, and batched there with other callers' texts.

No clinical token-classification model ships offline on PyPI (docs/toolchain.md), so
``train_medical_ner`` trains one: a 2-layer BERT (hidden size 64) on Rampart's uncased WordPiece
vocabulary (CC-BY-4.0), labels CONDITION and MEDICATION in BIO form, from sentences made of
templates and vocabulary terms. Terms of the evaluation sets (held-out and development) are
left out of its training data. It reads English; Chinese characters are mostly outside that
vocabulary, so Chinese notes rely on the vocabulary matcher. The weights (a few MB) are
committed in ``ner_model/`` and load from the repository, offline.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import regex

from apps.medical_records.engine.vocabulary import drug_lexicon, icd_lexicon
from apps.privacy.statistical import rampart_folder
from models_runtime import client
from models_runtime.specs import ModelSpec

MODEL_NAME = "medical-ner"
MODEL_DIR = Path(__file__).resolve().parents[1] / "ner_model"
MODEL_SOURCE = "package:apps/medical_records/ner_model"
LABELS = ["O", "B-CONDITION", "I-CONDITION", "B-MEDICATION", "I-MEDICATION"]
TEMPLATES = [
    "Admitted with {c}; started {m}.",
    "Assessment: {c}. Plan: {m} daily.",
    "She reports {c} and takes {m} at home.",
    "Known {c}, on {m} 10 mg.",
    "Denies {c}. Continue {m}.",
    "History of {c}, treated with {m}.",
    "Mother had {c}. He uses {m} as needed.",
    "Possible {c}; switched to {m}.",
    "{c} improving on {m}.",
    "Seen for {c}. Medications: {m}, aspirin.",
]


def model_spec():
    """The ``models_runtime`` spec of the served model."""
    return ModelSpec(
        name=MODEL_NAME,
        task="token-classify",
        source=MODEL_SOURCE,
        max_batch_size=32,
        max_batch_wait_ms=10,
        max_input_tokens=256,
    )


def model_spans(texts: list[str], *, tenant_id, model: str = MODEL_NAME) -> list[list[dict]]:
    """The model's CONDITION/MEDICATION spans per text, through ``models_runtime.client`` (one
    call; each text is its own request on the worker, batched with other callers'). Only
    de-identified text may be sent: the worker is another process."""
    if not texts:
        return []
    # The model reads 256 tokens: each note goes as pieces of at most CHUNK_CHARS characters,
    # cut at line breaks (or spaces), all in one call; spans come back in note offsets.
    pieces, owners = [], []
    for index, text in enumerate(texts):
        for start, end in _chunks(text):
            pieces.append(text[start:end])
            owners.append((index, start))
    result = client.token_classify(pieces, tenant_id=tenant_id, model=model)
    spans: list[list[dict]] = [[] for _ in texts]
    for (index, offset), found in zip(owners, result.outputs, strict=True):
        for span in found:
            if span["label"] in ("CONDITION", "MEDICATION"):
                spans[index].append(
                    {**span, "start": span["start"] + offset, "end": span["end"] + offset}
                )
    return spans


# Pieces stay under 256 tokens: English WordPiece takes about one token per four characters
# where every character is a token (Han text), 200 characters.
CHUNK_CHARS = 400
HAN_CHUNK_CHARS = 200
_HAN = regex.compile(r"\p{Han}")


def _chunks(text: str) -> list[tuple[int, int]]:
    """(start, end) pieces of ``text`` the model can read whole, cut at a line break or a
    space."""
    size = HAN_CHUNK_CHARS if _HAN.search(text) else CHUNK_CHARS
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = max(text.rfind("\n", start, end), text.rfind(" ", start, end))
            end = cut + 1 if cut > start else end
        if text[start:end].strip():
            out.append((start, end))
        start = end
    return out


def _evaluation_terms() -> set[str]:
    data = Path(__file__).resolve().parents[1] / "data"
    terms = set()
    for path in sorted(data.glob("**/entities_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for span, *_ in json.loads(line)["entities"]:
                terms.add(span.casefold())
    return terms


def synthetic_examples(count: int, seed: int = 7) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Sentences with character spans of their CONDITION and MEDICATION terms."""
    rng = random.Random(seed)
    excluded = _evaluation_terms()
    conditions = sorted(
        s
        for s, e in icd_lexicon().items()
        if e.entity_type == "condition"
        and 1 <= len(s.split()) <= 4
        and s.replace(" ", "").isalpha()
        and s not in excluded
    )
    drugs = sorted(s for s in drug_lexicon() if " " not in s and s.isalpha() and s not in excluded)
    examples = []
    for _ in range(count):
        template = rng.choice(TEMPLATES)
        condition, drug = rng.choice(conditions), rng.choice(drugs)
        if rng.random() < 0.5:
            drug = drug.capitalize()
        text, spans, position = "", [], 0
        for piece, value, label in (
            (template[: template.index("{c}")], condition, "CONDITION"),
            (template[template.index("{c}") + 3 : template.index("{m}")], drug, "MEDICATION"),
        ):
            text += piece
            spans.append((len(text), len(text) + len(value), label))
            text += value
        text += template[template.index("{m}") + 3 :]
        del position
        examples.append((text, spans))
    return examples


def train(*, examples: int = 6000, epochs: int = 3, seed: int = 7, say=print) -> dict:
    """Train the model and save it with its tokenizer into ``MODEL_DIR``."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForTokenClassification

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(rampart_folder()))
    data = synthetic_examples(examples, seed)
    label_ids = {label: i for i, label in enumerate(LABELS)}
    encoded = tokenizer(
        [t for t, _ in data],
        return_offsets_mapping=True,
        padding=True,
        truncation=True,
        max_length=64,
        return_tensors="pt",
    )
    labels = torch.full(encoded["input_ids"].shape, -100, dtype=torch.long)
    for row, (_, spans) in enumerate(data):
        previous = None
        for column, (start, end) in enumerate(encoded["offset_mapping"][row].tolist()):
            if start == end:
                continue
            kind = next((k for s, e, k in spans if s <= start < e), None)
            if kind is None:
                labels[row, column], previous = label_ids["O"], None
                continue
            prefix = "I" if previous == kind else "B"
            labels[row, column], previous = label_ids[f"{prefix}-{kind}"], kind
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=256,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id=label_ids,
    )
    model = BertForTokenClassification(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    inputs = {k: encoded[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    model.train()
    batch = 64
    for epoch in range(epochs):
        order = torch.randperm(len(data))
        total = 0.0
        for start in range(0, len(data), batch):
            index = order[start : start + batch]
            loss = model(**{k: v[index] for k, v in inputs.items()}, labels=labels[index]).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            total += float(loss)
        say(f"epoch {epoch + 1}: loss {total / (len(data) / batch):.4f}")
    model.eval()
    MODEL_DIR.mkdir(exist_ok=True)
    model.save_pretrained(str(MODEL_DIR))
    tokenizer.save_pretrained(str(MODEL_DIR))
    return {"examples": len(data), "epochs": epochs, "parameters": model.num_parameters()}
