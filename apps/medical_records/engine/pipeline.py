"""The medspaCy extraction pipeline, one per language, with target rules generated from the
ontology.

English: rule-based clinical sentence splitting (``clinical_sentences``), the target matcher,
ConText with medSpaCy's shipped English rules plus those of ``english.py``, the sectionizer
with its shipped section patterns. Chinese: ``spacy.blank("zh")`` (one token per
character), a sentencizer on Chinese punctuation, the same target matcher, ConText and
sectionizer with the rules of ``chinese.py``.

Each entity carries its span, section, assertion (``present``, ``negated``, ``historical``,
``family``, ``hypothetical``, ``uncertain``), the ontology code and the rule that found it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping

import regex
from loguru import logger

from . import attributes as attrs
from . import chinese as chinese_rules
from . import clinical, vocab_matcher
from . import english as english_rules
from .ontology import Concept, is_chinese

# PyRuSH logs every sentence at DEBUG through loguru.
logger.disable("PyRuSH")


class _QuietLogging:
    """``logging`` as PyFastNER's FastCNER module sees it, without ``info``.

    PyRuSH's shipped rules contain ``\\.``, which FastCNER does not support; it skips the rule
    character and calls ``logging.info`` on the *root* logger for every character of every
    note it scans (over a hundred records per short note). Each record then went through the
    root handlers and the platform's PII-masking log filter: profiled, that was a third of the
    pipeline's time, and it floods the logs. Only that module's ``info`` is silenced.
    """

    def __getattr__(self, name):
        return getattr(logging, name)

    @staticmethod
    def info(*args, **kwargs) -> None:
        return None


def _quiet_pyfastner() -> None:
    import importlib

    # The package re-exports the class under the module's name: fetch the module itself.
    fastcner = importlib.import_module("PyFastNER.FastCNER")
    if not isinstance(fastcner.logging, _QuietLogging):
        fastcner.logging = _QuietLogging()


PIPELINE_VERSION = "medical-records-pipeline/1.0 (medspaCy 1.3.1)"
ASSERTIONS = ("present", "negated", "historical", "family", "hypothetical", "uncertain")
# Sections whose findings are, by where they are written, the family's or the past's.
FAMILY_SECTIONS = {"family_history"}
HISTORY_SECTIONS = {"past_medical_history", "past_surgical_history"}
ALLERGY_SECTIONS = {"allergy", "allergies"}
# Aliases this short are matched case-sensitively: "MI" is myocardial infarction, "mi" is not.
SHORT_ALIAS = 3
_ZH_SENTENCE_END = ["。", "！", "？", "；", "\n"]


_SENTENCE_END = frozenset({"!", "?", ";"})
_ABBREVIATIONS = frozenset(
    {
        "dr",
        "mr",
        "mrs",
        "ms",
        "st",
        "vs",
        "no",
        "approx",
        "pt",
        "hx",
        "dx",
        "rx",
        "tx",
        "sx",
        "fx",
        "wt",
        "ht",
        "min",
        "max",
        "prn",
    }
)


def clinical_sentences(doc):
    """Sentence starts for clinical notes: after a line break, after "!", "?" or ";", and
    after a "." unless it closes an abbreviation ("p.o.", "b.i.d.", "approx.") followed by a
    lower-case word.

    Used instead of PyRuSH, medSpaCy's default splitter, which cost about half of the
    pipeline's time per note (FastCNER walks every rule for every character) for the same
    sentences on our notes: the evaluation set scores the same with either (README).
    """
    for i, token in enumerate(doc):
        if i == 0:
            token.is_sent_start = True
            continue
        previous = doc[i - 1]
        if "\n" in previous.text or previous.text in _SENTENCE_END:
            start = True
        elif previous.text == ".":
            before = doc[i - 2].text.lower() if i > 1 else ""
            abbreviation = "." in before or before in _ABBREVIATIONS or len(before) == 1
            start = not (abbreviation and not token.text[:1].isupper())
        else:
            start = previous.is_space and i > 1 and doc[i - 2].text in (*_SENTENCE_END, ".")
        token.is_sent_start = start
    return doc


def _register_sentences() -> None:
    from spacy.language import Language

    if "medical_clinical_sentences" not in Language.factories:
        Language.component("medical_clinical_sentences", func=clinical_sentences)


def _target_rules(concepts: Iterable[Concept], chinese: bool):
    from medspacy.ner import TargetRule

    rules = []
    for concept in concepts:
        for surface in concept.surfaces(chinese):
            metadata = {"key": concept.key}
            if not chinese and len(surface) <= SHORT_ALIAS and surface.isupper():
                rules.append(
                    TargetRule(
                        surface, concept.entity_type, pattern=[{"TEXT": surface}], metadata=metadata
                    )
                )
            else:
                rules.append(TargetRule(surface, concept.entity_type, metadata=metadata))
    return rules


def build_nlp(concepts: Mapping[str, Concept], language: str, *, vocabulary: bool = True):
    """A new medspaCy pipeline for ``language`` ("en" or "zh") that finds ``concepts`` and,
    with ``vocabulary``, every surface of the full vocabularies (``vocab_matcher``)."""
    import medspacy
    import spacy

    _quiet_pyfastner()
    chinese = language == "zh"
    if chinese:
        nlp = spacy.blank("zh")
        nlp.add_pipe("sentencizer", config={"punct_chars": _ZH_SENTENCE_END})
        nlp.add_pipe("medspacy_target_matcher")
        context = nlp.add_pipe("medspacy_context", config={"rules": None})
        context.add(chinese_rules.context_rules())
        sectionizer = nlp.add_pipe(
            "medspacy_sectionizer", config={"rules": None, "span_attrs": None}
        )
        sectionizer.add(chinese_rules.section_rules())
    else:
        _register_sentences()
        nlp = medspacy.load(medspacy_enable=["medspacy_tokenizer", "medspacy_target_matcher"])
        nlp.add_pipe("medical_clinical_sentences", first=True)
        context = nlp.add_pipe("medspacy_context", config={"rules": None})
        context.add(english_rules.shipped_rules() + english_rules.context_rules())
        # Sections set no ConText flags themselves (span_attrs None): ``assertion_of`` decides
        # what a section means, the same way for both languages.
        sectionizer = nlp.add_pipe(
            "medspacy_sectionizer", config={"rules": "default", "span_attrs": None}
        )
        sectionizer.add(english_rules.english_section_rules())
    nlp.get_pipe("medspacy_target_matcher").add(_target_rules(concepts.values(), chinese))
    # The span attributes the entities read exist whether or not the vocabulary runs.
    vocab_matcher.register()
    if vocabulary:
        nlp.add_pipe(f"{vocab_matcher.COMPONENT}_{language}", after="medspacy_target_matcher")
    return nlp


class Extractor:
    """Both languages' pipelines over one version of the ontology."""

    def __init__(
        self,
        concepts: Mapping[str, Concept],
        *,
        vocabulary: bool = True,
        model_spans: Callable | None = None,
    ):
        self.concepts = dict(concepts)
        self.vocabulary = vocabulary
        # (texts, tenant_id) -> NER spans per text, e.g. ``ner.model_spans`` (models_runtime).
        self.model_spans = model_spans
        self._nlp: dict[str, object] = {}
        self._lock = threading.Lock()

    def nlp(self, language: str):
        if language not in self._nlp:
            with self._lock:
                if language not in self._nlp:
                    self._nlp[language] = build_nlp(
                        self.concepts, language, vocabulary=self.vocabulary
                    )
        return self._nlp[language]

    def extract(self, text: str, language: str | None = None, *, tenant_id=None) -> list[dict]:
        return self.extract_many([text], [language], tenant_id=tenant_id)[0]

    def extract_many(
        self, texts: list[str], languages: list[str | None] | None = None, *, tenant_id=None
    ) -> list[list[dict]]:
        """Entities of each text; texts of one language go through ``nlp.pipe`` together."""
        languages = languages or [None] * len(texts)
        langs = [
            lang or ("zh" if is_chinese(t) else "en")
            for t, lang in zip(texts, languages, strict=True)
        ]
        results: list[list[dict]] = [[] for _ in texts]
        for language in ("en", "zh"):
            indexes = [i for i, lang in enumerate(langs) if lang == language]
            if not indexes:
                continue
            nlp = self.nlp(language)
            docs = [nlp.make_doc(texts[i]) for i in indexes]
            # The model call is metered to a tenant: without one, the vocabulary alone.
            use_model = self.model_spans is not None and self.vocabulary and tenant_id
            if use_model and language == "en":
                # One call for the whole batch: the worker batches the texts together.
                for doc, spans in zip(
                    docs, self.model_spans([d.text for d in docs], tenant_id=tenant_id), strict=True
                ):
                    doc.user_data["model_spans"] = spans
            docs = nlp.pipe(docs, batch_size=32)
            for i, doc in zip(indexes, docs, strict=True):
                results[i] = self._entities(doc, language)
        return results

    # ------------------------------------------------------------------ one document
    def _entities(self, doc, language: str) -> list[dict]:
        text = doc.text
        entities = []
        starts = [ent.start_char for ent in doc.ents] + [len(text)]
        bounds = _section_bounds(doc)
        for number, ent in enumerate(doc.ents, start=1):
            rule = ent._.target_rule
            concept = self.concepts.get((rule.metadata or {}).get("key")) if rule else None
            entry = ent._.vocab_entry
            if concept is None and entry is None:
                continue
            if concept is not None:
                found = {
                    "concept": concept.key,
                    "label": concept.label,
                    "code": concept.code,
                    "generic": concept.label.casefold() if concept.node_type == "drug" else "",
                    "found_by": "ontology",
                }
                entity_type, literal = concept.entity_type, rule.literal
            else:
                source = "model" if ent._.model_found == "only" else "vocabulary"
                found = {**vocab_matcher.entry_entity(entry), "found_by": source}
                entity_type, literal = entry.entity_type, ent.text
            if ent._.model_found is True:
                found["found_by"] += "+model"
            section = ent._.section_category or ""
            sentence = ent.sent
            in_section = _in_section(ent, bounds)
            modifiers = [
                {
                    "category": m.category,
                    "text": doc[m.modifier_span[0] : m.modifier_span[1]].text,
                    "direction": m.direction,
                }
                for m in in_section
            ]
            entity = {
                "id": f"e{number}",
                "text": ent.text,
                "start": ent.start_char,
                "end": ent.end_char,
                "type": entity_type,
                **found,
                "assertion": assertion_of(in_section, section, doc),
                "section": section,
                "sentence": [sentence.start_char, sentence.end_char],
                "rule": {"target": literal, "context": modifiers},
                "language": language,
                "attributes": {},
            }
            if entity_type == "medication":
                # A medication's words end where the next entity starts ("warfarin 5 mg
                # daily, aspirin 81 mg PO": PO is aspirin's).
                limit = min(sentence.end_char, starts[number], _line_end(text, ent.end_char))
                entity["attributes"] = attrs.medication_attributes(text, ent.end_char, limit)
                if section in ALLERGY_SECTIONS and "dose" not in entity["attributes"]:
                    # "Allergies: penicillin" names an allergy, not a drug taken.
                    entity["type"] = "allergy"
                    entity["rule"]["section"] = section
            elif entity_type == "test":
                entity["attributes"] = attrs.test_attributes(text, ent.end_char, sentence.end_char)
            if entity["type"] == "allergy":
                clinical.code_allergy(entity)
            entities.append(entity)
        clinical.add_clinical_status(entities, text)
        return entities


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    return len(text) if end < 0 else end


def _section_bounds(doc) -> list[tuple[int, int]]:
    """Token ranges of the note's sections (title and body), in order."""
    return [section.section_span for section in getattr(doc._, "sections", None) or []]


def _in_section(ent, bounds) -> list:
    """ConText modifiers of ``ent`` inside its own section: assertion scope never crosses a
    section header ("家族史：父亲有高血压 检查：血压 160/100": the family cue stays in 家族史)."""
    own = next((b for b in bounds if b[0] <= ent.start < b[1]), None)
    # A cue inside the entity's own words is part of its name, not a modifier of it: "migraine
    # without aura", "nausea and vomiting, not intractable" are not negated.
    modifiers = [
        m
        for m in ent._.modifiers
        if not (ent.start <= m.modifier_span[0] and m.modifier_span[1] <= ent.end)
    ]
    if own is None:
        return modifiers
    return [m for m in modifiers if own[0] <= m.modifier_span[0] < own[1]]


def assertion_of(modifiers, section: str, doc) -> str:
    """One assertion from the ConText modifiers of the entity's own section and the section,
    most specific first: a negation wins ("no family history of diabetes" is negated), then
    family, hypothetical, uncertain, historical."""
    categories = {m.category for m in modifiers}
    if "NEGATED_EXISTENCE" in categories:
        # "History of pyelonephritis in 2010, resolved": it was there and is gone, which is
        # history, not a negation.
        if "HISTORICAL" in categories and _only_resolved(modifiers, doc):
            return "historical"
        return "negated"
    if "FAMILY" in categories or section in FAMILY_SECTIONS:
        return "family"
    if "HYPOTHETICAL" in categories:
        return "hypothetical"
    if "POSSIBLE_EXISTENCE" in categories:
        return "uncertain"
    if "HISTORICAL" in categories or section in HISTORY_SECTIONS:
        return "historical"
    return "present"


def _only_resolved(modifiers, doc) -> bool:
    negations = [m for m in modifiers if m.category == "NEGATED_EXISTENCE"]
    return bool(negations) and all(
        doc[m.modifier_span[0] : m.modifier_span[1]].text.lower() == "resolved" for m in negations
    )


_SPACES = regex.compile(r"\s+")


def normalise(name: str) -> str:
    return _SPACES.sub(" ", name.strip()).casefold()
