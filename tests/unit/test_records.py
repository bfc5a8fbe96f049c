"""Every record survives the trip through a topic with its nested records and times intact."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gridalert.streams.records import (Alarm, DeadLetter, Delivery, DispatchOrder, GridIncidents, IncidentEvent,
                                       LocatedEvent, Place, ValidEvent)

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
    GridIncidents(open={"k": STEP}, seen=["e-1"]),
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
        assert isinstance(decoded.open["k"], IncidentEvent) and isinstance(decoded.open["k"].place, Place)
