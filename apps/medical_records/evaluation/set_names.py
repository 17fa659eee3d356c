"""The names and identifiers of the de-identification sets: names from lists disjoint from every
list the detectors use, the PHI notes written around them, and the look-alike notes (drug
names and eponyms that read as names beside one real name each)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Names from lists disjoint from the detectors' lists (checked in ``check_names``).
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


def check_names():
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


def phi_rows(rng):
    given, family, _ = check_names()
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


def lookalike_rows():
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


def dev_lookalike_rows():
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
