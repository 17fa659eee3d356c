"""Fifth development set: identifiers that no keyword introduces (2026-12-07, afternoon).

Written before the code-shaped identifier rule of ``engine/recognizers.py`` and used to build it;
its errors were read and fixed, so it is a development set, not a held-out one. Nothing of the
held-out sets or of their generator was read: the layouts are those of Chinese and English
clinical paperwork (wristbands, specimen labels, referral letters, insurance forms, device
cards), the formats those of record, accession, card, insurance, national-ID and device
numbers. Each note plants one identifier in a context that names no identifier keyword of the
recognizer (``_ID_KEYWORDS``, ``_ZH_ID_KEYWORDS``), or none at all.

A second file holds sentences with numbers that are not identifiers (doses, counts, ranges, blood
pressures, dates, years, telephone numbers): a rule that masks them as identifiers is measured
there (``not_identifiers.jsonl``: each row's ``keep`` strings must stay in the text, or, for
dates and telephone numbers, be replaced as their own kind).

    python -m apps.medical_records.evaluation.make_dev_v5
"""

from __future__ import annotations

import random
from pathlib import Path

from apps.medical_records.evaluation.scores import write_jsonl_sets

OUT = Path(__file__).resolve().parent.parent / "data" / "dev_v5"
SEED = 5505

ZH_TEMPLATES = [
    "患者（{v}）今日复诊，血压平稳。",
    "医保编码{v}，本次费用按职工医保结算。",
    "社会保障卡{v}已登记。",
    "条形码 {v} 的标本已送检验科。",
    "腕带信息：{v}，过敏史：无。",
    "转诊单编码：{v}，转入我院心内科。",
    "起搏器序列{v}，程控参数正常。",
    "健康档案{v}已更新。",
    "会员卡{v}，预约下周复查。",
    "标本{v}血培养阴性。",
    "凭卡{v}缴费后取药。",
    "备注：{v}（外院病案）。",
    "复印病历一份，档案编码 {v}。",
    "本院编码{v}，入院诊断：肺炎。",
    "证件：{v}，由家属代办。",
]
EN_TEMPLATES = [
    "Specimen {v} sent to pathology.",
    "Referral ref {v} received from the clinic.",
    "Wristband reads {v}; allergies none known.",
    "Accession {v}: chest radiograph, no acute findings.",
    "Pacemaker serial {v} interrogated, normal function.",
    "Outside records (chart {v}) reviewed.",
    "Claim {v} submitted to the insurer.",
    "Case {v} discussed at the tumour board.",
    "Lab requisition {v} drawn at 08:10.",
    "Old file {v} scanned into the record.",
]


def _value(rng: random.Random, language: str) -> str:
    def n(low: int, high: int) -> int:
        return rng.randint(low, high)

    forms = [
        lambda: f"{n(1000, 9999)}-{n(1000, 9999)}",
        lambda: f"{n(100000, 999999)}{n(1000, 9999)}",
        lambda: f"{rng.choice(['BJ', 'SH', 'GZ', 'HZ', 'CD'])}-{n(2019, 2026)}-{n(10000, 99999)}",
        lambda: f"{rng.choice(['ZYH', 'MZ', 'SP', 'AC', 'RX'])}{n(1000000, 99999999)}",
        lambda: f"{n(6000, 6299)} {n(1000, 9999)} {n(1000, 9999)} {n(1000, 9999)}",
        lambda: (
            f"{n(110000, 659999)}{n(1940, 2005)}{n(1, 12):02d}"
            f"{n(1, 28):02d}{n(100, 999)}{rng.choice('0123456789X')}"
        ),
        lambda: f"{rng.choice(['PJN', 'MDT', 'SJM'])}{n(100000, 999999)}{rng.choice('SHRK')}",
        lambda: f"{n(10, 99)}-{n(100000, 999999)}",
    ]
    if language == "zh":
        forms.append(lambda: "".join(chr(ord("０") + int(d)) for d in str(n(10**8, 10**9 - 1))))
    return rng.choice(forms)()


# Numbers that are not identifiers: they must stay (or be replaced as their own kind).
NOT_IDENTIFIERS = [
    ("血压 160/100 mmHg，心率 88 次/分。", ["160/100", "88"]),
    ("血小板 150000/μl，白细胞 12000/μl。", ["150000", "12000"]),
    ("予生理盐水 1000 ml 静滴，尿量 2500-3000 ml。", ["1000", "2500-3000"]),
    ("2019-2023 年间反复住院四次。", ["2019-2023"]),
    ("Sodium 135-145 mmol/L, potassium 3.5-5.1 mmol/L.", ["135-145", "3.5-5.1"]),
    ("Platelets 250000 per microliter.", ["250000"]),
    ("Dose 1,000,000 units of penicillin G benzathine.", ["1,000,000"]),
    ("Blood pressure 142/88, weight 82.5 kg.", ["142/88", "82.5"]),
    ("Hemoglobin A1c 7.2 percent, LDL 130 mg/dL.", ["7.2", "130"]),
    ("Smoked from 1998-2015, quit since.", ["1998-2015"]),
    ("COVID-19 vaccine, three doses; SARS-CoV-2 PCR negative.", ["COVID-19", "SARS-CoV-2"]),
    ("CYP2C19 poor metaboliser; HLA-B*5801 negative.", ["CYP2C19", "HLA-B*5801"]),
    ("予胰岛素 12 U 皮下注射，每日 3 次。", ["12"]),
    ("体重 65.5 kg，身高 172 cm，BMI 22.1。", ["65.5", "172", "22.1"]),
    ("INR 2.35; warfarin 5 mg nightly.", ["2.35"]),
]


def build(rng: random.Random) -> dict[str, list[dict]]:
    phi = []
    for language, templates in (("zh", ZH_TEMPLATES), ("en", EN_TEMPLATES)):
        for template in templates:
            for _ in range(3):
                value = _value(rng, language)
                phi.append({"text": template.format(v=value), "phi": [[value, "ID"]]})
    keep = [{"text": text, "keep": words} for text, words in NOT_IDENTIFIERS]
    return {"phi_ids.jsonl": phi, "not_identifiers.jsonl": keep}


def main() -> None:
    write_jsonl_sets(OUT, build(random.Random(SEED)))


if __name__ == "__main__":
    main()
