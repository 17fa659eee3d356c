"""People's names without an NER model: census name lists plus cues in the text."""

from __future__ import annotations

from collections.abc import Iterator

import regex
from presidio_analyzer import EntityRecognizer, LocalRecognizer

from apps.privacy.gazetteer import NameGazetteer, get_gazetteer
from apps.privacy.recognizers import recognizer_result

# A name token: "Smith", "O'Brien", "Smith-Jones", "McDonald", "José". An initial ("J." or "J")
# is allowed between names.
_WORD = r"\p{Lu}\p{Ll}*(?:\p{Lu}\p{Ll}+)?(?:['\-]\p{Lu}?\p{Ll}+)*"
_NAME_TOKEN = regex.compile(rf"(?<![\p{{L}}\d'\-])(?:\p{{Lu}}\.|{_WORD})(?![\p{{L}}\d])")
_TITLE = regex.compile(
    r"(?<![\p{L}])(?P<title>Mr|Mrs|Ms|Mx|Dr|Prof|Miss|Sir|Dame|Madam|Mme|Mlle)\.?[ \t]+"
)
_STRONG_TITLES = frozenset({"Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "Mme", "Mlle"})
_NAME_PHRASE = regex.compile(
    r"(?i:(?P<personal>\b(?:my|his|her|their|patient'?s?|customer'?s?|client'?s?|full)[ \t]+"
    r"name[ \t]*(?:is|was|:|=)[ \t]*)"
    r"|(?P<bare>(?<![\p{L}_])name[ \t]*(?:is|:|=)[ \t]*)"
    r"|(?P<intro>\b(?:i[ \t]+am|i'm|this[ \t]+is|named|called)[ \t]+))"
)
_GREETING = regex.compile(r"\b(?:Dear|Hi|Hello|Hey|Thanks|Thank[ \t]+you),?[ \t]+")
_LOWER_WORD = regex.compile(r"\p{Ll}+(?![\p{L}\d])")
_BLANKS = regex.compile(r"[ \t]+")


class GazetteerNameRecognizer(LocalRecognizer):
    """People's names without an NER model, from census name lists and cues in the text.

    Reports, most confident first:
    - a name after a title: "Dr. Chen", "Mrs Jane Doe" (the title itself stays visible);
    - a name after "my name is", "name:", "I'm", "called": the words that follow, capitalised or
      found in the name lists (so "my name is john smith" is caught too);
    - a first name after a greeting: "Dear Alice", "Hi Omar";
    - a capitalised census first name followed by a capitalised census surname, with an optional
      middle name or initial: "Jane Doe", "John F. Kennedy".
    Stop words never count as names, so "Will you call in May?" stays as it is.
    """

    ENTITY = "PERSON"
    TITLE_SCORE = 0.85
    PHRASE_SCORE = 0.85
    FULL_NAME_SCORE = 0.7
    GREETING_SCORE = 0.6
    WEAK_PHRASE_SCORE = 0.5

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name="GazetteerNameRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Read the name lists now rather than on the first analysis."""
        get_gazetteer()

    def analyze(self, text, entities, nlp_artifacts=None):
        """Find names by title, phrase, greeting and first-plus-last-name cues."""
        gazetteer = get_gazetteer()
        spans: list[tuple[int, int, float, str]] = []
        spans.extend(self._after_titles(text, gazetteer))
        spans.extend(self._after_phrases(text, gazetteer))
        spans.extend(self._after_greetings(text, gazetteer))
        spans.extend(self._full_names(text, gazetteer))
        results = [
            recognizer_result(self, self.ENTITY, s, e, score, why) for s, e, score, why in spans
        ]
        return EntityRecognizer.remove_duplicates(results)

    @staticmethod
    def _tokens_from(text: str, position: int) -> Iterator[regex.Match]:
        """Name-shaped tokens starting at ``position`` and separated only by blanks."""
        while True:
            match = _NAME_TOKEN.match(text, position)
            if not match:
                return
            yield match
            gap = _BLANKS.match(text, match.end())
            if not gap:
                return
            position = gap.end()

    def _after_titles(self, text: str, gazetteer: NameGazetteer):
        for title in _TITLE.finditer(text):
            tokens = []
            for token in self._tokens_from(text, title.end()):
                if token.group().lower() in gazetteer.stop_words or len(tokens) == 3:
                    break
                tokens.append(token)
            words = [t for t in tokens if len(t.group().rstrip(".")) > 1]
            if not words:
                continue
            # "Miss" and "Sir" are also ordinary words ("Cache Miss Rate"): only a listed name
            # after them counts.
            if title.group("title") not in _STRONG_TITLES and not any(
                gazetteer.is_first_name(w.group()) or gazetteer.is_last_name(w.group())
                for w in words
            ):
                continue
            yield tokens[0].start(), words[-1].end(), self.TITLE_SCORE, "title + name"

    def _after_phrases(self, text: str, gazetteer: NameGazetteer):
        for phrase in _NAME_PHRASE.finditer(text):
            position, end, listed, count = phrase.end(), None, False, 0
            while count < 3:
                capitalised = _NAME_TOKEN.match(text, position)
                lower = _LOWER_WORD.match(text, position)
                token = capitalised or lower
                if not token:
                    break
                word = token.group().rstrip(".")
                if word.lower() in gazetteer.stop_words:
                    break
                in_list = (
                    gazetteer.is_first_name(word) if count == 0 else gazetteer.is_last_name(word)
                ) or gazetteer.is_first_name(word)
                if not capitalised and not in_list:
                    break
                listed = listed or in_list
                end, count = token.end(), count + 1
                gap = _BLANKS.match(text, end)
                if not gap:
                    break
                position = gap.end()
            if end is None:
                continue
            # "name: Default" in a log line or "I'm Tired" is not a person: outside a personal
            # phrase ("my name is") only believe listed names, or two capitalised words.
            if phrase.group("intro") and not listed:
                continue
            if phrase.group("bare") and not listed and count < 2:
                continue
            score = self.PHRASE_SCORE if listed else self.WEAK_PHRASE_SCORE
            yield phrase.end(), end, score, "name phrase"

    def _after_greetings(self, text: str, gazetteer: NameGazetteer):
        for greeting in _GREETING.finditer(text):
            tokens = list(self._tokens_from(text, greeting.end()))[:2]
            if not tokens or not gazetteer.is_first_name(tokens[0].group()):
                continue
            end = tokens[0].end()
            if len(tokens) > 1 and gazetteer.is_last_name(tokens[1].group()):
                end = tokens[1].end()
            yield tokens[0].start(), end, self.GREETING_SCORE, "greeting + first name"

    def _full_names(self, text: str, gazetteer: NameGazetteer):
        for first in _NAME_TOKEN.finditer(text):
            if not gazetteer.starts_full_name(first.group()):
                continue
            following = list(self._tokens_from(text, first.start()))[1:3]
            if not following:
                continue
            # Allow one middle name or initial: "John F. Kennedy", "Mary Ann Smith".
            for last in reversed(following):
                word = last.group()
                if len(word.rstrip(".")) > 1 and gazetteer.is_last_name(word):
                    middle = following[0] if last is not following[0] else None
                    if middle is not None and not (
                        len(middle.group().rstrip(".")) == 1
                        or gazetteer.is_first_name(middle.group())
                    ):
                        continue
                    yield first.start(), last.end(), self.FULL_NAME_SCORE, "first + last name"
                    break
