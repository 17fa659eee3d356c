"""Chinese ConText and section rules (medspaCy ships English ones only).

The Chinese pipeline segments by character (``spacy.blank("zh")``), so every rule literal is
matched as a phrase across single-character tokens. Categories are medspaCy's own, so the
Chinese modifiers set the same ``is_negated``/``is_family``/... attributes as the English ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .english import bidirectional

if TYPE_CHECKING:
    from medspacy.context import ConTextRule
    from medspacy.section_detection import SectionRule


NEG, POSSIBLE, HIST, HYPO, FAMILY = (
    "NEGATED_EXISTENCE",
    "POSSIBLE_EXISTENCE",
    "HISTORICAL",
    "HYPOTHETICAL",
    "FAMILY",
)

# (literal, category, direction). A comma ends a scope only where the rule is written to stop at
# one: "无发热，咳嗽三天" negates fever, not cough; "否认高血压、糖尿病" negates both.
_RULES: list[tuple[str, str, str]] = [
    # negation
    *(
        (w, NEG, "FORWARD")
        for w in (
            "否认",
            "无",
            "没有",
            "未见",
            "未闻及",
            "未触及",
            "未发现",
            "未诉",
            "未出现",
            "未再",
            "未",
            "不伴",
            "不伴有",
            "无明显",
            "排除了",
            "已排除",
            "已除外",
            "排除",
            "除外",
            "非",
        )
    ),
    *(
        (w, NEG, "BACKWARD")
        for w in (
            "阴性",
            "（-）",
            "(-)",
            "已消失",
            "已缓解",
            "不明显",
            "已排除",
            "已除外",
            "可排除",
        )
    ),
    # uncertainty
    *(
        (w, POSSIBLE, "FORWARD")
        for w in (
            "可能",
            "疑似",
            "疑为",
            "考虑",
            "怀疑",
            "可疑",
            "不除外",
            "不排除",
            "倾向",
            "待排除",
            "拟诊",
            "需排除",
            "需除外",
            "需要排除",
            "以排除",
            "不能排除",
            "不能除外",
            "待除外",
            # A plan to exclude is not an exclusion ("必要时排除肺癌").
            "必要时排除",
            "进一步排除",
        )
    ),
    *(
        (w, POSSIBLE, "BACKWARD")
        for w in (
            "待排",
            "待查",
            "可能",
            "？",
            "?",
            "待除外",
            "可能性大",
            "不除外",
            "不排除",
            "不能排除",
            "不能除外",
        )
    ),
    # history
    *(
        (w, HIST, "FORWARD")
        for w in ("既往", "既往史", "曾患", "曾有", "曾经", "曾", "多年前", "幼时", "早年", "以往")
    ),
    # Childhood and youth (found on data/dev_v4: "幼年时患荨麻疹" came out present).
    *(
        (w, HIST, "FORWARD")
        for w in ("幼年", "童年", "儿时", "小时候", "年幼时", "少年时", "青年时")
    ),
    *((w, HIST, "BACKWARD") for w in ("病史", "史", "多年", "已治愈", "已痊愈", "治愈后")),
    *((w, HIST, "BIDIRECTIONAL") for w in ("年前", "月前", "年曾")),
    # hypothetical
    *(
        (w, HYPO, "FORWARD")
        for w in (
            "如出现",
            "若出现",
            "如有",
            "若有",
            "如果",
            "如",
            "若",
            "一旦",
            "警惕",
            "预防",
            "以防",
            "防止",
            "注意观察有无",
            "有无",
            # Risk and prevention phrasing (data/dev_v4: "告知患者有发生糖尿病的风险" came out
            # present).
            "有发生",
            "可能发生",
            "以免",
            "避免",
            "谨防",
        )
    ),
    *((w, HYPO, "BACKWARD") for w in ("的风险", "风险")),
    # family
    *(
        (w, FAMILY, "FORWARD")
        for w in (
            "母亲",
            "父亲",
            "其母",
            "其父",
            "母",
            "父",
            "家族史",
            "家族中",
            "家族",
            "兄弟",
            "姐妹",
            "哥哥",
            "姐姐",
            "弟弟",
            "妹妹",
            "祖父",
            "祖母",
            "外祖父",
            "外祖母",
            "爷爷",
            "奶奶",
            "儿子",
            "女儿",
            "亲属",
            "舅舅",
            "叔叔",
            "姑姑",
            "阿姨",
            "其兄",
            "其姐",
            "其弟",
            "其妹",
            "其子",
            "其女",
            "外公",
            "外婆",
            "伯父",
            "舅父",
            "姨母",
            "同胞",
            "一级亲属",
            # Longer than the pseudo "父母" (parents as company), so these win the overlap.
            "父母均有",
            "父母均患",
            "父母有",
            "父母患",
        )
    ),
    # scope terminators
    *(
        (w, "TERMINATE", "TERMINATE")
        for w in (
            "但",
            "但是",
            "然而",
            "现",
            "目前",
            "今",
            "今日",
            "此次",
            "本次",
            "，",
            ",",
            "伴",
            "并",
        )
    ),
]

# Phrases that contain a trigger but are not one. Overlapping modifiers are pruned to the
# longest, so "出现" (appears) swallows the "现" (now) terminator inside it, and "无力"
# (weakness) the "无" (no).
_PSEUDO = (
    "出现",
    "今日出现",
    "今出现",
    "现出现",
    "近日出现",
    "近期出现",
    "反复出现",
    "再次出现",
    "突发",
    "无诱因",
    "无明显诱因",
    "无明显原因",
    "未予",
    "未规律",
    "未经",
    "未治疗",
    "无力",
    "父母",
    "母婴",
)


def context_rules() -> list[ConTextRule]:
    from medspacy.context import ConTextRule  # medspaCy loads with the pipeline, not at import

    rules = [
        ConTextRule(literal, category, direction=direction, max_scope=12)
        for literal, category, direction in bidirectional(_RULES)
    ]
    rules.extend(ConTextRule(literal, "PSEUDO", direction="PSEUDO") for literal in _PSEUDO)
    return rules


# Chinese section headers -> medspaCy's section categories (so the same mapping applies).
_SECTIONS = {
    "主诉": "chief_complaint",
    "现病史": "history_of_present_illness",
    "既往史": "past_medical_history",
    "手术史": "past_surgical_history",
    "个人史": "social_history",
    "家族史": "family_history",
    "过敏史": "allergy",
    "药物过敏史": "allergy",
    "体格检查": "physical_exam",
    "查体": "physical_exam",
    # Short headers end the section before them too ("检查：血压 160/100" after 家族史 is the
    # patient's own measurement, not the family's).
    "检查": "physical_exam",
    "体检": "physical_exam",
    "专科检查": "physical_exam",
    "检验": "labs_and_studies",
    "化验": "labs_and_studies",
    "影像": "labs_and_studies",
    "评估": "assessment",
    "医嘱": "plan",
    "建议": "plan",
    "处置": "plan",
    "辅助检查": "labs_and_studies",
    "实验室检查": "labs_and_studies",
    "诊断": "diagnoses",
    "初步诊断": "diagnoses",
    "出院诊断": "diagnoses",
    "用药": "medications",
    "目前用药": "medications",
    "治疗计划": "plan",
    "诊疗计划": "plan",
    "处理": "plan",
}


def section_rules() -> list[SectionRule]:
    from medspacy.section_detection import SectionRule  # medspaCy loads with the pipeline

    rules = []
    for literal, category in _SECTIONS.items():
        rules.append(SectionRule(f"{literal}：", category))
        rules.append(SectionRule(f"{literal}:", category))
    return rules
