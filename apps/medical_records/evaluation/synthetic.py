"""Synthetic clinical notes for the benchmark: a header with identifiers, sections with
conditions under every assertion, medications with doses, labs. Deterministic per seed."""

from __future__ import annotations

import random

FIRST = [
    "Margaret",
    "Thomas",
    "Rosa",
    "Walter",
    "Ahmed",
    "Olivia",
    "Jamal",
    "Svetlana",
    "George",
    "Hannah",
    "Carlos",
    "Fiona",
    "Deborah",
    "Richard",
    "Grace",
    "Priya",
    "Kevin",
    "Linda",
    "Marcus",
    "Helen",
    "Samuel",
    "Naomi",
    "Paul",
    "Laura",
]
LAST = [
    "Oyelaran",
    "Brennan",
    "Delgado",
    "Nguyen",
    "Al-Sayed",
    "Hart",
    "Washington",
    "Petrova",
    "Mitchell",
    "Goldberg",
    "Mendoza",
    "MacLeod",
    "Kline",
    "Evans",
    "Liu",
    "Raman",
    "Whitfield",
    "Fischer",
    "Benson",
    "Osei",
    "Carter",
    "Park",
]
STREETS = [
    "Willow Creek Road",
    "Beacon Street",
    "Maple Avenue",
    "Mission St",
    "Peachtree Rd",
    "Halsted St",
    "Elm Street",
    "Lakeview Drive",
]
CONDITIONS = [
    "hypertension",
    "type 2 diabetes",
    "atrial fibrillation",
    "pneumonia",
    "asthma",
    "COPD",
    "heart failure",
    "chronic kidney disease",
    "migraine",
    "GERD",
    "gout",
    "hypothyroidism",
    "depression",
    "anemia",
    "UTI",
    "osteoarthritis",
]
SYMPTOMS = [
    "chest pain",
    "shortness of breath",
    "fever",
    "cough",
    "dizziness",
    "nausea",
    "palpitations",
    "headache",
    "abdominal pain",
    "edema",
    "fatigue",
    "syncope",
    "wheezing",
    "rash",
]
MEDICATIONS = [
    ("metformin", "500 mg PO bid"),
    ("lisinopril", "10 mg daily"),
    ("warfarin", "5 mg daily"),
    ("aspirin", "81 mg daily"),
    ("atorvastatin", "40 mg nightly"),
    ("amlodipine", "5 mg daily"),
    ("levothyroxine", "75 mcg daily"),
    ("ibuprofen", "400 mg tid prn"),
    ("amoxicillin", "500 mg PO tid"),
    ("furosemide", "40 mg daily"),
    ("omeprazole", "20 mg daily"),
    ("metoprolol", "25 mg bid"),
]
LABS = [
    ("HbA1c", "{:.1f}%", (5.4, 10.5)),
    ("potassium", "{:.1f} mmol/L", (3.0, 5.6)),
    ("creatinine", "{:.2f} mg/dL", (0.6, 2.4)),
    ("INR", "{:.1f}", (0.9, 3.8)),
    ("hemoglobin", "{:.1f} g/dL", (8.5, 15.5)),
    ("TSH", "{:.2f} mIU/L", (0.3, 8.0)),
]


def synthetic_note(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    age = rng.randint(24, 97)
    month, day, year = rng.randint(1, 12), rng.randint(1, 28), rng.randint(2021, 2025)
    dob = f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{2025 - age}"
    phone = f"({rng.randint(201, 989)}) 555-{rng.randint(100, 199):04d}"
    present = rng.sample(SYMPTOMS, 2)
    denied = rng.sample([s for s in SYMPTOMS if s not in present], 2)
    history = rng.sample(CONDITIONS, 2)
    family = rng.choice(CONDITIONS)
    possible = rng.choice(CONDITIONS)
    meds = rng.sample(MEDICATIONS, 3)
    labs = rng.sample(LABS, 2)
    lab_text = ", ".join(f"{name} {fmt.format(rng.uniform(*bounds))}" for name, fmt, bounds in labs)
    med_text = ", ".join(f"{name} {dose}" for name, dose in meds)
    return (
        f"Patient: {first} {last}    MRN: {rng.randint(1000000, 9999999)}    DOB: {dob}\n"
        f"Attending: Dr. {rng.choice(FIRST)} {rng.choice(LAST)}\n"
        f"Address: {rng.randint(1, 9999)} {rng.choice(STREETS)}. Phone: {phone}\n\n"
        f"History of Present Illness: {first} {last} is a {age}-year-old seen on "
        f"{month:02d}/{day:02d}/{year} with {present[0]} and {present[1]}. "
        f"Denies {denied[0]} or {denied[1]}. Possible {possible}.\n"
        f"Past Medical History: {history[0]}, {history[1]}.\n"
        f"Family History: mother with {family}.\n"
        f"Medications: {med_text}.\n"
        f"Labs: {lab_text}.\n"
        f"Plan: follow up in two weeks. Return if {rng.choice(SYMPTOMS)} develops.\n"
    )


def synthetic_notes(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [synthetic_note(rng) for _ in range(count)]
