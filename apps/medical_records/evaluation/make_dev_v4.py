"""Writes the fourth development sets, ``data/dev_v4/`` (run once; the JSONL is committed).

    python -m apps.medical_records.evaluation.make_dev_v4

Written on 2026-12-07 (00:40 UTC) for the assertion cues, the PHI look-alikes and the Chinese
record numbers of that session, without reading the held-out sets (``heldout_v2``) or their
generator's names, terms and templates (``v2_names.py``, ``v2_terms.py``). Everything here was
written for this file from clinical writing conventions: English and Chinese sentences with the
cue before or after the condition (denial, "no evidence of", return precautions, "should X
occur", relatives, "remote history", 否认/未诉/如出现/一旦/其兄/外婆/曾因/幼年); look-alike notes
with eponyms, brand and generic drug names, diseases named after places (Lyme, West Nile,
Rocky Mountain, 香港脚, 克山病, 地中海贫血) and Chinese clinical words that open with a surname
character, each beside one real name after a cue; Chinese record numbers after keywords and in
formats dev_v3 lacks (住院号码, 就诊卡号, 患者ID, 登记号, 影像号, 病理号, full-width digits,
"No." prefixes, two numbers after one keyword). Seed 4404, so the files are reproducible.
Errors on these sets may be read and fixed; they are not held out.
"""

from __future__ import annotations

import random
from pathlib import Path

from apps.medical_records.evaluation.scores import write_jsonl_sets

# Not under data/dev/: the held-out generator drops every term it finds there.
OUT = Path(__file__).resolve().parents[1] / "data" / "dev_v4"
SEED = 4404

EN_CONDITIONS = [
    "asthma",
    "atrial fibrillation",
    "heart failure",
    "chronic kidney disease",
    "hypothyroidism",
    "epilepsy",
    "migraine",
    "gout",
    "osteoporosis",
    "depression",
    "stroke",
    "colon cancer",
    "breast cancer",
    "glaucoma",
    "psoriasis",
    "peptic ulcer disease",
    "cellulitis",
    "hepatitis C",
    "anemia",
    "pneumonia",
]
# (template, assertion); {c} lowercase condition, {C} capitalised.
EN_ASSERTION_TEMPLATES = [
    ("No evidence of {c} on today's exam.", "negated"),
    ("Patient denies {c}.", "negated"),
    ("Negative for {c}.", "negated"),
    ("No {c} at this time.", "negated"),
    ("Denies any history of {c}.", "negated"),
    ("She has no known {c}.", "negated"),
    ("Return to the ED if symptoms of {c} develop.", "hypothetical"),
    ("Call the clinic should {c} occur.", "hypothetical"),
    ("Counseled on the risk of {c}.", "hypothetical"),
    ("Instructed to watch for signs of {c}.", "hypothetical"),
    ("If {c} develops, stop the medication.", "hypothetical"),
    ("Family history: mother with {c}.", "family"),
    ("His father had {c}.", "family"),
    ("Maternal grandmother was diagnosed with {c}.", "family"),
    ("Sister has {c}.", "family"),
    ("Family history significant for {c} in a brother.", "family"),
    ("Past medical history of {c}.", "historical"),
    ("Remote history of {c}.", "historical"),
    ("Treated for {c} several years ago.", "historical"),
    ("PMH: {c}.", "historical"),
    ("Presents with {c}.", "present"),
    ("Admitted for {c}.", "present"),
    ("Assessment: {c}, stable on current therapy.", "present"),
    ("{C} is suspected.", "uncertain"),
    ("Findings concerning for {c}.", "uncertain"),
]
ZH_CONDITIONS = [
    "肺结核",
    "急性胰腺炎",
    "胆囊结石",
    "脑出血",
    "肺癌",
    "胃癌",
    "乳腺癌",
    "慢性胃炎",
    "支气管炎",
    "肾病综合征",
    "甲状腺功能亢进症",
    "高脂血症",
    "脂肪肝",
    "心肌梗死",
    "哮喘",
    "高血压",
    "糖尿病",
    "青光眼",
    "白内障",
    "荨麻疹",
]
ZH_ASSERTION_TEMPLATES = [
    ("否认{c}史。", "negated"),
    ("患者既往体健，否认{c}。", "negated"),
    ("未诉{c}。", "negated"),
    ("无{c}病史。", "negated"),
    ("排除{c}诊断。", "negated"),
    ("本次检查未发现{c}。", "negated"),
    ("如出现{c}，及时就诊。", "hypothetical"),
    ("若发生{c}，立即停药并复诊。", "hypothetical"),
    ("一旦出现{c}应立即就医。", "hypothetical"),
    ("告知患者有发生{c}的风险。", "hypothetical"),
    ("嘱警惕{c}。", "hypothetical"),
    ("家族史：父亲患{c}。", "family"),
    ("其兄有{c}。", "family"),
    ("外婆患有{c}。", "family"),
    ("家族中有{c}患者。", "family"),
    ("母亲死于{c}。", "family"),
    ("既往有{c}病史。", "historical"),
    ("十年前曾患{c}。", "historical"),
    ("曾因{c}住院治疗。", "historical"),
    ("幼年时患{c}。", "historical"),
    ("今日确诊{c}。", "present"),
    ("诊断：{c}。", "present"),
    ("目前{c}，予对症治疗。", "present"),
    ("考虑{c}可能性大。", "uncertain"),
    ("拟诊{c}。", "uncertain"),
]

# (text, real name, look-alikes that must stay).
EN_LOOKALIKE_NOTES = [
    (
        "Bell palsy on the left, improving. Seen with wife Mirela Dragomir.",
        "Mirela Dragomir",
        ["Bell"],
    ),
    (
        "Long-standing Raynaud phenomenon; daughter Keziah Omondi at bedside.",
        "Keziah Omondi",
        ["Raynaud"],
    ),
    ("Started Xarelto for the clot. Spoke with son Thabo Nkosi.", "Thabo Nkosi", ["Xarelto"]),
    (
        "Lyme disease after a hiking trip; husband Yerlan Sadykov present.",
        "Yerlan Sadykov",
        ["Lyme"],
    ),
    (
        "West Nile virus titers pending. Nurse Ingrid Solberg drew the labs.",
        "Ingrid Solberg",
        ["West Nile"],
    ),
    (
        "Rocky Mountain spotted fever considered; doxycycline started by Dr. Paulo Ferreira.",
        "Paulo Ferreira",
        ["Rocky Mountain", "doxycycline"],
    ),
    (
        "Addison disease on hydrocortisone; brother Emeka Chukwu called.",
        "Emeka Chukwu",
        ["Addison", "hydrocortisone"],
    ),
    ("Zoloft increased to 100 mg. Patient's sister Dagny Lund agrees.", "Dagny Lund", ["Zoloft"]),
    (
        "Keppra level therapeutic. Dr. Anil Bhattarai reviewed the EEG.",
        "Anil Bhattarai",
        ["Keppra"],
    ),
    (
        "Barrett esophagus on surveillance; mother Rosalind Achterberg came along.",
        "Rosalind Achterberg",
        ["Barrett"],
    ),
    (
        "Meniere disease flares with salt; friend Tomasz Wieczorek drove her.",
        "Tomasz Wieczorek",
        ["Meniere"],
    ),
    (
        "Denies Coumadin use. Daughter Priya Raghunathan provides the history.",
        "Priya Raghunathan",
        ["Coumadin"],
    ),
    (
        "Lasix 40 mg daily, Plavix continued. Seen by Dr. Olumide Bankole.",
        "Olumide Bankole",
        ["Lasix", "Plavix"],
    ),
    (
        "Japanese encephalitis vaccine given before travel; wife Sakura Hamada present.",
        "Sakura Hamada",
        ["Japanese"],
    ),
    (
        "Mediterranean diet advised; son Giorgos Papadakis agrees.",
        "Giorgos Papadakis",
        ["Mediterranean"],
    ),
    (
        "Tourette syndrome since childhood; mother Ines Carvalho reports tics.",
        "Ines Carvalho",
        ["Tourette"],
    ),
    ("Kawasaki disease as a toddler; father Rahul Menon recalls it.", "Rahul Menon", ["Kawasaki"]),
    (
        "Paget disease of bone, on alendronate. Neighbor Eamon Doyle drove him.",
        "Eamon Doyle",
        ["Paget", "alendronate"],
    ),
    (
        "Dupuytren contracture of the right hand; referred to Dr. Hana Novakova.",
        "Hana Novakova",
        ["Dupuytren"],
    ),
    ("Ebola exposure ruled out. Nurse Kofi Asante screened him.", "Kofi Asante", ["Ebola"]),
    ("Haldol 2 mg given for agitation; son Viktor Petrov was called.", "Viktor Petrov", ["Haldol"]),
    (
        "Zofran for nausea, Protonix daily; wife Amara Eze at bedside.",
        "Amara Eze",
        ["Zofran", "Protonix"],
    ),
    (
        "Hashimoto thyroiditis on Synthroid; husband Jonas Lindqvist asked about dosing.",
        "Jonas Lindqvist",
        ["Hashimoto", "Synthroid"],
    ),
    (
        "Wernicke encephalopathy risk, thiamine given. Dr. Farah Haddad notified.",
        "Farah Haddad",
        ["Wernicke", "thiamine"],
    ),
]
ZH_LOOKALIKE_NOTES = [
    ("香港脚反复发作，予抗真菌治疗。家属梁嘉欣陪同。", "梁嘉欣", ["香港脚"]),
    ("有克山病流行区居住史。儿子谭国栋代诉。", "谭国栋", ["克山病"]),
    ("地中海贫血基因检测阴性。主治医生何雨桐查房。", "何雨桐", ["地中海贫血"]),
    ("李斯特菌感染已排除。患者高志远诉头痛减轻。", "高志远", ["李斯特菌"]),
    ("川崎病史，冠脉正常。母亲林雅婷代诉。", "林雅婷", ["川崎病"]),
    ("桥本甲状腺炎，服用左甲状腺素钠。丈夫邓海峰陪同。", "邓海峰", ["桥本甲状腺炎"]),
    ("日本脑炎疫苗已接种。家属韦丽华签字。", "韦丽华", ["日本脑炎"]),
    ("严重程度评分为中度。主治医师曹文博查房。", "曹文博", ["严重程度"]),
    ("毛细血管充盈时间正常。护士孔晓燕测量。", "孔晓燕", ["毛细血管"]),
    ("阿尔茨海默病，记忆减退。儿子彭俊杰陪同。", "彭俊杰", ["阿尔茨海默病"]),
    ("雷诺现象，遇冷加重。女儿蒋雨欣代诉。", "蒋雨欣", ["雷诺现象"]),
    ("杜冷丁肌注止痛。陪同家属石磊。", "石磊", ["杜冷丁"]),
    ("诺如病毒感染可能。患者崔佳宁诉腹泻。", "崔佳宁", ["诺如病毒"]),
    ("金刚烷胺口服。家属贺明亮陪同。", "贺明亮", ["金刚烷胺"]),
    ("布鲁氏菌病，有牧区接触史。儿子邵宇航代诉。", "邵宇航", ["布鲁氏菌病"]),
    ("程度较轻，继续观察。女儿贾思琪陪同。", "贾思琪", ["程度"]),
    ("新疆出血热流行季节，有蜱虫叮咬史。丈夫田振宇陪同。", "田振宇", ["新疆出血热"]),
    ("予苏打水漱口，龙胆紫外涂。家属夏文杰陪同。", "夏文杰", ["苏打水", "龙胆紫"]),
    ("克罗恩病缓解期，予美沙拉秦。妻子汤晓敏陪同。", "汤晓敏", ["克罗恩病"]),
    ("梅尼埃病发作，眩晕明显。儿子熊子豪代诉。", "熊子豪", ["梅尼埃病"]),
]

# Chinese record numbers: keywords and layouts dev_v3 lacks.
ZH_ID_TEMPLATES = [
    "住院号码：{v}",
    "门诊号码 {v}，复诊。",
    "病历号码为{v}。",
    "就诊卡号：{v}",
    "诊疗卡号{v}，今日就诊。",
    "患者ID：{v}",
    "病人ID {v}",
    "登记号：{v}",
    "影像号：{v}，胸部CT。",
    "病理号：{v}，送检。",
    "检查号 {v}",
    "急诊号：{v}",
    "住院流水号：{v}",
    "姓名：某某　性别：男　住院号：{v}　科室：心内科",
    "门诊/住院号：{v}",
    "（住院号{v}）",
    "病案号:{v}",
    "住院号：No.{v}",
    "医保卡号：{v}",
    "健康卡号：{v}",
]


def _zh_id(rng: random.Random) -> str:
    forms = [
        lambda: f"{rng.randint(100000, 999999)}{rng.randint(10, 99)}",
        lambda: f"ZY{rng.randint(2018, 2026)}{rng.randint(100000, 999999)}",
        lambda: f"mz{rng.randint(1000000, 9999999)}",
        lambda: f"{rng.randint(2018, 2026)}-{rng.randint(100000, 999999)}",
        lambda: "".join(chr(ord("０") + int(d)) for d in str(rng.randint(10**7, 10**8 - 1))),
        lambda: f"P{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
        lambda: f"{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
    ]
    return rng.choice(forms)()


def build(rng: random.Random) -> dict[str, list[dict]]:
    assertions = []
    for term in EN_CONDITIONS:
        for template, gold in rng.sample(EN_ASSERTION_TEMPLATES, 5):
            text = template.format(c=term, C=term[0].upper() + term[1:])
            assertions.append({"text": text, "concept": term, "assertion": gold, "language": "en"})
    for term in ZH_CONDITIONS:
        for template, gold in rng.sample(ZH_ASSERTION_TEMPLATES, 5):
            assertions.append(
                {
                    "text": template.format(c=term),
                    "concept": term,
                    "assertion": gold,
                    "language": "zh",
                }
            )
    phi = []
    for template in ZH_ID_TEMPLATES:
        for _ in range(3):
            value = _zh_id(rng)
            phi.append({"text": template.format(v=value), "phi": [[value, "ID"]]})
    lookalikes = [
        {"text": text, "phi": [[name, "NAME"]], "lookalikes": words}
        for text, name, words in EN_LOOKALIKE_NOTES + ZH_LOOKALIKE_NOTES
    ]
    return {
        "assertions.jsonl": assertions,
        "lookalikes.jsonl": lookalikes,
        "phi_ids_zh.jsonl": phi,
    }


def main() -> None:
    write_jsonl_sets(OUT, build(random.Random(SEED)))


if __name__ == "__main__":
    main()
