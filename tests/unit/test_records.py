"""Every record survives the trip through a topic with its nested records and times intact."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gridalert.streams.records import (Alarm, Command, DeadLetter, Deadline, Delivery, DepartmentState, DetectorState,
                                       DispatchOrder,
                                       GridHead, GridIncidents, LateSteps, Timer, IncidentEvent, IncidentState, LocatedEvent,
                                       PartitionAudit, Place, Silence, Tick, ValidEvent)

AT = datetime(2026, 11, 22, 18, 15, tzinfo=timezone.utc)
PLACE = Place(district="观山湖区", grid_id="G-1", grid_name="第1网格", village="v", township="t")
EVENT = ValidEvent(id="e-1", event_type="heat.reading", source="urn:gw", time=AT, lon=106.6, lat=26.6,
                   data={"temperature_c": 63.5}, device="tc-1")
STEP = IncidentEvent(id="I-1:1", incident_id="I-1", seq=1, kind="opened", status="new", tier="grid", at=AT,
                     actor="gridalert", detail="d", event_type="heat.reading", title="t", severity="high",
                     klass="own_level", dedup_key="k", place=PLACE, lon=106.6, lat=26.6, opened_at=AT,
                     source_event_id="e-1", explanation="x")

RECORDS = [
    PLACE,
    EVENT,
    LocatedEvent(event=EVENT, place=PLACE),
    Alarm(id="a", rule="r", dedup_key="k", severity="high", klass="own_level", title="t", explanation="x",
          event=EVENT, place=PLACE, detected_at=AT),
    STEP,
    GridIncidents(
        incidents={"I-1": IncidentState(last=STEP, token=2, repages=1,
                                        deadlines=[Deadline(due=AT, action="repage", token=2),
                                                   Deadline(due=AT, action="dept_repage", token=1, department="fire")],
                                        departments={"fire": DepartmentState(department="fire", status="dispatched",
                                                                             tier="district", token=1)},
                                        silenced_until=AT, inhibits_gateway="gw-1")},
        open_keys={"k": "I-1"},
        silences=[Silence(id="s", scope="grid", target="G-1", until=AT, actor="dd-1")],
        seen=["e-1"]),
    Command(id="c", action="accept", actor="gh-1", at=AT, partition_key="G-1", incident_id="I-1", until=AT),
    Tick(at=AT),
    PartitionAudit(id="gridalert:0", partition=0, at=AT, open_incidents=1, pending_steps=2, overdue_steps=0,
                   max_overdue_s=0.0),
    Timer(partition=2, due=1.5, open=1, pending=2),
    LateSteps(late_steps=3, max_late_s=4.5),
    GridHead(incident_ids=["I-1"], open_keys={"k": "I-1"}, silences=[], seen=["e-1"]),
    DetectorState(detector="activity", subject="activity:r-1", seen=["e-1"],
                  state={"seen_at": 1763830500.0, "water": [[1763830500.0, 0.01]], "away": None}),
    DispatchOrder(id="I-1:2", incident_id="I-1", step=2, tier="grid", title="t", body="b", place=PLACE,
                  responders=["gh-1"], issued_at=AT, accept_by=AT),
    Delivery(id="I-1:2:gh-1:json-0", incident_id="I-1", step=2, person_id="gh-1", channel="json-0", ok=True,
             attempts=1, at=AT),
    DeadLetter(reason="r", stage="validate", topic="gridalert.events", partition=0, offset=3, at=AT, original="{"),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_record_round_trips_with_nested_records_and_times(record):
    decoded = type(record).loads(record.dumps())
    assert decoded == record
    for name in record._options.fields:
        assert type(getattr(decoded, name)) is type(getattr(record, name)), name
    if isinstance(record, GridIncidents):
        incident = decoded.incidents["I-1"]
        assert isinstance(incident, IncidentState) and isinstance(incident.last.place, Place)
        assert isinstance(incident.deadlines[0], Deadline) and isinstance(incident.departments["fire"], DepartmentState)
        assert isinstance(decoded.silences[0], Silence) and decoded.silences[0].until == AT
