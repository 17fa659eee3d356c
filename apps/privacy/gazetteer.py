"""Name gazetteers for detecting people's names without an NER model.

The ``names`` package ships the US Census 1990 name frequency files (about 5,500 first names and
89,000 surnames). They are read once, on first use, and kept as lowercase frozensets; the stop
words come from spaCy so that "Will", "May" and friends never count as first names.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

# Capitalised words that are also census first names and turn up in ordinary business or log text
# ("Grant access", "Mark as read", "Max retries", "Chase payment"). They are still names when a
# title or "my name is" introduces them; they just don't start a bare "First Last" match.
COMMON_WORD_FIRST_NAMES = frozenset(
    """
    autumn summer winter dawn eve will grant hope faith joy art chance max chase hunter lane
    page rich sky storm royal major king prince duke earl baron sterling price young long penny
    cash sandy rusty buck colt star sunny misty crystal amber jade angel ivy holly pearl guy
    paris austin dallas china india georgia virginia carolina florida nevada jordan israel
    miss sir dame madam
    """.split()
)

# Surname-list entries that are far more often street or place words: "Jackson Street" is an
# address, not a person.
ADDRESS_WORDS = frozenset(
    """
    street st road rd avenue ave boulevard blvd lane ln drive dr court ct place pl square sq
    terrace way parkway pkwy highway hwy close crescent circle cir alley row gardens walk mews
    park hill county city town village station hospital clinic center centre university
    """.split()
)

MONTHS_AND_DAYS = frozenset(
    """
    january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday
    """.split()
)


@dataclass(frozen=True)
class NameGazetteer:
    """Lowercase first names, surnames and English stop words."""

    first_names: frozenset[str]
    last_names: frozenset[str]
    stop_words: frozenset[str]

    def is_first_name(self, word: str) -> bool:
        """A census first name that is not an English stop word."""
        lowered = word.lower()
        return lowered in self.first_names and lowered not in self.stop_words

    def is_last_name(self, word: str) -> bool:
        """A census surname that is neither a stop word nor a street or place word."""
        lowered = word.lower()
        return (
            lowered in self.last_names
            and lowered not in self.stop_words
            and lowered not in ADDRESS_WORDS
        )

    def starts_full_name(self, word: str) -> bool:
        """A first name strong enough to open a bare "First Last" match."""
        lowered = word.lower()
        return (
            self.is_first_name(word)
            and lowered not in COMMON_WORD_FIRST_NAMES
            and lowered not in MONTHS_AND_DAYS
        )


def _read_census_file(filename: str) -> frozenset[str]:
    # Each line is "NAME  frequency  cumulative-frequency  rank".
    text = resources.files("names").joinpath(filename).read_text(encoding="ascii")
    return frozenset(line.split(None, 1)[0].lower() for line in text.splitlines() if line.strip())


def _stop_words() -> frozenset[str]:
    # The logging filter needs the stop words for its first record; importing spaCy for them
    # would pull in PyTorch and stall that record for seconds. spaCy's English stop-word module is
    # plain Python with no imports, so it is read on its own unless spaCy is already loaded.
    module = sys.modules.get("spacy.lang.en.stop_words")
    if module is None:
        spacy_spec = importlib.util.find_spec("spacy")
        path = Path(spacy_spec.origin).parent / "lang" / "en" / "stop_words.py"
        spec = importlib.util.spec_from_file_location("_privacy_en_stop_words", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return frozenset(word.lower() for word in module.STOP_WORDS)


_load_lock = threading.Lock()
_gazetteer: NameGazetteer | None = None


def get_gazetteer() -> NameGazetteer:
    """Return the process-wide gazetteer, reading the files on the first call."""
    global _gazetteer
    if _gazetteer is None:
        # Double-checked so the hot path (every log record) takes no lock once loaded.
        with _load_lock:
            if _gazetteer is None:
                first = _read_census_file("dist.male.first") | _read_census_file(
                    "dist.female.first"
                )
                _gazetteer = NameGazetteer(
                    first_names=first,
                    last_names=_read_census_file("dist.all.last"),
                    stop_words=_stop_words(),
                )
    return _gazetteer
