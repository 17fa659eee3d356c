"""The full clinical vocabularies, read from installed packages and project data, once per
process.

- ICD-10-CM 2026 (``simple-icd-10-cm`` 1.5.0, MIT): every category, subcategory and leaf with its
  description and inclusion terms. Surfaces are lower-cased and also written without the
  qualifiers notes leave out ("Unspecified atrial fibrillation" -> "atrial fibrillation",
  "Essential (primary) hypertension" -> "essential hypertension").
- Drugs (``drug-named-entity-recognition`` 2.0.9, MIT): about 20,000 drugs and 107,000 name
  variants, brand names mapped to the generic name, with DrugBank and MeSH ids.
- Project data (``data/vocabulary/``): Chinese terms with their ICD-10-CM code or English
  generic name, and ATC codes of common generics; sources in the README.

``VocabularyEntry`` is what a match carries: entity type, code system, code, the normalised
label (the English generic name for a drug).
"""

from __future__ import annotations

import bz2
import csv
import pickle
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import regex

from .zh_morphology import compounds

DATA = Path(__file__).resolve().parent.parent / "data" / "vocabulary"
ICD_VERSION = "ICD-10-CM 2026 (simple-icd-10-cm 1.5.0)"
DRUG_VERSION = "drug-named-entity-recognition 2.0.9"
_lock = threading.Lock()
_PARENS = regex.compile(r"\s*[(\[][^)\]]*[)\]]")
# ICD-10-CM writes synonyms in square brackets: "Zoster [herpes zoster]".
_BRACKETED = regex.compile(r"\[([^\]]+ [^\]]+)\]")
_SPACES = regex.compile(r"\s+")
_STRIP_SUFFIXES = (
    ", unspecified",
    ", not elsewhere classified",
    " without complications",
    ", not specified as acute or chronic",
    ", initial encounter",
    ", site unspecified",
    " of unspecified site",
    ", unspecified site",
    " nos",
)
_STRIP_PREFIXES = (
    "unspecified ",
    "other ",
    "other specified ",
    "nonrheumatic ",
    "abnormal ",
    "nontraumatic ",
)
# "Dissection of aorta" is written "aortic dissection": the anatomical adjective of the organ
# (standard English anatomical terms), used only to add a surface, never to replace one.
_ORGAN_ADJECTIVES = {
    "aorta": "aortic",
    "heart": "cardiac",
    "kidney": "renal",
    "liver": "hepatic",
    "lung": "pulmonary",
    "stomach": "gastric",
    "brain": "cerebral",
    "colon": "colonic",
    "esophagus": "esophageal",
    "pancreas": "pancreatic",
    "spleen": "splenic",
    "bladder": "bladder",
    "gallbladder": "gallbladder",
    "prostate": "prostatic",
    "uterus": "uterine",
    "ovary": "ovarian",
    "rectum": "rectal",
    "bone": "bone",
    "skin": "skin",
    "eye": "ocular",
    "ear": "ear",
    "nose": "nasal",
    "larynx": "laryngeal",
    "pharynx": "pharyngeal",
    "trachea": "tracheal",
    "thyroid": "thyroid",
    "adrenal gland": "adrenal",
    "pituitary gland": "pituitary",
    "spinal cord": "spinal cord",
    "duodenum": "duodenal",
    "intestine": "intestinal",
    "small intestine": "small bowel",
    "large intestine": "large bowel",
    "breast": "breast",
    "testis": "testicular",
    "retina": "retinal",
    "cornea": "corneal",
    "bile duct": "bile duct",
    "pleura": "pleural",
    "pericardium": "pericardial",
    "mitral valve": "mitral valve",
    "aortic valve": "aortic valve",
    "vertebral artery": "vertebral artery",
    "carotid artery": "carotid artery",
}
_NOUN_OF_ORGAN = regex.compile(r"^(?P<noun>[a-z]+) of (?:the )?(?P<organ>[a-z ]+?)$")
# A single pathology word heading "X of Y" in an unspecified code ("diverticulitis of
# intestine, part unspecified") is a surface of its own ("diverticulitis"), ranked after every
# written form. Not for neoplasms: "carcinoma" alone names no site.
_PATHOLOGY_HEAD = regex.compile(
    r"^(?P<head>[a-z]+(?:itis|osis|emia|iasis|pathy|ectasis|megaly|plasia|trophy|algia|rrhea"
    r"|rrhage|ism)) of "
)
_NEOPLASM_OF = regex.compile(r"^malignant neoplasm of (?:the )?(?P<site>[a-z]+(?: [a-z]+)?)$")
_VIRAL_HEPATITIS = regex.compile(r"^(?:acute |chronic )?viral hepatitis (?P<letter>[a-e])$")
# "Endocarditis, valve unspecified", "Otitis media, unspecified ear": a trailing clause that
# only says what is not known.
_UNSPECIFIED_CLAUSE = regex.compile(r",[^,]*\bunspecified\b[^,]*$")
# "Family history of glaucoma" (Z83.511), "Personal history of ...": an assertion and a
# condition in one description. As a surface it swallows the ConText cue, so the condition came
# out "historical" with a Z code; without it the condition is matched by its own name and ConText
# makes it family or historical.
_HISTORY_DESCRIPTION = regex.compile(r"^(?:family |personal )?history of ", regex.IGNORECASE)
# ICD chapters whose codes are not clinical findings a note names by their description.
_SKIPPED_CHAPTER_LETTERS = ("V", "W", "X", "Y")


@dataclass(frozen=True, slots=True)
class VocabularyEntry:
    """One surface form's meaning."""

    entity_type: str  # condition, medication, test, procedure, allergy
    system: str  # ICD-10-CM, DrugBank, LOINC, SNOMED-CT, ATC
    code: str
    label: str  # description, or the English generic name of a drug
    source: str  # icd10cm, drugs, project


def surface_key(text: str) -> str:
    """The form surfaces are compared in: case-folded, blanks collapsed."""
    return _SPACES.sub(" ", text.strip()).casefold()


def _icd_variants(description: str) -> list[str]:
    base = surface_key(description)
    variants = [base]
    stripped = surface_key(_PARENS.sub("", description))
    variants.append(stripped)
    # "Zoster [herpes zoster]": the bracketed words are a name of their own.
    variants += [surface_key(m) for m in _BRACKETED.findall(description)]
    for form in (base, stripped):
        changed = form
        for suffix in _STRIP_SUFFIXES:
            if changed.endswith(suffix):
                changed = changed[: -len(suffix)]
        changed = _UNSPECIFIED_CLAUSE.sub("", changed)
        for prefix in _STRIP_PREFIXES:
            if changed.startswith(prefix):
                changed = changed[len(prefix) :]
        variants.append(changed.strip(" ,"))
    # "Hypo-osmolality and hyponatremia": each side names a condition of its own.
    for form in list(variants):
        # Only where no qualifier could belong to both sides ("Stenosis and insufficiency of
        # lacrimal passages" is not "stenosis").
        if " and " in form and not regex.search(r",| of | in | with | due to | without ", form):
            variants.extend(part.strip() for part in form.split(" and "))
    # "Sickle-cell disorders" is written "sickle cell" as often as with the hyphen.
    variants += [form.replace("-", " ") for form in variants if "-" in form]
    for form in list(variants):
        inverted = _NOUN_OF_ORGAN.match(form)
        if inverted and inverted["organ"] in _ORGAN_ADJECTIVES:
            variants.append(f"{_ORGAN_ADJECTIVES[inverted['organ']]} {inverted['noun']}")
    # Notes say "colon cancer", "pancreatic cancer" and "hepatitis C" where ICD-10-CM writes
    # "Malignant neoplasm of colon" and "Unspecified viral hepatitis C" (missed on the fourth
    # development set: "colon cancer" came out as "cancer", C80.1).
    for form in list(variants):
        site = _NEOPLASM_OF.match(form)
        if site:
            variants.append(f"{site['site']} cancer")
            if site["site"] in _ORGAN_ADJECTIVES:
                variants.append(f"{_ORGAN_ADJECTIVES[site['site']]} cancer")
        hepatitis = _VIRAL_HEPATITIS.match(form)
        if hepatitis:
            variants.append(f"hepatitis {hepatitis['letter']}")
    if "unspecified" in base:
        for form in list(variants):
            head = _PATHOLOGY_HEAD.match(form)
            if head:
                variants.append(head["head"])
    return [v for v in dict.fromkeys(variants) if len(v) >= 3]


@lru_cache(maxsize=1)
def icd_codes() -> dict[str, str]:
    """Every ICD-10-CM code (categories, subcategories, leaves) -> description."""
    import simple_icd_10_cm as cm  # deferred: reads its data files on import

    return {
        code: cm.get_description(code)
        for code in cm.get_all_codes(True)
        if cm.is_category_or_subcategory(code)
    }


@lru_cache(maxsize=1)
def icd_leaves() -> list[str]:
    """The billable (leaf) codes."""
    import simple_icd_10_cm as cm

    return [code for code in cm.get_all_codes(True) if cm.is_leaf(code)]


@lru_cache(maxsize=1)
def icd_lexicon() -> dict[str, VocabularyEntry]:
    """Surface -> entry. Where codes share a surface, a code's own description beats an
    inclusion term, an exact form beats a shortened one, then the shortest (most general) code
    wins."""
    import simple_icd_10_cm as cm

    with _lock:
        ranked: dict[str, tuple[tuple, VocabularyEntry]] = {}
        for code, description in icd_codes().items():
            if code.startswith(_SKIPPED_CHAPTER_LETTERS):
                continue
            entity_type = "allergy" if code.startswith("Z88") else "condition"
            entry = VocabularyEntry(entity_type, "ICD-10-CM", code, description, "icd10cm")
            # "... in diseases classified elsewhere" codes are never the first choice for a
            # plain mention ("pyelonephritis" is N12, not N16).
            # Perinatal (P) and obstetric (O) codes only fit a newborn's or a pregnancy's note.
            elsewhere = 2 if "classified elsewhere" in description or code[0] in "PO" else 0
            names = [(description, elsewhere)]
            names += [(term, 1 + elsewhere) for term in cm.get_inclusion_term(code)]
            for name, own in names:
                for rank, surface in enumerate(_icd_variants(name)):
                    if _HISTORY_DESCRIPTION.match(surface):
                        continue
                    key = (own, rank, len(code), code)
                    if surface not in ranked or key < ranked[surface][0]:
                        ranked[surface] = (key, entry)
        return {surface: entry for surface, (_, entry) in ranked.items()}


@lru_cache(maxsize=1)
def english_condition_words() -> frozenset[str]:
    """Single-word condition surfaces of ICD-10-CM ("pneumonia", "asthma")."""
    return frozenset(s for s in icd_lexicon() if " " not in s and s.isalpha())


# ICD-10-CM writes descriptions in sentence case, so a capitalised word after the first is a
# proper noun: an eponym ("Hodgkin lymphoma", "Guillain-Barre syndrome", "Meniere's disease").
_CAPITALISED = regex.compile(r"(?<=\S[ \-(])(\p{Lu}\p{Ll}{2,})(?:['’]s)?\b")
_FIRST_POSSESSIVE = regex.compile(r"^(\p{Lu}\p{Ll}{2,})['’]s\b")


@lru_cache(maxsize=1)
def icd_eponyms() -> frozenset[str]:
    """Lower-case eponyms of ICD-10-CM 2026 (descriptions and inclusion terms): every capitalised
    word after the first, and a first word in the possessive ("Parkinson's disease"). Used so
    that the name models' spans on them are not masked (``lookalikes.medical_words``)."""
    import simple_icd_10_cm as cm

    words: set[str] = set()
    for code, description in icd_codes().items():
        for text in (description, *cm.get_inclusion_term(code)):
            words.update(m.casefold() for m in _CAPITALISED.findall(text))
            words.update(m.casefold() for m in _FIRST_POSSESSIVE.findall(text))
    return frozenset(words)


@lru_cache(maxsize=1)
def _drug_data() -> dict:
    path = resources.files("drug_named_entity_recognition").joinpath("drug_ner_dictionary.pkl.bz2")
    # The package's own data file: a dict of str -> list/dict of str (checked: no code objects).
    with bz2.open(path, "rb") as handle:
        return pickle.load(handle)  # noqa: S301 - the pinned package's data, not user input


@lru_cache(maxsize=1)
def atc_codes() -> dict[str, str]:
    """Generic name (lower case) -> ATC code, from ``data/vocabulary/atc.tsv``."""
    with (DATA / "atc.tsv").open(encoding="utf-8") as handle:
        rows = csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return {row[0].casefold(): row[1] for row in rows if len(row) >= 2}


@lru_cache(maxsize=1)
def drug_lexicon() -> dict[str, VocabularyEntry]:
    """Drug name variant (generic or brand, lower case) -> entry with the English generic name,
    the ATC code where the project data knows it, else the DrugBank id."""
    with _lock:
        data = _drug_data()
        canonical = data["drug_canonical_to_data"]
        atc = atc_codes()
        out: dict[str, VocabularyEntry] = {}
        for variant, targets in data["drug_variant_to_canonical"].items():
            if len(variant) < 4 or not targets:
                continue
            generic = targets[0]
            info = canonical.get(generic, {})
            code, system = atc.get(generic), "ATC"
            if code is None:
                code, system = info.get("drugbank_id") or info.get("mesh_id") or "", "DrugBank"
            out[variant] = VocabularyEntry("medication", system, code, generic, "drugs")
        return out


@lru_cache(maxsize=1)
def project_lexicon() -> dict[str, VocabularyEntry]:
    """Project data (``data/vocabulary/terms.tsv``): Chinese terms and English terms that no
    package ships, with type, system, code and English label."""
    out: dict[str, VocabularyEntry] = {}
    with (DATA / "terms.tsv").open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip() or line.startswith("#"):
                continue
            surface, entity_type, system, code, label = line.rstrip("\n").split("\t")[:5]
            if system == "GENERIC":
                drug = drug_lexicon().get(label.casefold())
                atc = atc_codes().get(label.casefold())
                system, code = ("ATC", atc) if atc else ("DrugBank", drug.code if drug else "")
            out[surface_key(surface)] = VocabularyEntry(entity_type, system, code, label, "project")
    return out


@lru_cache(maxsize=1)
def chinese_lexicon() -> dict[str, VocabularyEntry]:
    """Chinese clinical terms (``data/vocabulary/zh_terms.tsv``): a condition is coded with the
    row's ICD-10-CM code or, without one, the code ICD-10-CM's lexicon gives its English name; a
    medication carries its English generic name and the ATC code where the project data knows
    it, else the DrugBank id. A row that resolves to nothing is an error (tested)."""
    out = dict(composed_chinese_lexicon())
    for surface, entity_type, english, code in chinese_rows():
        entry = resolve_chinese_row(entity_type, english, code)
        if entry is not None:
            out[surface_key(surface)] = entry
    return out


@lru_cache(maxsize=1)
def composed_chinese_lexicon() -> dict[str, VocabularyEntry]:
    """Chinese disease compounds (body part + pathology morpheme, ``zh_morphology``) whose
    English rendering is an ICD-10-CM surface: 输尿管结石 -> "calculus of ureter" -> N20.1."""
    lexicon = icd_lexicon()
    out: dict[str, VocabularyEntry] = {}
    for surface, forms in compounds():
        for form in forms:
            entry = next(
                (lexicon[v] for v in _icd_variants(form) if v in lexicon and lexicon[v]),
                None,
            )
            if entry is not None and entry.entity_type == "condition":
                out[surface] = VocabularyEntry(
                    "condition", entry.system, entry.code, entry.label, "project-composed"
                )
                break
    return out


def chinese_rows() -> list[tuple[str, str, str, str]]:
    """The rows of ``zh_terms.tsv``: surface, type, English name, ICD-10-CM code or ""."""
    rows = []
    with (DATA / "zh_terms.tsv").open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip() or line.startswith("#"):
                continue
            surface, entity_type, english, *rest = line.rstrip("\n").split("\t")
            rows.append((surface, entity_type, english, rest[0] if rest else ""))
    return rows


def resolve_chinese_row(entity_type: str, english: str, code: str) -> VocabularyEntry | None:
    """The entry of one ``zh_terms.tsv`` row, or None when its code or name is unknown."""
    if entity_type == "medication":
        generic = english.casefold()
        atc = atc_codes().get(generic)
        if atc:
            return VocabularyEntry("medication", "ATC", atc, generic, "project")
        # A generic the drug package lacks as written (estradiol, mannitol) keeps its name
        # without a DrugBank id: the generic name is the normalised form.
        drug = drug_lexicon().get(generic) or drug_lexicon().get(generic.split(" / ")[0])
        drug_code = drug.code if drug else ""
        return VocabularyEntry("medication", "DrugBank", drug_code, generic, "project")
    if code:
        description = icd_codes().get(code)
        if description is None:
            return None
        kind = "allergy" if code.startswith("Z88") else "condition"
        return VocabularyEntry(kind, "ICD-10-CM", code, description, "project")
    lexicon = icd_lexicon()
    for form in _icd_variants(english):
        if form in lexicon:
            return lexicon[form]
    return None


@lru_cache(maxsize=1)
def full_lexicon() -> dict[str, VocabularyEntry]:
    """Every surface of every vocabulary: project data over drugs over ICD-10-CM (a word that
    is both a drug and a condition, "digoxin toxicity" aside, is a drug)."""
    merged = dict(icd_lexicon())
    merged.update(drug_lexicon())
    merged.update(chinese_lexicon())
    merged.update(project_lexicon())
    return merged


def counts() -> dict[str, int]:
    """Concepts per code system (for the README and the import report)."""
    drugs = _drug_data()["drug_canonical_to_data"]
    return {
        "ICD-10-CM codes": len(icd_codes()),
        "ICD-10-CM leaves": len(icd_leaves()),
        "drugs (generic)": len(drugs),
        "drug name variants": len(_drug_data()["drug_variant_to_canonical"]),
        "ATC (project data)": len(atc_codes()),
        "project terms": len(project_lexicon()),
        "Chinese terms": len(chinese_lexicon()),
        "Chinese compounds (composed)": len(composed_chinese_lexicon()),
    }


def normalise(surface: str, entity_type: str) -> VocabularyEntry | None:
    """A code for a mention the NER model found: the exact surface, then a synonym form (without
    qualifiers or a plural "s"), then the nearest vocabulary surface of the same type by string
    similarity (rapidfuzz, score >= NEAREST_THRESHOLD); None when nothing is close enough."""
    lexicon = full_lexicon()
    key = surface_key(surface)
    for form in (key, *_icd_variants(surface), key.rstrip("s"), key.removesuffix("es")):
        entry = lexicon.get(form)
        if entry is not None and entry.entity_type == entity_type:
            return entry
    if len(key) < 5:
        return None
    from rapidfuzz import fuzz, process  # deferred: only model-only mentions get here

    # Candidates sharing the first three characters: a misspelling rarely starts wrong, and
    # scanning all 229,000 surfaces for every mention would cost tens of milliseconds.
    choices = _surfaces_by_prefix(entity_type).get(key[:3], [])
    best = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=NEAREST_THRESHOLD)
    return lexicon[best[0]] if best else None


NEAREST_THRESHOLD = 88


@lru_cache(maxsize=4)
def _surfaces_by_prefix(entity_type: str) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for surface, entry in full_lexicon().items():
        if entry.entity_type == entity_type:
            index.setdefault(surface[:3], []).append(surface)
    return index
