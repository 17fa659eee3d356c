"""Writes the third development sets, ``data/dev_v3/`` (run once; the JSONL is committed).

    python -m apps.medical_records.evaluation.make_dev_v3

Written on 2026-12-06 (20:30 UTC) for the Chinese vocabulary and the assertion cues of that
session, without reading the held-out sets (``heldout_v2``) or their generator's terms and
templates. Terms: a second clinician-style list written for this file (Chinese conditions,
symptoms and drugs with gold ICD-10-CM prefixes or generic names; English conditions for the
backward cues). Templates: new sentences per language. Seed 3303, so the files are reproducible.
Errors on these sets may be read and fixed; they are not held out.
"""

from __future__ import annotations

import random
from pathlib import Path

from apps.medical_records.evaluation.scores import write_jsonl_sets

# Not under data/dev/: the held-out generator drops every term it finds there.
OUT = Path(__file__).resolve().parents[1] / "data" / "dev_v3"
SEED = 3303

# Chinese conditions and symptoms: (term, accepted ICD-10-CM prefixes).
ZH_CONDITIONS = [
    ("急性胆囊炎", ["K81"]),
    ("胃溃疡", ["K25"]),
    ("肝硬化", ["K74", "K70.3"]),
    ("慢性阻塞性肺疾病", ["J44"]),
    ("支气管哮喘", ["J45"]),
    ("社区获得性肺炎", ["J18", "J15", "J12"]),
    ("心房颤动", ["I48"]),
    ("冠心病", ["I25"]),
    ("心力衰竭", ["I50"]),
    ("脑梗死", ["I63"]),
    ("蛛网膜下腔出血", ["I60"]),
    ("帕金森病", ["G20"]),
    ("癫痫", ["G40"]),
    ("偏头痛", ["G43"]),
    ("甲状腺功能减退症", ["E03"]),
    ("2型糖尿病", ["E11"]),
    ("高尿酸血症", ["E79.0"]),
    ("痛风", ["M10", "M1A"]),
    ("类风湿关节炎", ["M05", "M06"]),
    ("系统性红斑狼疮", ["M32"]),
    ("缺铁性贫血", ["D50"]),
    ("多发性骨髓瘤", ["C90"]),
    ("肾结石", ["N20"]),
    ("尿路感染", ["N39.0"]),
    ("慢性肾脏病", ["N18"]),
    ("良性前列腺增生", ["N40"]),
    ("带状疱疹", ["B02"]),
    ("银屑病", ["L40"]),
    ("抑郁症", ["F32", "F33"]),
    ("焦虑症", ["F41"]),
    ("阻塞性睡眠呼吸暂停", ["G47.33"]),
    ("骨质疏松症", ["M81", "M80"]),
    ("腰椎间盘突出症", ["M51"]),
    ("深静脉血栓形成", ["I82"]),
    ("肺栓塞", ["I26"]),
    ("上消化道出血", ["K92"]),
    ("胃食管反流病", ["K21"]),
    ("急性阑尾炎", ["K35"]),
    ("乙型肝炎", ["B16", "B18.0", "B18.1", "B19.1"]),
    ("结膜炎", ["H10"]),
    ("中耳炎", ["H65", "H66"]),
    ("子宫肌瘤", ["D25"]),
    ("咽痛", ["R07.0", "J02"]),
    ("呼吸困难", ["R06.0"]),
    ("恶心", ["R11"]),
    ("便秘", ["K59.0"]),
    ("失眠", ["G47.0", "F51.0"]),
    ("头晕", ["R42"]),
    ("皮疹", ["R21"]),
    ("关节痛", ["M25.5"]),
    ("尿频", ["R35"]),
    ("低钾血症", ["E87.6"]),
]
ZH_DRUGS = [
    ("硝苯地平", ["nifedipine"]),
    ("缬沙坦", ["valsartan"]),
    ("厄贝沙坦", ["irbesartan"]),
    ("替格瑞洛", ["ticagrelor"]),
    ("头孢呋辛", ["cefuroxime"]),
    ("哌拉西林他唑巴坦", ["piperacillin / tazobactam", "piperacillin"]),
    ("莫西沙星", ["moxifloxacin"]),
    ("美罗培南", ["meropenem"]),
    ("格列美脲", ["glimepiride"]),
    ("阿卡波糖", ["acarbose"]),
    ("甘精胰岛素", ["insulin glargine"]),
    ("雷贝拉唑", ["rabeprazole"]),
    ("多潘立酮", ["domperidone"]),
    ("丙戊酸钠", ["valproic acid", "valproate"]),
    ("奥氮平", ["olanzapine"]),
    ("帕罗西汀", ["paroxetine"]),
    ("非布司他", ["febuxostat"]),
    ("秋水仙碱", ["colchicine"]),
    ("甲氨蝶呤", ["methotrexate"]),
    ("他克莫司", ["tacrolimus"]),
    ("恩替卡韦", ["entecavir"]),
    ("伐昔洛韦", ["valacyclovir", "valaciclovir"]),
    ("氨溴索", ["ambroxol"]),
    ("塞来昔布", ["celecoxib"]),
    ("地西泮", ["diazepam"]),
    ("硝酸甘油", ["nitroglycerin", "glyceryl trinitrate"]),
]
ZH_ENTITY_TEMPLATES = [
    "患者{age}岁，因{c}于今日入院，予{d}口服。",
    "出院诊断：{c}。出院带药：{d}。",
    "初步诊断：{c}\n处理：{d} 每日一次。",
    "现病史：患者近一周出现{c}，门诊予{d}治疗，效果欠佳。",
    "既往诊断{c}，长期服用{d}。",
    "复诊：{c}控制尚可，继续{d}。",
    "急诊以“{c}”收入我科，给予{d}静脉滴注。",
    "入院后完善检查，考虑{c}诊断明确，加用{d}。",
]
# (template, assertion); {c} is the condition.
ZH_ASSERTION_TEMPLATES = [
    ("患者否认{c}。", "negated"),
    ("否认{c}病史。", "negated"),
    ("查体未见{c}。", "negated"),
    ("无{c}。", "negated"),
    ("已排除{c}。", "negated"),
    ("{c}已排除。", "negated"),
    ("影像学检查排除{c}。", "negated"),
    ("可能为{c}。", "uncertain"),
    ("疑似{c}，待进一步检查。", "uncertain"),
    ("不除外{c}。", "uncertain"),
    ("{c}不除外。", "uncertain"),
    ("{c}待排。", "uncertain"),
    ("考虑{c}可能。", "uncertain"),
    ("家族史：其父患{c}。", "family"),
    ("其母有{c}。", "family"),
    ("家族史：母亲{c}多年。", "family"),
    ("既往{c}十余年。", "historical"),
    ("既往史：{c}，已治愈。", "historical"),
    ("患者今日出现{c}。", "present"),
    ("入院诊断：{c}。", "present"),
    ("现{c}明显，予对症处理。", "present"),
]
EN_CONDITIONS = [
    "pulmonary embolism",
    "appendicitis",
    "meningitis",
    "pneumothorax",
    "cholecystitis",
    "endocarditis",
    "osteomyelitis",
    "pancreatitis",
    "sepsis",
    "deep vein thrombosis",
    "aortic dissection",
    "subarachnoid hemorrhage",
    "myocardial infarction",
    "diverticulitis",
    "tuberculosis",
    "lymphoma",
]
EN_ASSERTION_TEMPLATES = [
    ("{C} cannot be excluded.", "uncertain"),
    ("{C} cannot be ruled out at this time.", "uncertain"),
    ("{C} could not be excluded on the CT.", "uncertain"),
    ("{C} is not excluded.", "uncertain"),
    ("{C} remains a possibility.", "uncertain"),
    ("{C} was ruled out.", "negated"),
    ("{C} has been excluded.", "negated"),
    ("{C} was excluded by imaging.", "negated"),
    ("{C} is unlikely.", "negated"),
    ("Workup for {c} was negative.", "negated"),
    ("No evidence of {c}.", "negated"),
    ("Father had {c}.", "family"),
    ("Remote history of {c}.", "historical"),
    ("Admitted with {c}.", "present"),
]
# Chinese identifiers after record-number cues, in the forms Chinese notes write them.
ZH_ID_TEMPLATES = [
    "病案号：{v}",
    "病案号 {v}，患者男，{age}岁。",
    "住院号：{v}　床号：12",
    "门诊号{v}，复诊。",
    "（病案号：{v}）",
    "住院号为{v}。",
    "病案号码：{v}",
    "病历编号：{v}",
    "住院病案号：{v}",
]


# Chinese look-alikes: clinical and ordinary words that start with a surname character, and
# eponyms in Chinese, each note with one real name after a cue.
ZH_LOOKALIKE_NOTES = [
    ("患者平素体健，复查石膏固定良好。家属郑晓雯陪同。", "郑晓雯", ["平素", "石膏"]),
    ("查体：杨梅舌，考虑猩红热。女儿韩立军代诉。", "韩立军", ["杨梅舌"]),
    ("予林格液补液，温度下降。陪同家属邹静怡。", "邹静怡", ["林格液", "温度"]),
    ("陈旧性心肌梗死，计划复查。儿子范志强签字。", "范志强", ["陈旧性", "计划"]),
    ("查体巴宾斯基征阳性。主治医生卢佳琪查房。", "卢佳琪", ["巴宾斯基征"]),
    ("既往霍奇金淋巴瘤。家属姚文博陪同。", "姚文博", ["霍奇金淋巴瘤"]),
    ("腹部触及包块，康复科会诊。患者之妻钟雅琴在场。", "钟雅琴", ["包块"]),
    ("予黄体酮及白蛋白支持治疗。家属汪海涛签字。", "汪海涛", ["黄体酮", "白蛋白"]),
    ("周围血象示白细胞升高，何时复查待定。女儿谭思远陪同。", "谭思远", ["周围", "何时"]),
    ("金黄色葡萄球菌培养阳性，予万古霉素。陪同家属廖俊杰。", "廖俊杰", ["金黄色葡萄球菌"]),
    ("墨角藻提取物过敏。医生秦嘉怡记录。", "秦嘉怡", []),
    ("唐氏综合征患儿，马来酸依那普利口服。母亲孔丽娟陪同。", "孔丽娟", ["唐氏综合征", "马来酸"]),
]


def _zh_id(rng: random.Random) -> str:
    forms = [
        lambda: f"{rng.randint(1000, 9999)}{rng.randint(1000, 9999)}",
        lambda: f"{rng.randint(100, 999)}-{rng.randint(10000, 99999)}",
        lambda: f"ZY{rng.randint(100000, 999999)}",
        lambda: f"{rng.randint(2015, 2026)}{rng.randint(100000, 999999)}",
        lambda: f"MZ-{rng.randint(10000, 99999)}",
    ]
    return rng.choice(forms)()


def build(rng: random.Random) -> dict[str, list[dict]]:
    entities_zh = []
    drugs = list(ZH_DRUGS)
    for index, (term, codes) in enumerate(ZH_CONDITIONS):
        for template in rng.sample(ZH_ENTITY_TEMPLATES, 3):
            drug, generic = drugs[(index + len(entities_zh)) % len(drugs)]
            text = template.format(c=term, d=drug, age=rng.randint(18, 88))
            entities_zh.append(
                {
                    "text": text,
                    "entities": [
                        [term, "CONDITION", "ICD-10-CM", codes],
                        [drug, "MEDICATION", "GENERIC", generic],
                    ],
                }
            )
    assertions = []
    for term, _ in ZH_CONDITIONS:
        for template, gold in rng.sample(ZH_ASSERTION_TEMPLATES, 3):
            assertions.append(
                {
                    "text": template.format(c=term),
                    "concept": term,
                    "assertion": gold,
                    "language": "zh",
                }
            )
    for term in EN_CONDITIONS:
        for template, gold in rng.sample(EN_ASSERTION_TEMPLATES, 4):
            text = template.format(c=term, C=term[0].upper() + term[1:])
            assertions.append({"text": text, "concept": term, "assertion": gold, "language": "en"})
    phi = []
    for template in ZH_ID_TEMPLATES:
        for _ in range(4):
            value = _zh_id(rng)
            text = template.format(v=value, age=rng.randint(20, 80))
            phi.append({"text": text, "phi": [[value, "ID"]]})
    lookalikes = [
        {"text": text, "phi": [[name, "NAME"]], "lookalikes": words}
        for text, name, words in ZH_LOOKALIKE_NOTES
    ]
    return {
        "lookalikes_zh.jsonl": lookalikes,
        "entities_zh.jsonl": entities_zh,
        "assertions.jsonl": assertions,
        "phi_ids_zh.jsonl": phi,
    }


def main() -> None:
    write_jsonl_sets(OUT, build(random.Random(SEED)))


if __name__ == "__main__":
    main()
