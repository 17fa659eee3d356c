"""Writes the held-out evaluation sets of ``evaluate_medical`` (run once; the JSONL is committed).

    python apps/medical_records/data/make_sets.py

Held-out sets (reported, never tuned on): ``heldout/entities_{en,zh}.jsonl``,
``heldout/phi.jsonl``, ``heldout/lookalikes.jsonl``, ``heldout/assertions.jsonl``. Terms are
clinical words outside the old demo ontology (checked below against the seed's labels and
aliases); names come from lists checked to be disjoint from every list the detectors use (the
census name files of ``names`` and the Chinese surname list of the recognizers). Sentences are
written from templates with a fixed seed, so the files are reproducible. The development sets
that tuning used are ``eval_phi.jsonl`` and ``eval_assertions*.jsonl`` (older, demo-ontology).
"""

from __future__ import annotations

import csv
import json
import random
from importlib import resources
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "heldout"
ROOT = HERE.parents[2]

# (surface, TYPE, SYSTEM, accepted codes)
EN_TERMS = [
    ("pyelonephritis", "CONDITION", "ICD-10-CM", ["N10", "N11", "N12"]),
    ("cellulitis", "CONDITION", "ICD-10-CM", ["L03"]),
    ("diverticulitis", "CONDITION", "ICD-10-CM", ["K57"]),
    ("acute pancreatitis", "CONDITION", "ICD-10-CM", ["K85"]),
    ("cholecystitis", "CONDITION", "ICD-10-CM", ["K81", "K80"]),
    ("hypokalemia", "CONDITION", "ICD-10-CM", ["E87.6"]),
    ("hyponatremia", "CONDITION", "ICD-10-CM", ["E87.1"]),
    ("pleural effusion", "CONDITION", "ICD-10-CM", ["J90", "J91", "J94"]),
    ("acute kidney injury", "CONDITION", "ICD-10-CM", ["N17"]),
    ("sarcoidosis", "CONDITION", "ICD-10-CM", ["D86"]),
    ("bronchiectasis", "CONDITION", "ICD-10-CM", ["J47"]),
    ("pericarditis", "CONDITION", "ICD-10-CM", ["I30", "I31", "I01.0"]),
    ("myasthenia gravis", "CONDITION", "ICD-10-CM", ["G70.0"]),
    ("multiple sclerosis", "CONDITION", "ICD-10-CM", ["G35"]),
    ("trigeminal neuralgia", "CONDITION", "ICD-10-CM", ["G50.0"]),
    ("glaucoma", "CONDITION", "ICD-10-CM", ["H40", "H42"]),
    ("hemorrhoids", "CONDITION", "ICD-10-CM", ["K64"]),
    ("herpes zoster", "CONDITION", "ICD-10-CM", ["B02"]),
    ("celiac disease", "CONDITION", "ICD-10-CM", ["K90.0"]),
    ("ulcerative colitis", "CONDITION", "ICD-10-CM", ["K51"]),
    ("endometriosis", "CONDITION", "ICD-10-CM", ["N80"]),
    ("benign prostatic hyperplasia", "CONDITION", "ICD-10-CM", ["N40"]),
    ("carpal tunnel syndrome", "CONDITION", "ICD-10-CM", ["G56.0"]),
    ("osteomyelitis", "CONDITION", "ICD-10-CM", ["M86"]),
    ("hyperkalemia", "CONDITION", "ICD-10-CM", ["E87.5"]),
    ("thrombocytopenia", "CONDITION", "ICD-10-CM", ["D69.6", "D69"]),
    ("neutropenia", "CONDITION", "ICD-10-CM", ["D70"]),
    ("pneumothorax", "CONDITION", "ICD-10-CM", ["J93", "S27.0"]),
    ("cardiomyopathy", "CONDITION", "ICD-10-CM", ["I42", "I43"]),
    ("ventricular tachycardia", "CONDITION", "ICD-10-CM", ["I47.2"]),
    ("atrial flutter", "CONDITION", "ICD-10-CM", ["I48.92", "I48.3", "I48.4"]),
    ("schizophrenia", "CONDITION", "ICD-10-CM", ["F20"]),
    ("bipolar disorder", "CONDITION", "ICD-10-CM", ["F31"]),
    ("hemoptysis", "SYMPTOM", "ICD-10-CM", ["R04.2"]),
    ("hematuria", "SYMPTOM", "ICD-10-CM", ["R31"]),
    ("dysphagia", "SYMPTOM", "ICD-10-CM", ["R13"]),
    ("jaundice", "SYMPTOM", "ICD-10-CM", ["R17"]),
    ("tinnitus", "SYMPTOM", "ICD-10-CM", ["H93.1"]),
    ("epistaxis", "SYMPTOM", "ICD-10-CM", ["R04.0"]),
    ("melena", "SYMPTOM", "ICD-10-CM", ["K92.1"]),
    ("hematemesis", "SYMPTOM", "ICD-10-CM", ["K92.0"]),
    ("night sweats", "SYMPTOM", "ICD-10-CM", ["R61"]),
    ("urinary retention", "SYMPTOM", "ICD-10-CM", ["R33"]),
    ("apixaban", "MEDICATION", "GENERIC", ["apixaban"]),
    ("rivaroxaban", "MEDICATION", "GENERIC", ["rivaroxaban"]),
    ("dabigatran", "MEDICATION", "GENERIC", ["dabigatran", "dabigatran etexilate"]),
    ("tiotropium", "MEDICATION", "GENERIC", ["tiotropium"]),
    ("ceftriaxone", "MEDICATION", "GENERIC", ["ceftriaxone"]),
    ("vancomycin", "MEDICATION", "GENERIC", ["vancomycin"]),
    ("doxycycline", "MEDICATION", "GENERIC", ["doxycycline"]),
    ("nitrofurantoin", "MEDICATION", "GENERIC", ["nitrofurantoin"]),
    ("metronidazole", "MEDICATION", "GENERIC", ["metronidazole"]),
    ("levetiracetam", "MEDICATION", "GENERIC", ["levetiracetam"]),
    ("gabapentin", "MEDICATION", "GENERIC", ["gabapentin"]),
    ("tamsulosin", "MEDICATION", "GENERIC", ["tamsulosin"]),
    ("spironolactone", "MEDICATION", "GENERIC", ["spironolactone"]),
    ("carvedilol", "MEDICATION", "GENERIC", ["carvedilol"]),
    ("diltiazem", "MEDICATION", "GENERIC", ["diltiazem"]),
    ("amiodarone", "MEDICATION", "GENERIC", ["amiodarone"]),
    ("rosuvastatin", "MEDICATION", "GENERIC", ["rosuvastatin"]),
    ("empagliflozin", "MEDICATION", "GENERIC", ["empagliflozin"]),
    ("sitagliptin", "MEDICATION", "GENERIC", ["sitagliptin"]),
    ("prednisone", "MEDICATION", "GENERIC", ["prednisone"]),
    ("pantoprazole", "MEDICATION", "GENERIC", ["pantoprazole"]),
    ("ondansetron", "MEDICATION", "GENERIC", ["ondansetron"]),
    ("quetiapine", "MEDICATION", "GENERIC", ["quetiapine"]),
    ("montelukast", "MEDICATION", "GENERIC", ["montelukast"]),
    ("enoxaparin", "MEDICATION", "GENERIC", ["enoxaparin"]),
    ("Eliquis", "MEDICATION", "GENERIC", ["apixaban"]),
    ("Xarelto", "MEDICATION", "GENERIC", ["rivaroxaban"]),
    ("Spiriva", "MEDICATION", "GENERIC", ["tiotropium"]),
    ("Keppra", "MEDICATION", "GENERIC", ["levetiracetam"]),
    ("Flomax", "MEDICATION", "GENERIC", ["tamsulosin"]),
    ("Zofran", "MEDICATION", "GENERIC", ["ondansetron"]),
    ("Jardiance", "MEDICATION", "GENERIC", ["empagliflozin"]),
]
ZH_TERMS = [
    ("肾盂肾炎", "CONDITION", "ICD-10-CM", ["N10", "N11", "N12"]),
    ("蜂窝织炎", "CONDITION", "ICD-10-CM", ["L03"]),
    ("急性胰腺炎", "CONDITION", "ICD-10-CM", ["K85"]),
    ("胆囊炎", "CONDITION", "ICD-10-CM", ["K81", "K80"]),
    ("低钾血症", "CONDITION", "ICD-10-CM", ["E87.6"]),
    ("低钠血症", "CONDITION", "ICD-10-CM", ["E87.1"]),
    ("胸腔积液", "CONDITION", "ICD-10-CM", ["J90", "J91", "J94"]),
    ("急性肾损伤", "CONDITION", "ICD-10-CM", ["N17"]),
    ("支气管扩张", "CONDITION", "ICD-10-CM", ["J47"]),
    ("心包炎", "CONDITION", "ICD-10-CM", ["I30", "I31"]),
    ("重症肌无力", "CONDITION", "ICD-10-CM", ["G70.0"]),
    ("多发性硬化", "CONDITION", "ICD-10-CM", ["G35"]),
    ("三叉神经痛", "CONDITION", "ICD-10-CM", ["G50.0"]),
    ("青光眼", "CONDITION", "ICD-10-CM", ["H40", "H42"]),
    ("带状疱疹", "CONDITION", "ICD-10-CM", ["B02"]),
    ("溃疡性结肠炎", "CONDITION", "ICD-10-CM", ["K51"]),
    ("子宫内膜异位症", "CONDITION", "ICD-10-CM", ["N80"]),
    ("前列腺增生", "CONDITION", "ICD-10-CM", ["N40"]),
    ("骨髓炎", "CONDITION", "ICD-10-CM", ["M86"]),
    ("高钾血症", "CONDITION", "ICD-10-CM", ["E87.5"]),
    ("血小板减少", "CONDITION", "ICD-10-CM", ["D69.6", "D69"]),
    ("气胸", "CONDITION", "ICD-10-CM", ["J93"]),
    ("心肌病", "CONDITION", "ICD-10-CM", ["I42", "I43"]),
    ("室性心动过速", "CONDITION", "ICD-10-CM", ["I47.2"]),
    ("心房扑动", "CONDITION", "ICD-10-CM", ["I48.92", "I48.3", "I48.4"]),
    ("精神分裂症", "CONDITION", "ICD-10-CM", ["F20"]),
    ("脂肪肝", "CONDITION", "ICD-10-CM", ["K76.0", "K70.0"]),
    ("胃炎", "CONDITION", "ICD-10-CM", ["K29"]),
    ("十二指肠溃疡", "CONDITION", "ICD-10-CM", ["K26"]),
    ("胸闷", "SYMPTOM", "ICD-10-CM", ["R07"]),
    ("咯血", "SYMPTOM", "ICD-10-CM", ["R04.2"]),
    ("血尿", "SYMPTOM", "ICD-10-CM", ["R31"]),
    ("吞咽困难", "SYMPTOM", "ICD-10-CM", ["R13"]),
    ("黄疸", "SYMPTOM", "ICD-10-CM", ["R17"]),
    ("耳鸣", "SYMPTOM", "ICD-10-CM", ["H93.1"]),
    ("鼻出血", "SYMPTOM", "ICD-10-CM", ["R04.0"]),
    ("黑便", "SYMPTOM", "ICD-10-CM", ["K92.1"]),
    ("呕血", "SYMPTOM", "ICD-10-CM", ["K92.0"]),
    ("盗汗", "SYMPTOM", "ICD-10-CM", ["R61"]),
    ("腹胀", "SYMPTOM", "ICD-10-CM", ["R14"]),
    ("阿哌沙班", "MEDICATION", "GENERIC", ["apixaban"]),
    ("利伐沙班", "MEDICATION", "GENERIC", ["rivaroxaban"]),
    ("噻托溴铵", "MEDICATION", "GENERIC", ["tiotropium"]),
    ("头孢曲松", "MEDICATION", "GENERIC", ["ceftriaxone"]),
    ("万古霉素", "MEDICATION", "GENERIC", ["vancomycin"]),
    ("多西环素", "MEDICATION", "GENERIC", ["doxycycline"]),
    ("甲硝唑", "MEDICATION", "GENERIC", ["metronidazole"]),
    ("左乙拉西坦", "MEDICATION", "GENERIC", ["levetiracetam"]),
    ("加巴喷丁", "MEDICATION", "GENERIC", ["gabapentin"]),
    ("坦索罗辛", "MEDICATION", "GENERIC", ["tamsulosin"]),
    ("螺内酯", "MEDICATION", "GENERIC", ["spironolactone"]),
    ("卡维地洛", "MEDICATION", "GENERIC", ["carvedilol"]),
    ("胺碘酮", "MEDICATION", "GENERIC", ["amiodarone"]),
    ("瑞舒伐他汀", "MEDICATION", "GENERIC", ["rosuvastatin"]),
    ("恩格列净", "MEDICATION", "GENERIC", ["empagliflozin"]),
    ("西格列汀", "MEDICATION", "GENERIC", ["sitagliptin"]),
    ("泼尼松", "MEDICATION", "GENERIC", ["prednisone"]),
    ("泮托拉唑", "MEDICATION", "GENERIC", ["pantoprazole"]),
    ("昂丹司琼", "MEDICATION", "GENERIC", ["ondansetron"]),
    ("喹硫平", "MEDICATION", "GENERIC", ["quetiapine"]),
    ("孟鲁司特", "MEDICATION", "GENERIC", ["montelukast"]),
    ("依诺肝素", "MEDICATION", "GENERIC", ["enoxaparin"]),
]
# The development set: other terms, same templates; tuning looked only at this one.
DEV_EN_TERMS = [
    ("hypercalcemia", "CONDITION", "ICD-10-CM", ["E83.52"]),
    ("hypomagnesemia", "CONDITION", "ICD-10-CM", ["E83.42"]),
    ("aortic stenosis", "CONDITION", "ICD-10-CM", ["I35.0", "I06.0"]),
    ("mitral regurgitation", "CONDITION", "ICD-10-CM", ["I34.0", "I05.1"]),
    ("sleep apnea", "CONDITION", "ICD-10-CM", ["G47.3"]),
    ("plantar fasciitis", "CONDITION", "ICD-10-CM", ["M72.2"]),
    ("rhabdomyolysis", "CONDITION", "ICD-10-CM", ["M62.82", "T79.6"]),
    ("cataract", "CONDITION", "ICD-10-CM", ["H25", "H26", "H28"]),
    ("scabies", "CONDITION", "ICD-10-CM", ["B86"]),
    ("endocarditis", "CONDITION", "ICD-10-CM", ["I33", "I38", "I39"]),
    ("narcolepsy", "CONDITION", "ICD-10-CM", ["G47.4"]),
    ("pulmonary fibrosis", "CONDITION", "ICD-10-CM", ["J84"]),
    ("nephrotic syndrome", "CONDITION", "ICD-10-CM", ["N04"]),
    ("pruritus", "SYMPTOM", "ICD-10-CM", ["L29"]),
    ("vertigo", "SYMPTOM", "ICD-10-CM", ["R42", "H81"]),
    ("weight loss", "SYMPTOM", "ICD-10-CM", ["R63.4"]),
    ("bisoprolol", "MEDICATION", "GENERIC", ["bisoprolol"]),
    ("digoxin", "MEDICATION", "GENERIC", ["digoxin"]),
    ("ezetimibe", "MEDICATION", "GENERIC", ["ezetimibe"]),
    ("levofloxacin", "MEDICATION", "GENERIC", ["levofloxacin"]),
    ("duloxetine", "MEDICATION", "GENERIC", ["duloxetine"]),
    ("Lovenox", "MEDICATION", "GENERIC", ["enoxaparin"]),
    ("Singulair", "MEDICATION", "GENERIC", ["montelukast"]),
]
DEV_ZH_TERMS = [
    ("高钙血症", "CONDITION", "ICD-10-CM", ["E83.52"]),
    ("主动脉瓣狭窄", "CONDITION", "ICD-10-CM", ["I35.0", "I06.0"]),
    ("二尖瓣反流", "CONDITION", "ICD-10-CM", ["I34.0", "I05.1"]),
    ("睡眠呼吸暂停", "CONDITION", "ICD-10-CM", ["G47.3"]),
    ("横纹肌溶解", "CONDITION", "ICD-10-CM", ["M62.82", "T79.6"]),
    ("白内障", "CONDITION", "ICD-10-CM", ["H25", "H26", "H28"]),
    ("肺纤维化", "CONDITION", "ICD-10-CM", ["J84"]),
    ("肾病综合征", "CONDITION", "ICD-10-CM", ["N04"]),
    ("瘙痒", "SYMPTOM", "ICD-10-CM", ["L29"]),
    ("体重下降", "SYMPTOM", "ICD-10-CM", ["R63.4"]),
    ("比索洛尔", "MEDICATION", "GENERIC", ["bisoprolol"]),
    ("地高辛", "MEDICATION", "GENERIC", ["digoxin"]),
    ("依折麦布", "MEDICATION", "GENERIC", ["ezetimibe"]),
    ("左氧氟沙星", "MEDICATION", "GENERIC", ["levofloxacin"]),
    ("度洛西汀", "MEDICATION", "GENERIC", ["duloxetine"]),
]
EN_TEMPLATES = [
    "Admitted with {a}; started {m} overnight.",
    "Assessment: {a}. Plan: continue {m} and recheck in the morning.",
    "She reports {a} for three days and takes {m} at home.",
    "Known {a}, on {m} 1 tab daily.",
    "Seen in clinic for {a}. Medications reviewed: {m}.",
    "History notable for {a}; {m} was resumed on discharge.",
]
ZH_TEMPLATES = [
    "患者因{a}入院，予{m}治疗。",
    "诊断：{a}。处理：继续{m}。",
    "患者近三天出现{a}，在家服用{m}。",
    "既往诊断{a}，长期口服{m}。",
    "门诊就诊，主诉{a}，目前用药：{m}。",
    "此次{a}加重，已加用{m}。",
]


def _entity_rows(terms, templates, rng):
    conditions = [t for t in terms if t[1] != "MEDICATION"]
    medications = [t for t in terms if t[1] == "MEDICATION"]
    rows = []
    # Every term at least twice, each time in another template and beside another term.
    pairs = []
    for _ in range(2):
        drugs = medications * (len(conditions) // len(medications) + 1)
        rng.shuffle(drugs)
        pairs += list(zip(conditions, drugs, strict=False))
        extra = conditions * (len(medications) // len(conditions) + 1)
        rng.shuffle(extra)
        pairs += list(zip(extra, medications, strict=False))
    for number, (condition, medication) in enumerate(pairs):
        text = templates[number % len(templates)].format(a=condition[0], m=medication[0])
        rows.append(
            {
                "text": text,
                "entities": [list(condition), list(medication)],
            }
        )
    return rows


# Names from lists disjoint from the detectors' lists (checked in ``_check_names``).
EN_GIVEN = """
Oluwaseun Chidinma Babajide Ngozi Temitope Adebayo Yetunde Obiageli Kwabena Akosua Nnamdi
Chukwuemeka Folasade Olumide Ifeoma Thandiwe Sipho Nomvula Lungile Zanele Anesu Tendai Rudo
Farai Kudzai Sandeep Harpreet Gurpreet Navneet Parminder Rajinder Kuldeep Jaswinder Baljit
Tanvir Anjali Vikrant Siddharth Kavitha Lakshmi Thuy Nguyet Phuong Huong Quang Tuan Linh
Dmitri Svetlana Yevgeny Anatoly Oksana Bogdan Vasyl Taras Lyudmila Nadezhda Aigerim Yerlan
Nurlan Dauren Bakhyt Eszter Zsofia Bence Levente Ildiko Siobhan Aoife Niamh Caoimhe Ciaran
""".split()
EN_FAMILY = """
Adeyemi Okonkwo Nwachukwu Oyelowo Babatunde Adebowale Ogunleye Ekwueme Onyekachi Mensah
Asante Boateng Owusu Dlamini Nkosi Mahlangu Mthembu Zulu Chigumba Moyo Sibanda Dhillon Grewal
Sandhu Randhawa Sidhu Chaudhry Venkataraman Subramanian Raghunathan Krishnamurthy Nguyen
Tran Pham Huynh Vuong Kuznetsova Smirnov Volkov Shevchenko Kovalenko Bondarenko Tkachenko
Nurpeisov Abenov Seitkali Horvath Kovacs Szabo Farkas Toth Ni Bhriain Mac Giolla
""".split()
ZH_SURNAMES_HELDOUT = "柏祁滕庞骆阮裴鲍伍卜岑邬隗詹"
ZH_GIVEN = "梓涵若溪沐宸锦程晟睿煜祺翊珩芮禾瑾瑜玥岚钧澈"
ZH_COMPOUND = ["欧阳", "司马", "上官", "诸葛", "慕容", "令狐", "皇甫", "尉迟"]


def _census_words() -> set[str]:
    words = set()
    for filename in ("dist.male.first", "dist.female.first", "dist.all.last"):
        text = resources.files("names").joinpath(filename).read_text(encoding="ascii")
        words |= {line.split()[0].lower() for line in text.splitlines() if line.strip()}
    return words


def _check_names():
    census = _census_words()
    clash = [w for w in EN_GIVEN + EN_FAMILY if w.lower() in census]
    return (
        [w for w in EN_GIVEN if w.lower() not in census],
        [w for w in EN_FAMILY if w.lower() not in census],
        clash,
    )


def _zh_detector_surnames() -> str:
    source = (ROOT / "apps/medical_records/engine/recognizers.py").read_text(encoding="utf-8")
    start = source.index("_ZH_SURNAMES = (")
    return source[start : source.index(")", start)]


def _phi_rows(rng):
    given, family, _ = _check_names()
    detector_surnames = _zh_detector_surnames()
    zh_surnames = [s for s in ZH_SURNAMES_HELDOUT if s not in detector_surnames]
    rows = []
    en_no_cue = [
        "{n} said the pain started after dinner.",
        "Spoke with {n} about the discharge plan.",
        "{n} brought the medication list and a bag of clothes.",
        "The family asked that {n} be called with results.",
        "Care discussed at length with {n} and the team.",
        "{l} (niece) will drive her home tomorrow.",
    ]
    en_cue = [
        "Seen by Dr. {n} on the ward; call back at {p}.",
        "Emergency contact: {n}, phone {p}, lives in {c}.",
        "Her son {n} can be reached at {p} or {e}.",
        "Patient {n}, MRN {i}, was admitted on {d}.",
    ]
    cities = ["Tallahassee", "Kalamazoo", "Cheyenne", "Poughkeepsie", "Walla Walla", "Bozeman"]
    for number in range(60):
        name = f"{rng.choice(given)} {rng.choice(family)}"
        template = en_no_cue[number % len(en_no_cue)]
        lower = template.startswith("{l}")
        shown = name.split()[0].lower() if lower else name
        rows.append(
            {
                "text": template.format(n=shown, l=shown),
                "phi": [[shown, "NAME"]],
                "cue": False,
            }
        )
        phone = f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}"
        email = f"{name.split()[0].lower()}.{rng.randint(10, 99)}@example.org"
        mrn = f"{rng.randint(10000000, 99999999)}"
        date = f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/20{rng.randint(10, 25)}"
        city = rng.choice(cities)
        template = en_cue[number % len(en_cue)]
        text = template.format(n=name, p=phone, e=email, i=mrn, d=date, c=city)
        phi = [[name, "NAME"]]
        for value, kind in ((phone, "PHONE"), (email, "EMAIL"), (mrn, "ID"), (date, "DATE")):
            if value in text:
                phi.append([value, kind])
        if city in text:
            phi.append([city, "LOCATION"])
        rows.append({"text": text, "phi": phi, "cue": True})
    zh_no_cue = [
        "{n}说今天胸口不舒服。",
        "{n}陪同来院，提供既往病历。",
        "与{n}沟通后同意手术。",
        "已电话告知{n}检查结果。",
    ]
    zh_cue = [
        "家属{n}，电话{p}，住址：{a}。",
        "患者{n}，住院号{i}，于{d}入院。",
        "女儿{n}陪同，联系电话{p}。",
    ]
    streets = ["青年路", "解放大道", "人民北路", "中山南路", "建设街"]
    cities = [
        ("江苏省", "扬州市", "邗江区"),
        ("湖南省", "株洲市", "芦淞区"),
        ("四川省", "绵阳市", "涪城区"),
    ]
    for number in range(50):
        if number % 3 == 0:
            surname = rng.choice(ZH_COMPOUND)
        else:
            surname = rng.choice(zh_surnames)
        name = surname + "".join(rng.sample(ZH_GIVEN, 2 if number % 2 else 1))
        rows.append(
            {"text": zh_no_cue[number % len(zh_no_cue)].format(n=name), "phi": [[name, "NAME"]]}
        )
        phone = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        province, city, district = rng.choice(cities)
        address = (
            f"{province}{city}{district}{rng.choice(streets)}{rng.randint(1, 300)}号"
            f"{rng.randint(1, 20)}栋{rng.randint(101, 1805)}室"
        )
        mrn = f"ZY{rng.randint(1000000, 9999999)}"
        date = f"2024年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
        template = zh_cue[number % len(zh_cue)]
        text = template.format(n=name, p=phone, a=address, i=mrn, d=date)
        phi = [[name, "NAME"]]
        for value, kind in ((phone, "PHONE"), (address, "ADDRESS"), (mrn, "ID"), (date, "DATE")):
            if value in text:
                phi.append([value, kind])
        rows.append({"text": text, "phi": phi})
    return rows


def _lookalike_rows():
    # Drug names that look like surnames and eponyms, beside one real name each.
    en = [
        (
            "History of Parkinson disease; seen today with her husband Taras Kovalenko.",
            ["Taras Kovalenko"],
            ["Parkinson"],
        ),
        (
            "Crohn disease in remission on Humira; daughter Aoife Ni Bhriain present.",
            ["Aoife Ni Bhriain"],
            ["Crohn", "Humira"],
        ),
        (
            "Hodgkin lymphoma treated in 2015. Brother Dauren Abenov visits.",
            ["Dauren Abenov"],
            ["Hodgkin"],
        ),
        (
            "Positive Babinski sign on the left; wife Nomvula Dlamini notified.",
            ["Nomvula Dlamini"],
            ["Babinski"],
        ),
        (
            "Graves disease on methimazole, Cushing syndrome ruled out; friend Bence Farkas here.",
            ["Bence Farkas"],
            ["Graves", "Cushing", "methimazole"],
        ),
        (
            "Started Eliquis and Lasix; Addison disease excluded. Nephew Kwabena Mensah called.",
            ["Kwabena Mensah"],
            ["Eliquis", "Lasix", "Addison"],
        ),
        (
            "Raynaud phenomenon; Barrett esophagus on surveillance. Sister Oksana Volkov.",
            ["Oksana Volkov"],
            ["Raynaud", "Barrett"],
        ),
        (
            "Bell palsy resolved; Kawasaki disease as a child. Son Nnamdi Okonkwo at bedside.",
            ["Nnamdi Okonkwo"],
            ["Bell", "Kawasaki"],
        ),
        (
            "Takes Zyrtec, Xanax and Flomax. Husband Sandeep Dhillon manages pills.",
            ["Sandeep Dhillon"],
            ["Zyrtec", "Xanax", "Flomax"],
        ),
        (
            "Meniere disease with vertigo; Epley maneuver done. Caregiver Zanele Nkosi.",
            ["Zanele Nkosi"],
            ["Meniere", "Epley"],
        ),
        (
            "Alzheimer dementia, on Aricept and Namenda; daughter Thuy Nguyen decides.",
            ["Thuy Nguyen"],
            ["Alzheimer", "Aricept", "Namenda"],
        ),
        (
            "Huntington disease in father; on Keppra for seizures. Wife Ildiko Toth here.",
            ["Ildiko Toth"],
            ["Huntington", "Keppra"],
        ),
    ]
    zh = [
        ("帕金森病史五年，丈夫滕梓涵陪同。", ["滕梓涵"], ["帕金森"]),
        ("克罗恩病缓解期，女儿裴若溪在场。", ["裴若溪"], ["克罗恩"]),
        ("霍奇金淋巴瘤治疗后，儿子鲍锦程探视。", ["鲍锦程"], ["霍奇金"]),
        ("阿尔茨海默病，服用多奈哌齐，家属岑瑾瑜决定。", ["岑瑾瑜"], ["阿尔茨海默", "多奈哌齐"]),
        ("服用华法林和阿司匹林，妻子詹芮禾管理药物。", ["詹芮禾"], ["华法林", "阿司匹林"]),
        ("库欣综合征已排除，哥哥骆晟睿陪同。", ["骆晟睿"], ["库欣"]),
    ]
    rows = []
    for text, names, lookalikes in en + zh:
        rows.append({"text": text, "phi": [[n, "NAME"] for n in names], "lookalikes": lookalikes})
    return rows


def _dev_lookalike_rows():
    en = [
        (
            "Wilson disease on penicillamine; her cousin Anesu Moyo came along.",
            ["Anesu Moyo"],
            ["Wilson", "penicillamine"],
        ),
        (
            "Tourette syndrome since childhood. Mother Folasade Ogunleye present.",
            ["Folasade Ogunleye"],
            ["Tourette"],
        ),
        (
            "Ewing sarcoma of the femur treated; uncle Yerlan Nurpeisov visits.",
            ["Yerlan Nurpeisov"],
            ["Ewing"],
        ),
        (
            "Hashimoto thyroiditis on Synthroid; wife Zsofia Szabo at bedside.",
            ["Zsofia Szabo"],
            ["Hashimoto", "Synthroid"],
        ),
        (
            "Takes Crestor, Plavix and Norvasc; son Olumide Adebowale helps.",
            ["Olumide Adebowale"],
            ["Crestor", "Plavix", "Norvasc"],
        ),
        (
            "Positive Murphy sign, McBurney point tender; daughter Ifeoma Ekwueme called.",
            ["Ifeoma Ekwueme"],
            ["Murphy", "McBurney"],
        ),
        (
            "Sjogren syndrome and Raynaud; friend Kudzai Chigumba drove her.",
            ["Kudzai Chigumba"],
            ["Sjogren", "Raynaud"],
        ),
        (
            "On Coumadin and Zoloft for years; brother Nurlan Seitkali here.",
            ["Nurlan Seitkali"],
            ["Coumadin", "Zoloft"],
        ),
    ]
    en += [
        (
            "Marfan syndrome, on losartan. Her partner Temitope Babatunde drove.",
            ["Temitope Babatunde"],
            ["Marfan", "losartan"],
        ),
        (
            "Reiter arthritis years ago; Lyme disease last summer. Son Chukwuemeka Onyekachi here.",
            ["Chukwuemeka Onyekachi"],
            ["Reiter", "Lyme"],
        ),
        (
            "Started Humira and Otezla; Paget disease of bone. Niece Lungile Mthembu called.",
            ["Lungile Mthembu"],
            ["Humira", "Otezla", "Paget"],
        ),
        (
            "Doppler of the legs and Holter monitor done; wife Navneet Sandhu asked questions.",
            ["Navneet Sandhu"],
            ["Doppler", "Holter"],
        ),
        (
            "Glasgow coma scale 15, Wells score low. Friend Akosua Asante visited.",
            ["Akosua Asante"],
            ["Glasgow", "Wells"],
        ),
        (
            "Ativan at night, Lasix in the morning; daughter Ngozi Ekwueme manages.",
            ["Ngozi Ekwueme"],
            ["Ativan", "Lasix"],
        ),
        (
            "Foley catheter removed; Apgar scores were normal at birth. Mother Yetunde Oyelowo.",
            ["Yetunde Oyelowo"],
            ["Foley", "Apgar"],
        ),
        (
            "Tinel sign and Phalen test positive; husband Harpreet Grewal at bedside.",
            ["Harpreet Grewal"],
            ["Tinel", "Phalen"],
        ),
    ]
    zh = [
        ("川崎病病史，父亲祁沐宸陪同。", ["祁沐宸"], ["川崎病"]),
        ("亨廷顿病家族史，女儿庞翊珩在场。", ["庞翊珩"], ["亨廷顿"]),
        ("服用氯吡格雷和阿托伐他汀，丈夫阮煜祺管理药物。", ["阮煜祺"], ["氯吡格雷", "阿托伐他汀"]),
        ("桥本甲状腺炎，服用左甲状腺素，儿子伍钧澈探视。", ["伍钧澈"], ["桥本", "左甲状腺素"]),
    ]
    return [
        {"text": text, "phi": [[n, "NAME"] for n in names], "lookalikes": lookalikes}
        for text, names, lookalikes in en + zh
    ]


ASSERTION_EN = [
    ("Denies {a}.", "negated"),
    ("No evidence of {a} on imaging.", "negated"),
    ("Presents with {a} since Monday.", "present"),
    ("Treated today for {a}.", "present"),
    ("Mother had {a}.", "family"),
    ("Family history of {a} in her father.", "family"),
    ("Possible {a}, workup pending.", "uncertain"),
    ("Return if {a} develops.", "hypothetical"),
    ("History of {a} in 2010, resolved.", "historical"),
]
ASSERTION_ZH = [
    ("否认{a}。", "negated"),
    ("无{a}。", "negated"),
    ("患者今日出现{a}。", "present"),
    ("目前{a}明显。", "present"),
    ("母亲患有{a}。", "family"),
    ("父亲有{a}病史。", "family"),
    ("考虑{a}可能，待进一步检查。", "uncertain"),
    ("如出现{a}，及时就诊。", "hypothetical"),
    ("既往有{a}，已治愈。", "historical"),
]


def _assertion_rows(rng, en_terms=EN_TERMS, zh_terms=ZH_TERMS):
    rows = []
    for terms, templates, language in (
        (en_terms, ASSERTION_EN, "en"),
        (zh_terms, ASSERTION_ZH, "zh"),
    ):
        conditions = [t for t in terms if t[1] != "MEDICATION"]
        for number, condition in enumerate(conditions * 2):
            template, assertion = templates[(number * 5 + rng.randint(0, 8)) % len(templates)]
            rows.append(
                {
                    "text": template.format(a=condition[0]),
                    "concept": condition[0],
                    "assertion": assertion,
                    "language": language,
                }
            )
    return rows


def _demo_surfaces() -> set[str]:
    surfaces = set()
    with (ROOT / "knowledge/seeds/medical/nodes.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            surfaces.add(row["label"].casefold())
            surfaces |= {a.casefold() for a in row["aliases"].split("|") if a}
    return surfaces


def main() -> None:
    rng = random.Random(20)
    demo = _demo_surfaces()
    heldout_terms = EN_TERMS + ZH_TERMS
    inside = [t[0] for t in heldout_terms if t[0].casefold() in demo]
    overlap = {t[0] for t in heldout_terms} & {t[0] for t in DEV_EN_TERMS + DEV_ZH_TERMS}
    if overlap:
        raise SystemExit(f"terms in both the development and the held-out set: {overlap}")
    if inside:
        raise SystemExit(f"terms inside the old demo ontology: {inside}")
    OUT.mkdir(exist_ok=True)
    sets = {
        "entities_en.jsonl": _entity_rows(EN_TERMS, EN_TEMPLATES, rng),
        "entities_zh.jsonl": _entity_rows(ZH_TERMS, ZH_TEMPLATES, rng),
        "phi.jsonl": _phi_rows(rng),
        "lookalikes.jsonl": _lookalike_rows(),
        "assertions.jsonl": _assertion_rows(rng),
    }
    dev = HERE / "dev"
    dev.mkdir(exist_ok=True)
    sets["../dev/entities_en.jsonl"] = _entity_rows(DEV_EN_TERMS, EN_TEMPLATES, rng)
    sets["../dev/entities_zh.jsonl"] = _entity_rows(DEV_ZH_TERMS, ZH_TEMPLATES, rng)
    sets["../dev/assertions.jsonl"] = _assertion_rows(rng, DEV_EN_TERMS, DEV_ZH_TERMS)
    sets["../dev/lookalikes.jsonl"] = _dev_lookalike_rows()
    for filename, rows in sets.items():
        with (OUT / filename).open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(filename, len(rows))
    print("names clashing with the census lists (left out):", _check_names()[2])


if __name__ == "__main__":
    main()
