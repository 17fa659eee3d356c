"""Chinese words a name or place model must not mask: drug names and clinical terms.

LAC reads transliterated drug names as people or places ("比索洛尔" → "索洛尔" PER, "加巴喷丁"
LOC, found on the development sets' Chinese sentences, which hold no identifier at all). A
model-only Chinese span is dropped when it overlaps a Chinese term of the vocabularies (project
terms and the demo ontology's Chinese labels), when it reaches into an INN stem written in
Chinese (the stems of the development sets' drugs: -olol 洛尔, -oxetine 西汀, -gliflozin 列净,
-gliptin 列汀, -xaban 沙班, -setron 司琼, -statin 他汀, -prazole 拉唑, -lukast 司特, -racetam
西坦, -dilol 地洛), or when an eponym's disease word follows it (库欣综合征, 帕金森病).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import regex

from .vocabulary import full_lexicon

SEED_NODES = Path(__file__).resolve().parents[3] / "knowledge/seeds/medical/nodes.csv"
_HAN = regex.compile(r"\p{Han}")
DRUG_STEMS = tuple("洛尔 西汀 列净 列汀 沙班 司琼 他汀 拉唑 司特 西坦 地洛".split())
# More WHO INN stems as Chinese drug names write them (the official Chinese INN list renders each
# stem the same way): -sartan 沙坦, -pril 普利, -dipine 地平, -ciclovir 洛韦, -conazole 康唑,
# -mycin 霉素, -cillin 西林, cef- 头孢, -penem 培南, -tinib 替尼, -mab 单抗, -profen 洛芬,
# -coxib 昔布, -metasone 米松, -dronate 膦酸, -parin 肝素, -thiazide 噻嗪, -azepam 西泮,
# -azolam 唑仑, -caine 卡因, -terol 特罗, -navir 那韦, -buvir 布韦, -glutide 鲁肽, gli- 格列,
# -tidine 替丁, -triptan 曲坦, -azosin 唑嗪, -imus 莫司, -platin 铂. Two-character stems that are
# also common given names (沙星, 松) are left out: a real name must not be dropped.
DRUG_STEMS += tuple(
    "沙坦 普利 地平 洛韦 康唑 霉素 西林 头孢 培南 替尼 单抗 洛芬 昔布 米松 膦酸 肝素 "
    "噻嗪 西泮 唑仑 卡因 特罗 那韦 布韦 鲁肽 格列 替丁 曲坦 唑嗪 莫司 顺铂 卡铂".split()
)
# An eponym's disease word right after the span; "病" only where it ends the word ("帕金森病，"),
# not "病情"/"病史" after a real name.
# The same for the words an eponym names in Chinese: a sign (墨菲征), a test (试验), a reflex,
# an operation, a fracture, a phenomenon, a score.
_EPONYM_NEXT = regex.compile(
    r"^(?:综合征|综合症|氏|征(?![求得集询服兵用收])|试验|反射|手术|骨折|畸形|现象|评分|分级|分型|淋巴瘤|肉瘤"
    r"|病(?=$|[，。、；：,.;:\s（(）)])"
    # Diseases named after a place, which LAC reads as the place (data/dev_v4): 日本脑炎,
    # 新疆出血热, 香港脚 (tinea pedis), 亚洲流感, 西尼罗病毒.
    r"|脑炎|脑膜炎|出血热|病毒|流感|贫血|斑疹伤寒|脚(?=[气癣]|反复|[，。、；,.;]))"
)


@lru_cache(maxsize=1)
def chinese_terms() -> regex.Pattern | None:
    terms = {surface for surface in full_lexicon() if _HAN.search(surface)}
    if SEED_NODES.exists():
        with SEED_NODES.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                for alias in [row["label"], *row["aliases"].split("|")]:
                    if _HAN.search(alias) and len(alias) >= 2:
                        terms.add(alias)
    if not terms:
        return None
    ordered = sorted(terms, key=len, reverse=True)
    return regex.compile("|".join(regex.escape(term) for term in ordered))


# jieba's dictionary (the pinned package's dict.txt: word, frequency, part of speech) marks the
# words that are also names or places (高峰, 黎明: nr; 建国: ns). Any other word of it that notes
# use often is an ordinary word a name model must not mask whole (常用词: 常规, 于是, 温度).
_NAME_TAGS = ("nr", "ns", "nt", "nz")
COMMON_WORD_MIN_FREQUENCY = 20


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Chinese words of two or more characters that jieba's dictionary never tags as a name,
    place, organisation or other proper noun, seen at least ``COMMON_WORD_MIN_FREQUENCY`` times
    in its corpus."""
    import jieba  # deferred: only Chinese notes need it

    words = set()
    with (Path(jieba.__file__).parent / "dict.txt").open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) != 3 or len(parts[0]) < 2:
                continue
            word, frequency, tag = parts
            if int(frequency) >= COMMON_WORD_MIN_FREQUENCY and not tag.startswith(_NAME_TAGS):
                words.add(word)
    return frozenset(words)


def is_chinese_lookalike(text: str, start: int, end: int) -> bool:
    """True when the model span ``text[start:end]`` (Chinese) is part of a clinical word or is
    a common word that is never a name."""
    if not _HAN.search(text[start:end]):
        return False
    if text[start:end] in common_words():
        return True
    terms = chinese_terms()
    if terms is not None:
        for match in terms.finditer(text, max(0, start - 12), min(len(text), end + 12)):
            if match.start() < end and start < match.end():
                return True
    # A stem that starts inside the span or right where it ends ("恩格" + "列净").
    window = text[start : end + 2]
    for stem in DRUG_STEMS:
        position = window.find(stem)
        if 0 <= position <= end - start:
            return True
    return bool(_EPONYM_NEXT.match(text[end : end + 3]))
