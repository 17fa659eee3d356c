"""What the name detectors must not mask, and what they must mask everywhere once found.

- Look-alikes: statistical models call drug names ("apixaban") and eponyms ("Parkinson",
  "Crohn", "Hodgkin") names. A model-only name span made wholly of medical words is dropped;
  a span that a cue found ("Dr. Parkinson", "son Crohn") is kept.
- Propagation: every name detected once is masked at every occurrence in the note, whatever
  its case, and so is each of its parts (a surname alone, "Ms. Adeyemi").
- Chinese addresses: LAC splits "浙江省杭州市西湖区文三路478号华星时代广场A座1203室" into five
  places; adjacent address and place spans become one address, so it is replaced whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import regex

from apps.privacy.gazetteer import get_gazetteer
from apps.privacy.statistical import spacy_ner

from .vocabulary import (
    drug_lexicon,
    english_condition_words,
    full_lexicon,
    icd_eponyms,
    surface_key,
)

# Eponyms of diseases, signs, tests and procedures that are also surnames. Kept short and
# general; the look-alike precision set uses others too.
EPONYMS = frozenset(
    """
    addison alzheimer apgar asperger babinski baker barrett bell brugada buerger burkitt chagas
    charcot cheyne cushing creutzfeldt crohn dupuytren ewing fallot graves guillain barre hashimoto
    hodgkin huntington kaposi kawasaki korsakoff lyme marfan meniere munchausen osgood paget
    parkinson peyronie raynaud reiter reye sjogren stevens johnson tourette turner whipple wilms
    wilson wernicke down klinefelter horner kernig brudzinski murphy mcburney rovsing homan homans
    trendelenburg glasgow child pugh wells epley heimlich holter doppler foley swan ganz
    hartmann whipple nissen billroth roux kocher pfannenstiel bankart colles smith galeazzi
    monteggia jones boutonniere bouchard heberden tinel phalen finkelstein lachman mcmurray
    apley thompson romberg weber rinne dix hallpike valsalva mallory weiss zollinger ellison
    kussmaul kernohan broca guyon bartholin skene cowper meckel hirschsprung tay sachs gaucher
    niemann pick fabry pompe hurler hunter legg calve perthes scheuermann sever kienbock
    """.split()
)
# Laboratory analytes and blood counts, which notes capitalise at the start of a line or a
# sentence ("Chloride 98-107 mmol/L", "Platelets 250"); the recall-first models call some of
# them organisations (found on the fifth development set, ``data/dev_v5``).
ANALYTES = frozenset(
    """
    sodium potassium chloride bicarbonate bicarb co2 calcium magnesium phosphate phosphorus
    glucose creatinine urea bun albumin globulin protein bilirubin alt ast alp ggt ldh amylase
    lipase troponin lactate ferritin iron transferrin folate cobalamin hemoglobin haemoglobin
    hematocrit haematocrit platelets platelet neutrophils lymphocytes monocytes eosinophils
    basophils leukocytes erythrocytes reticulocytes wbc rbc mcv mch mchc rdw esr crp procalcitonin
    fibrinogen d-dimer inr pt aptt ptt cholesterol triglycerides ldl hdl hba1c a1c tsh t3 t4
    cortisol insulin c-peptide urate uric ammonia osmolality ketones anion gap spo2 sao2 pao2
    paco2 ph fio2 psa cea ca-125 afp bnp nt-probnp ck ck-mb myoglobin vitamin
    """.split()
)
# Salts, esters and forms that follow a drug's name ("penicillin G benzathine", "metoprolol
# succinate"): the vocabulary writes them only inside multi-word names.
SALTS = frozenset(
    """
    benzathine procaine hydrochloride hcl sulfate sulphate acetate citrate maleate mesylate
    besylate tartrate bitartrate succinate fumarate bromide decanoate propionate dipropionate
    valerate furoate tromethamine trihydrate monohydrate hyclate xinafoate gluconate carbonate
    oxide hydroxide lactate disodium dihydrate palmitate enanthate cypionate pamoate nitrate
    """.split()
)
# Clinical nouns that are also verbs right after a subject ("Kwame signs the consent").
_ALSO_VERBS = frozenset(
    "signs tests spots drains reflexes scales repairs shunts stains filters pumps tubes".split()
)
# Words around an eponym that make it a disease, not a person.
_CLINICAL_NEXT = regex.compile(
    r"^['’]?s?[ \t]+(disease|syndrome|sign|test|lymphoma|sarcoma|palsy|phenomenon|"
    r"disorder|triad|maneuver|manoeuvre|score|criteria|esophagus|oesophagus|fracture|"
    r"tumou?r|reflex|cyst|node|procedure|repair|operation|classification|scale|catheter|"
    r"monitor|dementia|ulcer|tetralogy|encephalopathy|psychosis|thyroiditis|contracture|"
    r"signs|tests|angina|nodes?|nodules?|lesions?|spots?|respirations?|breathing|drains?|line|"
    r"cardiomyopathy|ring|bodies|body|cells?|stain|needle|tube|bag|pump|shunt|filter|stent|"
    r"splint|collar|position|incision|anastomosis|fundoplication|pouch|fistula|hernia|"
    r"diverticulum|staging|effect|reaction|bacillus|carcinoma|leukemia|anemia|paralysis|"
    r"neuralgia|neuropathy|ataxia|chorea|dystrophy|myopathy|sclerosis|arteritis|aneurysm|"
    r"malformation|anomaly|deformity|dislocation|reflexes|pentad|index|space|canal|duct|"
    r"glands?|membrane|capsule|ligament|equation|formula|criterion|murmur|hypothesis)\b",
    regex.IGNORECASE,
)
_WORD = regex.compile(r"[\p{L}][\p{L}'’\-]*")
# Clinical abbreviations spaCy calls organisations ("CT", "ECG", "UTI", "ER"), matched only as
# written, in capitals (a first name "Ed" stays a name).
CLINICAL_ABBREVIATIONS = frozenset(
    """
    CT CTA MRI MRA ECG EKG EEG EMG ECHO TTE TEE CXR KUB US PET UTI URI BNP TSH INR PTT CBC BMP
    CMP ABG LFT LFTS ER ED ICU CCU MICU SICU PICU NICU PACU OR GI ENT COPD CHF CAD CKD AKI DVT PE
    MI STEMI NSTEMI CVA TIA GERD BPH ARDS SOB DOE CABG PCI DNR DNI NPO PRN IV IM SC SQ PO BID TID
    QID HbA1c LDL HDL NSAID NSAIDS ACE ARB SSRI PPI MRN DOB HPI ROS PMH PSH FH SH CC ICD
    SNRI TCA DOAC NOAC LMWH CPAP BIPAP PEG PICC CVC ABX EF LVEF TB HIV HCV HBV SLE RA MS ALS
    EGD ERCP EUS MRCP EBUS BAL LP TURP TAVR TAVI ICD CRT AICD VATS ECMO IABP LVAD RRT CRRT HD
    PD NGT OGT JP BPPV DKA HHS ACS NSTE SVT VT VF AF AFIB PVC PAC LBBB RBBB
    """.split()
)
_LATIN = regex.compile(r"[\p{Latin}\d]")


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """A model span widened to whole words: Rampart's word pieces cut "amiodarone" into "ami"
    and "rone", and "Huntington" into "Hunting" (found on the development sets), which no word
    list then recognises."""
    while start > 0 and _LATIN.match(text[start - 1]) and _LATIN.match(text[start]):
        start -= 1
    while end < len(text) and _LATIN.match(text[end]) and _LATIN.match(text[end - 1]):
        end += 1
    return start, end


# Sources that saw a cue in the text (a title, a relation word, a header, "name is"): their
# spans are names whatever the words are.
CUE_SOURCES = frozenset(
    {
        "header name",
        "GazetteerNameRecognizer",
        "RelationNameRecognizer",
        "ChineseNameRecognizer",
        "propagated name",
    }
)
# A cue source whose "cue" is only that the words are census names: its spans are checked
# against the vocabulary's named conditions ("Rocky Mountain spotted fever") all the same.
NAME_LIST_SOURCES = frozenset({"GazetteerNameRecognizer"})
# Short words no name part may be on its own, whatever a model says.
_NOT_PARTS = frozenset(
    """
    the and for with from pt patient pts mr mrs ms dr doctor nurse son daughter wife husband
    mother father brother sister family history left right
    """.split()
)


@lru_cache(maxsize=1)
def medical_words() -> frozenset[str]:
    """Lowercase single words of the drug vocabulary (generic and brand names) and the
    condition vocabulary, plus the eponyms."""
    words = set(EPONYMS)
    for variant in drug_lexicon():
        if " " not in variant and len(variant) > 3:
            words.add(variant)
    words |= english_condition_words()
    # ICD-10-CM's eponyms less those that are also census first or last names ("James",
    # "Smith", "Wilson"): a model span "George Brown" must stay a name. The hand list above keeps
    # the eponyms that are surnames too (Parkinson, Crohn), where the disease is the usual sense.
    # Analytes and salts likewise: "Alt", "Bun", "Iron" are census names, and a name span
    # "Franz Alt" must keep its surname.
    gazetteer = get_gazetteer()
    words |= {
        w
        for w in (*icd_eponyms(), *ANALYTES, *SALTS)
        if not (gazetteer.is_first_name(w) or gazetteer.is_last_name(w))
    }
    return frozenset(words)


def is_lookalike(text: str, span_text: str, end: int) -> bool:
    """True when a model's name or place span is a medical word, not a person or a place:
    every word is a drug, condition word or eponym, or an eponym is followed by "disease",
    "syndrome", "sign"..."""
    matches = list(_WORD.finditer(span_text))
    words = [w.group().casefold().strip("'’") for w in matches]
    words = [w[:-2] if w.endswith("'s") else w for w in words]
    if not words:
        return False
    lexicon = medical_words()
    # A salt or form letter right after a drug's word ("penicillin G benzathine", "vitamin K")
    # is part of the drug's name; an initial ("K. Johnson", "A Jones") is not.
    start = end - len(span_text)
    before = _WORD.findall(text[max(0, start - 40) : start])
    previous = [before[-1].casefold() if before else "", *words[:-1]]
    meaningful = [
        w
        for i, w in enumerate(words)
        if not (
            len(w) == 1
            and previous[i] in lexicon
            and span_text[matches[i].end() : matches[i].end() + 1] != "."
        )
    ]
    if all(w in lexicon for w in meaningful):
        return True
    if all(w.group() in CLINICAL_ABBREVIATIONS for w in _WORD.finditer(span_text)):
        return True
    following = _CLINICAL_NEXT.match(text[end : end + 40])
    if not following:
        return False
    if words[-1] in EPONYMS:
        return True
    # Any single word (hyphenated ones included: "Cheyne-Stokes", "Jackson-Pratt") that a
    # model alone tagged right before a clinical noun: "Janeway lesions", "Virchow node",
    # "Ludwig angina" name signs, not people. Not before a noun that is also a verb after a
    # subject ("Kwame signs the consent").
    return len(words) == 1 and following.group(1).casefold() not in _ALSO_VERBS


# How many words after a name span may complete a condition's name ("Rocky Mountain" + "spotted
# fever", "West Nile" + "virus").
_NAMED_CONDITION_WORDS = 4


def is_named_condition(text: str, start: int, end: int) -> bool:
    """True when the span and the words right after it are a condition of the vocabulary:
    diseases named after places and people ("Rocky Mountain spotted fever", "Lyme disease",
    "West Nile virus"), which the census gazetteer reads as a first and last name and the
    models as a place (found on the fourth development set, ``data/dev_v4``)."""
    lexicon = full_lexicon()
    words = list(_WORD.finditer(text, end, min(len(text), end + 60)))
    for word in words[:_NAMED_CONDITION_WORDS]:
        entry = lexicon.get(surface_key(text[start : word.end()]))
        if entry is not None and entry.entity_type == "condition":
            return True
    return False


_SENTENCE_START = regex.compile(r"(?:^|[.;:!?\n])[ \t]*$")


def trim_medical(text: str, start: int, end: int) -> tuple[int, int]:
    """A model span with medical words at its edges, without them ("Takes Crestor" -> "Takes");
    empty (start == end) when what is left is one ordinary English word that only opens a
    sentence."""
    words = list(_WORD.finditer(text, start, end))
    lexicon = medical_words()
    trimmed = False
    while words and words[-1].group().casefold().strip("'’") in lexicon:
        words.pop()
        trimmed = True
    while words and words[0].group().casefold().strip("'’") in lexicon:
        words.pop(0)
        trimmed = True
    if not words:
        return start, start
    new_start, new_end = words[0].start(), words[-1].end()
    if trimmed and len(words) == 1 and _SENTENCE_START.search(text[:new_start]):
        word = words[0].group()
        # An English word ("Takes", a surname in the census too) that is capitalised only
        # because it opens the sentence; a first name ("Marcus") stays.
        if not get_gazetteer().is_first_name(word) and spacy_ner().vocab.has_vector(word.lower()):
            return start, start
    return (new_start, new_end) if trimmed else (start, end)


def is_ordinary_lowercase(value: str) -> bool:
    """A lowercase model span made only of ordinary English words ("drove", "bedside"): not a
    name. Lowercase first names ("marta") and words outside English ("oluwaseun") stay."""
    if not value.islower():
        return False
    gazetteer = get_gazetteer()
    vocab = spacy_ner().vocab
    words = [w.group() for w in _WORD.finditer(value)]
    return bool(words) and all(
        vocab.has_vector(w) and not gazetteer.is_first_name(w) for w in words
    )


def name_variants(names: Iterable[str], *, chinese: bool) -> set[str]:
    """Each detected name and, outside Chinese, each part of three letters or more, minus
    parts that are medical words or ordinary clinical words."""
    out: set[str] = set()
    lexicon = medical_words()
    for name in names:
        name = name.strip(" \t.,;:()")
        if len(name) < 2:
            continue
        out.add(name)
        if chinese:
            continue
        for part in regex.split(r"[ \t]+", name):
            part = part.strip(".,()")
            lowered = part.casefold()
            if len(part) >= 3 and lowered not in _NOT_PARTS and lowered not in lexicon:
                out.add(part)
    return out


def propagation_pattern(variants: set[str], *, chinese: bool) -> regex.Pattern | None:
    """A case-insensitive pattern over every variant (longest first), bounded by non-letters
    outside Chinese."""
    if not variants:
        return None
    alternatives = "|".join(regex.escape(v) for v in sorted(variants, key=len, reverse=True))
    if chinese:
        return regex.compile(rf"(?:{alternatives})", regex.IGNORECASE)
    return regex.compile(rf"(?<![\p{{L}}])(?:{alternatives})(?![\p{{L}}])", regex.IGNORECASE)


# What may sit between two parts of one Chinese address, or follow its last part.
_ZH_ADDRESS_GLUE = regex.compile(r"^[ \t]*$")
_ZH_ADDRESS_TAIL = regex.compile(
    r"^(?:[ \t]*[0-9A-Za-z\-]+[ \t]*(?:号楼|号|栋|幢|座|楼|单元|单|层|室|房|弄|栋楼)?)+"
)


def merge_chinese_addresses(text: str, spans: list, make_span) -> list:
    """Join adjacent ADDRESS/LOCATION spans of a Chinese note into one ADDRESS span covering
    building and room numbers after it ("…广场A座1203室")."""
    ordered = sorted(spans, key=lambda s: s.start)
    merged: list = []
    for span in ordered:
        if (
            merged
            and span.kind in ("ADDRESS", "LOCATION")
            and merged[-1].kind in ("ADDRESS", "LOCATION")
            and _ZH_ADDRESS_GLUE.match(text[merged[-1].end : span.start])
            and span.start >= merged[-1].end
        ):
            previous = merged.pop()
            merged.append(make_span("ADDRESS", previous.start, span.end))
            continue
        merged.append(span)
    out = []
    for span in merged:
        if span.kind == "ADDRESS":
            tail = _ZH_ADDRESS_TAIL.match(text[span.end : span.end + 30])
            if tail and tail.group().strip():
                span = make_span("ADDRESS", span.start, span.end + len(tail.group().rstrip()))
        out.append(span)
    return out
