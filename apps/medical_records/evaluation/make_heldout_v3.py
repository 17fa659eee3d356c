"""Third held-out assertion set (2026-12-07, 13:25 UTC): ``data/heldout_v3/assertions.jsonl``.

Why: on 2026-12-07 at 12:59 UTC an ``evaluate_medical --show-errors`` run that left
``--assertions`` to its default printed the errors of the second held-out assertion set
(``data/heldout_v2/assertions.jsonl``), so that set's figure is no longer from a set nobody has
looked at. This one replaces it as ``evaluate_medical``'s default assertion set.

How: conditions written here from common clinical practice without looking at the vocabulary
files or any other set; a term that any file under ``data/`` already holds (every set: the
development sets and the other held-out sets) is dropped by this generator, which prints only
how many it dropped. Cue templates written here in clinical note style, six assertion classes,
each condition in four of them. Committed before any code change that follows; scored once, at
the end of the session that made it, aggregates only.

    python -m apps.medical_records.evaluation.make_heldout_v3
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from apps.medical_records.evaluation.scores import read_jsonl, write_jsonl_sets

DATA = Path(__file__).resolve().parent.parent / "data"
OUT = DATA / "heldout_v3"
SEED = 7303
PER_TERM = 4
TERMS_PER_LANGUAGE = 25

# One-word and multi-word English conditions.
EN_TERMS = (
    """
cellulitis gout pancreatitis appendicitis cholecystitis diverticulitis pneumothorax bradycardia
endocarditis pericarditis myocarditis meningitis encephalitis sepsis hypothyroidism
hyperthyroidism osteoporosis osteomyelitis psoriasis eczema shingles influenza bronchiectasis
sarcoidosis cirrhosis hydronephrosis prostatitis glaucoma cataract tinnitus vertigo epilepsy
dementia insomnia malnutrition dehydration hyponatremia hyperkalemia hypoglycemia gastroparesis
hemorrhoids urticaria conjunctivitis tonsillitis sinusitis thrombocytopenia achalasia
acromegaly alopecia amyloidosis anaphylaxis angioedema blepharitis bursitis cholangitis
costochondritis cystitis dermatitis endometriosis epididymitis folliculitis gallstones gastritis
gingivitis glomerulonephritis hemochromatosis hyperparathyroidism hypokalemia hypercalcemia
impetigo intussusception keratitis labyrinthitis laryngitis lymphedema mastitis mononucleosis
neutropenia onychomycosis orchitis pemphigus peritonitis pharyngitis rhabdomyolysis rosacea
scabies scoliosis splenomegaly syncope tendinitis uveitis vitiligo
""".split()
    + [
        "ankylosing spondylitis",
        "aortic stenosis",
        "mitral regurgitation",
        "cardiac tamponade",
        "diabetes insipidus",
        "esophageal varices",
        "hiatal hernia",
        "interstitial lung disease",
        "myasthenia gravis",
        "nephrotic syndrome",
        "optic neuritis",
        "otitis externa",
        "peripheral neuropathy",
        "polymyalgia rheumatica",
        "retinal detachment",
        "spinal stenosis",
        "trigeminal neuralgia",
        "varicose veins",
        "pulmonary embolism",
        "deep vein thrombosis",
        "atrial flutter",
        "rheumatoid arthritis",
        "kidney stones",
        "urinary retention",
        "macular degeneration",
        "diabetic ketoacidosis",
        "celiac disease",
        "ulcerative colitis",
        "anal fissure",
        "inguinal hernia",
        "otitis media",
        "frozen shoulder",
        "plantar fasciitis",
        "carpal tunnel syndrome",
        "fatty liver disease",
        "pleural effusion",
    ]
)

ZH_TERMS = """
蜂窝织炎 痛风 胰腺炎 阑尾炎 胆囊炎 憩室炎 气胸 肺栓塞 深静脉血栓 心房扑动 心动过缓 感染性心内膜炎
心包炎 心肌炎 脑膜炎 脑炎 脓毒症 甲状腺功能减退症 甲状腺功能亢进症 骨质疏松症 骨髓炎 类风湿关节炎
银屑病 湿疹 带状疱疹 流行性感冒 支气管扩张 结节病 肝硬化 肾结石 尿潴留 肾积水 前列腺炎 青光眼
白内障 黄斑变性 耳鸣 眩晕 癫痫 痴呆 失眠 营养不良 脱水 低钠血症 高钾血症 低血糖 糖尿病酮症酸中毒
胃轻瘫 乳糜泻 溃疡性结肠炎 痔疮 肛裂 腹股沟疝 荨麻疹 结膜炎 中耳炎 扁桃体炎 鼻窦炎 肩周炎
足底筋膜炎 腕管综合征 血小板减少症 脂肪肝 胸腔积液 腰椎间盘突出症 颈椎病 高尿酸血症
""".split()

EN_TEMPLATES = [
    ("Assessment: {c}, stable on current therapy.", "present"),
    ("She was admitted with {c} and is improving.", "present"),
    ("Findings are consistent with {c}.", "present"),
    ("No evidence of {c} on today's examination.", "negated"),
    ("{C} was excluded on imaging.", "negated"),
    ("He has never had {c}.", "negated"),
    ("History of {c}, resolved years ago.", "historical"),
    ("Treated for {c} as a teenager, no recurrence.", "historical"),
    ("Her sister was diagnosed with {c}.", "family"),
    ("Family history is notable for {c} in his father.", "family"),
    ("Return to the emergency department if signs of {c} develop.", "hypothetical"),
    ("We discussed the risk of {c} after the procedure.", "hypothetical"),
    ("Possible {c}; will reassess tomorrow.", "uncertain"),
    ("Cannot rule out {c} at this stage.", "uncertain"),
    ("{C} is suspected but not confirmed.", "uncertain"),
]
ZH_TEMPLATES = [
    ("诊断：{c}。", "present"),
    ("患者因{c}收入院，经治疗好转。", "present"),
    ("目前{c}，继续原方案治疗。", "present"),
    ("否认{c}。", "negated"),
    ("检查未提示{c}。", "negated"),
    ("影像学已排除{c}。", "negated"),
    ("既往有{c}病史，已治愈。", "historical"),
    ("十余年前曾患{c}，未再复发。", "historical"),
    ("其母患有{c}。", "family"),
    ("家族史：其姐有{c}。", "family"),
    ("如出现{c}表现，请及时就诊。", "hypothetical"),
    ("术前告知有发生{c}的风险。", "hypothetical"),
    ("考虑{c}可能，明日复查。", "uncertain"),
    ("{c}待排。", "uncertain"),
    ("疑似{c}，需进一步检查。", "uncertain"),
]


def _texts_of_every_set() -> str:
    """Every text of every JSONL file under ``data/`` (lowercased), to drop known terms."""
    texts = []
    for path in sorted(DATA.rglob("*.jsonl")):
        if OUT in path.parents:
            continue
        texts += [json.dumps(row, ensure_ascii=False).lower() for row in read_jsonl(path)]
    return "\n".join(texts)


def _sentences(terms, templates, language, rng) -> list[dict]:
    rows = []
    for term in terms:
        for template, gold in rng.sample(templates, PER_TERM):
            text = template.format(c=term, C=term[0].upper() + term[1:])
            rows.append({"text": text, "concept": term, "assertion": gold, "language": language})
    return rows


def build(rng: random.Random) -> dict[str, list[dict]]:
    known = _texts_of_every_set()
    en = [t for t in EN_TERMS if t.lower() not in known]
    zh = [t for t in ZH_TERMS if t not in known]
    print(f"English terms kept {len(en)} of {len(EN_TERMS)}, Chinese {len(zh)} of {len(ZH_TERMS)}")
    en = rng.sample(en, min(TERMS_PER_LANGUAGE, len(en)))
    zh = rng.sample(zh, min(TERMS_PER_LANGUAGE, len(zh)))
    rows = _sentences(en, EN_TEMPLATES, "en", rng) + _sentences(zh, ZH_TEMPLATES, "zh", rng)
    return {"assertions.jsonl": rows}


def main() -> None:
    write_jsonl_sets(OUT, build(random.Random(SEED)))


if __name__ == "__main__":
    main()
