"""Timers that survive a SIGKILL and a rebalance: each pending step fires once, on the owner.

The worker is killed with SIGKILL while an incident's grid tier is counting down; the restarted
worker recovers the grid's state and the partition's due index from their changelogs and fires
the step that came due during the outage, once. Then a second worker joins and partitions move
while several incidents climb; no step is lost and none fires twice.
"""

from __future__ import annotations

import pytest

from gridalert.store import list_audit, list_deliveries
from gridalert.streams.records import TIERS
from tests.support.pipeline import alarm_in, chain_of, incidents_where, timeline_once
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GRID_TIMEOUT_S, TIMEOUT_S = 8, 4


@pytest.fixture(scope="module")
def policies_change():
    def change(document):
        document["tiers"] = {tier: {"accept_timeout_s": TIMEOUT_S, "repages": 0} for tier in TIERS}
        document["tiers"]["grid"]["accept_timeout_s"] = GRID_TIMEOUT_S
    return change


def test_a_step_due_while_the_worker_is_killed_fires_once_after_restart(pipeline, district, sessions):
    grid = "GSH-JHY-02-01"
    head, secretary, township, _ = chain_of(district, grid)
    event = alarm_in(pipeline, grid)
    receiver = pipeline.receiver
    wait_until(lambda: receiver.pages_for(head), timeout_s=60, what="the grid head's page")
    # The delivery is reported only after the sent-log is durable; kill after that, as the
    # test is about the timer, not about the milliseconds between a page and its sent-log entry.
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == event["id"]),
                            timeout_s=30, what="the incident in the database")
    wait_until(lambda: delivered(sessions, incident.id), timeout_s=30, what="the grid head's delivery row")

    pipeline.restart_worker(kill=True)  # SIGKILL mid-countdown; the grid deadline passes while it is down

    wait_until(lambda: receiver.pages_for(township), timeout_s=90, what="the climb to the township after restart")
    assert len(receiver.pages_for(head)) == 1, "the grid head was paged again after the restart"
    assert len(receiver.pages_for(secretary)) == 1, "the village step fired twice or not at all"
    steps = timeline_once(sessions, incident.id, lambda steps: sum(s.kind == "escalated" for s in steps) >= 2,
                          what="both climbs in the database")
    climbed = [s for s in steps if s.kind == "escalated"]
    assert [s.tier for s in climbed][:2] == ["village", "township"]
    assert len([s for s in climbed if s.tier == "village"]) == 1
    assert climbed[0].late_s > 1, "the step that came due during the outage says it fired late"
    wait_until(lambda: any(a.overdue_steps >= 1 for a in audit_rows(sessions)), timeout_s=30,
               what="the audit to count the late step")


def delivered(sessions, incident_id):
    with sessions() as session:
        return [d for d in list_deliveries(incident_id, session=session) if d.ok]


def audit_rows(sessions):
    with sessions() as session:
        return list_audit(session=session)


def test_two_workers_share_the_partitions_and_no_step_is_lost_or_repeated(pipeline, district, sessions):
    second = pipeline.add_worker()
    try:
        # one grid in each village not used above, so each secretary answers for one incident
        grids = ["GSH-JHY-03-01", "GSH-SJC-01-01", "GSH-SJC-02-01", "GSH-SJC-03-01", "GSH-ZC-02-01", "GSH-ZC-03-01"]
        chains = {grid: chain_of(district, grid) for grid in grids}
        for grid in grids:
            alarm_in(pipeline, grid)
        receiver = pipeline.receiver
        wait_until(lambda: all(receiver.pages_for(chain[2]) for chain in chains.values()), timeout_s=120,
                   what="every incident to climb to its township")
        for grid, chain in chains.items():
            counts = [len(receiver.pages_for(person)) for person in chain]
            assert counts[:2] == [1, 1], f"{grid}: grid head and village secretary paged {counts[:2]} times"
        assert second.alive() and pipeline.worker.alive()
    finally:
        second.stop()
