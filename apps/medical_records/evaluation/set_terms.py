"""The clinical terms of the evaluation sets (held-out and development, disjoint) with the
sentence templates they are written into, and the entity and assertion rows built from them
(``make_sets.py`` writes the files)."""

from __future__ import annotations

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


def entity_rows(terms, templates, rng):
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


def assertion_rows(rng, en_terms=EN_TERMS, zh_terms=ZH_TERMS):
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
