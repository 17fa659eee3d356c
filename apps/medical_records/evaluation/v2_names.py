"""Names, identifiers and look-alike notes of the second held-out sets (``data/heldout_v2/``).

English names come from Georgian, Armenian, Finnish, Icelandic, Maori, Turkish, Indonesian,
Amharic, Somali, Mongolian, Nepali and Tibetan name lists, none used by an earlier set; every
one found in the census lists the gazetteer uses is dropped (``make_heldout_v2`` prints them).
Chinese names use surnames outside the recognizer's surname list and outside the earlier sets,
with given-name characters no earlier set used; compound surnames appear only beside a cue.
Look-alikes are eponyms and drug names no earlier set used, and, in Chinese, words that begin
with a common surname character (高血压, 白细胞, 叶酸, 孟鲁司特…).
"""

from __future__ import annotations

EN_GIVEN = """
Giorgi Nino Levan Irakli Ketevan Zurab Aram Anahit Tigran Hasmik Gevorg Lusine Vardan Siranush
Jukka Aino Eero Tuula Pirjo Sirkka Veikko Sigurdur Gudrun Bjarni Thorunn Aroha Tamati Wiremu
Hemi Ngaire Rawiri Mehmet Ayse Emre Zeynep Burak Elif Oguz Gulsen Wahyu Dewi Agus Ratna
Tesfaye Almaz Mulugeta Genet Abebe Selamawit Abdirahman Hodan Faduma Liban Batbayar
Oyuntsetseg Ganbold Enkhjargal Bolormaa Bikash Sarita Dipesh Tenzin Pema Dolma
""".split()
EN_FAMILY = """
Beridze Kapanadze Gelashvili Tsiklauri Hovhannisyan Petrosyan Sargsyan Grigoryan Virtanen
Korhonen Nieminen Makinen Haapala Sigurdsson Gudmundsdottir Ngata Tuhiwai Parata Yilmaz
Ozturk Celik Aydin Arslan Sutrisno Wibowo Hartono Kusuma Setiawan Bekele Tadesse Gebremedhin
Desta Warsame Jama Mohamud Batbold Ganbaatar Tserendorj Shrestha Thapa Gurung Tamang Adhikari
Lhamo Dorjee Norbu
""".split()
ZH_SURNAMES = "冼佘禤蒯谌亓郗逯晏栾鄢闵糜訾厍殳甄牟邝"
ZH_GIVEN = "昕骁弈琛璟曦蔚湉筠霁淼砚钰朗桐沁珂韬琰翎"
ZH_COMPOUND = ["东方", "南宫", "夏侯", "公孙", "端木", "宇文"]

EN_NO_CUE = [
    "{n} thinks the swelling got worse over the weekend.",
    "Discussed the biopsy results with {n} by phone.",
    "{n} has been checking her sugars twice a day.",
    "Will update {n} after rounds.",
    "{n} declined the flu shot today.",
    "Handed the discharge folder to {n}.",
    "{n} is worried about the cost of the inhaler.",
    "Message left for {n} regarding the MRI slot.",
    "{f} agrees with the plan.",
    "{l} at bedside, asking about visiting hours.",
]
EN_CUE = [
    "Referred by Dr. {n} (cardiology), pager {p}.",
    "Next of kin: {n}, wife, {p}.",
    "Pt {n} DOB {d}, MRN {i}.",
    "Patient's daughter {n}, email {e}.",
    "Lives with his partner {n} in {c}; home phone {p}.",
]
EN_CITIES = ["Duluth", "Sheboygan", "Tuscaloosa", "Flagstaff", "Pocatello", "Missoula", "Ithaca"]
ZH_NO_CUE = [
    "{n}反映夜间咳嗽加重。",
    "今日查房时{n}诉头晕。",
    "{n}签署了知情同意书。",
    "检查结果已交给{n}。",
    "{n}询问出院后饮食注意事项。",
    "请{n}明日上午复诊。",
    "{n}表示愿意配合治疗。",
    "{n}拒绝进一步检查。",
]
ZH_CUE = [
    "联系人：{n}（配偶），手机{p}。",
    "主治医师{n}，科室电话{t}。",
    "患者姓名：{n}，病案号{i}，出生日期{d}。",
    "儿子{n}，现住{a}。",
]
ZH_PLACES = [
    ("浙江省", "绍兴市", "越城区", "环城西路"),
    ("福建省", "泉州市", "丰泽区", "丰泽街"),
    ("河南省", "洛阳市", "涧西区", "延安路"),
    ("广西壮族自治区", "柳州市", "城中区", "文化路"),
]

LOOKALIKES_EN = [
    ("Guillain-Barre syndrome last year; wife {n} at bedside.", ["Guillain", "Barre"]),
    ("Sjogren syndrome on Plaquenil. Son {n} visited.", ["Sjogren", "Plaquenil"]),
    ("Marfan habitus noted; brother {n} has the same build.", ["Marfan"]),
    ("Positive Murphy sign. Husband {n} drove her in.", ["Murphy"]),
    ("Tender at McBurney point; mother {n} present.", ["McBurney"]),
    ("Foley catheter removed, Holter monitor placed. Niece {n} informed.", ["Foley", "Holter"]),
    ("Wernicke encephalopathy excluded; thiamine given. Friend {n} here.", ["Wernicke"]),
    ("Dupuytren contracture of the right hand. Daughter {n} asks about surgery.", ["Dupuytren"]),
    ("Kussmaul breathing on arrival. Partner {n} called 911.", ["Kussmaul"]),
    (
        "Colles fracture in a cast; on Norco and Keflex. Son {n} helps at home.",
        ["Colles", "Norco", "Keflex"],
    ),
    (
        "Takes Lipitor, Coreg and Norvasc. Wife {n} fills the pill box.",
        ["Lipitor", "Coreg", "Norvasc"],
    ),
    ("Switched from Lantus to Levemir; brother {n} learned the pen.", ["Lantus", "Levemir"]),
    (
        "Valsalva maneuver tried, Trendelenburg position. Nurse {n} assisted.",
        ["Valsalva", "Trendelenburg"],
    ),
    ("Glasgow coma scale 15. Uncle {n} waiting outside.", ["Glasgow"]),
    ("Bence Jones protein negative; sister {n} called.", ["Bence Jones"]),
    ("On Ambien and Benadryl at night. Husband {n} reports snoring.", ["Ambien", "Benadryl"]),
    ("Heberden nodes both hands; on Celebrex. Daughter {n} here.", ["Heberden", "Celebrex"]),
    ("Horner syndrome on the left. Son {n} noticed the droopy eyelid.", ["Horner"]),
    ("Paget disease of bone on Fosamax; cousin {n} present.", ["Paget", "Fosamax"]),
    ("Whipple procedure in 2019, on Creon. Wife {n} asks about diet.", ["Whipple", "Creon"]),
]
LOOKALIKES_ZH = [
    ("高血压十年，白细胞正常，丈夫{n}陪同。", ["高血压", "白细胞"]),
    ("服用叶酸和孟鲁司特，女儿{n}在场。", ["叶酸", "孟鲁司特"]),
    ("金黄色葡萄球菌感染，予林可霉素，家属{n}签字。", ["金黄色葡萄球菌", "林可霉素"]),
    ("胆结石术后，常规复查，儿子{n}陪诊。", ["胆结石", "常规"]),
    ("白塞病史，口服秋水仙碱，母亲{n}探视。", ["白塞病"]),
    ("格林-巴利综合征恢复期，妻子{n}照顾。", ["格林-巴利综合征"]),
    ("梅尼埃病发作，雷贝拉唑口服中，哥哥{n}陪同。", ["梅尼埃病", "雷贝拉唑"]),
    ("马凡综合征随访，罗红霉素已停，姐姐{n}在场。", ["马凡综合征", "罗红霉素"]),
    ("墨菲征阳性，麦氏点无压痛，丈夫{n}陪同。", ["墨菲征", "麦氏点"]),
    ("史蒂文斯-约翰逊综合征病史，女儿{n}提供用药清单。", ["史蒂文斯-约翰逊综合征"]),
    ("韦尼克脑病已排除，补充维生素B1，家属{n}知情。", ["韦尼克脑病"]),
    ("甘精胰岛素每晚10单位，每次约10分钟注射，儿子{n}协助。", ["甘精胰岛素", "10分钟"]),
    ("卡波西肉瘤治疗后，方案不变，妻子{n}陪同。", ["卡波西肉瘤", "方案"]),
    ("贝尔面瘫恢复中，黄疸已退，父亲{n}在场。", ["贝尔面瘫", "黄疸"]),
    ("霍纳综合征待查，于是完善头颅MRI，女儿{n}陪同。", ["霍纳综合征", "于是"]),
]


def phi_rows(rng, given, family, zh_surnames):
    rows = []
    for number in range(100):
        first, last = rng.choice(given), rng.choice(family)
        name = f"{first} {last}"
        template = EN_NO_CUE[number % len(EN_NO_CUE)]
        if "{f}" in template:
            shown = first
        elif "{l}" in template:
            shown = first.lower()
        else:
            shown = name
        text = template.format(n=shown, f=shown, l=shown)
        rows.append({"text": text, "phi": [[shown, "NAME"]], "cue": False})
    for number in range(40):
        name = f"{rng.choice(given)} {rng.choice(family)}"
        phone = f"{rng.randint(201, 989)}-555-{rng.randint(1000, 9999):04d}"
        email = f"{name.split()[1].lower()}{rng.randint(1, 9)}@mailbox.net"
        mrn = f"{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        date = f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/19{rng.randint(40, 99)}"
        city = rng.choice(EN_CITIES)
        text = EN_CUE[number % len(EN_CUE)].format(n=name, p=phone, e=email, i=mrn, d=date, c=city)
        phi = [[name, "NAME"]]
        for value, kind in (
            (phone, "PHONE"),
            (email, "EMAIL"),
            (mrn, "ID"),
            (date, "DATE"),
            (city, "LOCATION"),
        ):
            if value in text:
                phi.append([value, kind])
        rows.append({"text": text, "phi": phi, "cue": True})
    for number in range(80):
        name = rng.choice(zh_surnames) + "".join(rng.sample(ZH_GIVEN, 1 + number % 2))
        text = ZH_NO_CUE[number % len(ZH_NO_CUE)].format(n=name)
        rows.append({"text": text, "phi": [[name, "NAME"]], "cue": False})
    for number in range(32):
        surname = rng.choice(ZH_COMPOUND) if number % 4 == 0 else rng.choice(zh_surnames)
        name = surname + "".join(rng.sample(ZH_GIVEN, 1 + number % 2))
        province, city, district, street = rng.choice(ZH_PLACES)
        address = f"{province}{city}{district}{street}{rng.randint(1, 400)}号{rng.randint(1, 30)}幢"
        phone = f"1{rng.choice('58')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        landline = f"0{rng.randint(371, 799)}-{rng.randint(2000000, 8999999)}"
        mrn = f"{rng.randint(100000, 999999)}"
        date = f"19{rng.randint(40, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        text = ZH_CUE[number % len(ZH_CUE)].format(
            n=name, p=phone, t=landline, i=mrn, d=date, a=address
        )
        phi = [[name, "NAME"]]
        for value, kind in (
            (phone, "PHONE"),
            (landline, "PHONE"),
            (mrn, "ID"),
            (date, "DATE"),
            (address, "ADDRESS"),
        ):
            if value in text:
                phi.append([value, kind])
        rows.append({"text": text, "phi": phi, "cue": True})
    return rows


def lookalike_rows(rng, given, family, zh_surnames):
    rows = []
    for template, lookalikes in LOOKALIKES_EN:
        name = f"{rng.choice(given)} {rng.choice(family)}"
        rows.append(
            {"text": template.format(n=name), "phi": [[name, "NAME"]], "lookalikes": lookalikes}
        )
    for template, lookalikes in LOOKALIKES_ZH:
        name = rng.choice(zh_surnames) + "".join(rng.sample(ZH_GIVEN, 2))
        rows.append(
            {"text": template.format(n=name), "phi": [[name, "NAME"]], "lookalikes": lookalikes}
        )
    return rows
