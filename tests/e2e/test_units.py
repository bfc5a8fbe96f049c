"""Ten-household units on a real broker and worker: with a units.geojson, a heat alarm inside a
unit pages its unit head (联户长) first and, unaccepted, climbs to the grid (小事不出联户).

The sample district has no units file; this module adds one unit covering one grid and starts
heat alarms at the unit tier, so every other module's pages stay as they are.
"""

from __future__ import annotations

import json

import pytest
from shapely.geometry import shape

from gridalert.streams.records import TIERS
from tests.support.configs import unit_feature, write_units
from tests.support.pipeline import alarm_in, chain_of, incidents_where, timeline_once
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

UNIT_TIMEOUT_S = 3
GRID = "GSH-SJC-02-01"  # covered by one unit
OTHER_GRID = "GSH-SJC-02-02"  # in no unit
UNIT, UNIT_HEAD = "SJC-02-01-U1", "uh-SJC-02-01-U1"


@pytest.fixture(scope="module")
def policies_change():
    def change(document):
        document["routing"]["heat.reading"]["start_tier"] = "unit"
        document["tiers"] = {tier: {"accept_timeout_s": 60, "repages": 0} for tier in TIERS}
        document["tiers"]["unit"]["accept_timeout_s"] = UNIT_TIMEOUT_S
    return change


@pytest.fixture(scope="module")
def roster_change(receiver):
    def change(roster):
        roster["staff"].append({"id": UNIT_HEAD, "name": "联户长刘洋", "role": "unit_head", "area": UNIT,
                                "channels": [receiver.url_for(UNIT_HEAD)]})
    return change


@pytest.fixture(scope="module")
def config_change():
    def change(directory):
        document = json.loads((directory / "grids.geojson").read_text(encoding="utf-8"))
        grid = next(f for f in document["features"] if f["properties"]["grid_id"] == GRID)
        write_units(directory, unit_feature(UNIT, GRID, shape(grid["geometry"]).bounds))
    return change


def one_incident(sessions, event):
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]),
                            timeout_s=60, what=f"the incident of {event['id']}")
    return incident


def test_an_alarm_in_a_unit_pages_the_unit_head_once_then_the_grid_head(pipeline, district, sessions):
    assert list(district.units) == [UNIT]
    head = chain_of(district, GRID)[0]
    event = alarm_in(pipeline, GRID, 75.0)
    receiver = pipeline.receiver
    wait_until(lambda: receiver.pages_for(head), timeout_s=60, what="the grid head's page after the climb")
    assert len(receiver.pages_for(UNIT_HEAD)) == 1, "the unit head is paged exactly once"
    paths = [path for path, _ in list(receiver.pages)]
    assert paths.index(f"/inbox/{UNIT_HEAD}") < paths.index(f"/inbox/{head}"), "unit first, then the grid"

    incident = one_incident(sessions, event)
    steps = timeline_once(sessions, incident.id, lambda steps: any(s.kind == "escalated" for s in steps),
                          what="the climb in the database")
    assert [(s.kind, s.tier) for s in steps if s.kind in ("dispatched", "escalated")][:2] == [
        ("dispatched", "unit"), ("escalated", "grid")]


def test_an_alarm_in_no_unit_goes_straight_to_the_grid_and_not_to_the_unit_head(pipeline, district, sessions):
    head = chain_of(district, OTHER_GRID)[0]
    before = len(pipeline.receiver.pages_for(UNIT_HEAD))
    event = alarm_in(pipeline, OTHER_GRID, 75.0)
    wait_until(lambda: pipeline.receiver.pages_for(head), timeout_s=60, what="the grid head's page")
    incident = one_incident(sessions, event)
    steps = timeline_once(sessions, incident.id, lambda steps: any(s.kind == "dispatched" for s in steps),
                          what="the dispatch in the database")
    dispatched = next(s for s in steps if s.kind == "dispatched")
    assert dispatched.tier == "grid" and "skipped unit" in dispatched.detail
    assert len(pipeline.receiver.pages_for(UNIT_HEAD)) == before
