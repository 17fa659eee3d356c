"""Terms and templates of the second held-out sets (``data/heldout_v2/``; ``make_heldout_v2``).

Written on 2026-12-06 before any change to the pipeline that session, from a clinician's list
of common general-hospital conditions, symptoms and drugs, not from the project's vocabulary
files; terms already in the old demo ontology or in any earlier evaluation set (development or
the first held-out set) are dropped by ``make_heldout_v2``. Gold ICD-10-CM prefixes were
written by hand and are checked to be valid codes of the CMS tabular; generic names accept the
INN and the US name where they differ. Templates are new: none of the earlier sentence patterns
is reused.
"""

from __future__ import annotations

C, S, M = "CONDITION", "SYMPTOM", "MEDICATION"
ICD, GEN = "ICD-10-CM", "GENERIC"

# (English surface, Chinese surface, TYPE, accepted codes or generic names)
CONDITIONS = [
    ("gout", "痛风", C, ["M10", "M1A"]),
    ("psoriasis", "银屑病", C, ["L40"]),
    ("hypothyroidism", "甲状腺功能减退", C, ["E03", "E02", "E89.0"]),
    ("hyperthyroidism", "甲状腺功能亢进", C, ["E05"]),
    ("osteoporosis", "骨质疏松", C, ["M80", "M81"]),
    ("rheumatoid arthritis", "类风湿关节炎", C, ["M05", "M06"]),
    ("appendicitis", "阑尾炎", C, ["K35", "K36", "K37"]),
    ("cirrhosis", "肝硬化", C, ["K74", "K70.3", "K70.4"]),
    ("peptic ulcer", "消化性溃疡", C, ["K27", "K25", "K26"]),
    ("aortic dissection", "主动脉夹层", C, ["I71.0"]),
    ("nephrolithiasis", "肾结石", C, ["N20"]),
    ("hydronephrosis", "肾积水", C, ["N13"]),
    ("prostatitis", "前列腺炎", C, ["N41"]),
    ("otitis media", "中耳炎", C, ["H65", "H66"]),
    ("sinusitis", "鼻窦炎", C, ["J01", "J32"]),
    ("tonsillitis", "扁桃体炎", C, ["J03", "J35"]),
    ("conjunctivitis", "结膜炎", C, ["H10", "B30"]),
    ("urticaria", "荨麻疹", C, ["L50"]),
    ("systemic lupus erythematosus", "系统性红斑狼疮", C, ["M32"]),
    ("ankylosing spondylitis", "强直性脊柱炎", C, ["M45", "M08.1"]),
    ("hypoglycemia", "低血糖", C, ["E16", "E11.64", "E10.64"]),
    ("hypocalcemia", "低钙血症", C, ["E83.51"]),
    ("dehydration", "脱水", C, ["E86"]),
    ("obesity", "肥胖", C, ["E66"]),
    ("generalized anxiety disorder", "广泛性焦虑障碍", C, ["F41.1"]),
    ("insomnia", "失眠", C, ["G47.0", "F51.0"]),
    ("meningitis", "脑膜炎", C, ["G03", "G00", "G01", "G02", "A87", "A39.0"]),
    ("hydrocephalus", "脑积水", C, ["G91", "Q03"]),
    ("pancytopenia", "全血细胞减少", C, ["D61.81", "D61"]),
    ("sickle cell disease", "镰状细胞病", C, ["D57"]),
    ("pulmonary tuberculosis", "肺结核", C, ["A15"]),
    ("influenza", "流行性感冒", C, ["J09", "J10", "J11"]),
    ("cholangitis", "胆管炎", C, ["K83.0", "K80"]),
    ("esophagitis", "食管炎", C, ["K20", "K21.0"]),
    ("pulmonary hypertension", "肺动脉高压", C, ["I27"]),
    ("iron overload", "铁过载", C, ["E83.11"]),
    ("nausea", "恶心", S, ["R11"]),
    ("syncope", "晕厥", S, ["R55"]),
    ("constipation", "便秘", S, ["K59.0"]),
    ("hoarseness", "声音嘶哑", S, ["R49.0"]),
    ("dysuria", "尿痛", S, ["R30"]),
    ("polyuria", "多尿", S, ["R35"]),
    ("chills", "寒战", S, ["R68.83", "R50"]),
    ("rash", "皮疹", S, ["R21"]),
    ("tremor", "震颤", S, ["R25.1", "G25"]),
    ("diplopia", "复视", S, ["H53.2"]),
    ("hiccups", "呃逆", S, ["R06.6"]),
    ("low back pain", "腰痛", S, ["M54.5", "M54"]),
]
MEDICATIONS = [
    ("allopurinol", "别嘌醇", ["allopurinol"]),
    ("colchicine", "秋水仙碱", ["colchicine"]),
    ("levothyroxine", "左甲状腺素钠", ["levothyroxine"]),
    ("alendronate", "阿仑膦酸钠", ["alendronate", "alendronic acid"]),
    ("methotrexate", "甲氨蝶呤", ["methotrexate"]),
    ("hydroxychloroquine", "羟氯喹", ["hydroxychloroquine"]),
    ("sulfasalazine", "柳氮磺吡啶", ["sulfasalazine", "salazosulfapyridine"]),
    ("tacrolimus", "他克莫司", ["tacrolimus"]),
    ("ticagrelor", "替格瑞洛", ["ticagrelor"]),
    ("heparin", "肝素", ["heparin"]),
    ("torsemide", "托拉塞米", ["torasemide", "torsemide"]),
    ("hydrochlorothiazide", "氢氯噻嗪", ["hydrochlorothiazide"]),
    ("nifedipine", "硝苯地平", ["nifedipine"]),
    ("valsartan", "缬沙坦", ["valsartan"]),
    ("propranolol", "普萘洛尔", ["propranolol"]),
    ("glimepiride", "格列美脲", ["glimepiride"]),
    ("pioglitazone", "吡格列酮", ["pioglitazone"]),
    ("liraglutide", "利拉鲁肽", ["liraglutide"]),
    ("dapagliflozin", "达格列净", ["dapagliflozin"]),
    ("budesonide", "布地奈德", ["budesonide"]),
    ("azithromycin", "阿奇霉素", ["azithromycin"]),
    ("meropenem", "美罗培南", ["meropenem"]),
    ("linezolid", "利奈唑胺", ["linezolid"]),
    ("clindamycin", "克林霉素", ["clindamycin"]),
    ("fluconazole", "氟康唑", ["fluconazole"]),
    ("oseltamivir", "奥司他韦", ["oseltamivir"]),
    ("isoniazid", "异烟肼", ["isoniazid"]),
    ("sertraline", "舍曲林", ["sertraline"]),
    ("mirtazapine", "米氮平", ["mirtazapine"]),
    ("lamotrigine", "拉莫三嗪", ["lamotrigine"]),
    ("olanzapine", "奥氮平", ["olanzapine"]),
    ("lorazepam", "劳拉西泮", ["lorazepam"]),
    ("donepezil", "盐酸多奈哌齐", ["donepezil"]),
    ("baclofen", "巴氯芬", ["baclofen"]),
    ("tramadol", "曲马多", ["tramadol"]),
    ("famotidine", "法莫替丁", ["famotidine"]),
    ("lactulose", "乳果糖", ["lactulose"]),
    ("finasteride", "非那雄胺", ["finasteride"]),
    ("dexamethasone", "地塞米松", ["dexamethasone"]),
    ("Synthroid", "", ["levothyroxine"]),
    ("Plavix", "", ["clopidogrel"]),
    ("Zoloft", "", ["sertraline"]),
    ("Ozempic", "", ["semaglutide"]),
    ("Tylenol", "", ["acetaminophen", "paracetamol"]),
    ("Lyrica", "", ["pregabalin"]),
    ("Zithromax", "", ["azithromycin"]),
]

EN_ENTITY_TEMPLATES = [
    "Pt w/ {a}, placed on {m}.",
    "{A} noted on today's exam; {m} ordered.",
    "Follow-up for {a}. Continues {m} without side effects.",
    "Problem list: {a}. Current meds: {m}.",
    "Chronic {a}, managed with {m} by her GP.",
    "Discharged home, {a} improved on {m}.",
    "Consulted for {a} - recommend {m}.",
]
ZH_ENTITY_TEMPLATES = [
    "患者{a}多年，规律服用{m}。",
    "入院诊断：{a}。予{m}对症处理。",
    "今日复查，{a}较前好转，继续{m}。",
    "主要问题：{a}；目前用药{m}。",
    "因{a}就诊，医生开具{m}。",
    "{a}，平素口服{m}控制。",
    "会诊意见：{a}，建议加用{m}。",
]

# (template, assertion); {a} is the condition as written, {A} the same capitalised.
EN_ASSERTION_TEMPLATES = [
    ("No {a} on today's exam.", "negated"),
    ("Patient denies any {a} or chest pain.", "negated"),
    ("Negative for {a}.", "negated"),
    ("{A} was ruled out by the admitting team.", "negated"),
    ("Denies fever, but reports {a} since yesterday.", "present"),
    ("Ongoing {a}, being treated on the ward.", "present"),
    ("Admitted for management of {a}.", "present"),
    ("Concern for {a}; will obtain imaging.", "uncertain"),
    ("{A} cannot be excluded at this point.", "uncertain"),
    ("Her sister was diagnosed with {a}.", "family"),
    ("Strong family history of {a} (maternal grandmother).", "family"),
    ("Had {a} as a child, none since.", "historical"),
    ("Should {a} recur, start the rescue pack.", "hypothetical"),
    ("Instructed to call if she notices {a}.", "hypothetical"),
]
ZH_ASSERTION_TEMPLATES = [
    ("未见{a}。", "negated"),
    ("排除{a}。", "negated"),
    ("否认{a}及其他慢性病史。", "negated"),
    ("无明显{a}，无发热。", "negated"),
    ("本次因{a}入院治疗。", "present"),
    ("现有{a}，正在治疗中。", "present"),
    ("无发热，但有{a}。", "present"),
    ("疑似{a}，需完善检查。", "uncertain"),
    ("{a}待排。", "uncertain"),
    ("其兄患有{a}。", "family"),
    ("家族中外婆有{a}。", "family"),
    ("十年前曾患{a}，现已痊愈。", "historical"),
    ("若出现{a}，立即复诊。", "hypothetical"),
]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def entity_rows(conditions, medications, templates, rng):
    """Each condition twice and each drug at least twice, in another template each time."""
    rows, pairs = [], []
    for _ in range(2):
        drugs = medications * (len(conditions) // len(medications) + 1)
        rng.shuffle(drugs)
        pairs += list(zip(conditions, drugs, strict=False))
        extra = conditions * (len(medications) // len(conditions) + 1)
        rng.shuffle(extra)
        pairs += list(zip(extra, medications, strict=False))
    for number, (condition, drug) in enumerate(pairs):
        template = templates[(number * 3 + rng.randint(0, 6)) % len(templates)]
        shown = _cap(condition[0]) if "{A}" in template else condition[0]
        text = template.format(a=shown, A=shown, m=drug[0])
        rows.append({"text": text, "entities": [[shown, *condition[1:]], list(drug)]})
    return rows


def assertion_rows(conditions, templates, language, rng, per_term=4):
    rows = []
    for number, condition in enumerate(conditions * per_term):
        template, assertion = templates[(number * 7 + rng.randint(0, 12)) % len(templates)]
        rows.append(
            {
                "text": template.format(a=condition[0], A=_cap(condition[0])),
                "concept": condition[0],
                "assertion": assertion,
                "language": language,
            }
        )
    return rows
