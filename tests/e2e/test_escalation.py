"""Escalation and joint dispatch on a real broker and worker, with seconds-long timeouts.

Each test uses its own township or village of the sample district so their pages never mix.
Commands are given with the real ``gridalert command`` CLI, as a duty officer would.
"""

from __future__ import annotations

import uuid

import pytest

from gridalert.incidents.oncall import on_duty
from gridalert.store import get_timeline, list_audit, list_departments
from gridalert.streams.records import TIERS
from tests.support.pipeline import (alarm_in, chain_of, gridalert_command, incidents_where, point_in, timeline_once,
                                    send, wiring)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

TIMEOUT_S = 3
GRID_TIMEOUT_S = 10  # long enough for a person to accept with the CLI before the order climbs


@pytest.fixture(scope="module")
def policies_change():
    def change(document):
        document["tiers"] = {tier: {"accept_timeout_s": TIMEOUT_S, "repages": 0} for tier in TIERS}
        document["tiers"]["grid"]["accept_timeout_s"] = GRID_TIMEOUT_S
        document["joint_dispatch"] = {"clock_s": 8, "accept_timeout_s": 60, "repages": 0}
    return change


def one_incident(sessions, event):
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]),
                            timeout_s=60, what=f"the incident of {event['id']}")
    return incident


def first_page_index(receiver, person_id):
    return next(i for i, (path, _) in enumerate(list(receiver.pages)) if path == f"/inbox/{person_id}")


def test_nobody_accepts_so_grid_village_township_and_district_are_paged_in_turn(pipeline, district, sessions):
    grid = "GSH-SJC-02-01"
    chain = chain_of(district, grid)
    event = alarm_in(pipeline, grid, 75.0)

    receiver = pipeline.receiver
    wait_until(lambda: receiver.pages_for(chain[-1]), timeout_s=60, what="the district duty officer's page")
    assert [len(receiver.pages_for(p)) for p in chain[:3]] == [1, 1, 1], "each tier paged exactly once"
    order = [first_page_index(receiver, p) for p in chain]
    assert order == sorted(order), "pages climbed grid → village → township → district"

    incident = one_incident(sessions, event)
    timeline = timeline_once(sessions, incident.id, lambda steps: sum(s.kind == "escalated" for s in steps) >= 3,
                             what="three climbs in the database")
    steps = [s for s in timeline if s.kind == "escalated"]
    assert [s.tier for s in steps][:3] == ["village", "township", "district"]
    assert all(s.late_s is not None and s.late_s < 1.0 for s in steps), "each step fired within 1 s of its deadline"


def test_the_grid_team_then_only_the_township_officer_the_schedule_names_are_paged(pipeline, district, sessions):
    grid = "GSH-JHY-03-04"  # two grid workers; 金华园街道's duty team of two takes alternate weeks
    township = district.grids.get(grid).township
    workers = [p.id for p in district.roster.staff if p.role.value == "grid_worker" and p.area == grid]
    team = [p.id for p in district.roster.staff if p.role.value == "township_duty" and p.area == township]
    assert len(workers) == 2 and len(team) == 2, "the sample roster changed: pick another grid"
    event = alarm_in(pipeline, grid, 75.0)
    incident = one_incident(sessions, event)

    def pages(person):
        return [p for p in pipeline.receiver.pages_for(person) if incident.id in p.get("message", "")]

    steps = timeline_once(sessions, incident.id, lambda steps: any(s.tier == "district" for s in steps
                                                                  if s.kind == "escalated"),
                          timeout_s=60, what="the climb to the district")
    climbed_at = next(s.at for s in steps if s.kind == "escalated" and s.tier == "township")
    [on_call] = on_duty(district.schedules, township, "township_duty", climbed_at)  # as `gridalert oncall` answers
    head, secretary, _, officer = chain_of(district, grid, climbed_at)
    wait_until(lambda: pages(officer), timeout_s=60, what="the district duty officer's page")
    paged = {person: len(pages(person)) for person in [head, *workers, secretary, *team, officer]}
    assert paged == {head: 1, **{w: 1 for w in workers}, secretary: 1,
                     **{t: int(t == on_call) for t in team}, officer: 1}, "the off-duty officer got a page"


def test_acceptance_stops_the_climb(pipeline, district, sessions):
    grid = "GSH-ZC-02-01"
    chain = chain_of(district, grid)
    event = alarm_in(pipeline, grid, 66.0)
    wait_until(lambda: pipeline.receiver.pages_for(chain[0]), timeout_s=60, what="the grid head's page")
    incident = one_incident(sessions, event)

    result = gridalert_command(pipeline, "accept", incident.id, "--by", chain[0])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "accepted: accepted by" in result.stdout

    with sessions() as session:
        timeline = get_timeline(incident.id, session=session)
    dispatched_at = next(s.at for s in timeline if s.kind == "dispatched")
    accepted_at = next(s.at for s in timeline if s.kind == "accepted")
    assert (accepted_at - dispatched_at).total_seconds() < GRID_TIMEOUT_S, "accepted too late to test the climb"
    # The clock has passed the old deadline by a full timeout on every partition: nothing climbed.
    past = dispatched_at.timestamp() + GRID_TIMEOUT_S + TIMEOUT_S
    wait_until(lambda: len(audits := list_audit_rows(sessions)) == 2 and min(a.at.timestamp() for a in audits) > past,
               timeout_s=60, what="every partition's clock to pass the old deadline")
    assert pipeline.receiver.pages_for(chain[1]) == [], "the village secretary was paged after acceptance"
    with sessions() as session:
        assert [s.kind for s in get_timeline(incident.id, session=session)] == ["opened", "dispatched", "accepted"]


def list_audit_rows(sessions):
    with sessions() as session:
        return list_audit(session=session)


def test_illegal_command_is_refused_with_a_reason(pipeline, district, sessions):
    event = alarm_in(pipeline, "GSH-ZC-02-02", 66.0)
    incident = one_incident(sessions, event)
    result = gridalert_command(pipeline, "close", incident.id, "--by", "dd-GSH-1", "--reason", "fixed")
    assert result.returncode == 1
    assert "command_refused: close refused: cannot close as fixed" in result.stdout


def test_wooden_village_wiring_goes_to_fire_and_power_who_accept_separately(pipeline, district, sessions):
    lon, lat = point_in(pipeline.config_dir, "GSH-ZC-01-01")
    event = wiring(450, lon=lon, lat=lat, device=f"wm-{uuid.uuid4().hex[:6]}", building_type="wooden_village")
    send(pipeline, event)
    receiver = pipeline.receiver
    wait_until(lambda: receiver.pages_for("fire-GSH-1") and receiver.pages_for("power-GSH-1")
               and receiver.pages_for("dd-GSH-1"), timeout_s=60, what="fire, power and the duty officer paged")
    assert "联合处置" in receiver.pages_for("fire-GSH-1")[-1]["title"]
    incident = one_incident(sessions, event)
    assert incident.tier == "district"

    for person, department in (("fire-GSH-1", "fire"), ("power-GSH-1", "power")):
        result = gridalert_command(pipeline, "accept", incident.id, "--by", person, "--department", department)
        assert result.returncode == 0 and "dept_accepted" in result.stdout, result.stdout + result.stderr

    with sessions() as session:
        departments = {d.department: (d.status, d.accepted_by) for d in list_departments(incident.id, session=session)}
    assert departments == {"fire": ("accepted", "fire-GSH-1"), "power": ("accepted", "power-GSH-1")}


def test_a_department_that_does_not_accept_in_time_breaches_the_joint_clock_and_pages_the_leader(
        pipeline, district, sessions):
    lon, lat = point_in(pipeline.config_dir, "GSH-ZC-01-04")
    event = wiring(500, lon=lon, lat=lat, device=f"wm-{uuid.uuid4().hex[:6]}", building_type="wooden_village")
    leader_pages = len(pipeline.receiver.pages_for("dl-GSH-1"))
    send(pipeline, event)
    incident = one_incident(sessions, event)
    result = gridalert_command(pipeline, "accept", incident.id, "--by", "fire-GSH-1", "--department", "fire")
    assert result.returncode == 0, result.stdout + result.stderr

    pages = wait_until(lambda: pipeline.receiver.pages_for("dl-GSH-1")[leader_pages:], timeout_s=60,
                       what="the district leader's page")
    assert any(incident.id in p["message"] and "联合处置超时" in p["title"] for p in pages)
    timeline = timeline_once(sessions, incident.id, lambda steps: any(s.kind == "joint_clock_breached" for s in steps),
                             what="the breach in the database")
    breach = [s for s in timeline if s.kind == "joint_clock_breached"]
    assert len(breach) == 1 and "waiting for power" in breach[0].detail
