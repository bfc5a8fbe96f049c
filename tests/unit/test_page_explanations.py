"""Pages carry what a responder needs of a real detector's explanation: the readings, the rule
and its thresholds, why data may be missing, the household file and the safety advice."""

from __future__ import annotations

from datetime import timedelta

from gridalert.config.model import Device
from gridalert.notifiers.messages import EXPLANATION_MAX, page_body
from gridalert.streams.records import Alarm
from tests.unit.test_detectors_activity import Resident, local, morning, regular_days
from tests.unit.test_detectors_wiring import T0 as WIRING_T0
from tests.unit.test_detectors_wiring import episodes, feed, reading
from tests.unit.test_messages import facts


def why_line(alarm: Alarm, language: str = "zh") -> str:
    body = page_body(facts(event_type=alarm.event.event_type, explanation=alarm.explanation), language)
    line = next(line for line in body.splitlines() if line.startswith(("原因：", "Why: ")))
    return line.split("：" if language == "zh" else ": ", 1)[1]


def a_missed_routine_while_the_gateway_is_down() -> Alarm:
    r = Resident()
    regular_days(r, 20)
    morning(r, 20, "09:00")
    r.clock(local(20, "21:00"))  # nothing arrives after 09:00
    return r.alarms[0]


def test_a_missed_routine_page_keeps_its_threshold_and_the_gateway_that_may_be_down():
    alarm = a_missed_routine_while_the_gateway_is_down()
    assert alarm.rule == "activity.routine" and len(alarm.explanation) > EXPLANATION_MAX
    why = why_line(alarm)
    assert "no water, power, door or motion activity since 11-22 09:00" in why
    assert "on most of its 20 learned days: less than once in 100,000 under this household's habits" in why
    assert "the devices or their gateway gw-1 may be down" in why
    assert why.endswith("; …; phone first, then visit (rule activity.routine)")


def test_a_silence_page_keeps_the_window_the_water_limit_and_the_gateway_that_may_be_down():
    r = Resident()
    r.send(local(0, "08:00"), motion=5)
    r.clock(local(0, "21:00"))
    why = why_line(r.alarms[0], "en")
    assert "every channel silent ≥ 12 h: water 0.000 m³ in the window (< 0.01 m³)" in why
    assert "no readings at all since 11-02 08:00: the devices or their gateway gw-1 may be down" in why
    assert why.endswith("phone first, then visit (rule activity.silence)")


def test_a_wiring_page_keeps_the_household_file_and_never_asks_to_cut_power():
    devices = {"wm-1": Device(id="wm-1", kind="electrical_fire_monitor", lon=108.2, lat=27.5,
                              household="楼上村-07-木楼", building_type="wooden_village")}
    faults = [{"residual_current_ma": 580, "arc_half_cycles": 15, "cable_temperature_c": 76}] * 2
    day_9 = WIRING_T0 + timedelta(days=9)
    last_day = [reading(100 + n, data, at=day_9 + timedelta(seconds=30 * n)) for n, data in enumerate(faults)]
    _, alarms = feed(episodes([0, 5]) + last_day, devices=devices)
    alarm = alarms[-1]
    assert len(alarm.explanation) > EXPLANATION_MAX
    why = why_line(alarm)
    assert "residual current 580 mA ≥ 500 mA" in why and "≥ 70.0 °C" in why
    assert "≥ 10 (9 or fewer are ignored)" in why
    assert ("3rd alarm in 30 days (household file 一户一档): earlier 11-01 residual_current, "
            "11-06 residual_current") in why
    assert why.endswith("monitor only, do not cut power (rule wiring.residual_current)")
