"""English ConText rules added to the ones medSpaCy ships (102 rules).

The shipped set misses phrasing common in clinical notes here: "should X occur", "monitor
for", "suspected", "cannot exclude" (shipped as a negation trigger through "exclude"),
"differential includes", "status post", "underwent", "last winter", and the "three-day history
of" of a present complaint, which the shipped "history of" reads as historical.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from medspacy.context import ConTextRule


NEG, POSSIBLE, HIST, HYPO = "NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HISTORICAL", "HYPOTHETICAL"

_LITERALS: list[tuple[str, str, str]] = [
    # uncertainty
    *(
        (w, POSSIBLE, "FORWARD")
        for w in (
            "suspected",
            "suspect",
            "suspicious for",
            "cannot exclude",
            "can not exclude",
            "cannot rule out",
            "can not rule out",
            "cannot be excluded",
            "not excluded",
            "differential includes",
            "evaluate for",
            "evaluation for",
            "assess for",
            "differential diagnosis includes",
            "differential",
            "versus",
            "vs",
            "probable",
            "probably",
            "questionable",
            "concern for",
            "concerning for",
            "may represent",
            "may be",
            "might be",
            "evaluate for",
            "evaluation for",
            "possibly",
            "r/o",
            "rule out",
            "to rule out",
            "presumed",
            "presumptive",
            "likely",
            "consistent with possible",
            "cannot be ruled out",
            "worrisome for",
            "equivocal for",
        )
    ),
    *(
        (w, POSSIBLE, "BACKWARD")
        for w in (
            "is suspected",
            "not excluded",
            "is possible",
            "cannot be excluded",
            "cannot be ruled out",
            "could not be excluded",
            "could not be ruled out",
            "can not be excluded",
            "not be excluded",
            "remains a possibility",
            "remains possible",
            "is a possibility",
            "is considered",
            "is not ruled out",
            # Longer than the shipped negation "is not", which otherwise wins the overlap.
            "is not excluded",
            "was not excluded",
            "are not excluded",
            "has not been excluded",
            "has not been ruled out",
        )
    ),
    # hypothetical
    *(
        (w, HYPO, "FORWARD")
        for w in (
            "should",
            "in case of",
            "warning signs of",
            "signs of",
            "monitor for",
            "watch for",
            "return precautions for",
            "return precautions given for",
            "precautions for",
            "seek care if",
            "seek care should",
            "at risk for",
            "risk of",
            "to prevent",
            "prophylaxis against",
            "in the event of",
            "if any",
            "risk factors for",
        )
    ),
    # history
    *(
        (w, HIST, "FORWARD")
        for w in (
            "status post",
            "s/p",
            "underwent",
            "previously treated for",
            "treated for",
            "previous",
            "prior",
            "remote",
            "had a history of",
            "childhood",
        )
    ),
    *(
        (w, HIST, "BACKWARD")
        for w in (
            "last winter",
            "last summer",
            "last spring",
            "last fall",
            "last year",
            "last month",
            "years ago",
            "as a child",
            "in childhood",
            "in the past",
            "previously",
        )
    ),
    # negation
    *(
        (w, NEG, "BACKWARD")
        for w in (
            "was ruled out",
            "has been ruled out",
            "ruled out",
            "was excluded",
            "has been excluded",
            "were excluded",
            "is excluded",
            "was negative",
            "resolved",
            # "Asthma: negative", "HIV negative": a result written after the condition.
            "negative",
        )
    ),
    *(
        (w, NEG, "FORWARD")
        for w in (
            "free of",
            "no signs of",
            "no evidence of",
            "negative for",
            "not taking",
            "denies any",
        )
    ),
]

_PATTERNS: list[tuple[str, str, str, list]] = [
    # "a three-day history of cough": a present complaint, not a past one
    (
        "duration history",
        "PSEUDO",
        "PSEUDO",
        [
            {"LOWER": {"REGEX": r"^(hours?|days?|weeks?|months?)$"}},
            {"LOWER": "history"},
            {"LOWER": "of"},
        ],
    ),
    ("in <year>", HIST, "BACKWARD", [{"LOWER": "in"}, {"TEXT": {"REGEX": r"^(19|20)\d\d$"}}]),
    ("at age <n>", HIST, "BACKWARD", [{"LOWER": "at"}, {"LOWER": "age"}, {"LIKE_NUM": True}]),
]


# Shipped rules whose category is wrong for these notes: "evaluate for X" asks whether X is
# there (pyConText's indication), it does not say X is absent. Re-added as uncertainty below.
_RECATEGORISED = {"evaluate for"}


def shipped_rules() -> list[ConTextRule]:
    """medSpaCy's shipped English ConText rules, less the ones ``_RECATEGORISED``."""
    import medspacy.context.context as shipped
    from medspacy.context import ConTextRule

    path = Path(shipped.__file__).resolve().parents[2]  # where medSpaCy itself looks
    rules = ConTextRule.from_json(path / "resources" / "en" / "context_rules.json")
    return [rule for rule in rules if rule.literal.lower() not in _RECATEGORISED]


def bidirectional(literals: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """One rule per literal and category: a literal listed both FORWARD and BACKWARD becomes one
    BIDIRECTIONAL rule. Two rules on the same words give two modifiers on one span, and
    medSpaCy's overlap pruning kept only one of them, so "Appendicitis cannot be excluded" was
    read forward only and came out present."""
    directions: dict[tuple[str, str], set[str]] = {}
    for literal, category, direction in literals:
        directions.setdefault((literal.lower(), category), set()).add(direction)
    out, seen = [], set()
    for literal, category, direction in literals:
        key = (literal.lower(), category)
        if key in seen:
            continue
        seen.add(key)
        if {"FORWARD", "BACKWARD"} <= directions[key]:
            direction = "BIDIRECTIONAL"
        out.append((literal, category, direction))
    return out


def context_rules() -> list[ConTextRule]:
    from medspacy.context import ConTextRule  # medspaCy loads with the pipeline, not at import

    rules = [
        ConTextRule(literal, category, direction=direction)
        for literal, category, direction in bidirectional(_LITERALS)
    ]
    rules.extend(
        ConTextRule(literal, category, direction=direction, pattern=pattern)
        for literal, category, direction, pattern in _PATTERNS
    )
    return rules


# Headers medSpaCy's shipped section patterns lack in the case notes write them ("Plan:" only
# exists as "PLAN/DISPOSITION"), so the section before them ran on ("Plan: ECG today" was filed
# under the labs). Each header ends the section before it.
_SECTION_HEADERS = {
    "Plan": "observation_and_plan",
    "PLAN": "observation_and_plan",
    "Assessment": "observation_and_plan",
    "Assessment and Plan": "observation_and_plan",
    "Impression": "observation_and_plan",
    "Exam": "physical_exam",
    "Physical Exam": "physical_exam",
    "Vitals": "physical_exam",
    "Labs": "labs_and_studies",
    "Imaging": "imaging",
    "Diagnosis": "diagnoses",
    "Diagnoses": "diagnoses",
    "Allergies": "allergies",
    "Medications": "medications",
    "Social History": "social_history",
    # Family history headers in their short forms ("FH: gout" came out present).
    "Family History": "family_history",
    "Family history": "family_history",
    "FH": "family_history",
    "FHx": "family_history",
    "Family Hx": "family_history",
    "Follow-up": "patient_instructions",
    "Follow up": "patient_instructions",
}


def english_section_rules():
    """Short English headers ("Plan:", "Assessment:", "Exam:") as section rules."""
    from medspacy.section_detection import SectionRule  # medspaCy loads with the pipeline

    return [
        SectionRule(f"{header}:", category, pattern=None)
        for header, category in _SECTION_HEADERS.items()
    ]
