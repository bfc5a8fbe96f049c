"""Personal data kept out of pages (个人信息最小化): masked names and phones, no health data.

A page travels over SMS gateways and chat apps and stays on a phone; it says only what the person
paged needs to act. Pure functions on text and plain data; nothing here knows incidents or Kafka.

- A resident's name keeps its first and last character: 王建春 → 王*春; a two-character name
  keeps the surname: 王芳 → 王*. Ids such as ``r-0042`` are not names and stay as they are.
- A phone number keeps its last 4 digits: 13800001234 → *******1234, +86 851 8000 0002 →
  +** *** **** 0002.
- Health data (health, diagnosis, medication and their Chinese terms) is dropped: whole fields
  from event data, whole clauses (``; ``-separated) from an explanation.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

HEALTH_WORDS = ("health", "diagnos", "medication", "medicine", "medical", "illness", "disease", "prescription",
                "健康", "病情", "病史", "诊断", "用药", "药物", "疾病", "处方")
HAN_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,6}$")

# Chinese mobiles (11 digits from 13x to 19x), optionally with +86; landlines written with +86 or a
# leading 0 and a separator. Never inside a longer run of digits, an id or a decimal number.
_EDGE_BEFORE, _EDGE_AFTER = r"(?<![\w.+\-])", r"(?![\w.])"
PHONE = re.compile(_EDGE_BEFORE + r"(?:"
                   r"(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}"      # mobile
                   r"|\+86[\s-]?\d{2,3}(?:[\s-]?\d){7,8}"            # landline, international form
                   r"|0\d{2,3}[\s-]\d{7,8}"                          # landline, 0851-8000 0002
                   r")" + _EDGE_AFTER)
# "resident X" (the activity detector's words), "居民 X", "老人：X": X may be a name. A separator
# is required, or "独居老人无活动" would read as the resident 无活动.
_RESIDENT = re.compile(r"(resident|居民|老人)(\s+|[:：]\s*)([^\s;,，；:：()（）—]+)")


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


def is_health(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in HEALTH_WORDS)


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with phone numbers, the residents it names and ``names`` masked."""
    for name in sorted((n for n in names if n and n.strip()), key=len, reverse=True):
        text = text.replace(name, _mask_any_name(name))
    text = _RESIDENT.sub(lambda m: m.group(1) + m.group(2) + mask_name(m.group(3)), text)
    return PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def without_health(text: str, separator: str = "; ") -> tuple[str, bool]:
    """``text`` without the clauses that mention health data, and whether any was dropped."""
    clauses = text.split(separator)
    kept = [c for c in clauses if not is_health(c)]
    return separator.join(kept), len(kept) != len(clauses)


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
