"""Detectors, routing and orders: from a located reading to an order naming the right people."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridalert.config.model import Policies
from gridalert.incidents.dispatch import make_order
from gridalert.incidents.policy import plan_for
from gridalert.incidents.routing import Responsibility
from gridalert.streams.records import Place
from tests.support.district import (GAP, POLICIES, ROSTER, T0, alarm, book, detect, reading,
                                    wooden_village_wiring)


@pytest.mark.parametrize("temperature, fires", [(49.9, False), (50.0, True), (63.5, True)])
def test_heat_alarms_at_or_above_the_configured_threshold(temperature, fires):
    assert (detect(reading("e", temperature), Policies(), T0) is not None) is fires


def test_threshold_comes_from_policies():
    policies = Policies.model_validate({"detectors": {"heat": {"alarm_c": 70}}})
    assert detect(reading("e", 63.5), policies, T0) is None


def test_alarm_explains_reading_and_rule():
    found = detect(reading("e", 63.5), Policies(), T0)
    assert "63.5 °C ≥ alarm threshold 50.0 °C" in found.explanation and "金融城第1网格" in found.title


@pytest.mark.parametrize("data, rule", [
    ({"residual_current_ma": 299}, None),
    ({"residual_current_ma": 300}, "wiring.residual_current"),
    ({"residual_current_ma": 120, "arc_half_cycles": 9}, None),  # 9 or fewer half-cycles are ignored
    ({"residual_current_ma": 120, "arc_half_cycles": 10}, "wiring.arc_fault"),
])
def test_wiring_alarms_on_residual_current_or_arcing(data, rule):
    found = detect(reading("w", event_type="wiring.reading", data=data), Policies(), T0)
    assert (found.rule if found else None) == rule


def test_building_type_comes_from_the_device_registry_when_the_event_has_none():
    class Device:
        building_type = "wooden_village"
    found = detect(reading("w", event_type="wiring.reading", device="wm-1", data={"residual_current_ma": 500}),
                   Policies(), T0, {"wm-1": Device()})
    assert found.building_type == "wooden_village"


def test_tier_without_staff_climbs_to_the_next_tier_and_says_so():
    other = Place(district="观山湖区", grid_id="G-09", grid_name="g9", village="金融城社区", township="金华园街道")
    assignment = Responsibility(ROSTER).assign(other, "grid")
    assert assignment.tier == "village" and "no grid_head or grid_worker on the roster for G-09" in assignment.note


def test_point_in_no_grid_is_the_district_centres():
    assignment = Responsibility(ROSTER).assign(GAP, "grid")
    assert assignment.tier == "district" and "in no grid (unassigned)" in assignment.note


def test_department_staff_are_found_in_the_smallest_area_that_has_them():
    assert Responsibility(ROSTER).department(alarm().place, "power").people[0].id == "power-1"  # township
    assert Responsibility(ROSTER).department(alarm().place, "fire").people[0].id == "fire-1"  # district


@pytest.mark.parametrize("policies, expected", [
    ({}, "grid"),
    ({"routing": {"heat.reading": {"klass": "upper_level"}}}, "township"),
    ({"routing": {"heat.reading": {"klass": "difficult"}}}, "district"),
    ({"routing": {"heat.reading": {"start_tier": "village"}}}, "village"),
    ({"routing": {"heat.reading": {"severity": "critical"}}, "severity_start_tier": {"critical": "township"}},
     "township"),
    ({"severity_start_tier": {"critical": "township"}}, "grid"),  # the alarm is only "high"
])
def test_start_tier_follows_the_event_type_raised_by_its_class_and_severity(policies, expected):
    policies = Policies.model_validate(policies)
    found = detect(reading("e"), policies, T0)
    assert plan_for(found, policies).start_tier == expected


def test_a_matching_run_card_sends_departments_and_starts_at_the_district():
    plan = plan_for(wooden_village_wiring(), POLICIES)
    assert plan.run_card.departments == ["fire", "power"] and plan.start_tier == "district"


@pytest.mark.parametrize("hours, fires", [("00:00-06:00", True), ("22:00-03:00", True), ("08:00-20:00", False)])
def test_run_cards_match_on_local_time_of_day(hours, fires):  # the alarm is at 02:15 Beijing time
    start, end = hours.split("-")
    policies = Policies.model_validate({"run_cards": [{"name": "night", "hours": {"start": start, "end": end},
                                                        "departments": ["fire"]}]})
    assert (plan_for(alarm(), policies).run_card is not None) is fires


def test_order_names_responders_and_a_deadline_from_the_tier_policy():
    _, steps = book().on_alarm(None, alarm(), T0)
    order = make_order(steps[1], Responsibility(ROSTER), POLICIES)
    assert order.responders == ["gh-1"] and order.tier == "grid"
    assert order.accept_by == steps[1].at + timedelta(seconds=60)
    # the body says where and which incident; the notify stage adds each person's accept link
    assert "金融城第1网格" in order.body and f"事件：{order.incident_id}" in order.body


def test_department_orders_go_to_the_department_and_say_how_to_accept_for_it():
    _, steps = book().on_alarm(None, wooden_village_wiring(), T0)
    orders = [make_order(s, Responsibility(ROSTER), POLICIES) for s in steps if s.kind == "dept_dispatched"]
    assert [(o.department, o.responders, o.tier) for o in orders] == [("fire", ["fire-1"], "district"),
                                                                        ("power", ["power-1"], "township")]
    assert orders[1].department == "power" and "供电：请派员到场联合处置" in orders[1].body
    assert orders[1].title.startswith("[联合处置:供电]")


def test_only_paging_steps_make_orders():
    _, steps = book().on_alarm(None, alarm(), T0)
    assert make_order(steps[0], Responsibility(ROSTER), POLICIES) is None
