"""The grid tier is answered by the grid head and the grid workers of that grid (网格长和网格员)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gridalert.config.model import Roster
from gridalert.config.schedules import Schedules
from gridalert.incidents.book import Book
from gridalert.incidents.dispatch import make_order
from gridalert.incidents.routing import Responsibility
from tests.support.district import POLICIES, ROSTER, TOWER, T0, detect, person, reading

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKERS = Roster.model_validate({"staff": [
    *[p.model_dump(mode="json") for p in ROSTER.staff],
    person("gw-1", "周强", "grid_worker", "G-01"),
    person("gw-2", "吴丽", "grid_worker", "G-01"),
    person("gw-9", "郑伟", "grid_worker", "G-09"),
]})
SHIFTS = Schedules.model_validate({"schedules": [{
    "area": "G-01", "role": "grid_worker",
    "layers": [{"kind": "daily", "start": "2026-11-01 08:00", "handover": "08:00", "members": ["gw-1", "gw-2"]}],
}]})


def first_page(roster: Roster, at: datetime = T0, schedules: Schedules | None = None, place=TOWER):
    """The tier and responders of the first page of a heat alarm at ``place``."""
    who = Responsibility(roster, schedules)
    alarm = detect(reading("e-1", 80.0, place=place), POLICIES, at)
    _, steps = Book(POLICIES, who).on_alarm(None, alarm, at)
    dispatched = [s for s in steps if s.kind == "dispatched"][0]
    return dispatched.tier, make_order(dispatched, who, POLICIES).responders


def test_the_grid_head_and_the_grid_workers_of_that_grid_are_paged_together():
    tier, responders = first_page(WORKERS)
    assert tier == "grid" and responders == ["gh-1", "gw-1", "gw-2"]  # not gw-9 of another grid


def test_a_grid_with_workers_but_no_head_is_still_answered_at_the_grid():
    without_head = Roster.model_validate({"staff": [p.model_dump(mode="json") for p in WORKERS.staff
                                                     if p.id != "gh-1"]})
    assert first_page(without_head) == ("grid", ["gw-1", "gw-2"])


def test_a_grid_without_head_or_workers_climbs_and_the_note_names_both_roles():
    place = TOWER.__class__(**{**TOWER.asdict(), "grid_id": "G-02"})
    assignment = Responsibility(WORKERS).assign(place, "grid")
    assert assignment.tier == "village"
    assert "no grid_head or grid_worker on the roster for G-02" in assignment.note


def test_a_worker_rotation_pages_the_worker_on_shift_with_the_head():
    morning = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # the second day: gw-2's shift
    assert first_page(WORKERS, morning, SHIFTS) == ("grid", ["gh-1", "gw-2"])


def test_the_timeline_names_the_workers_it_paged():
    who = Responsibility(WORKERS)
    _, steps = Book(POLICIES, who).on_alarm(None, detect(reading("e-1", 80.0), POLICIES, T0), T0)
    note = [s for s in steps if s.kind == "dispatched"][0].detail
    assert "周强 (grid_worker)" in note and "吴丽 (grid_worker)" in note and "郑伟" not in note


def test_a_grid_worker_reassigned_an_incident_answers_at_the_grid_tier():
    who = Responsibility(WORKERS)
    assert who.tier_of(who.person("gw-1")) == "grid"
