"""One sensor event from Kafka to a page on a grid head's phone, on real parts.

Real broker process, real worker process (``gridalert worker``), real database, real HTTP
receiver standing in for every person's phone. Events are produced with kafka-python.
"""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaConsumer

from gridalert.store import get_timeline, list_deliveries
from gridalert.streams.records import DeadLetter
from gridalert.streams.topics import DEAD_LETTERS
from tests.support.pipeline import heat, incidents_where, send, timeline_once
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

TOWER = (106.6310, 26.6210)  # the Financial City office tower, inside a grid of 金融城社区
GAP = (106.6260, 26.6190)  # between villages, in no grid


def grid_head_of(district, lon, lat):
    place = district.grids.locate(lon, lat)
    heads = [p for p in district.roster.staff if p.role.value == "grid_head" and p.area == place.grid_id]
    assert len(heads) == 1, f"sample roster should have one grid head for {place.grid_id}"
    return place, heads[0]


def test_heat_alarm_pages_the_grid_head_once_and_lands_in_the_database(pipeline, district, sessions):
    place, head = grid_head_of(district, *TOWER)
    device = f"tc-{uuid.uuid4().hex[:6]}"
    alarm = heat(63.5, lon=TOWER[0], lat=TOWER[1], device=device)
    send(pipeline, alarm)

    pages = wait_until(lambda: pipeline.receiver.pages_for(head.id), timeout_s=60, what="the grid head's page")
    assert len(pages) == 1
    assert place.grid_name in pages[0]["title"] and "63.5" in pages[0]["title"]
    assert place.grid_id in pages[0]["message"]

    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == alarm["id"]),
                            timeout_s=30, what="the incident in the database")
    assert (incident.grid_id, incident.tier, incident.status) == (place.grid_id, "grid", "dispatched")
    steps = timeline_once(sessions, incident.id, lambda steps: len(steps) >= 2, what="the timeline in the database")
    assert [step.kind for step in steps] == ["opened", "dispatched"]
    with sessions() as session:
        deliveries = wait_until(lambda: list_deliveries(incident.id, session=session), timeout_s=30,
                                what="the delivery row")
    assert [(d.person_id, d.ok) for d in deliveries] == [(head.id, True)]


def test_the_same_event_again_pages_nobody_and_stores_nothing(pipeline, district, sessions):
    place, head = grid_head_of(district, *TOWER)
    device = f"tc-{uuid.uuid4().hex[:6]}"
    alarm = heat(70.0, lon=TOWER[0], lat=TOWER[1], device=device)
    send(pipeline, alarm, key=device.encode())
    wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == alarm["id"]), timeout_s=60,
               what="the first incident")
    wait_until(lambda: any("70.0 °C" in p["title"] for p in pipeline.receiver.pages_for(head.id)), timeout_s=60,
               what="the first incident's page")
    before = len(pipeline.receiver.pages_for(head.id))

    # The replay, then a marker alarm from another camera in the same grid, on the same key: the
    # pipeline keeps their order, so once the marker is paged the replay has been handled.
    marker = heat(66.0, lon=TOWER[0], lat=TOWER[1], device=f"{device}-b")
    send(pipeline, alarm, marker, key=device.encode())
    wait_until(lambda: len(pipeline.receiver.pages_for(head.id)) >= before + 1, timeout_s=60,
               what="the marker's page")
    wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == marker["id"]), timeout_s=30,
               what="the marker's incident")

    assert len(pipeline.receiver.pages_for(head.id)) == before + 1, "the replayed event paged again"
    [first] = incidents_where(sessions, lambda i: i.source_event_id == alarm["id"])
    with sessions() as session:
        assert [s.seq for s in get_timeline(first.id, session=session)] == [1, 2]


def dead_letters(pipeline, wanted: int) -> list[DeadLetter]:
    consumer = KafkaConsumer(DEAD_LETTERS, bootstrap_servers=pipeline.bootstrap, auto_offset_reset="earliest",
                             group_id=None, consumer_timeout_ms=1000)
    found: list[DeadLetter] = []

    def poll():
        for message in consumer:
            found.append(DeadLetter.loads(message.value))
        return len(found) >= wanted

    try:
        wait_until(poll, timeout_s=60, what=f"{wanted} dead letters")
    finally:
        consumer.close()
    return found


def test_malformed_json_and_unknown_type_land_in_the_dead_letter_topic_with_reasons(pipeline):
    marker = uuid.uuid4().hex
    malformed = f'{{"specversion": "1.0", "id": "{marker}", '.encode()
    wrong_type = {**heat(60, lon=TOWER[0], lat=TOWER[1], device="x", event_id=f"{marker}-t"), "type": "smoke.reading"}
    send(pipeline, malformed, wrong_type)

    letters = [d for d in dead_letters(pipeline, 2) if marker in d.original]
    reasons = sorted(d.reason for d in letters)
    assert len(letters) == 2
    assert "not valid JSON" in reasons[0] or "not valid JSON" in reasons[1]
    assert any("unknown event type 'smoke.reading'" in r for r in reasons)
    assert any(d.original.encode() == malformed for d in letters), "the original bytes are kept"
    assert all(d.stage == "validate" and d.topic == "gridalert.events" for d in letters)
    assert pipeline.worker.alive()


def test_point_outside_every_grid_becomes_an_incident_for_the_district_centre(pipeline, district, sessions):
    assert district.grids.locate(*GAP).grid_id is None, "the sample map must leave this point in no grid"
    duty = [p for p in district.roster.staff if p.role.value == "district_duty"]
    before = {p.id: len(pipeline.receiver.pages_for(p.id)) for p in duty}
    outside = heat(71.0, lon=GAP[0], lat=GAP[1], device=f"tc-{uuid.uuid4().hex[:6]}")
    send(pipeline, outside)

    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: i.source_event_id == outside["id"]),
                            timeout_s=60, what="the unassigned incident")
    assert (incident.grid_id, incident.tier, incident.district) == (None, "district", district.grids.district)
    wait_until(lambda: all(len(pipeline.receiver.pages_for(p.id)) == before[p.id] + 1 for p in duty),
               timeout_s=30, what="every district duty officer's page")
    assert pipeline.worker.alive()
