"""The detectors in the running pipeline: durable silence deadlines, silent gateways, persistence
and hysteresis of heat, citizen reports.

Windows are seconds long here (a resident is "silent" after 40 s, a gateway after 10 s), so the
tests wait on the wall clock passing a deadline, then on what the pipeline did about it.
"""

from __future__ import annotations

import time
import uuid

import pytest

from gridalert.store import get_timeline, list_deliveries
from tests.support.pipeline import (chain_of, gridalert_command, heat, incidents_where, point_in, reading, send,
                                    timeline_once)
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WINDOW_S, GATEWAY_S = 40, 10


@pytest.fixture(scope="module")
def policies_change():
    def change(document):
        document["detectors"]["heat"]["persist_frames"] = 3
        document["detectors"]["activity"] = {"window_s": WINDOW_S, "routine": False, "stale_s": 3600}
        document["detectors"]["gateway"] = {"silence_s": GATEWAY_S}
    return change


def keyed(grid: str) -> bytes:
    """Events of one grid sent with one key keep their order all the way to the detectors."""
    return grid.encode()


def marker(pipeline, grid: str, head: str) -> None:
    """Three hot frames in ``grid`` and their page: everything sent before them in that grid has
    been through the detectors."""
    lon, lat = point_in(pipeline.config_dir, grid)
    device = f"tc-{uuid.uuid4().hex[:6]}"
    before = len(pipeline.receiver.pages_for(head))
    send(pipeline, *[heat(80.0, lon=lon, lat=lat, device=device) for _ in range(3)], key=keyed(grid))
    wait_until(lambda: len(pipeline.receiver.pages_for(head)) > before, timeout_s=60, what="the marker alarm's page")


def resolution(sessions, incident_id: str, by: str) -> str:
    """The detail of the step that resolved the incident by itself, once it is in the database."""
    steps = timeline_once(sessions, incident_id, lambda steps: any(s.kind == "resolved" for s in steps),
                          what=f"the incident resolved by {by}")
    return next(s.detail for s in steps if s.kind == "resolved")


def no_activity_pages(receiver, person: str, resident: str) -> list[dict]:
    return [p for p in receiver.pages_for(person) if resident in p.get("title", "") and "独居老人无活动" in p["title"]]


def test_a_residents_silence_crossing_the_window_during_a_restart_opens_exactly_once(pipeline, district, sessions):
    grid = "GSH-JHY-01-01"
    head = chain_of(district, grid)[0]
    lon, lat = point_in(pipeline.config_dir, grid)
    resident = f"r-{uuid.uuid4().hex[:6]}"
    send(pipeline, reading("activity.reading", lon=lon, lat=lat, device=f"hub-{resident}", resident=resident,
                           water_m3=0.05, motion=4, interval_s=1800), key=keyed(grid))
    sent_at = time.time()
    marker(pipeline, grid, head)  # the reading is in the detector's table

    # SIGKILLed inside the window, and no worker runs until the window has passed: the deadline
    # lives only in the changelog, and the silence crosses it while nobody is there to see it
    assert time.time() < sent_at + WINDOW_S - 5, "the marker took the whole window: the test would prove nothing"
    assert not no_activity_pages(pipeline.receiver, head, resident)
    pipeline.restart_worker(kill=True, down_until=sent_at + WINDOW_S + 1)

    pages = wait_until(lambda: no_activity_pages(pipeline.receiver, head, resident), timeout_s=120,
                       what="the no-activity page after the restart")
    assert "every channel silent ≥ 1 min" in pages[0]["message"] and "phone first, then visit" in pages[0]["message"]
    marker(pipeline, grid, head)  # the restarted worker has caught up on its partitions
    assert len(no_activity_pages(pipeline.receiver, head, resident)) == 1
    opened = incidents_where(sessions, lambda i: resident in i.dedup_key)
    assert len(opened) == 1 and opened[0].type == "activity.reading"

    send(pipeline, reading("activity.reading", lon=lon, lat=lat, device=f"hub-{resident}", resident=resident,
                           water_m3=0.03, interval_s=1800), key=keyed(grid))
    assert "activity resumed: water 0.030 m³" in resolution(sessions, opened[0].id, "the resident's activity")
    told = wait_until(lambda: [p for p in pipeline.receiver.pages_for(head)
                               if p["title"].startswith("[已恢复]") and resident in p["title"]],
                      timeout_s=60, what="the grid head told the incident resolved by itself")
    assert "已自行恢复" in told[0]["message"] and "activity resumed: water 0.030 m³" in told[0]["message"]


def test_a_silent_gateway_pages_once_and_takes_in_its_residents_silence(pipeline, district, sessions):
    grid = "GSH-JHY-01-02"
    head = chain_of(district, grid)[0]
    lon, lat = point_in(pipeline.config_dir, grid)
    gateway, resident = f"gw-{uuid.uuid4().hex[:6]}", f"r-{uuid.uuid4().hex[:6]}"
    send(pipeline,
         reading("gateway.heartbeat", lon=lon, lat=lat, gateway=gateway, devices_online=12),
         reading("activity.reading", lon=lon, lat=lat, device=f"hub-{resident}", resident=resident, gateway=gateway,
                 water_m3=0.05, motion=2, interval_s=1800),
         key=keyed(grid))

    pages = wait_until(lambda: [p for p in pipeline.receiver.pages_for(head) if "网关离线" in p["title"]],
                       timeout_s=90, what="the gateway's page")
    assert gateway in pages[0]["title"] and "12 devices online" in pages[0]["message"]
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: gateway in i.dedup_key), timeout_s=30,
                            what="the gateway incident")
    timeline_once(sessions, incident.id, lambda steps: any(s.kind == "inhibited" and resident in s.detail
                                                           for s in steps),
                  timeout_s=WINDOW_S + 60, what="the resident's silence recorded on the gateway incident")
    assert no_activity_pages(pipeline.receiver, head, resident) == [], "a resident behind a dead gateway was paged"
    assert len([p for p in pipeline.receiver.pages_for(head) if gateway in p["title"]]) == 1

    send(pipeline, reading("gateway.heartbeat", lon=lon, lat=lat, gateway=gateway, devices_online=12),
         key=keyed(grid))
    assert "heartbeat received" in resolution(sessions, incident.id, "the gateway's next heartbeat")


def test_heat_needs_three_frames_and_an_oscillating_reading_pages_once(pipeline, district, sessions):
    grid = "GSH-JHY-02-01"
    head = chain_of(district, grid)[0]
    lon, lat = point_in(pipeline.config_dir, grid)
    camera = f"tc-{uuid.uuid4().hex[:6]}"
    frames = [51.0, 52.0, 47.0,        # two hot frames, then cool: a reflection, no alarm
              51.0, 52.0, 53.5,        # three in a row: the alarm
              47.5, 50.5, 47.0, 51.0]  # oscillating around the threshold: the same episode
    send(pipeline, *[heat(t, lon=lon, lat=lat, device=camera) for t in frames], key=keyed(grid))
    marker(pipeline, grid, head)
    camera_pages = [p for p in pipeline.receiver.pages_for(head) if "53.5 °C" in p["title"]]
    assert len(camera_pages) == 1 and "for 3 readings" in camera_pages[0]["message"]
    assert [p for p in pipeline.receiver.pages_for(head) if "异常热源" in p["title"]
            and "80.0" not in p["title"]] == camera_pages, "the camera paged more than once"


def test_a_citizen_report_becomes_an_incident_of_its_category_without_paging_the_reporters_phone(
        pipeline, district, sessions):
    grid = "GSH-JHY-02-02"
    head = chain_of(district, grid)[0]
    lon, lat = point_in(pipeline.config_dir, grid)
    report = f"QR-{uuid.uuid4().hex[:8]}"
    event = reading("citizen.report", lon=lon, lat=lat, category="fire_lane_blocked", report_id=report,
                    description="消防通道被三轮车堵住 tricycles block the fire lane", reporter_contact="13800001234",
                    photo_url="https://example.invalid/p/1.jpg")
    send(pipeline, event, event)  # the app retried: one incident
    [incident] = wait_until(lambda: incidents_where(sessions, lambda i: report in i.dedup_key), timeout_s=60,
                            what="the citizen report's incident")
    assert incident.type == "citizen.report" and "消防通道堵塞" in incident.title and incident.klass == "upper_level"
    township = chain_of(district, grid)[2]
    pages = wait_until(lambda: pipeline.receiver.pages_for(township), timeout_s=60,
                       what="the page to the township (an upper-level matter)")
    assert "tricycles block the fire lane" in pages[0]["message"]
    assert all("13800001234" not in p["message"] + p["title"] for _, p in pipeline.receiver.pages)
    with sessions() as session:
        assert [s.kind for s in get_timeline(incident.id, session=session)][:1] == ["opened"]
    assert not pipeline.receiver.pages_for(head)

    for action, person, *more in [("accept", township), ("resolve", township), ("verify", "dd-GSH-1"),
                                  ("close", "dd-GSH-1", "--reason", "fixed")]:
        result = gridalert_command(pipeline, action, incident.id, "--by", person, *more)
        assert result.returncode == 0, result.stdout + result.stderr
    [told] = wait_until(lambda: pipeline.receiver.pages_for("reporter-13800001234"), timeout_s=60,
                        what="the outcome sent to the reporter")
    assert "已处置 fixed" in told["message"] and "消防通道堵塞" in told["title"]
    deliveries = wait_until(lambda: [d for d in delivered(sessions, incident.id) if d.person_id == "reporter"],
                            timeout_s=30, what="the reply's delivery row")
    assert deliveries[0].ok and deliveries[0].channel == "json-0"


def delivered(sessions, incident_id):
    with sessions() as session:
        return list_deliveries(incident_id, session=session)
