"""Page text (通知内容): one template per event type and tier, in Simplified Chinese or English.

A page must be read on a phone, often as SMS, by someone woken at 2 a.m.; so:

- the **title** (the first line of an SMS) is at most ``TITLE_MAX`` characters (70: one Chinese
  SMS segment) and names what and where: ``[再次] 异常热源报警 63.5 °C — 金融城第1网格·金融城社区``;
- the **body** then says where exactly, since when, why (the detector's explanation, quoted, at
  most ``EXPLANATION_MAX`` characters: whole clauses of detail are dropped, never the readings, the
  rule and its thresholds or the advice; see ``shorten_explanation``),
  what to do (by event type and tier), the incident id and the acceptance deadline; the notify
  stage appends each person's own accept link (``with_accept_link``);
- personal data is minimised (``notifiers.privacy``): residents' names and phone numbers are
  masked, clauses about health are dropped.

The language is the district's ``language`` in ``policies.yaml`` (``zh`` by default, or ``en``).
Detectors write bilingual titles (``异常热源报警 Abnormal heat alarm 63.5 °C — <grid>``); the
Chinese or English half is taken, with the numbers and labels of the other half kept.

Pure: no clock, no I/O. A new event type adds one ``TEMPLATES`` entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Optional
from zoneinfo import ZoneInfo

from gridalert.notifiers.privacy import mask_text, without_health
from gridalert.streams.records import Place

Language = Literal["zh", "en"]
LANGUAGES: tuple[str, ...] = ("zh", "en")
TITLE_MAX = 70
EXPLANATION_MAX = 400  # the essentials of the longest alarm (a silent home whose gateway is down) fit
LOW_TIERS = ("unit", "grid", "village")  # people who go themselves; above them, people who coordinate


@dataclass(frozen=True)
class Template:
    """What to do, for those who go (unit, grid, village tier) and for those who coordinate."""

    go: tuple[str, str]          # (zh, en)
    coordinate: tuple[str, str]

    def todo(self, tier: str, language: Language) -> str:
        text = self.go if tier in LOW_TIERS else self.coordinate
        return text[LANGUAGES.index(language)]


TEMPLATES: dict[str, Template] = {
    "heat.reading": Template(
        go=("立即到场或电话核实；确认起火拨打119", "Check on site or by phone now; call 119 if it is a fire"),
        coordinate=("调取附近视频核实，协调消防、物业、供电处置",
                    "Verify on nearby video; coordinate fire, property and power teams")),
    "wiring.reading": Template(
        go=("上门排查线路（监测只报警不断电），请电工到场", "Inspect the wiring on site (monitoring never cuts power); call an electrician"),
        coordinate=("组织供电、消防上门排查", "Send power and fire teams to inspect")),
    "activity.reading": Template(
        go=("先电话联系老人，无人接听即上门查看", "Phone the resident first; visit if nobody answers"),
        coordinate=("督促网格员电话联系并上门查看", "Make sure the grid worker phones and visits")),
    "gateway.heartbeat": Template(
        go=("检查网关供电和网络", "Check the gateway's power and network"),
        coordinate=("联系运维检查网关", "Have maintenance check the gateway")),
    "citizen.report": Template(
        go=("电话核实后上门处置，办结后反馈", "Check by phone, handle on site, report back"),
        coordinate=("协调相关部门处置", "Coordinate the departments concerned")),
}
DEFAULT = Template(go=("请核实并处置", "Check and handle it"), coordinate=("请核实并协调处置", "Verify and coordinate"))

# what kind of page this is, before the title
LEADS: dict[str, tuple[str, str]] = {
    "dispatched": ("", ""), "dept_dispatched": ("", ""),
    "repaged": ("[再次]", "[Again]"), "dept_repaged": ("[再次]", "[Again]"),
    "escalated": ("[升级]", "[Escalated]"), "dept_escalated": ("[升级]", "[Escalated]"),
    "reassigned": ("[改派]", "[Reassigned]"), "unsilenced": ("[静默结束]", "[Silence over]"),
    "raised": ("[升级为报警]", "[Raised]"), "joint_clock_breached": ("[联合处置超时]", "[Joint response late]"),
    "stood_down": ("[已恢复]", "[Resolved by itself]"),
}
STAND_DOWN = ("已自行恢复，无需再处置", "Resolved by itself: no need to act any more")
DEPARTMENTS = {"fire": "消防", "power": "供电", "property": "物业", "police": "公安", "health": "卫健",
               "civil_affairs": "民政", "gas": "燃气", "water": "供水"}
LEADER_TODO = ("联合处置超时，请督办", "The joint response is late: please take charge")
DEPT_TODO = ("{dept}：请派员到场联合处置", "{dept}: send a team to the joint response")

LABELS = {
    "zh": {"place": "地点", "point": "坐标", "since": "开始", "why": "原因", "now": "进展", "todo": "处置",
           "incident": "事件", "deadline": "请于 {t} 前接单", "accept": "接单", "outside": "网格外",
           "health": "（健康信息不外发）", "joint": "联合处置"},
    "en": {"place": "Place", "point": "Point", "since": "Since", "why": "Why", "now": "Now", "todo": "To do",
           "incident": "Incident", "deadline": "Please accept by {t}", "accept": "Accept",
           "outside": "outside every grid", "health": "(health details withheld)", "joint": "joint dispatch"},
}
_UNITS = re.compile(r"-?\d+(?:\.\d+)?\s?(?:°C|mA|m³|kWh|%)")
_HEAD = re.compile(r"^([^\x00-\x7f][^A-Za-z]*?)\s+([A-Za-z].*)$")
_DETAIL_WORDS = {"zh": {"resident ": "老人 "}, "en": {}}


@dataclass(frozen=True)
class PageFacts:
    """What a page says, as plain values (built from an incident's timeline step)."""

    kind: str
    event_type: str
    tier: str
    title: str
    explanation: str
    detail: str
    place: Place
    lon: float
    lat: float
    opened_at: datetime
    incident_id: str
    accept_by: datetime
    department: Optional[str] = None
    residents: tuple[str, ...] = ()  # names registered in devices.yaml: masked wherever they appear


def _where(place: Place, language: Language) -> str:
    if place.grid_id is None:
        return f"{place.district}（{LABELS['zh']['outside']}）" if language == "zh" else \
            f"{place.district} ({LABELS['en']['outside']})"
    names = [n for n in (place.grid_name or place.grid_id, place.village) if n]
    return ("·" if language == "zh" else ", ").join(names)


def what(title: str, place: Place, language: Language) -> str:
    """The detector's title in one language, without the place (the page names it its own way).

    ``异常热源报警 Abnormal heat alarm 63.5 °C — 金融城第1网格`` → ``异常热源报警 63.5 °C`` (zh) or
    ``Abnormal heat alarm 63.5 °C`` (en); ``— gw-3 —`` style details are kept after the headline.
    """
    segments = [s.strip() for s in title.split(" — ")]
    places = {place.grid_name, place.grid_id, place.district}
    head, details = segments[0], [s for s in segments[1:] if s and s not in places]
    found = _HEAD.match(head)
    if found:
        zh, en = found.group(1).strip(), found.group(2).strip()
        if language == "en":
            head = en
        else:
            extras = _UNITS.findall(en)
            label = en.split(":", 1)[1].strip() if ":" in en else ""
            head = zh + (f"：{label}" if label and label not in zh else "") + "".join(f" {x}" for x in extras)
    for word, local in _DETAIL_WORDS[language].items():
        details = [d.replace(word, local) for d in details]
    return " ".join([head, *details])


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:max(limit - 1, 0)] + "…"


def clauses(text: str) -> list[str]:
    """The ``; ``-separated clauses of an explanation, not splitting inside parentheses
    (``since 09:00 (3 h; last: motion)`` is one clause)."""
    found, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += (c in "(（") - (c in ")）")
        if depth <= 0 and text.startswith("; ", i):
            found.append(text[start:i])
            start = i + 2
    return found + [text[start:]]


def shorten_explanation(text: str, limit: int = EXPLANATION_MAX) -> str:
    """At most ``limit`` characters, dropping whole clauses, never cutting one in the middle.

    Detectors write what fired (readings against the rule's thresholds) in the first clause, what
    to do or not to do and the rule in the last (``phone first, then visit (rule activity.silence)``,
    ``monitor only, do not cut power (rule …)``), and the clauses between them most important first.
    Both ends stay; the middle ones are kept in order while they fit, and ``…`` marks where some
    were dropped. Only a first or last clause too long by itself is cut.
    """
    if len(text) <= limit:
        return text
    parts = clauses(text)
    if len(parts) < 2:
        return _fit(text, limit)
    head, middle, tail = parts[0], parts[1:-1], parts[-1]
    room = limit - len(tail) - 2
    if len(head) + 3 > room:  # "…; " would not fit: the ends only, the first one cut
        return _fit(f"{_fit(head, max(room, 1))}; {tail}", limit)
    kept, used = [head], len(head) + 3  # room for the "; …" marker
    for part in middle:
        if used + len(part) + 2 > room:
            break
        kept.append(part)
        used += len(part) + 2
    return "; ".join([*kept, "…", tail])


def _lead(facts: PageFacts, language: Language) -> str:
    lead = LEADS.get(facts.kind, ("", ""))[LANGUAGES.index(language)]
    if facts.department:
        dept = DEPARTMENTS.get(facts.department, facts.department) if language == "zh" else facts.department
        lead += f"[{LABELS[language]['joint']}:{dept}]"
    return lead + " " if lead else ""


def page_title(facts: PageFacts, language: Language = "zh") -> str:
    """At most ``TITLE_MAX`` characters: lead, what, and where (grid, village)."""
    lead, where = _lead(facts, language), _where(facts.place, language)
    body = mask_text(what(facts.title, facts.place, language), facts.residents)
    room = TITLE_MAX - len(lead) - len(where) - 3
    if room < 8:  # a very long place name: keep what, cut the place
        return _fit(f"{lead}{body} — {where}", TITLE_MAX)
    return f"{lead}{_fit(body, room)} — {where}"


def _todo(facts: PageFacts, language: Language) -> str:
    i = LANGUAGES.index(language)
    if facts.kind == "joint_clock_breached":
        return LEADER_TODO[i]
    if facts.department:
        dept = DEPARTMENTS.get(facts.department, facts.department) if language == "zh" else facts.department
        return DEPT_TODO[i].format(dept=dept)
    return TEMPLATES.get(facts.event_type, DEFAULT).todo(facts.tier, language)


def page_body(facts: PageFacts, language: Language = "zh", tz: ZoneInfo = ZoneInfo("Asia/Shanghai")) -> str:
    """The lines after the title, without the accept link (``with_accept_link`` adds it per person)."""
    words = LABELS[language]
    colon = "：" if language == "zh" else ": "
    place = facts.place
    where = (f"{place.grid_name or place.grid_id} ({place.grid_id})，{place.village}，{place.township}"
             if language == "zh" else place.label()) if place.grid_id else _where(place, language)
    if place.unit_id:  # with a units file: the household group, so the grid knows whose door it is
        unit = f"十联户 {place.unit_id}，" if language == "zh" else f"unit {place.unit_id}, "
        where = unit + where
    # health first: a masked name must not hide a diagnosis from the health filter
    why, withheld = without_health(facts.explanation)
    why = mask_text(why, facts.residents)
    why = shorten_explanation(why) + (words["health"] if withheld else "")
    since = facts.opened_at.astimezone(tz)
    deadline = facts.accept_by.astimezone(tz)
    zone = "" if language == "zh" else f" ({tz.key})"
    lines = [f"{words['place']}{colon}{where}",
             f"{words['point']}{colon}{facts.lon:.5f}, {facts.lat:.5f}",
             f"{words['since']}{colon}{since:%m-%d %H:%M:%S}{zone}",
             f"{words['why']}{colon}{why}"]
    if facts.detail and facts.kind not in ("dispatched", "dept_dispatched"):
        lines.append(f"{words['now']}{colon}{_fit(mask_text(facts.detail, facts.residents), 120)}")
    lines += [f"{words['todo']}{colon}{_todo(facts, language)}",
              f"{words['incident']}{colon}{facts.incident_id}",
              words["deadline"].format(t=f"{deadline:%H:%M:%S}{zone}")]
    return "\n".join(lines)


def stand_down_body(facts: PageFacts, language: Language = "zh") -> str:
    """A short page for those already paged when the incident resolved by itself (activity
    resumed, the gateway is back): why, in the words of the clearing alarm, and the incident id.
    ``facts.detail`` is the ``resolved`` step's ``resolved by itself: …``."""
    words = LABELS[language]
    colon = "：" if language == "zh" else ": "
    why, withheld = without_health(facts.detail.removeprefix("resolved by itself: "))  # health first, as above
    why = mask_text(why, facts.residents)
    return "\n".join([STAND_DOWN[LANGUAGES.index(language)],
                      f"{words['why']}{colon}{shorten_explanation(why)}" + (words["health"] if withheld else ""),
                      f"{words['incident']}{colon}{facts.incident_id}"])


def with_accept_link(body: str, url: str, language: Language = "zh") -> str:
    """The body with one person's accept link as its last line."""
    colon = "：" if language == "zh" else ": "
    return f"{body}\n{LABELS[language]['accept']}{colon}{url}"
