"""Health-specific Presidio recognizers, added to ``apps.privacy``'s offline analyzer.

Everything is pattern-based (no NER model: none can be downloaded here). Names come from
``apps.privacy``'s gazetteer recognizer (titles, "name is", census first + last names) plus, per
note, the names written in the note's own header fields (``header_names``), found wherever they
recur, and Chinese names by their cues (患者/医生/姓名...).
"""

from __future__ import annotations

import regex
from presidio_analyzer import LocalRecognizer, Pattern, PatternRecognizer

from apps.privacy.gazetteer import get_gazetteer
from apps.privacy.recognizers import CASE_SENSITIVE_FLAGS, recognizer_result

# Keywords that introduce an identifier: medical record, account, insurance, national ids.
_ID_KEYWORDS = (
    r"MRN|MR\s?#|Med(?:ical)?\.?\s+Rec(?:ord)?\.?\s*(?:No\.?|Number|#)?|Medical\s+Record\s+"
    r"(?:No\.?|Number|#)|Patient\s+ID|Pt\.?\s+ID|Hospital\s+(?:No\.?|Number|ID)|Chart\s*(?:#|No\.?)"
    r"|Account\s*(?:No\.?|Number|#)?|Acct\.?\s*(?:No\.?|#)?|Encounter\s+(?:ID|No\.?)|"
    r"Visit\s+(?:ID|No\.?)|Member\s*(?:ID|#|No\.?)|Subscriber\s+(?:ID|No\.?)|"
    r"Policy\s*(?:#|No\.?|Number)?|Group\s*(?:#|No\.?|Number)|Insurance\s+(?:ID|No\.?|Number|#)|"
    r"Medicare\s*(?:ID|No\.?|Number|#)?|Medicaid\s*(?:ID|No\.?|Number|#)?|"
    r"Health\s+(?:Plan|Card)\s+(?:ID|No\.?|Number|#)|Beneficiary\s+(?:ID|No\.?)|"
    r"SSN|Social\s+Security\s+(?:No\.?|Number|#)|NHS\s+(?:No\.?|Number)|"
    r"Passport\s*(?:#|No\.?|Number)?|Driver'?s\s+Licen[cs]e\s*(?:#|No\.?|Number)?|DL\s?#|"
    r"National\s+ID(?:\s+(?:No\.?|Number))?|ID\s*(?:#|No\.?|Number)|Device\s+(?:ID|Serial)"
    r"|Serial\s+(?:No\.?|Number)|License\s*(?:#|No\.?|Number)|NPI|DEA\s*(?:#|No\.?)?"
)
_ZH_ID_KEYWORDS = (
    r"身份证号码|身份证号|身份证|病历号|住院号|门诊号|医保卡号|医保号|社保卡号|社保号|就诊卡号|"
    r"病案号|护照号|登记号|ID号|病案号码|病历编号|病案编号|住院编号|门诊编号|住院病历号|档案号|"
    r"就诊号|病人号|患者编号|"
    # Found on the fourth development set (data/dev_v4): card, imaging, pathology, emergency and
    # serial numbers, and "ID" written after a Chinese word for the patient (患者ID).
    r"诊疗卡号|医疗卡号|健康卡号|居民健康卡号|卡号|影像号|放射号|病理号|检查号|检验号|标本号|"
    r"急诊号|留观号|流水号|住院流水号|门诊流水号|申请单号|(?:患者|病人|病员|就诊)ID"
)
# Any other Chinese word ending in 号/编号/号码 (床号, 门诊病历号, 影像检查号…) introduces an
# identifier when a colon or 为/是 follows it; the listed keywords need no separator. Telephone
# numbers (电话号码：…) are left to the phone recognizer.
_ZH_ID_GENERIC = r"\p{Han}{1,6}(?:号码|编号|号)(?=[ \t\u3000]*(?:[:：]|为|是))"
_PHONE_WORDS = regex.compile(r"电话|手机|传真")
# Full-width digits and letters too: Chinese notes typed with a full-width input method write
# "病案号：４５１２８８３０".
_ALNUM = r"[A-Za-z0-9０-９Ａ-Ｚａ-ｚ]"
_ID_VALUE = rf"(?P<value>{_ALNUM}(?:{_ALNUM}|[\-./ －](?={_ALNUM})){{3,24}})"


class HealthIdentifierRecognizer(LocalRecognizer):
    """Identifiers introduced by a keyword: "MRN: 00482913", "Member ID XGH448291170",
    "SSN 123-45-6789", "病历号：2023004512". Only the value is reported (kind ID), and only when
    it holds at least three digits ("Policy active" is not an identifier)."""

    ENTITY = "MEDICAL_ID"
    SCORE = 0.9
    _PATTERN = regex.compile(
        rf"(?:(?<![\p{{L}}])(?i:{_ID_KEYWORDS})(?![\p{{Ll}}])|(?:{_ZH_ID_KEYWORDS})码?"
        rf"|{_ZH_ID_GENERIC})"
        # "住院号码为…", "病历号码：…": 码 after any keyword.
        r"[ \t\u3000]*(?:is|was|为|是)?[ \t\u3000]*[:：#=＃]?[ \t\u3000]*" + _ID_VALUE
    )

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name="HealthIdentifierRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Compiled at import."""

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for match in self._PATTERN.finditer(text):
            if _PHONE_WORDS.search(text, match.start(), match.start("value")):
                continue
            value = match.group("value").rstrip(" .-/")
            if sum(c.isdigit() for c in value) < 3:
                continue
            start = match.start("value")
            results.append(
                recognizer_result(
                    self,
                    self.ENTITY,
                    start,
                    start + len(value),
                    self.SCORE,
                    "identifier keyword + value",
                )
            )
        return results


class MrnPatternRecognizer(PatternRecognizer):
    """Medical record numbers written without a keyword, in the usual hospital shapes:
    "MRN-00482913" glued together, "A-123-4567", "E7734512" (letter + 7 digits)."""

    ENTITY = "MEDICAL_ID"
    PATTERNS = [
        Pattern("MRN glued", r"(?<![\w])MRN[\-_]?\d{5,12}(?!\w)", 0.85),
        Pattern("letter + 7-9 digits", r"(?<![\w\-])[A-Z]{1,2}\d{7,9}(?![\w\-])", 0.5),
        Pattern("hospital number 3-3-4", r"(?<![\w\-])\d{3}-\d{3}-\d{4}-\d{1,2}(?![\w\-])", 0.5),
    ]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name="MrnPatternRecognizer",
            supported_language=supported_language,
            patterns=self.PATTERNS,
            global_regex_flags=CASE_SENSITIVE_FLAGS,
        )


# ------------------------------------------------------------------ code-shaped identifiers
_FW = str.maketrans(  # full-width digits and capitals to ASCII
    "".join(map(chr, [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B)])),
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
)
# A run of letters and digits joined by hyphens ("BJ-2024-00123"), or the spaced groups of a card
# number ("6222 0212 3456 7890") or a national ID number ("440301 19780212 331X"), not touching
# other letters or digits (a "." or "," only after a digit: "Case No.1234567" is a code).
_DIGIT = "[0-9０-９]"
_CODE = regex.compile(
    rf"(?<![\p{{Latin}}0-9０-９\-*/])(?<![0-9０-９][.,])"
    rf"(?P<code>{_DIGIT}{{4}}(?:[ \t]{_DIGIT}{{4}}){{3}}"
    rf"|{_DIGIT}{{6}}[ \t]{_DIGIT}{{8}}[ \t]{_DIGIT}{{3}}[0-9Xx]"
    rf"|{_ALNUM}+(?:-{_ALNUM}+)*)"
    rf"(?![\p{{Latin}}0-9０-９*]|[.,/][0-9０-９])"
)
_DATE_SHAPES = regex.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|(?:19|20)\d{2}-(?:19|20)\d{2}"
    r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
)
# A number with its unit or power of ten written against it: "2400000U", "50000IU", "250x10".
_GLUED_UNIT = regex.compile(
    r"\d+(?:x10|(?i:u|iu|mg|mcg|ug|g|kg|ml|l|dl|mmol|umol|nmol|pmol|meq|mosm|nm|mm|cm|m|km|pa|kpa"
    r"|hz|khz|mhz|kcal|cal|w|kw|v|mv|s|ms|h|hr|hrs|min|d|wk|y|yr|yrs|pg|ng|fl|cells|copies))"
)
# A code-system or measurement word right before the number: the number is a concept code or a
# value ("SNOMED 22298006", "NDC 0002-3227-30", "HIV RNA 1250000", "病毒载量 25000000").
_NOT_AN_IDENTIFIER_BEFORE = regex.compile(
    r"(?:(?i:snomed(?:[ \t]ct)?|sctid|ndc|omim|loinc|rxnorm|rxcui|cui|icd(?:-?10|-?9)?(?:-cm)?|atc"
    r"|dna|rna|load|count|counts|level|levels|titer|titre|value|values|result|results|copies)"
    r"|载量|计数|滴度|水平|数值|结果|含量|浓度)[ \t]*[:：=为]?[ \t]*$"
)
# Telephone numbers: a Chinese mobile number, NANP groups, a Chinese landline (the phone
# recognizers report them as PHONE).
_PHONE_SHAPES = regex.compile(r"1[3-9]\d{9}|\(?\d{3}\)?[ \-]?\d{3}-\d{4}|0\d{2,3}-\d{7,8}")
_VARIANT = regex.compile(r"(?i:rs)\d+")  # a dbSNP variant (rs4244285)
# Whole codes that are something else: a date, a quantity, a variant, a telephone number.
_NOT_IDENTIFIER_SHAPES = (_DATE_SHAPES, _GLUED_UNIT, _VARIANT, _PHONE_SHAPES)
# A quantity: a unit or a counter right after the number.
_UNIT_AFTER = regex.compile(
    r"[ \t]*(?:%|‰|℃|°|×|x10|(?i:mg|mcg|μg|ug|g|kg|ml|l|dl|mmol|μmol|umol|nmol|iu|u|units?|"
    r"mmhg|cm|mm|m|kcal|cells?|copies|per)(?![\p{Latin}])|/|次|岁|元|个|片|粒|支|袋|瓶|克|毫|升|千|万|倍|天|年|月|周|小时|分)"
)


class CodeShapedIdentifierRecognizer(LocalRecognizer):
    """Recall first: a code of seven or more digits, or of five or more digits and a letter,
    is an identifier wherever it stands, with or without a keyword before it ("患者（3780-3081）",
    "Specimen SP4412098", a national ID number, a card number in groups). Quantities (a unit or
    counter after the number), dates, year ranges, decimals and telephone numbers are not
    (the date and telephone recognizers report those as their own kinds). Philter masks
    numbers the same way; a keyword recognizer alone misses every layout it does not list.
    Built on the fifth development set (``data/dev_v5``)."""

    ENTITY = "MEDICAL_ID"
    SCORE = 0.6

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name="CodeShapedIdentifierRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Compiled at import."""

    @staticmethod
    def is_identifier(code: str) -> bool:
        plain = code.translate(_FW)
        digits = sum(c.isdigit() for c in plain)
        letters = sum(c.isalpha() for c in plain)
        if digits < 7 and not (letters and digits >= 5):
            return False
        return not any(shape.fullmatch(plain) for shape in _NOT_IDENTIFIER_SHAPES)

    @staticmethod
    def stands_as_identifier(text: str, start: int, end: int) -> bool:
        """No unit or counter after the code and no code-system or measurement word before it.
        De-identification asks again on the original text: ``apps.privacy`` also analyses a
        copy with the Chinese characters blanked, where 计数 and 次 are not to be seen."""
        if _UNIT_AFTER.match(text, end):
            return False
        return not _NOT_AN_IDENTIFIER_BEFORE.search(text[max(0, start - 24) : start])

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for match in _CODE.finditer(text):
            code = match.group("code").rstrip(" -")
            start, end = match.start("code"), match.start("code") + len(code)
            if not self.is_identifier(code) or not self.stands_as_identifier(text, start, end):
                continue
            results.append(
                recognizer_result(self, self.ENTITY, start, end, self.SCORE, "code-shaped number")
            )
        return results


class FaxPhoneRecognizer(PatternRecognizer):
    """Telephone and fax numbers in North American and Chinese written forms, whether or not
    ``phonenumbers`` thinks the exchange is in service (555 numbers, new area codes)."""

    ENTITY = "PHONE_NUMBER"
    PATTERNS = [
        Pattern(
            "NANP",
            r"(?<![\w])(?:\+?1[ \-.])?\(?\d{3}\)?[ \-.]?\d{3}[ \-.]\d{4}(?:[ \t]*(?:x|ext\.?)"
            r"[ \t]*\d{1,5})?(?!\d)",
            0.6,
        ),
        Pattern("CN landline", r"(?<!\d)\(?0\d{2,3}\)?[ \-]?\d{7,8}(?!\d)", 0.6),
        Pattern("CN landline spaced", r"(?<!\d)0\d{2,3}-\d{4}[ \-]\d{4}(?!\d)", 0.6),
    ]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name="FaxPhoneRecognizer",
            supported_language=supported_language,
            patterns=self.PATTERNS,
        )


class CityStateZipRecognizer(PatternRecognizer):
    """The rest of a postal address: "Springfield, IL 62704", "P.O. Box 1123", and Chinese
    province/city/district prefixes ("浙江省杭州市西湖区")."""

    ENTITY = "STREET_ADDRESS"
    PATTERNS = [
        Pattern(
            "city, state zip",
            r"(?<![\w])\p{Lu}[\p{Ll}]+(?:[ \t]\p{Lu}[\p{Ll}]+){0,2},[ \t]*[A-Z]{2}[ \t]+"
            r"\d{5}(?:-\d{4})?(?!\d)",
            0.7,
        ),
        Pattern("PO box", r"(?i:P\.?[ \t]?O\.?[ \t]+Box)[ \t]+\d{1,6}", 0.7),
        Pattern(
            "Chinese province/city/district",
            r"(?:\p{Han}{2,7}(?:省|自治区))?\p{Han}{2,5}市(?:\p{Han}{2,5}(?:区|县|市))"
            r"(?:\p{Han}{1,10}?(?:路|街|道|巷|村|镇|乡|小区|大道)(?:\d{1,5}[号號])?)?"
            r"(?:\d{1,4}(?:号楼|栋|幢|单元|室|弄))*",
            0.7,
        ),
    ]

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name="CityStateZipRecognizer",
            supported_language=supported_language,
            patterns=self.PATTERNS,
            global_regex_flags=CASE_SENSITIVE_FLAGS,
        )


class AgeOver89Recognizer(LocalRecognizer):
    """Ages of 90 and over (HIPAA Safe Harbor keeps younger ages): "92-year-old", "age 95",
    "91 y/o", "93岁", "年龄：96". Only the number is reported."""

    ENTITY = "AGE_OVER_89"
    _AGE = r"(?P<age>9\d|1[01]\d)"
    _PATTERNS = (
        regex.compile(
            rf"(?<![\d.]){_AGE}[ \t\-]*(?:years?[ \t\-]*old|year[ \t\-]old|yrs?[ \t\-]*old|"
            r"y/o|y\.o\.|yo\b|yr\b|years? of age)",
            regex.IGNORECASE,
        ),
        regex.compile(rf"(?i:\b(?:aged?|age:))[ \t]*{_AGE}(?!\d)"),
        regex.compile(rf"(?<![\d.]){_AGE}[ \t]*(?:岁|周岁)"),
        regex.compile(rf"年龄[ \t]*[:：]?[ \t]*{_AGE}(?!\d)"),
        regex.compile(rf"(?<![\w.]){_AGE}[ \t]*(?:M|F|男|女)(?![\w])"),
    )

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name="AgeOver89Recognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Compiled at import."""

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for pattern in self._PATTERNS:
            for match in pattern.finditer(text):
                start, end = match.span("age")
                results.append(recognizer_result(self, self.ENTITY, start, end, 0.9, "age > 89"))
        return results


# The hundred commonest Chinese surnames (over 85% of the population), for the name cues below.
_ZH_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤"
)
# Compound surnames (复姓): jieba and a one-character surname pattern split 欧阳娜娜 wrongly.
_ZH_COMPOUND = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|令狐|轩辕|端木|南宫|西门|"
    "独孤|钟离|申屠|闻人|澹台|公冶|太史|百里|呼延|万俟|赫连|单于"
)
_ZH_NAME = rf"(?:(?:{_ZH_COMPOUND})\p{{Han}}{{1,2}}?|[{{surnames}}]\p{{Han}}{{1,2}}?)"
_ZH_TITLES = "医生|医师|大夫|主任|护士|护士长|教授|先生|女士|小姐|老师|同志|院长"
_ZH_BEFORE = (
    "患者|病人|病患|姓名|家属|联系人|签名|主治医师|主治医生|经治医师|责任护士|记录者|医师|医生"
)


# 于 is a surname and the preposition "at/on" of "患者于今日入院", "于昨日", "于本院": before a
# time or place word it is the preposition.
_PREPOSITION_YU = regex.compile(r"于[今昨前近本当次我外上下该此]")


class ChineseNameRecognizer(LocalRecognizer):
    """Chinese personal names by their cues: after 患者/姓名/家属/医师... or before
    医生/主任/护士/先生/女士..., a common surname and one or two given-name characters."""

    ENTITY = "PERSON"
    _NAME = _ZH_NAME.replace("{surnames}", _ZH_SURNAMES)
    _AFTER_CUE = regex.compile(
        rf"(?:{_ZH_BEFORE}|陪同)[ \t]*[:：]?[ \t]*(?P<name>{_NAME})"
        r"(?=[，,。、；;：:（( \t\n]|男|女|\d|$|因|于|今|自|诉|主|入|来|，)"
    )
    _AFTER_RELATION = regex.compile(
        rf"(?:女儿|儿子|妻子|丈夫|爱人|哥哥|姐姐|弟弟|妹妹|孙子|孙女|儿媳|女婿|家属|陪同人)"
        rf"[ \t]*(?P<name>{_NAME})"
        r"(?=陪同|同来|代诉|来院|电话|联系|说|[，,。；;（(\s]|$)"
    )
    # "张三丰说…": a name that opens a sentence or clause and speaks.
    _BEFORE_SPEECH = regex.compile(
        rf"(?:^|(?<=[。！？；，,\n：:]))(?P<name>{_NAME})(?=说|诉|表示|称)"
    )
    _BEFORE_TITLE = regex.compile(
        rf"(?P<name>(?:{_ZH_COMPOUND})\p{{Han}}{{0,2}}?|[{_ZH_SURNAMES}]\p{{Han}}{{0,2}}?)"
        rf"(?:{_ZH_TITLES})"
    )

    def __init__(self, supported_language: str = "zh") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name="ChineseNameRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Compiled at import."""

    def analyze(self, text, entities, nlp_artifacts=None):
        results = []
        for pattern in (
            self._AFTER_CUE,
            self._AFTER_RELATION,
            self._BEFORE_TITLE,
            self._BEFORE_SPEECH,
        ):
            for match in pattern.finditer(text):
                start, end = match.span("name")
                if _PREPOSITION_YU.match(text, start, end):
                    continue
                results.append(
                    recognizer_result(self, self.ENTITY, start, end, 0.8, "Chinese name cue")
                )
        return results


_RELATIONS = (
    "son|daughter|wife|husband|brother|sister|mother|father|nephew|niece|grandson|granddaughter|"
    "friend|caregiver|spouse|partner|aunt|uncle|cousin|neighbou?r|guardian|fianc[ée]e?"
)


class RelationNameRecognizer(LocalRecognizer):
    """A name right after a relation word: "her daughter Linda", "his brother, Luis Mendoza",
    "son Marcus". Clinical notes name relatives this way, without a title."""

    ENTITY = "PERSON"
    _PATTERN = regex.compile(
        rf"(?i:\b(?:{_RELATIONS}))(?:,|[ \t]+named)?[ \t]+"
        r"(?P<name>\p{Lu}\p{Ll}+(?:[ \t]+\p{Lu}\.?)?(?:[ \t]+\p{Lu}[\p{Ll}'\-]+)?)"
    )

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            name="RelationNameRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Compiled at import."""

    def analyze(self, text, entities, nlp_artifacts=None):
        gazetteer = get_gazetteer()
        results = []
        for match in self._PATTERN.finditer(text):
            first = match.group("name").split()[0]
            if not gazetteer.is_first_name(first):
                continue
            start, end = match.span("name")
            results.append(
                recognizer_result(self, self.ENTITY, start, end, 0.75, "name after a relation word")
            )
        return results


def health_recognizers(language: str) -> list:
    recognizers = [
        HealthIdentifierRecognizer(supported_language=language),
        MrnPatternRecognizer(supported_language=language),
        CodeShapedIdentifierRecognizer(supported_language=language),
        FaxPhoneRecognizer(supported_language=language),
        CityStateZipRecognizer(supported_language=language),
        AgeOver89Recognizer(supported_language=language),
        RelationNameRecognizer(supported_language=language),
    ]
    if language == "zh":
        recognizers.append(ChineseNameRecognizer(supported_language=language))
    return recognizers
