"""Detect, incident and dispatch cores: from a located reading to an order with the right people."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gridalert.config.model import Policies, Roster
from gridalert.detectors import detect
from gridalert.incidents.book import apply_alarm
from gridalert.incidents.dispatch import make_order
from gridalert.incidents.routing import Responsibility
from gridalert.streams.records import LocatedEvent, Place, ValidEvent

T0 = datetime(2026, 11, 22, 18, 15, tzinfo=timezone.utc)  # 02:15 in Guiyang
TOWER = Place(district="观山湖区", grid_id="G-01", grid_name="金融城第1网格", village="金融城社区", township="金华园街道")
GAP = Place(district="观山湖区", reason="unassigned")

ROSTER = Roster.model_validate({"staff": [
    {"id": "gh-1", "name": "王芳", "role": "grid_head", "area": "G-01", "channels": ["json://127.0.0.1/inbox/gh-1"]},
    {"id": "vs-1", "name": "李强", "role": "village_secretary", "area": "金融城社区", "channels": ["json://127.0.0.1/x"]},
    {"id": "dd-1", "name": "张伟", "role": "district_duty", "area": "观山湖区", "channels": ["json://127.0.0.1/y"]},
]})


def reading(event_id: str, temperature: float, place: Place = TOWER, device: str = "tc-1") -> LocatedEvent:
    event = ValidEvent(id=event_id, event_type="heat.reading", source="urn:gw", time=T0, lon=106.631, lat=26.621,
                       data={"temperature_c": temperature}, device=device)
    return LocatedEvent(event=event, place=place)


@pytest.mark.parametrize("temperature, fires", [(49.9, False), (50.0, True), (63.5, True)])
def test_heat_alarms_at_or_above_the_configured_threshold(temperature, fires):
    assert (detect(reading("e", temperature), Policies(), T0) is not None) is fires


def test_threshold_comes_from_policies():
    policies = Policies.model_validate({"detectors": {"heat": {"alarm_c": 70}}})
    assert detect(reading("e", 63.5), policies, T0) is None


def test_alarm_explains_reading_and_rule():
    alarm = detect(reading("e", 63.5), Policies(), T0)
    assert "63.5 °C ≥ alarm threshold 50.0 °C" in alarm.explanation and "金融城第1网格" in alarm.title


def open_incident(event_id="e-1", temperature=63.5, state=None, place=TOWER):
    alarm = detect(reading(event_id, temperature, place), Policies(), T0)
    assignment = Responsibility(ROSTER).assign(alarm.place, "grid")
    return apply_alarm(state, alarm, assignment=assignment, now=T0)


def test_new_alarm_opens_and_dispatches_an_incident_at_the_grid_tier():
    state, steps = open_incident()
    assert [(s.seq, s.kind, s.status, s.tier) for s in steps] == [
        (1, "opened", "new", "grid"), (2, "dispatched", "dispatched", "grid")]
    assert "王芳" in steps[1].detail


def test_replayed_event_changes_nothing():
    state, first = open_incident()
    again, steps = open_incident(state=state)
    assert steps == [] and again == state


def test_another_alarm_for_the_same_thing_adds_to_the_open_incident_and_pages_nobody():
    state, first = open_incident()
    _, steps = open_incident("e-2", 58.0, state=state)
    assert [(s.incident_id, s.seq, s.kind) for s in steps] == [(first[0].incident_id, 3, "alarm_repeated")]


def test_incident_ids_are_deterministic_so_a_rerun_after_a_crash_repeats_them():
    assert open_incident()[1][0].id == open_incident()[1][0].id


def test_point_outside_every_grid_goes_to_the_district_duty_officer():
    _, steps = open_incident(place=GAP)
    assert steps[1].tier == "district" and "张伟" in steps[1].detail and "in no grid (unassigned)" in steps[1].detail


def test_tier_without_staff_climbs_to_the_next_tier_and_says_so():
    other = Place(district="观山湖区", grid_id="G-09", grid_name="g9", village="金融城社区", township="金华园街道")
    assignment = Responsibility(ROSTER).assign(other, "grid")
    assert assignment.tier == "village" and "no grid_head on the roster for G-09" in assignment.note


def test_order_names_responders_and_a_deadline_from_the_tier_policy():
    _, steps = open_incident()
    order = make_order(steps[1], Responsibility(ROSTER), Policies())
    assert order.responders == ["gh-1"] and order.tier == "grid"
    assert order.accept_by == steps[1].at + timedelta(seconds=300)
    assert "金融城第1网格" in order.body and order.incident_id in order.body


def test_only_dispatched_steps_make_orders():
    _, steps = open_incident()
    assert make_order(steps[0], Responsibility(ROSTER), Policies()) is None
