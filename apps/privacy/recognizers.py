"""Presidio recognizers that the predefined set lacks (street addresses, Chinese resident identity
numbers and mobile numbers, account numbers introduced by a keyword), and offline or faster
versions of two predefined ones (e-mail, phone). Names are in ``apps.privacy.person``.

Everything here is pattern- or list-based, so none of it needs an NLP model. Patterns use digit
look-arounds rather than ``\\b`` where Chinese text may touch the match, because CJK characters
count as word characters and ``\\b`` never fires between "号" and "1".
"""

from __future__ import annotations

import regex
import tldextract
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    LocalRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer

# Presidio compiles patterns case-insensitively by default; the address and name patterns rely on
# capitalisation to stay precise, so they are compiled without IGNORECASE.
CASE_SENSITIVE_FLAGS = regex.DOTALL | regex.MULTILINE

# tldextract's module-level extractor fetches the Public Suffix List from GitHub the first time it
# runs, and Presidio's e-mail validation uses it. This one only reads the snapshot bundled with
# the package and writes no cache file.
_OFFLINE_TLD_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, validating the domain without network access, plus a
    pattern for addresses inside URLs.

    Presidio's pattern lets the local part contain "/", "=" and "?", so in
    "/api/v1/jobs/jane@example.com/" or "?kind=jane@example.com" it matches from the start of the
    path, fails validation and reports nothing. The second pattern takes a conventional local part
    only, and also accepts the percent-encoded "%40" of raw URLs.
    """

    PATTERNS = [
        *EmailRecognizer.PATTERNS,
        Pattern(
            "Email (conventional local part, also %40)",
            r"(?<![\w.%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*(?:@|%40)"
            r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+",
            0.5,
        ),
    ]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(patterns=self.PATTERNS, supported_language=supported_language)

    def validate_result(self, pattern_text: str) -> bool:
        """An address counts when its domain ends in a known public suffix."""
        return _OFFLINE_TLD_EXTRACT(pattern_text.replace("%40", "@")).fqdn != ""


class GatedPhoneRecognizer(PhoneRecognizer):
    """Presidio's phonenumbers-based recognizer, skipped when nothing looks like a phone number.

    phonenumbers parses every candidate once per region, a few hundred microseconds each; most
    texts (and log lines such as '"GET / HTTP/1.1" 200 1534') hold no run of digits long enough
    to be one. A candidate is "+" and six digits, or eight digits: the national formats of the
    regions searched are all longer (ten digits in North America, a trunk "0" and at least seven
    more in Europe, Australia and China).
    """

    _CANDIDATE = regex.compile(
        r"\+[ \t(]*\d(?:[ \t\-.()/]{0,3}\d){5,}|\d(?:[ \t\-.()/]{0,3}\d){7,}"
    )

    def analyze(self, text, entities, nlp_artifacts=None):
        """Phone numbers in ``text``, or none at once when it has no candidate."""
        if not self._CANDIDATE.search(text):
            return []
        return super().analyze(text, entities, nlp_artifacts)


STREET_SUFFIXES = (
    "Street|St|Road|Rd|Avenue|Ave|Av|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Square|"
    "Sq|Terrace|Tce|Way|Parkway|Pkwy|Highway|Hwy|Close|Crescent|Cres|Circle|Cir|Alley|Row|"
    "Gardens|Gdns|Walk|Mews|Grove|Hill|Park|Plaza|Trail|Trl|Expressway|Freeway"
)


class StreetAddressRecognizer(PatternRecognizer):
    """Street addresses: a house number, capitalised street name words and a street suffix
    ("221B Baker Street", "1600 Amphitheatre Pkwy, Suite 200"), and Chinese addresses ending in a
    road and house number ("建国路88号")."""

    ENTITY = "STREET_ADDRESS"
    PATTERNS = [
        Pattern(
            "street address (house number, name, suffix)",
            r"(?<![\w.])\d{1,6}[A-Za-z]?(?:[-/]\d{1,6}[A-Za-z]?)?,?[ \t]+"
            r"(?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?[ \t]+)?"
            r"(?:(?:\p{Lu}[\p{L}'\-]*\.?|\d{1,3}(?:st|nd|rd|th))[ \t]+){1,4}"
            rf"(?:{STREET_SUFFIXES})\b\.?"
            r"(?:,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|\#)\.?[ \t]*"
            r"[\w\-]{1,6})?",
            0.6,
        ),
        Pattern(
            "Chinese street address (road and house number)",
            r"[\p{Han}]{2,8}(?:路|街|大道|大街|巷|胡同|弄|道)[ \t]*\d{1,5}[ \t]*[号號]"
            r"(?:[ \t]*\d{1,4}[ \t]*(?:号楼|栋|幢|座|楼|单元|單元|层|層|室))*",
            0.6,
        ),
    ]
    CONTEXT = ["address", "street", "live", "lives", "living", "reside", "ship", "deliver", "地址"]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name="StreetAddressRecognizer",
            supported_language=supported_language,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=CASE_SENSITIVE_FLAGS,
        )


# ISO 7064 MOD 11-2 weights and check characters of GB 11643-1999.
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"


def cn_resident_id_is_valid(value: str) -> bool:
    """True when an 18-character Chinese resident identity number has a correct check digit."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(value[:17], _CN_ID_WEIGHTS, strict=True)
    )
    return _CN_ID_CHECK[total % 11] == value[17].upper()


class ChineseResidentIdRecognizer(PatternRecognizer):
    """Chinese resident identity card numbers (18 characters: region, birth date, sequence,
    MOD 11-2 check digit). Only numbers whose check digit is right are reported."""

    ENTITY = "CN_RESIDENT_ID"
    PATTERNS = [
        Pattern(
            "CN resident id (18 digits)",
            r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
            r"(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])",
            0.3,
        )
    ]
    CONTEXT = ["id", "identity", "身份证", "身份证号", "证件"]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name="ChineseResidentIdRecognizer",
            supported_language=supported_language,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
        )

    def validate_result(self, pattern_text: str) -> bool:
        """Check the MOD 11-2 check digit; an invalid one drops the match."""
        return cn_resident_id_is_valid(pattern_text)


class ChineseMobileRecognizer(PatternRecognizer):
    """Mainland China mobile numbers (1[3-9] and nine digits, optionally +86 and spaced 3-4-4).

    ``phonenumbers`` finds these only with a +86 prefix or the CN region, and adding CN to the
    region list would slow every analysis, so a pattern covers the national form.
    """

    ENTITY = "PHONE_NUMBER"
    PATTERNS = [
        Pattern(
            "CN mobile",
            r"(?<![\d+])(?:(?:\+|00)86[ \-]?)?1[3-9]\d(?:[ \-]?\d{4}){2}(?!\d)",
            0.5,
        )
    ]
    CONTEXT = ["phone", "mobile", "cell", "tel", "call", "手机", "电话", "联系"]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name="ChineseMobileRecognizer",
            supported_language=supported_language,
            patterns=self.PATTERNS,
            context=self.CONTEXT,
        )


class AccountNumberRecognizer(LocalRecognizer):
    """Account numbers introduced by a keyword: "account 12345678", "acct# 00-1234-5678",
    "IBAN: XX00 ...", "账号：6222 0200 ...". Only the number is reported, not the keyword.

    Bare numbers are left to the checksum-validated recognizers (cards, IBANs); this one relies on
    the keyword, so it also catches account numbers that have no checksum or a wrong one.
    """

    ENTITY = "ACCOUNT_NUMBER"
    SCORE = 0.75
    MIN_DIGITS = 5
    _PATTERN = regex.compile(
        r"(?:"
        r"(?i:\b(?:bank[ \t]+)?(?:account|acct|acc|a/c|iban)\b\.?"
        r"(?:[ \t]*(?:no|nr|num|number|id|\#))?\.?[ \t]*(?:is[ \t]+)?[:\#=]?[ \t]*)"
        r"|(?:银行卡号?|银行账号|账号|帐号|账户|帐户|卡号)[ \t]*(?:是|为)?[ \t]*[:：]?[ \t]*"
        r")"
        # The number: chunks that each start with a digit (an IBAN may open with two letters),
        # so "account 12345678 was closed" stops before "was".
        r"(?P<value>(?:[A-Z]{2}\d{2}|\d)[0-9A-Za-z]*"
        r"(?:[ \-](?:\d[0-9A-Za-z]*|[A-Z]{4}(?=[ \-]\d)))*)"
    )

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name="AccountNumberRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Nothing to load: the pattern is compiled at import."""

    def analyze(self, text, entities, nlp_artifacts=None):
        """Report each keyword-introduced value that holds at least MIN_DIGITS digits."""
        results = []
        for match in self._PATTERN.finditer(text):
            value = match.group("value")
            if sum(char.isdigit() for char in value) < self.MIN_DIGITS:
                continue
            start, end = match.span("value")
            results.append(
                recognizer_result(self, self.ENTITY, start, end, self.SCORE, "keyword + number")
            )
        return results


class MedicalRecordNumberRecognizer(AccountNumberRecognizer):
    """Medical record and patient numbers introduced by a keyword: "MRN 88412345",
    "MRN-00482913", "medical record number: A1234567", "patient id=7781234", "病历号：2023004512".
    Only the number is reported. Like account numbers they carry no checksum, so the keyword is
    what tells them from other numbers in a log line (the customer-service vertical's
    log-masking flow test found it: a note's MRN passed through the filter untouched)."""

    ENTITY = "MEDICAL_RECORD_NUMBER"
    _PATTERN = regex.compile(
        r"(?:"
        r"(?i:\b(?:mrn|mr\#|(?:medical|health|hospital)[ \t]+record(?:[ \t]+(?:no|nr|number|id))?"
        r"|patient[ \t]+(?:id|no|nr|number)|chart[ \t]*(?:no|number|\#))\b\.?"
        r"[ \t]*(?:is[ \t]+)?[:\#=\-]?[ \t]*)"
        r"|(?:病历号|病案号|住院号|门诊号|就诊卡号)[ \t]*(?:是|为)?[ \t]*[:：]?[ \t]*"
        r")"
        r"(?P<value>[A-Za-z]{0,3}\d[0-9A-Za-z]*(?:[\-/]\d[0-9A-Za-z]*)*)"
    )

    def __init__(self, supported_language: str = "en") -> None:
        LocalRecognizer.__init__(
            self,
            supported_entities=[self.ENTITY],
            name="MedicalRecordNumberRecognizer",
            supported_language=supported_language,
        )


def recognizer_result(
    recognizer: EntityRecognizer, entity: str, start: int, end: int, score: float, why: str
) -> RecognizerResult:
    """A ``RecognizerResult`` carrying the recognizer's name and id, as Presidio's own do."""
    return RecognizerResult(
        entity_type=entity,
        start=start,
        end=end,
        score=score,
        analysis_explanation=AnalysisExplanation(
            recognizer=recognizer.name, original_score=score, textual_explanation=why
        ),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )
