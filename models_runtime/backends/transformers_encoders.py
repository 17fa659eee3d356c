"""Encoder models with transformers: sentence embeddings, text classification, token labelling.

Each keeps two tokenizers: the batch thread's (which pads) and a copy for the callers' threads
(which only count tokens), so the two never touch one Rust tokenizer object at once.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models_runtime.backends.base import (
    Backend,
    ClassifyResult,
    EmbedResult,
    TokenClassifyResult,
    require_text,
)
from models_runtime.backends.loading import load_transformers
from models_runtime.specs import ModelSpec


@dataclass
class _EncoderBackend(Backend):
    model: object = None
    tokenizer: object = None
    model_class_name = "AutoModel"

    @classmethod
    def load(cls, spec: ModelSpec):
        import transformers

        loaded = load_transformers(spec, getattr(transformers, cls.model_class_name))
        backend = cls(
            spec=spec,
            device=loaded.device,
            dtype=loaded.dtype,
            revision=loaded.revision,
            details=loaded.details,
            model=loaded.model,
            tokenizer=loaded.tokenizer,
        )
        backend._counting_tokenizer = copy.deepcopy(loaded.tokenizer)
        return backend

    def count_tokens(self, payload: str) -> int:
        return len(self._counting_tokenizer(payload)["input_ids"])

    def validate(self, payload: str) -> None:
        require_text(payload)
        super().validate(payload)

    def _encode(self, texts: Sequence[str], **extra):
        encoded = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.spec.max_input_tokens,
            return_tensors="pt",
            **extra,
        )
        return encoded


@dataclass
class TransformersEmbedBackend(_EncoderBackend):
    """Mean pooling over the attention mask, then L2 normalisation (sentence-transformers' recipe
    for all-MiniLM-L6-v2 and its relatives)."""

    def run_batch(self, payloads: Sequence[str]) -> list[EmbedResult]:
        encoded = self._encode(payloads).to(self.device)
        with torch.inference_mode():
            hidden = self.model(**encoded).last_hidden_state
        mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        vectors = F.normalize(pooled.float(), p=2, dim=1).cpu().tolist()
        counts = encoded["attention_mask"].sum(dim=1).tolist()
        return [
            EmbedResult(vector=v, tokens_in=int(n)) for v, n in zip(vectors, counts, strict=True)
        ]


@dataclass
class TransformersClassifyBackend(_EncoderBackend):
    """Every label with its probability, best first (sigmoid for multi-label models)."""

    model_class_name = "AutoModelForSequenceClassification"

    def run_batch(self, payloads: Sequence[str]) -> list[ClassifyResult]:
        encoded = self._encode(payloads).to(self.device)
        with torch.inference_mode():
            logits = self.model(**encoded).logits.float()
        if getattr(self.model.config, "problem_type", None) == "multi_label_classification":
            scores = torch.sigmoid(logits)
        else:
            scores = torch.softmax(logits, dim=-1)
        id2label = self.model.config.id2label
        counts = encoded["attention_mask"].sum(dim=1).tolist()
        results = []
        for row, count in zip(scores.cpu().tolist(), counts, strict=True):
            labels = sorted(((id2label[i], s) for i, s in enumerate(row)), key=lambda x: -x[1])
            results.append(ClassifyResult(labels=labels, tokens_in=int(count)))
        return results


@dataclass
class TransformersTokenClassifyBackend(_EncoderBackend):
    """Entities from per-token labels: consecutive tokens of one type (B-/I- prefixes dropped)
    merge into one span with the mean score; label ``O`` is skipped."""

    model_class_name = "AutoModelForTokenClassification"

    def run_batch(self, payloads: Sequence[str]) -> list[TokenClassifyResult]:
        encoded = self._encode(payloads, return_offsets_mapping=True)
        offsets = encoded.pop("offset_mapping").tolist()
        encoded = encoded.to(self.device)
        with torch.inference_mode():
            probs = torch.softmax(self.model(**encoded).logits.float(), dim=-1)
        best_scores, best_ids = probs.max(dim=-1)
        id2label = self.model.config.id2label
        results = []
        for row, text in enumerate(payloads):
            entities: list[dict] = []
            for (start, end), label_id, score in zip(
                offsets[row], best_ids[row].tolist(), best_scores[row].tolist(), strict=True
            ):
                if start == end:  # special or padding token
                    continue
                label = id2label[label_id]
                kind = label.split("-", 1)[-1] if label[:2] in ("B-", "I-") else label
                if kind == "O":
                    continue
                last = entities[-1] if entities else None
                if (
                    last
                    and last["label"] == kind
                    and not label.startswith("B-")
                    and start <= last["end"] + 1
                ):
                    last["end"], last["scores"] = end, last["scores"] + [score]
                else:
                    entities.append({"label": kind, "start": start, "end": end, "scores": [score]})
            for entity in entities:
                scores = entity.pop("scores")
                entity["score"] = sum(scores) / len(scores)
                entity["text"] = text[entity["start"] : entity["end"]]
            count = int(encoded["attention_mask"][row].sum())
            results.append(TokenClassifyResult(entities=entities, tokens_in=count))
        return results
