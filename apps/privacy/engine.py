"""Presidio analyzer and anonymizer set up to run offline.

Presidio's default ``AnalyzerEngine()`` loads (and tries to download) the spaCy model
``en_core_web_lg``. Here the NLP engine is a blank spaCy pipeline: it tokenises, which is all the
context-word scoring of the pattern recognizers needs, and it needs no model package and no
network. Names come from ``GazetteerNameRecognizer`` and from the statistical models of
``apps.privacy.statistical`` (spaCy's en_core_web_md, the Rampart ONNX model, Baidu LAC), which
load from installed packages on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import spacy
from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from presidio_analyzer.predefined_recognizers import (
    AuMedicareRecognizer,
    AuTfnRecognizer,
    CreditCardRecognizer,
    CryptoRecognizer,
    EsNieRecognizer,
    EsNifRecognizer,
    IbanRecognizer,
    InAadhaarRecognizer,
    InPanRecognizer,
    IpRecognizer,
    ItFiscalCodeRecognizer,
    NhsRecognizer,
    PlPeselRecognizer,
    SgFinRecognizer,
    UkNinoRecognizer,
    UsBankRecognizer,
    UsItinRecognizer,
    UsPassportRecognizer,
    UsSsnRecognizer,
)
from presidio_anonymizer import AnonymizerEngine

from apps.privacy.person import GazetteerNameRecognizer
from apps.privacy.recognizers import (
    AccountNumberRecognizer,
    ChineseMobileRecognizer,
    ChineseResidentIdRecognizer,
    GatedPhoneRecognizer,
    MedicalRecordNumberRecognizer,
    OfflineEmailRecognizer,
    StreetAddressRecognizer,
)
from apps.privacy.statistical import statistical_recognizers

SUPPORTED_LANGUAGES = ("en", "zh")

# Weak regex hits (a bare 9-digit number as a "passport", 0.05) only count once a context word
# such as "passport" lifts them to 0.4; checksum-validated hits score 1.0.
DEFAULT_SCORE_THRESHOLD = 0.4

# Regions whose national formats phonenumbers should accept without a leading "+"; numbers
# written with "+<country code>" are found whatever the list. Each region is one more scan.
# Canada shares +1 with the US, so "US" covers it. India is left out: its national format
# accepts most ten-digit numbers starting with 1, which is every Unix timestamp in seconds until
# 2033 ("processed 1732480000").
PHONE_REGIONS = ("US", "GB", "CN", "DE", "FR", "AU")

# Every predefined recognizer that needs no model, grouped by what it finds. Date, URL, UUID and
# MAC recognizers are left out on purpose: they would blank timestamps, paths and request ids in
# logs, and none of them identifies a person.
PREDEFINED_RECOGNIZERS: tuple[type[EntityRecognizer], ...] = (
    CreditCardRecognizer,
    IbanRecognizer,
    IpRecognizer,
    CryptoRecognizer,
    UsBankRecognizer,
    UsSsnRecognizer,
    UsItinRecognizer,
    UsPassportRecognizer,
    NhsRecognizer,
    UkNinoRecognizer,
    EsNifRecognizer,
    EsNieRecognizer,
    ItFiscalCodeRecognizer,
    PlPeselRecognizer,
    InAadhaarRecognizer,
    InPanRecognizer,
    SgFinRecognizer,
    AuTfnRecognizer,
    AuMedicareRecognizer,
)

# Subclasses of predefined recognizers (offline e-mail validation, gated phone search) and the
# recognizers written for this platform.
CUSTOM_RECOGNIZERS: tuple[type[EntityRecognizer], ...] = (
    OfflineEmailRecognizer,
    GatedPhoneRecognizer,
    GazetteerNameRecognizer,
    StreetAddressRecognizer,
    ChineseResidentIdRecognizer,
    ChineseMobileRecognizer,
    AccountNumberRecognizer,
    MedicalRecordNumberRecognizer,
)


class BlankSpacyNlpEngine(NlpEngine):
    """An NLP engine on ``spacy.blank(lang)``: tokens and stop words, no model, no download.

    Blank pipelines have no lemmatizer, so the lowercased token stands in for the lemma; context
    words ("card", "phone", "passport") are matched as substrings of it, which is what Presidio's
    context enhancer does anyway.
    """

    engine_name = "spacy_blank"
    is_available = True

    def __init__(self, languages: Sequence[str] = SUPPORTED_LANGUAGES) -> None:
        self.languages = tuple(languages)
        self.nlp: dict[str, spacy.language.Language] | None = None

    def load(self) -> None:
        """Create the blank pipelines (milliseconds; reads nothing from the network)."""
        self.nlp = {language: spacy.blank(language) for language in self.languages}

    def is_loaded(self) -> bool:
        """Whether ``load`` has run."""
        return self.nlp is not None

    def _artifacts(self, doc, language: str) -> NlpArtifacts:
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[token.idx for token in doc],
            lemmas=[token.lower_ for token in doc],
            nlp_engine=self,
            language=language,
            scores=[],
        )

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Tokenise ``text``."""
        return self._artifacts(self._pipeline(language)(text), language)

    def process_batch(
        self,
        texts: Iterable[str],
        language: str,
        batch_size: int = 1,
        n_process: int = 1,
        as_tuples: bool = False,
        **kwargs,
    ):
        """Tokenise many texts (``as_tuples`` passes a context object through, as in spaCy)."""
        pipeline = self._pipeline(language)
        if as_tuples:
            for doc, context in pipeline.pipe(texts, as_tuples=True, batch_size=batch_size):
                yield doc.text, self._artifacts(doc, language), context
        else:
            for doc in pipeline.pipe(texts, batch_size=batch_size):
                yield doc.text, self._artifacts(doc, language)

    def is_stopword(self, word: str, language: str) -> bool:
        """spaCy's stop-word list for the language."""
        return self._pipeline(language).vocab[word].is_stop

    def is_punct(self, word: str, language: str) -> bool:
        """spaCy's punctuation flag."""
        return self._pipeline(language).vocab[word].is_punct

    def get_supported_entities(self) -> list[str]:
        """None: this engine does no NER."""
        return []

    def get_supported_languages(self) -> list[str]:
        """The languages given at construction."""
        return list(self.languages)

    def _pipeline(self, language: str):
        if self.nlp is None:
            raise ValueError("BlankSpacyNlpEngine is not loaded; call load() first")
        try:
            return self.nlp[language]
        except KeyError:
            raise ValueError(
                f"Language {language!r} is not supported; supported: {list(self.languages)}"
            ) from None


def _instantiate(recognizer_class: type[EntityRecognizer], language: str) -> EntityRecognizer:
    if recognizer_class is GatedPhoneRecognizer:
        return GatedPhoneRecognizer(supported_language=language, supported_regions=PHONE_REGIONS)
    return recognizer_class(supported_language=language)


def default_recognizers(language: str) -> list[EntityRecognizer]:
    """New instances of the predefined and custom recognizers, for one language, plus the
    statistical name/place/organisation models (``apps.privacy.statistical``) in their general
    policy: log masking and every other caller use the same detectors as clinical notes."""
    classes = (*PREDEFINED_RECOGNIZERS, *CUSTOM_RECOGNIZERS)
    recognizers = [_instantiate(recognizer_class, language) for recognizer_class in classes]
    return [*recognizers, *statistical_recognizers(language)]


def build_analyzer(
    extra_recognizers: Iterable[EntityRecognizer] = (),
    *,
    languages: Sequence[str] = SUPPORTED_LANGUAGES,
    score_threshold: float = DEFAULT_SCORE_THRESHOLD,
) -> AnalyzerEngine:
    """Build a new offline ``AnalyzerEngine``: the default recognizers plus ``extra_recognizers``.

    An extra recognizer is used for the language it declares (``supported_language``); to serve
    several languages, pass one instance per language. Building takes a few milliseconds once
    spaCy and Presidio are imported; callers that analyse often should keep the engine.
    """
    registry = RecognizerRegistry(supported_languages=list(languages))
    for language in languages:
        for recognizer in default_recognizers(language):
            registry.add_recognizer(recognizer)
    for recognizer in extra_recognizers:
        registry.add_recognizer(recognizer)
    nlp_engine = BlankSpacyNlpEngine(languages)
    nlp_engine.load()
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=list(languages),
        default_score_threshold=score_threshold,
    )


_lock = threading.Lock()
_analyzer: AnalyzerEngine | None = None
_anonymizer: AnonymizerEngine | None = None


def get_analyzer() -> AnalyzerEngine:
    """The process-wide default analyzer, built on first use."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                _analyzer = build_analyzer()
    return _analyzer


def get_anonymizer() -> AnonymizerEngine:
    """The process-wide anonymizer (it holds no per-text state)."""
    global _anonymizer
    if _anonymizer is None:
        with _lock:
            if _anonymizer is None:
                _anonymizer = AnonymizerEngine()
    return _anonymizer
