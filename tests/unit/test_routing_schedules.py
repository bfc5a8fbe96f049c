"""Routing with duty schedules: only the person on duty at the step's time is paged."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from gridalert.config.model import Roster
from gridalert.config.schedules import Schedules
from gridalert.incidents.book import Book
from gridalert.incidents.dispatch import make_order
from gridalert.incidents.routing import Responsibility
from tests.support.district import GAP, POLICIES, ROSTER, detect, person, reading

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEAM = Roster.model_validate({"staff": [
    *[p.model_dump(mode="json") for p in ROSTER.staff],
    person("dd-2", "刘洋", "district_duty", "观山湖区"),
    person("dd-3", "孙丽", "district_duty", "观山湖区"),
]})
ROTATION = Schedules.model_validate({"schedules": [{
    "area": "观山湖区", "role": "district_duty",
    "layers": [{"kind": "daily", "start": "2026-11-01 08:30", "handover": "08:30", "members": ["dd-1", "dd-2", "dd-3"]}],
    "overrides": [{"person": "dd-1", "from": "2026-11-25 08:30", "until": "2026-11-26 08:30", "reason": "swap"}],
}]})


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def district_page(at: datetime, roster: Roster = TEAM, schedules: Schedules | None = ROTATION) -> list[str]:
    """Who the district duty page of an incident in no grid goes to, for an alarm at ``at``."""
    who = Responsibility(roster, schedules)
    alarm = detect(reading("e-gap", 80.0, place=GAP), POLICIES, at)
    _, steps = Book(POLICIES, who).on_alarm(None, alarm, at)
    dispatched = [s for s in steps if s.kind == "dispatched"][0]
    return make_order(dispatched, who, POLICIES).responders


def test_the_officer_on_duty_at_the_step_is_paged_and_nobody_else():
    assert district_page(local("2026-11-01 09:00")) == ["dd-1"]
    assert district_page(local("2026-11-02 08:29:59")) == ["dd-1"]
    assert district_page(local("2026-11-02 08:30")) == ["dd-2"]  # the handover is an instant
    assert district_page(local("2026-11-03 23:00")) == ["dd-3"]


def test_an_override_pages_the_one_who_swapped_in():
    assert district_page(local("2026-11-25 12:00")) == ["dd-1"]  # dd-2's day by the rotation


def test_without_a_schedule_or_in_a_gap_everyone_with_the_role_is_paged():
    assert sorted(district_page(local("2026-11-02 12:00"), schedules=None)) == ["dd-1", "dd-2", "dd-3"]
    assert sorted(district_page(local("2026-10-20 12:00"))) == ["dd-1", "dd-2", "dd-3"]  # before the rotation starts


def test_the_timeline_names_the_officer_on_duty():
    who = Responsibility(TEAM, ROTATION)
    at = local("2026-11-02 12:00")
    _, steps = Book(POLICIES, who).on_alarm(None, detect(reading("e-gap", 80.0, place=GAP), POLICIES, at), at)
    note = [s for s in steps if s.kind == "dispatched"][0].detail
    assert "刘洋 (district_duty)" in note and "张伟" not in note and "孙丽" not in note


def test_a_replayed_step_names_the_same_people_after_the_handover():
    who = Responsibility(TEAM, ROTATION)
    at = local("2026-11-02 08:29")
    _, steps = Book(POLICIES, who).on_alarm(None, detect(reading("e-gap", 80.0, place=GAP), POLICIES, at), at)
    dispatched = [s for s in steps if s.kind == "dispatched"][0]
    later = make_order(dispatched, who, POLICIES)  # the order is made from the step's own time
    assert later.responders == ["dd-1"] and dispatched.at + timedelta(minutes=2) > local("2026-11-02 08:30")
