"""Personal data kept out of pages (个人信息最小化): masked names and phones, no health data.

A page travels over SMS gateways and chat apps and stays on a phone; it says only what the person
paged needs to act. Pure functions on text and plain data; nothing here knows incidents or Kafka.

- A resident's name keeps its first and last character: 王建春 → 王*春; a two-character name
  keeps the surname: 王芳 → 王*. Ids such as ``r-0042`` are not names and stay as they are.
- A phone number keeps its last 4 digits: 13800001234 → *******1234, +86 851 8000 0002 →
  +** *** **** 0002.
- Health data (health, diagnosis, medication, named conditions such as 心脏病, 高血压, 痴呆, and
  their Chinese and English terms) is dropped: whole fields from event data, whole clauses
  (``; ``-separated) from an explanation, whole sentences or phrases from a citizen's free text
  (``scrub_free_text``).
- Names are found after "resident", 居民 or 老人, with or without a separator (独居老人王建春无活动),
  and before 老人, 大爷, 奶奶 … (张建国老人). Without a separator a name is a common surname
  and one or two more characters, cut where words that follow names begin (无, 在, 家中 …), so
  独居老人无活动 or 高龄老人 stay words. Known names (``names``) are masked wherever they appear.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

HEALTH_WORDS = ("health", "diagnos", "medication", "medicine", "medical", "illness", "disease", "prescription",
                "heart attack", "heart condition", "heart failure", "cardiac", "hypertension", "blood pressure",
                "diabet", "dementia", "alzheimer", "asthma", "stroke", "cancer", "tumour", "tumor", "epilep",
                "psychiatr", "mental ill", "depression", "dialysis", "chemotherapy", "pregnan",
                "健康", "病情", "病史", "诊断", "用药", "药物", "服药", "吃药", "疾病", "处方",
                "心脏", "心梗", "心肌", "冠心", "高血压", "血压", "糖尿", "血糖", "痴呆", "失智", "阿尔茨海默",
                "哮喘", "中风", "脑梗", "脑溢血", "脑出血", "癌", "肿瘤", "癫痫", "抑郁", "精神病", "精神疾",
                "透析", "化疗", "怀孕", "艾滋", "肝炎", "结核", "残疾", "瘫痪", "慢性病", "病")
HAN_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,6}$")

# Chinese mobiles (11 digits from 13x to 19x), optionally with +86; landlines written with +86 or a
# leading 0 and a separator. Never inside a longer run of digits, an id or a decimal number.
# Chinese text runs straight into a number (家属电话13912345678), so only Latin letters, digits
# and number punctuation count as "inside" — not any word character. A full stop ends a sentence
# unless a digit follows it (a decimal).
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![0-9A-Za-z_.+\-])", r"(?![0-9A-Za-z_]|\.\d)"
PHONE = re.compile(_EDGE_BEFORE + r"(?:"
                   r"(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}"      # mobile
                   r"|\+86[\s-]?\d{2,3}(?:[\s-]?\d){7,8}"            # landline, international form
                   r"|0\d{2,3}[\s-]\d{7,8}"                          # landline, 0851-8000 0002
                   r")" + _EDGE_AFTER)
# "resident X" (the activity detector's words), "居民 X", "老人：X": X may be a name. A separator
# is required, or "独居老人无活动" would read as the resident 无活动.
_RESIDENT = re.compile(r"(resident|居民|老人)(\s+|[:：]\s*)([^\s;,，；:：()（）—]+)")

# Without a separator a name is a surname and one or two characters. The common surnames
# (百家姓 by frequency), less those that mostly begin ordinary words after 老人 (于, 常, 向 …).
_COMPOUND_SURNAMES = ("欧阳", "上官", "司马", "诸葛", "东方", "皇甫", "慕容", "司徒", "令狐", "夏侯")
_SURNAMES = ("王李张刘陈杨黄赵周吴徐孙马胡朱郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁"
             "任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵覃武钱戴严"
             "莫孔汤康易乔赖文施洪牛樊葛邢安齐伍庞颜倪聂章鲁岳翟殷詹申耿关兰焦俞左柳甘祝包宁尚符舒阮"
             "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农")
_HAN = r"[\u4e00-\u9fff]"
_SURNAME = "(?:" + "|".join(_COMPOUND_SURNAMES) + "|[" + _SURNAMES + "])"
# Characters that never begin a given name but often follow 老人 or a name (无活动, 在家, 已送医 …).
_NOT_GIVEN = set("无的在已未被和与及们了是有没不也又还都说从到因去里该此每将要正需请让把给对为由至疑似均突独居晕昏"
                 "跌摔倒死失报求呼叫病今昨近连等于")
# Words that begin with a surname character but are no name (高龄老人, 老人白天, 老人孙子 …).
_NOT_NAMES = ("高龄", "高血", "高烧", "高温", "白天", "常年", "方便", "向来", "任何", "文化", "万一", "金额", "孙子", "孙女",
              "周围", "周边", "周末", "马上", "马路", "曾经", "许多", "许久", "陆续", "严重", "康复", "程度", "余额",
              "黄昏", "夏天", "夏季", "江边", "田间", "田里", "付款", "单独", "安全", "时间", "时候", "成功", "华侨",
              "路上", "路边", "房间", "房屋", "屈指", "毛病", "钱包", "关门", "关于", "齐全", "宁可", "尚未", "解决",
              "管理", "包括", "童年", "左右", "安装", "申请", "兰州", "阳台", "时常", "农村", "农民", "游玩", "谷物")
_AFTER_KIN = re.compile(r"(老人|居民)(" + _SURNAME + _HAN + "{1,2})")
_BEFORE_KIN = re.compile(r"(?<![\u4e00-\u9fff·])(" + _SURNAME + _HAN + "{1,2})(老人|大爷|大妈|奶奶|爷爷|婆婆|阿婆|老伯)"
                         r"|(?<=[栋楼号室元组户])(" + _SURNAME + _HAN + "{1,2})(老人|大爷|大妈|奶奶|爷爷|婆婆|阿婆|老伯)")
# A name does not end in a place word (金华园老人 is where the elder lives).
_PLACE_END = set("园区村镇城街路楼院组社栋号室寨乡坝湾坡")


def _surname_and_given(candidate: str) -> tuple[str, str]:
    surname = next((c for c in _COMPOUND_SURNAMES if candidate.startswith(c)), candidate[0])
    return surname, candidate[len(surname):]


def _is_name(candidate: str) -> bool:
    given = _surname_and_given(candidate)[1]
    return (bool(given) and given[0] not in _NOT_GIVEN and not candidate.startswith(_NOT_NAMES)
            and not given.startswith(("家中", "家里", "家人", "家属")) and candidate[-1] not in _PLACE_END)


def _name_after(match: re.Match) -> str:
    """老人王建春无活动: the name is cut before the first character that follows names."""
    kin, candidate = match.group(1), match.group(2)
    surname, given = _surname_and_given(candidate)
    if len(given) == 2 and given[1] in _NOT_GIVEN:
        given = given[:1]
    name = surname + given
    if not _is_name(name):
        return match.group(0)
    return kin + mask_name(name) + candidate[len(name):]


def _name_before(match: re.Match) -> str:
    candidate, kin = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return (mask_name(candidate) if _is_name(candidate) else candidate) + kin


def mask_name(name: str) -> str:
    """A person's name with the middle hidden: 王建春 → 王*春, 王芳 → 王*, 欧阳娜娜 → 欧**娜.

    Text that is not a Chinese name (an id, a Latin name) is returned as it is, since it is either
    no name at all or not recognisable as one; names in Latin script are masked word by word
    when given explicitly to ``mask_text``.
    """
    name = name.strip()
    if HAN_NAME.match(name):
        if len(name) == 2:
            return name[0] + "*"
        return name[0] + "*" * (len(name) - 2) + name[-1]
    return name


def _mask_any_name(name: str) -> str:
    """Like ``mask_name``, but for a name known to be one: Latin names keep their initials."""
    if HAN_NAME.match(name.strip()):
        return mask_name(name)
    return " ".join(word[0] + "*" * (len(word) - 1) if len(word) > 1 else word for word in name.split())


def mask_phone(phone: str) -> str:
    """Every digit but the last 4 replaced by ``*``; separators and ``+`` kept."""
    digits = sum(c.isdigit() for c in phone)
    seen, out = 0, []
    for c in phone:
        if c.isdigit():
            seen += 1
            out.append(c if seen > digits - 4 else "*")
        else:
            out.append(c)
    return "".join(out)


# Words with a health character that are no health data (毛病: a fault, as in 电线有毛病).
_NOT_HEALTH = ("毛病",)


def is_health(text: str) -> bool:
    lowered = text.lower()
    for word in _NOT_HEALTH:
        lowered = lowered.replace(word, "")
    return any(word in lowered for word in HEALTH_WORDS)


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with phone numbers, the residents it names and ``names`` masked."""
    for name in sorted((n for n in names if n and n.strip()), key=len, reverse=True):
        text = text.replace(name, _mask_any_name(name))
    text = _RESIDENT.sub(lambda m: m.group(1) + m.group(2) + mask_name(m.group(3)), text)
    text = _AFTER_KIN.sub(_name_after, text)
    text = _BEFORE_KIN.sub(_name_before, text)
    return PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def without_health(text: str, separator: str = "; ") -> tuple[str, bool]:
    """``text`` without the clauses that mention health data, and whether any was dropped."""
    clauses = text.split(separator)
    kept = [c for c in clauses if not is_health(c)]
    return separator.join(kept), len(kept) != len(clauses)


# A citizen's free text: sentences and phrases end at Chinese or Latin punctuation.
_PHRASE_END = re.compile(r"(?<=[，。；！？,;!?])")
WITHHELD = "[…]"


def scrub_free_text(text: str, names: Iterable[str] = ()) -> str:
    """Free text from outside (a citizen's description) fit for a page: the phrases that mention
    health replaced by ``WITHHELD``, names and phones masked. Health is judged before masking,
    so a masked word cannot hide a diagnosis."""
    kept, dropped = [], False
    for phrase in _PHRASE_END.split(text):
        if is_health(phrase):
            if not dropped:  # one mark for a run of withheld phrases
                kept.append(phrase[:len(phrase) - len(phrase.lstrip())] + WITHHELD)
            dropped = True
            continue
        kept.append(phrase)
        dropped = False
    return mask_text("".join(kept).strip(), names)


def scrub_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Event data fit to quote in a page: health fields dropped, names and phones masked."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if is_health(key):
            continue
        if isinstance(value, Mapping):
            out[key] = scrub_data(value)
        elif isinstance(value, str):
            lowered = key.lower()
            if "phone" in lowered or "contact" in lowered or "电话" in key:
                out[key] = mask_phone(value)
            elif "name" in lowered or "resident" in lowered or "姓名" in key:
                out[key] = _mask_any_name(value) if "name" in lowered or "姓名" in key else mask_name(value)
            else:
                out[key] = mask_text(value)
        else:
            out[key] = value
    return out
