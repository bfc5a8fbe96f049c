"""Page text: templates per event type and tier, zh and en, SMS-sized titles, personal data masked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridalert.incidents.dispatch import make_order, residents_of, stand_down_text
from gridalert.incidents.routing import Responsibility
from gridalert.notifiers.messages import (EXPLANATION_MAX, TITLE_MAX, PageFacts, page_body, page_title,
                                          shorten_explanation, what, with_accept_link)
from gridalert.notifiers.privacy import (WITHHELD, is_health, mask_name, mask_phone, mask_text, scrub_data,
                                        scrub_free_text, without_health)
from gridalert.streams.records import Place
from tests.support.district import GAP, POLICIES, ROSTER, T0, TOWER, alarm, book

HEAT = "异常热源报警 Abnormal heat alarm 63.5 °C — 金融城第1网格"


def facts(**changes) -> PageFacts:
    values = dict(kind="dispatched", event_type="heat.reading", tier="grid", title=HEAT,
                  explanation="temperature 63.5 °C ≥ alarm threshold 50.0 °C (rule heat.alarm)", detail="",
                  place=TOWER, lon=106.631, lat=26.621, opened_at=T0, incident_id="INC-1",
                  accept_by=T0 + timedelta(seconds=300))
    return PageFacts(**{**values, **changes})


# --- titles -----------------------------------------------------------------------------------

@pytest.mark.parametrize("language, title", [
    ("zh", "异常热源报警 63.5 °C — 金融城第1网格·金融城社区"),
    ("en", "Abnormal heat alarm 63.5 °C — 金融城第1网格, 金融城社区"),
])
def test_the_title_names_what_and_where_in_the_districts_language(language, title):
    assert page_title(facts(), language) == title


@pytest.mark.parametrize("detector_title, zh, en", [
    ("独居老人无活动 No activity — resident r-0042 — 金融城第1网格", "独居老人无活动 老人 r-0042", "No activity resident r-0042"),
    ("网关离线 Gateway silent — gw-7 — 金融城第1网格", "网关离线 gw-7", "Gateway silent gw-7"),
    ("群众上报 Citizen report: 消防通道堵塞 — 金融城第1网格", "群众上报：消防通道堵塞", "Citizen report: 消防通道堵塞"),
    ("电气火灾隐患报警 Fire-risk wiring alarm — 金融城第1网格 — 3号楼", "电气火灾隐患报警 3号楼", "Fire-risk wiring alarm 3号楼"),
    ("没有英文的标题", "没有英文的标题", "没有英文的标题"),
])
def test_what_takes_one_language_of_the_detectors_title_and_keeps_its_details(detector_title, zh, en):
    assert what(detector_title, TOWER, "zh") == zh and what(detector_title, TOWER, "en") == en


@pytest.mark.parametrize("kind, department, zh, en", [
    ("repaged", None, "[再次] ", "[Again] "),
    ("escalated", None, "[升级] ", "[Escalated] "),
    ("dept_dispatched", "fire", "[联合处置:消防] ", "[joint dispatch:fire] "),
    ("joint_clock_breached", None, "[联合处置超时] ", "[Joint response late] "),
])
def test_the_title_starts_with_what_kind_of_page_it_is(kind, department, zh, en):
    assert page_title(facts(kind=kind, department=department), "zh").startswith(zh + "异常热源报警")
    assert page_title(facts(kind=kind, department=department), "en").startswith(en + "Abnormal heat")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_long_title_is_cut_to_one_sms_segment_and_keeps_the_place(language):
    long = facts(kind="dept_escalated", department="civil_affairs",
                 title="群众上报 Citizen report: " + "楼道堆放杂物" * 20 + " — 金融城第1网格")
    title = page_title(long, language)
    assert len(title) <= TITLE_MAX and "…" in title and title.endswith("金融城社区")


def test_an_incident_outside_every_grid_says_so():
    assert page_title(facts(place=GAP), "zh").endswith("观山湖区（网格外）")
    assert page_title(facts(place=GAP), "en").endswith("观山湖区 (outside every grid)")


# --- bodies -----------------------------------------------------------------------------------

def test_the_body_says_where_since_when_why_what_to_do_and_the_deadline_in_chinese():
    body = page_body(facts()).splitlines()
    assert body == ["地点：金融城第1网格 (G-01)，金融城社区，金华园街道",
                    "坐标：106.63100, 26.62100",
                    "开始：11-23 02:15:00",
                    "原因：temperature 63.5 °C ≥ alarm threshold 50.0 °C (rule heat.alarm)",
                    "处置：立即到场或电话核实；确认起火拨打119",
                    "事件：INC-1",
                    "请于 02:20:00 前接单"]


def test_the_body_in_english_names_the_time_zone():
    body = page_body(facts(), "en")
    assert "Since: 11-23 02:15:00 (Asia/Shanghai)" in body and "Please accept by 02:20:00 (Asia/Shanghai)" in body
    assert "To do: Check on site or by phone now" in body


@pytest.mark.parametrize("event_type, tier, todo", [
    ("heat.reading", "grid", "立即到场或电话核实"),
    ("heat.reading", "district", "调取附近视频核实"),
    ("activity.reading", "grid", "先电话联系老人"),
    ("activity.reading", "township", "督促网格员"),
    ("wiring.reading", "village", "上门排查线路"),
    ("citizen.report", "grid", "电话核实后上门处置"),
    ("smoke.reading", "grid", "请核实并处置"),
])
def test_what_to_do_depends_on_the_event_type_and_the_tier(event_type, tier, todo):
    assert f"处置：{todo}" in page_body(facts(event_type=event_type, tier=tier))


def test_a_department_is_told_to_join_and_a_leader_to_take_charge():
    assert "处置：供电：请派员到场联合处置" in page_body(facts(kind="dept_dispatched", department="power"))
    assert "To do: The joint response is late" in page_body(facts(kind="joint_clock_breached"), "en")


def test_progress_is_shown_for_a_repage_not_for_the_first_dispatch():
    assert "进展" not in page_body(facts(detail="first"))
    assert "进展：not accepted within 60 s" in page_body(facts(kind="repaged", detail="not accepted within 60 s"))


def test_a_long_explanation_drops_whole_clauses_keeping_what_fired_and_the_advice():
    text = "; ".join(["no activity since 14:05 (12 h; last: water)", *(f"clause {i} " + "x" * 40 for i in range(10)),
                      "phone first, then visit (rule activity.silence)"])
    short = shorten_explanation(text)
    assert len(short) <= EXPLANATION_MAX
    assert short.startswith("no activity since 14:05 (12 h; last: water); clause 0 ")
    assert short.endswith("; …; phone first, then visit (rule activity.silence)")
    assert all(part == "…" or part in text.split("; ") for part in short.split("; ")[2:])  # none cut
    assert shorten_explanation("short; enough; text") == "short; enough; text"
    assert len(shorten_explanation("y" * 500)) == EXPLANATION_MAX


def test_a_first_clause_too_long_by_itself_is_cut_and_the_advice_stays():
    short = shorten_explanation("z" * 500 + "; monitor only, do not cut power (rule wiring.arc)")
    assert len(short) <= EXPLANATION_MAX and short.endswith("…; monitor only, do not cut power (rule wiring.arc)")


def test_the_accept_link_is_the_last_line():
    assert with_accept_link("a\nb", "http://x/a/t").splitlines()[-1] == "接单：http://x/a/t"
    assert with_accept_link("a", "http://x/a/t", "en").splitlines()[-1] == "Accept: http://x/a/t"


def test_orders_carry_the_templated_text_in_the_policies_language():
    _, steps = book().on_alarm(None, alarm(), T0)
    zh = make_order(steps[1], Responsibility(ROSTER), POLICIES)
    en = make_order(steps[1], Responsibility(ROSTER), POLICIES.model_copy(update={"language": "en"}))
    assert zh.title.startswith("异常热源报警 63.5 °C") and "原因：" in zh.body and zh.incident_id in zh.body
    assert en.title.startswith("Abnormal heat alarm 63.5 °C") and "Why: " in en.body


# --- personal data ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, masked", [
    ("王建春", "王*春"), ("王芳", "王*"), ("欧阳娜娜", "欧**娜"), ("r-0042", "r-0042"), ("", ""),
])
def test_a_residents_name_keeps_its_first_and_last_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize("phone, masked", [
    ("13800001234", "*******1234"),
    ("+86 851 8000 0002", "+** *** **** 0002"),
    ("0851-86000002", "****-****0002"),
])
def test_a_phone_number_keeps_its_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


def test_text_has_phones_and_residents_masked_but_not_times_ids_or_readings():
    text = ("resident 王建春 silent since 11-23 14:05; call 13800001234 or +86 851 8000 0002; "
            "incident INC-20261122-17030577a7 at 106.63100, 26.62100; 1732300000000 ms; 老人：李梅; 独居老人无活动")
    masked = mask_text(text)
    assert "resident 王*春" in masked and "老人：李*" in masked and "独居老人无活动" in masked
    assert "*******1234" in masked and "+** *** **** 0002" in masked
    assert "11-23 14:05" in masked and "INC-20261122-17030577a7" in masked and "106.63100, 26.62100" in masked
    assert "1732300000000" in masked


def test_names_given_explicitly_are_masked_wherever_they_appear():
    assert mask_text("张伟 reported it; Li Ming too", names=["张伟", "Li Ming"]) == "张* reported it; L* M*** too"


def test_clauses_about_health_are_dropped_from_an_explanation():
    text, dropped = without_health("no water since 14:05; diagnosis: dementia; 用药：降压药; phone first, then visit")
    assert (text, dropped) == ("no water since 14:05; phone first, then visit", True)
    assert without_health("no water since 14:05") == ("no water since 14:05", False)


def test_a_page_never_carries_health_data_names_or_full_phones():
    body = page_body(facts(event_type="activity.reading",
                           title="独居老人无活动 No activity — resident 王建春 — 金融城第1网格",
                           explanation="resident 王建春: no activity; health: heart disease; daughter 13800001234"))
    title = page_title(facts(title="独居老人无活动 No activity — resident 王建春 — 金融城第1网格"))
    assert "王建春" not in body + title and "王*春" in title and "王*春" in body
    assert title.startswith("独居老人无活动 老人 王*春 — "), "the headline itself is no name"
    assert "heart" not in body and "健康信息不外发" in body
    assert "13800001234" not in body and "*******1234" in body


def test_quoted_event_data_loses_health_fields_and_masks_people():
    data = {"resident": "王建春", "resident_name": "王芳", "contact_phone": "13800001234", "water_m3": 0.0,
            "health": "diabetes", "diagnosis": "x", "medication": ["insulin"], "note": "call 13900001111",
            "household": {"medical_history": "x", "members": 1}}
    assert scrub_data(data) == {"resident": "王*春", "resident_name": "王*", "contact_phone": "*******1234",
                                "water_m3": 0.0, "note": "call *******1111", "household": {"members": 1}}


# Leaks found on realistic Chinese text (gap audit of issue 6).

@pytest.mark.parametrize("text, masked", [
    ("家属电话13912345678", "家属电话*******5678"),
    ("联系13912345678核实", "联系*******5678核实"),
    ("电话：0851-86000002", "电话：****-****0002"),
    ("call 13912345678.", "call *******5678."),
])
def test_a_phone_number_right_after_chinese_text_is_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", ["device tc-13912345678", "1732300000000 ms", "reading 13912345678.5"])
def test_digits_inside_an_id_or_a_longer_number_are_no_phone(text):
    assert mask_text(text) == text


@pytest.mark.parametrize("text, masked", [
    ("独居老人王建春无活动", "独居老人王*春无活动"),
    ("独居老人王芳已三天无用水", "独居老人王*已三天无用水"),
    ("居民欧阳娜娜家中无人", "居民欧**娜家中无人"),
    ("老人杨家俊在家", "老人杨*俊在家"),
    ("3栋张建国老人摔倒", "3栋张*国老人摔倒"),
    ("张建国大爷没开门", "张*国大爷没开门"),
])
def test_a_residents_name_right_after_or_before_老人_is_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", ["独居老人无活动", "高龄老人摔倒", "空巢老人", "老人孙子不在家", "老人白天外出",
                                  "金华园老人", "居民在家"])
def test_ordinary_words_after_or_before_老人_are_no_name(text):
    assert mask_text(text) == text


@pytest.mark.parametrize("text", ["老人有心脏病", "高血压", "患糖尿病多年", "老年痴呆", "失智老人", "阿尔茨海默症",
                                  "哮喘发作", "中风后独居", "去年脑梗", "肺癌晚期", "history of dementia", "asthma",
                                  "heart attack", "high blood pressure"])
def test_named_conditions_are_health_data(text):
    assert is_health(text)


@pytest.mark.parametrize("text", ["heartbeat missing since 14:05", "电线有毛病", "消防通道被堵", "no water for 12 h"])
def test_faults_and_readings_are_no_health_data(text):
    assert not is_health(text)


def test_a_citizens_free_text_loses_its_health_phrases_and_masks_names_and_phones():
    text = scrub_free_text("3栋张建国老人心脏病发作倒地, 家属电话13912345678，请尽快上门")
    assert text == f"{WITHHELD} 家属电话*******5678，请尽快上门"


def test_a_page_with_a_diagnosis_next_to_a_name_drops_the_diagnosis():
    body = page_body(facts(explanation="独居老人高建春无活动; 老人高血压; phone first"))
    assert "高血压" not in body and "血压" not in body and "高*春" in body and "健康信息不外发" in body


def test_a_resident_registered_on_a_device_is_masked_wherever_the_page_names_them():
    page = facts(title="王建春家无用水 No water", explanation="王建春家无用水 since 14:05; call 王建春 first",
                 residents=("王建春",))
    text = page_title(page) + page_body(page)
    assert "王建春" not in text and text.count("王*春") == 3


def test_only_names_of_device_residents_are_given_to_the_masker_not_their_ids():
    class Meter:
        def __init__(self, resident):
            self.resident = resident
    devices = {"wm-1": Meter("王建春"), "wm-2": Meter("r-0107"), "wm-3": Meter(None), "wm-4": Meter("王建春")}
    assert residents_of(devices) == ("王建春",)


def test_an_order_masks_the_residents_it_is_given():
    _, steps = book().on_alarm(None, alarm(), T0)
    step = steps[1]
    named = step.__class__(**{**step.asdict(), "explanation": "王建春家无用水; " + step.explanation})
    assert "王*春家无用水" in make_order(named, Responsibility(ROSTER), POLICIES, residents=("王建春",)).body


# --- stand-down: the incident resolved by itself --------------------------------------------

def self_resolved():
    incidents = book()
    state, _ = incidents.on_alarm(None, alarm(), T0)
    cleared = alarm("e-2").derive(clears=True, explanation="temperature 31.0 °C back below 45.0 °C (rule heat.alarm)")
    _, (resolved,) = incidents.on_alarm(state, cleared, T0 + timedelta(seconds=90))
    return resolved


@pytest.mark.parametrize("language, title, first_line", [
    ("zh", "[已恢复] 异常热源报警 63.5 °C — 金融城第1网格·金融城社区", "已自行恢复，无需再处置"),
    ("en", "[Resolved by itself] Abnormal heat alarm 63.5 °C — 金融城第1网格, 金融城社区",
     "Resolved by itself: no need to act any more"),
])
def test_those_paged_are_told_in_a_short_page_when_the_incident_resolved_by_itself(language, title, first_line):
    resolved = self_resolved()
    assert resolved.kind == "resolved"
    told_title, body = stand_down_text(resolved, POLICIES.model_copy(update={"language": language}))
    assert told_title == title
    lines = body.splitlines()
    assert lines[0] == first_line
    assert lines[1].endswith("temperature 31.0 °C back below 45.0 °C (rule heat.alarm)")
    assert lines[2].endswith(resolved.incident_id) and len(lines) == 3  # no accept link, no deadline


def test_an_incident_resolved_by_a_person_sends_no_stand_down():
    assert stand_down_text(self_resolved().derive(actor="gh-1"), POLICIES) is None
