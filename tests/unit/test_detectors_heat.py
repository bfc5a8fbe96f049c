"""Abnormal heat: two stages, persistence, rate of rise, hysteresis, zone baselines, building class."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridalert.config.model import Device, Policies
from gridalert.detectors import build_detectors
from gridalert.detectors.heat import HeatDetector
from gridalert.streams.records import LocatedEvent, Place, ValidEvent

T0 = datetime(2026, 11, 22, 18, 15, tzinfo=timezone.utc)  # 02:15 in Guiyang
PLACE = Place(district="观山湖区", grid_id="G-01", grid_name="金融城第1网格", village="金融城社区", township="金华园街道")


def reading(n: int, temperature: float, *, every_s: float = 15, area: Optional[int] = 50, device: str = "tc-1",
            **extra) -> LocatedEvent:
    data = {"temperature_c": temperature, **extra}
    if area is not None:
        data["hot_area_px"] = area
    event = ValidEvent(id=f"h-{n}", event_type="heat.reading", source="urn:cam", time=T0 + timedelta(seconds=n * every_s),
                       lon=106.631, lat=26.621, data=data, device=device)
    return LocatedEvent(event=event, place=PLACE)


def feed(temperatures, policies: Policies = Policies(), devices=None, roundtrip: bool = False, **kwargs):
    detector = HeatDetector(policies, devices or {})
    state, alarms = None, []
    for n, temperature in enumerate(temperatures):
        located = reading(n, temperature, **kwargs)
        state, out = detector.on_event(state, located, located.event.time)
        if roundtrip:
            state = json.loads(json.dumps(state, default=str))
        alarms += out
    return state, alarms


def rules(alarms) -> list[str]:
    return [a.rule for a in alarms]


@pytest.mark.parametrize("temperatures, expected", [
    pytest.param([30, 30, 30], [], id="normal scene"),
    pytest.param([30, 62, 30], [], id="one hot frame is not enough"),
    pytest.param([48.5, 48.5], [], id="two frames are short of the persistence"),
    pytest.param([48.5, 48.5, 48.5], ["heat.warning"], id="three frames at the warning level open a warning"),
    pytest.param([49, 49, 49, 51, 51, 51], ["heat.warning", "heat.alarm"], id="the stage rises once to alarm"),
    pytest.param([51, 51, 51], ["heat.alarm"], id="straight to alarm when the alarm level persists"),
    pytest.param([47.9] * 10, [], id="just under the warning level"),
])
def test_stages_open_after_the_persistence(temperatures, expected):
    _, alarms = feed(temperatures)
    assert rules(alarms) == expected


def test_a_hot_region_smaller_than_the_minimum_does_not_count():
    _, alarms = feed([70, 70, 70, 70], area=2)
    assert alarms == []


def test_persistence_in_seconds_waits_for_the_time_as_well():
    policies = Policies.model_validate({"detectors": {"heat": {"persist_frames": 1, "persist_s": 60}}})
    _, alarms = feed([55, 55, 55, 55, 55], policies)  # every 15 s: the fifth reading is 60 s after the first
    assert rules(alarms) == ["heat.alarm"] and alarms[0].event.id == "h-4"


def test_rate_of_rise_alarms_before_the_threshold():
    rising = [30 + 10 * n * 15 / 60 for n in range(10)]  # 10 °C per minute, a reading every 15 s
    _, alarms = feed(rising)
    assert rules(alarms)[:1] == ["heat.rise"]
    assert alarms[0].event.data["temperature_c"] < 48
    assert "rate-of-rise ≥ 8.0 °C/min" in alarms[0].explanation


def test_a_hot_vehicle_passing_by_is_a_step_not_a_rise():
    _, alarms = feed([30, 30, 30, 30, 30, 85, 80, 30, 30])
    assert alarms == []


def test_slow_sun_warming_is_no_rise():
    _, alarms = feed([30 + 0.1 * n for n in range(40)])
    assert alarms == []


def test_an_oscillation_around_the_alarm_level_is_one_episode_one_warning_then_one_alarm():
    _, alarms = feed([51, 49.5, 51, 50.2, 49.8, 51, 52, 49, 51, 50.5] * 5)
    assert rules(alarms) == ["heat.warning", "heat.alarm"]


def test_falling_below_the_reset_level_ends_the_episode_and_a_new_crossing_alarms_again():
    _, alarms = feed([52, 52, 52, 40, 40, 40, 52, 52, 52])
    assert rules(alarms) == ["heat.alarm", "heat.alarm"]


def test_two_readings_below_reset_are_not_yet_the_end():
    _, alarms = feed([52, 52, 52, 40, 40, 52, 52, 52])
    assert rules(alarms) == ["heat.alarm"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=46.01, max_value=60), min_size=1, max_size=80))
def test_an_episode_that_never_falls_below_the_reset_level_alarms_at_most_once_per_stage(values):
    _, alarms = feed(values)  # reset level: 48 - 2 = 46 °C
    stages = rules(alarms)
    assert len(stages) == len(set(stages)) and len(stages) <= 2
    assert stages in ([], ["heat.warning"], ["heat.alarm"], ["heat.rise"], ["heat.warning", "heat.alarm"],
                      ["heat.warning", "heat.rise"])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=49.0, max_value=51.0), min_size=3, max_size=60))
def test_one_stage_oscillation_opens_at_most_one_alarm(values):
    policies = Policies.model_validate({"detectors": {"heat": {"warning_c": 50, "alarm_c": 50}}})
    _, alarms = feed(values, policies)
    assert len(alarms) <= 1


def test_a_warm_zones_learned_baseline_lifts_its_thresholds():
    warm = [46 + (0.5 if n % 2 else -0.5) for n in range(120)]
    state, alarms = feed(warm + [49.5, 49.5, 49.5], every_s=600)
    assert alarms == [] and state["baseline"] == pytest.approx(46, abs=1)


def test_a_fresh_zone_warns_at_the_configured_level():
    _, alarms = feed([49.5, 49.5, 49.5], every_s=600)
    assert rules(alarms) == ["heat.warning"]


def test_the_baseline_lift_is_bounded():
    warm = [46 + (0.5 if n % 2 else -0.5) for n in range(120)]
    _, alarms = feed(warm + [56.5, 56.5, 56.5], every_s=600)  # 50 + at most 6 °C
    assert rules(alarms) == ["heat.alarm"] and "lifted" in alarms[0].explanation


def test_zone_thresholds_override_the_districts():
    policies = Policies.model_validate({"detectors": {"heat": {"zones": {"boiler room": {"warning_c": 60, "alarm_c": 70}}}}})
    _, quiet = feed([55] * 5, policies, zone="boiler room")
    _, loud = feed([55] * 5, policies, zone="rooftop")
    assert quiet == [] and rules(loud) == ["heat.alarm"]


def test_a_zone_whose_warning_is_above_its_alarm_is_refused():
    with pytest.raises(ValueError, match="zones.boiler: warning_c 80.0 is above alarm_c 70.0"):
        Policies.model_validate({"detectors": {"heat": {"zones": {"boiler": {"warning_c": 80, "alarm_c": 70}}}}})


@pytest.mark.parametrize("building, klass", [
    (None, "own_level"), ("high_rise", "difficult"), ("wooden_village", "difficult"), ("warehouse", "upper_level"),
    ("office", "own_level"),
])
def test_building_type_raises_the_class(building, klass):
    devices = {"tc-1": Device(id="tc-1", kind="thermal_camera", lon=106.6, lat=26.6, building_type=building)} if building else {}
    _, alarms = feed([55, 55, 55], devices=devices)
    assert alarms[0].klass == klass and alarms[0].building_type == building


def test_the_class_raise_is_configurable():
    policies = Policies.model_validate({"detectors": {"heat": {"building_klass": {"warehouse": "difficult"}}}})
    _, alarms = feed([55, 55, 55], policies, building_type="warehouse")
    assert alarms[0].klass == "difficult"


def test_a_warning_has_its_own_severity_and_the_alarm_the_routes():
    _, alarms = feed([49, 49, 49, 51, 51, 51])
    assert [a.severity for a in alarms] == ["medium", "high"]


def test_the_alarm_explains_rule_thresholds_and_readings():
    _, alarms = feed([63.5, 63.5, 63.5], zone="A座屋顶空调外机")
    alarm = alarms[0]
    assert alarm.id == "h-2:heat.alarm" and alarm.dedup_key == "heat:G-01:tc-1"
    assert "temperature 63.5 °C ≥ alarm threshold 50.0 °C for 3 readings over 30 s" in alarm.explanation
    assert "hot region 50 px (minimum 4 px)" in alarm.explanation and "(rule heat.alarm)" in alarm.explanation
    assert "金融城第1网格" in alarm.title and "A座屋顶空调外机" in alarm.title


def test_state_survives_a_json_round_trip_between_readings():
    series = [30, 30, 35, 40, 45, 50, 52, 52, 40, 40, 40, 52, 52, 52]
    _, plain = feed(series)
    _, stored = feed(series, roundtrip=True)
    assert [(a.id, a.explanation) for a in plain] == [(a.id, a.explanation) for a in stored]


def test_the_heat_detector_is_registered_for_heat_readings():
    detector = build_detectors(Policies())["heat.reading"][0]
    assert detector.name == "heat" and detector.subject(reading(0, 30)) == "heat:tc-1"
    assert detector.next_due(None) is None
