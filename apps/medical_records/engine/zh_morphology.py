"""Chinese disease names built from their parts, for terms the hand-written list lacks.

Chinese clinical terms are compounds of a body part and a pathology morpheme: 肾 + 结石 (kidney
stone), 胆囊 + 息肉 (gallbladder polyp), 十二指肠 + 溃疡 (duodenal ulcer). Each part has a fixed
English rendering in the terminology (the organ's noun, its anatomical adjective, its Greek or
Latin root; the morpheme's English pattern), so a compound can be written in English the ways
ICD-10-CM writes it and looked up in ICD-10-CM's own lexicon. A compound is kept only when one
of its English forms is an ICD-10-CM surface: nothing is coded by guess.

Tables written by hand for this project from standard anatomical and pathological vocabulary
(Chinese textbook terms and their English equivalents); they name no evaluation term.
"""

from __future__ import annotations

# Chinese body part -> (English noun, anatomical adjective, Greek/Latin root for -itis, -megaly).
ORGANS: dict[str, tuple[str, str, str]] = {
    "肾": ("kidney", "renal", "nephr"),
    "肝": ("liver", "hepatic", "hepat"),
    "胆囊": ("gallbladder", "gallbladder", "cholecyst"),
    "胆管": ("bile duct", "bile duct", "cholang"),
    "胰腺": ("pancreas", "pancreatic", "pancreat"),
    "脾": ("spleen", "splenic", "splen"),
    "胃": ("stomach", "gastric", "gastr"),
    "十二指肠": ("duodenum", "duodenal", "duoden"),
    "小肠": ("small intestine", "small intestinal", "enter"),
    "结肠": ("colon", "colonic", "col"),
    "直肠": ("rectum", "rectal", "proct"),
    "食管": ("esophagus", "esophageal", "esophag"),
    "食道": ("esophagus", "esophageal", "esophag"),
    "阑尾": ("appendix", "appendiceal", "appendic"),
    "腹膜": ("peritoneum", "peritoneal", "peritone"),
    "肺": ("lung", "pulmonary", "pneumon"),
    "支气管": ("bronchus", "bronchial", "bronch"),
    "气管": ("trachea", "tracheal", "trache"),
    "胸膜": ("pleura", "pleural", "pleur"),
    "喉": ("larynx", "laryngeal", "laryng"),
    "咽": ("pharynx", "pharyngeal", "pharyng"),
    "鼻窦": ("sinus", "sinus", "sinus"),
    "心脏": ("heart", "cardiac", "cardi"),
    "心肌": ("myocardium", "myocardial", "myocard"),
    "心包": ("pericardium", "pericardial", "pericard"),
    "心内膜": ("endocardium", "endocardial", "endocard"),
    "主动脉": ("aorta", "aortic", "aort"),
    "静脉": ("vein", "venous", "phleb"),
    "动脉": ("artery", "arterial", "arter"),
    "脑": ("brain", "cerebral", "encephal"),
    "脑膜": ("meninges", "meningeal", "mening"),
    "脊髓": ("spinal cord", "spinal cord", "myel"),
    "神经": ("nerve", "neural", "neur"),
    "膀胱": ("bladder", "bladder", "cyst"),
    "尿道": ("urethra", "urethral", "urethr"),
    "输尿管": ("ureter", "ureteral", "ureter"),
    "前列腺": ("prostate", "prostatic", "prostat"),
    "睾丸": ("testis", "testicular", "orch"),
    "附睾": ("epididymis", "epididymal", "epididym"),
    "卵巢": ("ovary", "ovarian", "oophor"),
    "子宫": ("uterus", "uterine", "metr"),
    "宫颈": ("cervix uteri", "cervical", "cervic"),
    "阴道": ("vagina", "vaginal", "vagin"),
    "乳腺": ("breast", "breast", "mast"),
    "甲状腺": ("thyroid gland", "thyroid", "thyroid"),
    "肾上腺": ("adrenal gland", "adrenal", "adrenal"),
    "垂体": ("pituitary gland", "pituitary", "hypophys"),
    "皮肤": ("skin", "skin", "dermat"),
    "骨": ("bone", "bone", "oste"),
    "关节": ("joint", "joint", "arthr"),
    "肌肉": ("muscle", "muscle", "myos"),
    "肌": ("muscle", "muscle", "myos"),
    "眼": ("eye", "ocular", "ophthalm"),
    "角膜": ("cornea", "corneal", "kerat"),
    "结膜": ("conjunctiva", "conjunctival", "conjunctiv"),
    "视网膜": ("retina", "retinal", "retin"),
    "虹膜": ("iris", "iris", "ir"),
    "耳": ("ear", "ear", "ot"),
    "中耳": ("middle ear", "middle ear", "middle ear"),
    "口腔": ("mouth", "oral", "stomat"),
    "牙龈": ("gingiva", "gingival", "gingiv"),
    "舌": ("tongue", "tongue", "gloss"),
    "唾液腺": ("salivary gland", "salivary gland", "sialaden"),
    "腮腺": ("parotid gland", "parotid", "parot"),
    "淋巴结": ("lymph node", "lymph node", "lymphaden"),
    "血管": ("blood vessel", "vascular", "vascul"),
    "肋骨": ("rib", "rib", "rib"),
    "股骨": ("femur", "femoral", "femur"),
    "胫骨": ("tibia", "tibial", "tibia"),
    "腓骨": ("fibula", "fibular", "fibula"),
    "肱骨": ("humerus", "humeral", "humerus"),
    "桡骨": ("radius", "radial", "radius"),
    "尺骨": ("ulna", "ulnar", "ulna"),
    "锁骨": ("clavicle", "clavicular", "clavicle"),
    "肩胛骨": ("scapula", "scapular", "scapula"),
    "骨盆": ("pelvis", "pelvic", "pelvis"),
    "髌骨": ("patella", "patellar", "patella"),
    "颅骨": ("skull", "skull", "skull"),
    "膝": ("knee", "knee", "knee"),
    "髋": ("hip", "hip", "hip"),
    "肩": ("shoulder", "shoulder", "shoulder"),
    "肘": ("elbow", "elbow", "elbow"),
    "腕": ("wrist", "wrist", "wrist"),
    "踝": ("ankle", "ankle", "ankle"),
    "足": ("foot", "foot", "foot"),
    "手": ("hand", "hand", "hand"),
    "手指": ("finger", "finger", "finger"),
    "足趾": ("toe", "toe", "toe"),
    "小腿": ("lower leg", "lower leg", "lower leg"),
    "大腿": ("thigh", "thigh", "thigh"),
    "腰": ("lower back", "lumbar", "lumb"),
    "颈": ("neck", "neck", "cervic"),
    "颈部": ("neck", "neck", "cervic"),
    "胸部": ("chest", "chest", "thorac"),
    "腹部": ("abdomen", "abdominal", "abdomin"),
    "面部": ("face", "facial", "faci"),
    "牙": ("tooth", "dental", "odont"),
    "鼻": ("nose", "nasal", "rhin"),
}

# Chinese pathology morpheme -> English patterns ({n} noun, {a} adjective, {r} root).
MORPHEMES: dict[str, tuple[str, ...]] = {
    "炎": ("{r}itis", "{a} inflammation", "inflammation of {n}", "{n} infection"),
    "癌": ("malignant neoplasm of {n}", "{a} cancer", "carcinoma of {n}"),
    "肿瘤": ("neoplasm of {n}", "malignant neoplasm of {n}"),
    "良性肿瘤": ("benign neoplasm of {n}",),
    "恶性肿瘤": ("malignant neoplasm of {n}",),
    "结石": ("calculus of {n}", "{a} calculus", "calculus in {n}"),
    "积液": ("{a} effusion", "effusion of {n}"),
    "积水": ("hydro{r}osis", "{a} hydrops"),
    "出血": ("{a} hemorrhage", "hemorrhage of {n}", "hemorrhage from {n}"),
    "梗死": ("{a} infarction", "infarction of {n}"),
    "梗塞": ("{a} infarction", "infarction of {n}"),
    "衰竭": ("{a} failure", "{n} failure"),
    "功能衰竭": ("{a} failure", "{n} failure"),
    "功能不全": ("{a} insufficiency", "{n} insufficiency", "{a} failure"),
    "狭窄": ("{a} stenosis", "stenosis of {n}"),
    "扩张": ("{a} dilatation", "dilatation of {n}", "{r}ectasis"),
    "增生": ("hyperplasia of {n}", "{a} hyperplasia"),
    "肥大": ("hypertrophy of {n}", "{a} hypertrophy", "{r}megaly"),
    "肿大": ("{r}omegaly", "{r}megaly", "enlarged {n}"),
    "硬化": ("sclerosis of {n}", "{a} sclerosis"),
    "囊肿": ("cyst of {n}", "{a} cyst"),
    "息肉": ("polyp of {n}", "{a} polyp"),
    "溃疡": ("{a} ulcer", "ulcer of {n}"),
    "脓肿": ("abscess of {n}", "{a} abscess"),
    "损伤": ("injury of {n}", "{a} injury"),
    "骨折": ("fracture of {n}", "{a} fracture"),
    "穿孔": ("perforation of {n}", "{a} perforation"),
    "梗阻": ("obstruction of {n}", "{a} obstruction"),
    "破裂": ("rupture of {n}", "{a} rupture"),
    "栓塞": ("{a} embolism", "embolism of {n}"),
    "血栓": ("{a} thrombosis", "thrombosis of {n}"),
    "血栓形成": ("{a} thrombosis", "thrombosis of {n}"),
    "动脉瘤": ("aneurysm of {n}", "{a} aneurysm"),
    "纤维化": ("{a} fibrosis", "fibrosis of {n}"),
    "萎缩": ("atrophy of {n}", "{a} atrophy"),
    "结核": ("tuberculosis of {n}", "{a} tuberculosis"),
    "畸形": ("congenital malformation of {n}",),
    "疼痛": ("pain in {n}", "{a} pain"),
    "痛": ("pain in {n}", "{a} pain", "{r}algia"),
    "病": ("disease of {n}", "{n} disease", "{a} disease", "{r}opathy", "disorder of {n}"),
    "病变": ("disease of {n}", "{r}opathy", "disorder of {n}"),
    "功能障碍": ("{a} dysfunction", "dysfunction of {n}"),
    "肿胀": ("localized swelling, mass and lump, {n}", "swelling of {n}", "{a} swelling"),
    "肿块": ("localized swelling, mass and lump, {n}", "mass of {n}", "{a} mass"),
}
# Qualifiers written before the compound (急性胆囊炎, 慢性肾炎), rendered as an English prefix.
QUALIFIERS: dict[str, str] = {"": "", "急性": "acute ", "慢性": "chronic "}


# Compounds whose English rendering lands on another sense: 宫颈痛 is not "cervicalgia" (neck
# pain), and 神经病 is colloquial Chinese for a mental illness, not a neuropathy.
EXCLUDED = frozenset({"宫颈痛", "宫颈疼痛", "神经病"})


def compounds() -> list[tuple[str, list[str]]]:
    """Every Chinese compound (qualifier + organ + morpheme) with its English forms, most
    specific first."""
    out = []
    for qualifier, english_prefix in QUALIFIERS.items():
        for organ, (noun, adjective, root) in ORGANS.items():
            for morpheme, patterns in MORPHEMES.items():
                forms = [
                    english_prefix + pattern.format(n=noun, a=adjective, r=root)
                    for pattern in patterns
                ]
                surface = qualifier + organ + morpheme
                if organ + morpheme not in EXCLUDED:
                    out.append((surface, forms))
    return out
