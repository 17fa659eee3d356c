"""Concept recognition over the full vocabularies: a spaCy component that looks every token
n-gram up in one dictionary of surfaces (``vocabulary.full_lexicon``), built once per process.

A dictionary of about 400,000 surfaces is built in a few seconds and answers each lookup in
constant time, where a spaCy ``PhraseMatcher`` over the same surfaces first has to tokenise every
one of them (minutes per process here); the matching itself is the same: longest surface first,
case-insensitive, never overlapping an entity already found by the curated ontology's target
rules. Matches become ``doc.ents`` before ConText and the sectionizer run, so assertions and
sections apply to them exactly as to the ontology's.
"""

from __future__ import annotations

from functools import lru_cache

from .vocabulary import VocabularyEntry, full_lexicon, normalise

COMPONENT = "medical_vocabulary_matcher"
MAX_TOKENS = {"en": 8, "zh": 10}
# Single English words that are in the drug or ICD lists but are ordinary words in notes.
COMMON_WORDS = frozenset(
    """
    plan date care home well able sure most none normal stable today water oxygen sodium
    potassium iron calcium zinc magnesium alcohol sugar salt food meal diet rest sleep mass
    pain other unspecified history acute chronic disease disorder left right lower upper
    status allergy test labs exam note daily complete urine blood heart lung liver kidney
    illness problem problems symptoms findings impression assessment condition conditions
    """.split()
)
ENTITY_TYPES = {"condition": "condition", "medication": "medication", "allergy": "allergy"}


@lru_cache(maxsize=1)
def _first_words() -> frozenset[str]:
    """The first word of every surface (and the first character, for Chinese): a token that
    starts none is skipped without building its n-grams."""
    firsts = set()
    for surface in full_lexicon():
        firsts.add(surface.split(" ", 1)[0])
        firsts.add(surface[0])
    return frozenset(firsts)


def _candidates(doc, language: str):
    lexicon = full_lexicon()
    firsts = _first_words()
    limit = MAX_TOKENS[language]
    lowered = [t.lower_ for t in doc]
    spaces = [" " if t.whitespace_ else "" for t in doc]
    for start in range(len(doc)):
        first = doc[start]
        if first.is_punct or first.is_space or lowered[start] not in firsts:
            continue
        # n-grams built as surfaces are keyed: lower case, one blank between words.
        grams, text = [], ""
        for end in range(start, min(len(doc), start + limit)):
            if doc[end].is_space:
                break
            text += lowered[end]
            grams.append((end + 1, text))
            text += spaces[end]
        for end, surface in reversed(grams):
            last = doc[end - 1]
            if last.is_punct:
                continue
            if language == "zh" and _ends_inside_a_word(surface, doc, end):
                continue
            entry = lexicon.get(surface)
            if entry is None:
                continue
            if language == "en" and end - start == 1 and _too_common(first):
                continue
            yield start, end, entry
            break


# "高血压病史" is 高血压 + 病史 (history of hypertension), not 高血压病 + 史: a term ending in 病
# gives its 病 back when the next character makes a word with it (病史, 病程, 病情...).
_BING_WORDS = frozenset("史程情因人房例历理灶区号")


def _ends_inside_a_word(surface: str, doc, end: int) -> bool:
    return (
        surface.endswith("病")
        and len(surface) > 2
        and end < len(doc)
        and doc[end].text in _BING_WORDS
    )


def _too_common(token) -> bool:
    lowered = token.lower_
    return token.is_stop or lowered in COMMON_WORDS or len(lowered) < 4


def vocabulary_spans(doc, language: str) -> tuple[list, list]:
    """Non-overlapping vocabulary matches, longest first, and the ontology entities they
    replace: a longer vocabulary surface that contains an ontology match wins ("ventricular
    tachycardia" over "tachycardia", "血小板减少" over "血小板"); otherwise the ontology wins."""
    taken = [False] * len(doc)
    for ent in doc.ents:
        for i in range(ent.start, ent.end):
            taken[i] = True
    found = sorted(_candidates(doc, language), key=lambda c: (-(c[1] - c[0]), c[0]))
    spans, replaced = [], []
    for start, end, entry in found:
        inside = [e for e in doc.ents if start <= e.start and e.end <= end]
        if any(taken[start:end]):
            covered = {i for e in inside for i in range(e.start, e.end)}
            blocked = any(taken[i] and i not in covered for i in range(start, end))
            if blocked or not inside or any(e in replaced for e in inside):
                continue
            replaced.extend(inside)
        for i in range(start, end):
            taken[i] = True
        # The Span class without importing spaCy at module level.
        span_class = type(doc[start:end])
        span = span_class(doc, start, end, label=ENTITY_TYPES.get(entry.entity_type, "condition"))
        span._.vocab_entry = entry
        spans.append(span)
    return spans, replaced


def register() -> None:
    """Register the two spaCy components and the ``vocab_entry`` span attribute (once; spaCy is
    imported here, when a pipeline is built, not when Django starts)."""
    from spacy.language import Language
    from spacy.tokens import Span

    if not Span.has_extension("vocab_entry"):
        Span.set_extension("vocab_entry", default=None)
    if not Span.has_extension("model_found"):
        Span.set_extension("model_found", default=False)
    for language in MAX_TOKENS:
        name = f"{COMPONENT}_{language}"
        if name not in Language.factories:
            Language.component(name, func=_matcher(language))


def _matcher(language: str):
    def match(doc):
        """Vocabulary matches into ``doc.ents``."""
        spans, replaced = vocabulary_spans(doc, language)
        if spans:
            kept = [e for e in doc.ents if e not in replaced]
            doc.ents = sorted([*kept, *spans], key=lambda s: s.start)
        model = model_entities(doc, doc.user_data.get("model_spans") or [])
        if model:
            doc.ents = sorted([*doc.ents, *model], key=lambda s: s.start)
        return doc

    return match


MODEL_TYPES = {"CONDITION": "condition", "MEDICATION": "medication"}
MODEL_MIN_SCORE = 0.5


def model_entities(doc, spans: list[dict]) -> list:
    """The NER model's spans: those on an entity already found mark it (``model_found``); the
    others become entities when they normalise to a code (``vocabulary.normalise``)."""
    new = []
    taken = [False] * len(doc)
    for ent in doc.ents:
        for i in range(ent.start, ent.end):
            taken[i] = True
    for found in spans:
        entity_type = MODEL_TYPES.get(found["label"])
        if entity_type is None or found["score"] < MODEL_MIN_SCORE:
            continue
        span = doc.char_span(found["start"], found["end"], alignment_mode="expand")
        if span is None or not span.text.strip():
            continue
        overlapping = [e for e in doc.ents if e.start < span.end and span.start < e.end]
        if overlapping:
            for ent in overlapping:
                ent._.model_found = True
            continue
        if any(taken[span.start : span.end]):
            continue
        # A model-only mention must normalise to a code: on the development set every
        # uncoded one was an ordinary word of the note ("reviewed", "the morning").
        entry = normalise(span.text, entity_type)
        if entry is None:
            continue
        made = type(span)(doc, span.start, span.end, label=entity_type)
        made._.vocab_entry = entry
        made._.model_found = "only"
        for i in range(span.start, span.end):
            taken[i] = True
        new.append(made)
    return new


def entry_entity(entry: VocabularyEntry) -> dict:
    """The concept fields of an extracted entity found by the vocabulary."""
    uri = {
        "ICD-10-CM": ("http://hl7.org/fhir/sid/icd-10-cm", "I10C"),
        "ATC": ("http://www.whocc.no/atc", "WC"),
        "DrugBank": ("https://go.drugbank.com/drugs", "DB"),
        "LOINC": ("http://loinc.org", "LN"),
        "SNOMED-CT": ("http://snomed.info/sct", "SCT"),
    }.get(entry.system, ("", ""))
    return {
        "concept": f"vocabulary:{entry.system}:{entry.code or entry.label}",
        "label": entry.label,
        "code": {"system": entry.system, "uri": uri[0], "hl7": uri[1], "code": entry.code},
        "generic": entry.label if entry.entity_type == "medication" else "",
    }
