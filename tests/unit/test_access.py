"""Who sees and does what in the API: the roster's roles and areas decide."""

from __future__ import annotations

import pytest

from gridalert.config.model import Person
from gridalert.incidents.access import can_see, intake_refusal, refusal, scope_of

PLACE = dict(district="观山湖区", township="金华园街道", village="金融城社区", grid_id="GSH-JHY-01-03")
ELSEWHERE = dict(district="观山湖区", township="朱昌镇", village="茶饭村", grid_id="GSH-ZC-03-01")


def staff(role: str, area: str) -> Person:
    return Person(id=f"{role}-1", name="x", role=role, area=area, channels=["json://127.0.0.1/x"])


@pytest.mark.parametrize("role, area, here, there", [
    ("district_duty", "观山湖区", True, True),
    ("district_leader", "观山湖区", True, True),
    ("township_duty", "金华园街道", True, False),
    ("village_secretary", "金融城社区", True, False),
    ("grid_head", "GSH-JHY-01-03", True, False),
    ("grid_worker", "GSH-JHY-01-03", True, False),
    ("grid_head", "GSH-ZC-03-01", False, True),
    ("unit_head", "U-1", False, False),
])
def test_people_see_their_own_area(role, area, here, there):
    scope = scope_of(staff(role, area))
    assert can_see(scope, **PLACE) is here and can_see(scope, **ELSEWHERE) is there


def test_department_duty_sees_what_was_dispatched_to_its_department_only():
    fire = scope_of(staff("dept_fire", "观山湖区"))
    assert can_see(fire, **PLACE, departments=["fire", "power"])
    assert not can_see(fire, **PLACE, departments=["power"]) and not can_see(fire, **PLACE)


def test_what_each_scope_may_do():
    assert refusal(scope_of(staff("district_duty", "观山湖区")), "rate") is None
    assert "rating" in refusal(scope_of(staff("township_duty", "金华园街道")), "rate")
    assert refusal(scope_of(staff("township_duty", "金华园街道")), "close") is None
    assert "command centre does the rest" in refusal(scope_of(staff("grid_head", "G")), "close")
    assert refusal(scope_of(staff("grid_head", "G")), "accept") is None
    fire = scope_of(staff("dept_fire", "观山湖区"))
    assert refusal(fire, "accept", "fire") is None
    assert "acts for fire only" in refusal(fire, "accept", "power")
    assert "may accept, on_scene, resolve, return only" in refusal(fire, "close", "fire")


def test_a_viewer_reads_its_area_and_may_do_nothing():
    viewer = scope_of(None, viewer_area="金华园街道", viewer_kind="township")
    assert can_see(viewer, **PLACE) and not can_see(viewer, **ELSEWHERE)
    assert refusal(viewer, "accept") == "this token is read only"


@pytest.mark.parametrize("scope, refused", [
    (scope_of(staff("district_duty", "观山湖区")), None),
    (scope_of(staff("township_duty", "金华园街道")), None),
    (scope_of(staff("grid_head", "GSH-JHY-01-03")), None),
    (scope_of(staff("dept_fire", "观山湖区")), None),
    (scope_of(None, viewer_area="金华园街道", viewer_kind="township"), "read only"),
    (scope_of(None, viewer_area="观山湖区"), "read only"),
    (scope_of(staff("unit_head", "U-1")), "covers no incidents"),
])
def test_only_staff_who_cover_incidents_may_send_events(scope, refused):
    why = intake_refusal(scope)
    assert (why is None) if refused is None else (refused in why)
