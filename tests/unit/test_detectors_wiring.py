"""Fire-risk wiring: residual current, arc faults, cable temperature, per-device limits, household file."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridalert.config.model import Device, Policies
from gridalert.detectors.wiring import WiringDetector
from gridalert.streams.records import LocatedEvent, Place, ValidEvent

T0 = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)
PLACE = Place(district="石阡县", grid_id="SQ-07", grid_name="楼上村第2网格", village="楼上村", township="国荣乡")


def reading(n: int, data: dict, *, device: str = "wm-1", at: datetime | None = None) -> LocatedEvent:
    data = {"residual_current_ma": 150, **data}
    event = ValidEvent(id=f"w-{device}-{n}", event_type="wiring.reading", source="urn:efm",
                       time=at or T0 + timedelta(seconds=30 * n), lon=108.2, lat=27.5, data=data, device=device)
    return LocatedEvent(event=event, place=PLACE)


def feed(readings, policies: Policies = Policies(), devices=None, state=None, roundtrip=False):
    detector = WiringDetector(policies, devices or {})
    alarms = []
    for located in readings:
        state, out = detector.on_event(state, located, located.event.time)
        if roundtrip:
            state = json.loads(json.dumps(state, default=str))
        alarms += out
    return state, alarms


def series(values, field="residual_current_ma", device="wm-1"):
    return [reading(n, {field: v}, device=device) for n, v in enumerate(values)]


@pytest.mark.parametrize("field, values, expected", [
    pytest.param("residual_current_ma", [150, 180, 120], [], id="natural leakage"),
    pytest.param("residual_current_ma", [150, 520, 150], [], id="one inrush spike"),
    pytest.param("residual_current_ma", [320, 330], [("wiring.residual_current", "medium")], id="300 mA warns"),
    pytest.param("residual_current_ma", [520, 530], [("wiring.residual_current", "high")], id="500 mA alarms"),
    pytest.param("residual_current_ma", [320, 330, 520, 530],
                 [("wiring.residual_current", "medium"), ("wiring.residual_current", "high")], id="warning then alarm"),
    pytest.param("arc_half_cycles", [9, 9, 9], [], id="nine half-cycles are ignored"),
    pytest.param("arc_half_cycles", [12, 40], [("wiring.arc_fault", "high")], id="arcing above nine alarms"),
    pytest.param("arc_half_cycles", [12, 3, 14], [], id="arcing must persist"),
    pytest.param("cable_temperature_c", [62, 63], [("wiring.cable_temperature", "medium")], id="warm cable warns"),
    pytest.param("cable_temperature_c", [72, 75], [("wiring.cable_temperature", "high")], id="hot cable alarms"),
])
def test_thresholds_and_persistence(field, values, expected):
    _, alarms = feed(series(values, field))
    assert [(a.rule, a.severity) for a in alarms] == expected


def test_the_alarm_never_asks_for_power_to_be_cut():
    _, alarms = feed(series([520, 530]))
    assert "monitor only, do not cut power" in alarms[0].explanation
    assert "alarm: residual current 530 mA ≥ 500 mA for 2 readings" in alarms[0].explanation


def test_per_device_limits_override_the_districts():
    policies = Policies.model_validate({"detectors": {"wiring": {"devices": {
        "wm-workshop": {"residual_ma_warning": 400, "residual_ma_alarm": 700}}}}})
    _, workshop = feed(series([350, 360, 380], device="wm-workshop"), policies)
    _, house = feed(series([350, 360, 380], device="wm-house"), policies)
    _, workshop_high = feed(series([720, 730], device="wm-workshop"), policies)
    assert workshop == [] and [a.rule for a in house] == ["wiring.residual_current"]
    assert "730 mA ≥ 700 mA" in workshop_high[0].explanation


def test_per_device_limits_are_checked_at_load():
    with pytest.raises(ValueError, match="devices.wm-9: residual_ma_warning 600.0 is above residual_ma_alarm 500.0"):
        Policies.model_validate({"detectors": {"wiring": {"devices": {"wm-9": {"residual_ma_warning": 600}}}}})


def test_leakage_hovering_at_the_warning_level_warns_once():
    _, alarms = feed(series([290, 310, 305, 295, 320, 299, 301, 330, 290, 310] * 4))
    assert len(alarms) == 1


def test_after_three_readings_below_the_reset_level_a_new_episode_alarms_again():
    _, alarms = feed(series([320, 330, 200, 200, 200, 320, 330]))
    assert len(alarms) == 2


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(min_value=251, max_value=480), min_size=2, max_size=60))
def test_leakage_that_never_falls_below_the_reset_level_warns_at_most_once(values):
    _, alarms = feed(series(values))
    assert len(alarms) <= 1


def episodes(days_apart, device="wm-1"):
    readings = []
    for k, day in enumerate(days_apart):
        start = T0 + timedelta(days=day)
        readings += [reading(10 * k + n, {"residual_current_ma": v}, device=device, at=start + timedelta(seconds=30 * n))
                     for n, v in enumerate([520, 530, 100, 100, 100])]
    return readings


def test_the_household_file_shows_a_recurring_fault():
    state, alarms = feed(episodes([0, 9, 20]))
    assert alarms[-1].explanation.split("; ")[1].startswith("3rd alarm in 30 days (household file 一户一档)")
    assert "earlier 11-01 residual_current, 11-10 residual_current" in alarms[-1].explanation
    assert len(state["file"]) == 3


def test_old_entries_do_not_count_as_recurrence():
    _, alarms = feed(episodes([0, 40]))
    assert "1st alarm in 30 days" in alarms[-1].explanation


def test_the_household_file_keeps_the_last_entries_only():
    policies = Policies.model_validate({"detectors": {"wiring": {"history_size": 3}}})
    state, _ = feed(episodes(range(6)), policies)
    assert len(state["file"]) == 3 and state["file"][0][0] == (T0 + timedelta(days=3, seconds=30)).timestamp()


def test_a_warning_that_rises_to_an_alarm_is_one_entry_in_the_file():
    state, alarms = feed(series([320, 330, 520, 530]))
    assert len(alarms) == 2 and len(state["file"]) == 1 and state["file"][0][2] == 2


def test_the_household_is_named_when_the_registry_knows_it():
    devices = {"wm-1": Device(id="wm-1", kind="wiring_monitor", lon=108.2, lat=27.5, household="楼上村-07",
                              building_type="wooden_village")}
    _, alarms = feed(series([520, 530]), devices=devices)
    assert "household 楼上村-07" in alarms[0].explanation and alarms[0].building_type == "wooden_village"


def test_several_findings_in_one_reading_make_one_alarm_named_for_the_worst():
    readings = [reading(n, {"residual_current_ma": 330, "arc_half_cycles": 20}) for n in range(2)]
    _, alarms = feed(readings)
    assert len(alarms) == 1 and alarms[0].rule == "wiring.arc_fault" and alarms[0].id == "w-wm-1-1:wiring.arc_fault"
    assert "residual current 330 mA" in alarms[0].explanation


def test_state_survives_a_json_round_trip_between_readings():
    readings = episodes([0, 9, 20])
    _, plain = feed(readings)
    _, stored = feed(readings, roundtrip=True)
    assert [(a.id, a.explanation) for a in plain] == [(a.id, a.explanation) for a in stored]
