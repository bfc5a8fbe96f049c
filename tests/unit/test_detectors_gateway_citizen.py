"""Silent gateways (one gateway alarm, residents recorded on it), citizen reports, the registry, event types."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from gridalert.config.model import Device, Policies
from gridalert.detectors import REGISTRY, build_detectors
from gridalert.detectors.activity import ActivityDetector
from gridalert.detectors.citizen import CitizenDetector
from gridalert.detectors.gateway import GatewayDetector
from gridalert.streams.event_types import EVENT_TYPES
from gridalert.streams.records import LocatedEvent, ValidEvent
from tests.support.district import TOWER, book

T0 = datetime(2026, 11, 22, 18, 15, tzinfo=timezone.utc)


def event(event_id: str, event_type: str, data: dict, at: datetime = T0, device: str | None = "gw-1") -> LocatedEvent:
    return LocatedEvent(event=ValidEvent(id=event_id, event_type=event_type, source="urn:gw", time=at, lon=106.631,
                                         lat=26.621, data=data, device=device), place=TOWER)


def beat(n: int, minutes: float) -> LocatedEvent:
    return event(f"hb-{n}", "gateway.heartbeat", {"gateway": "gw-1", "devices_online": 23}, T0 + timedelta(minutes=minutes))


def due_at(detector, state) -> datetime:
    return datetime.fromtimestamp(detector.next_due(state), tz=timezone.utc)


def test_a_silent_gateway_opens_one_gateway_alarm():
    gateway = GatewayDetector(Policies())
    state, _ = gateway.on_event(None, beat(1, 0), T0)
    state, alarms = gateway.on_time(state, due_at(gateway, state))
    again = gateway.on_time(state, T0 + timedelta(hours=5))[1]
    alarm = alarms[0]
    assert len(alarms) == 1 and again == [] and gateway.next_due(state) is None
    assert alarm.dedup_key == "gateway:G-01:gw-1" and alarm.inhibits_gateway == "gw-1" and not alarm.clears
    assert alarm.detected_at == T0 + timedelta(minutes=30) and alarm.event.id == "hb-1"
    assert alarm.id == f"gateway:gw-1:gateway.silent:{int((T0 + timedelta(minutes=30)).timestamp())}"
    assert "no heartbeat from gateway gw-1 since" in alarm.explanation and "23 devices online" in alarm.explanation


def test_heartbeats_in_time_keep_the_gateway_quiet():
    gateway = GatewayDetector(Policies())
    state = None
    for n in range(12):
        state, alarms = gateway.on_event(state, beat(n, 5 * n), T0)
        assert alarms == []
    assert gateway.next_due(state) == (T0 + timedelta(minutes=55 + 30)).timestamp()


def test_a_heartbeat_after_silence_clears_the_gateway_alarm():
    gateway = GatewayDetector(Policies())
    state, _ = gateway.on_event(None, beat(1, 0), T0)
    state, _ = gateway.on_time(state, due_at(gateway, state))
    state, cleared = gateway.on_event(state, beat(2, 130), T0 + timedelta(minutes=130))
    assert [(a.clears, a.dedup_key, a.id) for a in cleared] == [(True, "gateway:G-01:gw-1", "hb-2:gateway.silent:clear")]
    assert "after 2 h 10 min of silence" in cleared[0].explanation


def test_an_older_heartbeat_arriving_late_says_nothing_about_now():
    gateway = GatewayDetector(Policies())
    state, _ = gateway.on_event(None, beat(2, 10), T0)
    later, alarms = gateway.on_event(state, beat(1, 5), T0)
    assert later == state and alarms == []


def test_the_silence_window_is_configurable_and_the_state_is_plain_data():
    gateway = GatewayDetector(Policies.model_validate({"detectors": {"gateway": {"silence_s": 600}}}))
    state, _ = gateway.on_event(None, beat(1, 0), T0)
    state = json.loads(json.dumps(state))
    assert due_at(gateway, state) == T0 + timedelta(minutes=10)
    assert len(gateway.on_time(state, due_at(gateway, state))[1]) == 1


def test_resident_alarms_behind_a_silent_gateway_are_recorded_on_its_incident_not_paged():
    devices = {"hub-7": Device(id="hub-7", kind="activity_hub", lon=106.631, lat=26.621, resident="r-7", gateway="gw-1")}
    gateway, activity = GatewayDetector(Policies()), ActivityDetector(Policies(), devices)
    g_state, _ = gateway.on_event(None, beat(1, 0), T0)
    r_state, _ = activity.on_event(None, event("a-1", "activity.reading", {"motion": 3}, T0, "hub-7"), T0)
    g_state, (gateway_alarm,) = gateway.on_time(g_state, due_at(gateway, g_state))
    r_state, (resident_alarm,) = activity.on_time(r_state, due_at(activity, r_state))
    assert resident_alarm.gateway == "gw-1"
    incidents = book()
    state, opened = incidents.on_alarm(None, gateway_alarm, gateway_alarm.detected_at)
    state, recorded = incidents.on_alarm(state, resident_alarm, resident_alarm.detected_at)
    assert opened[0].kind == "opened" and [e.kind for e in recorded] == ["inhibited"]
    assert "its gateway gw-1 is down" in recorded[0].detail


def test_an_alarm_held_back_by_its_gateway_keeps_its_explanation_on_the_timeline():
    devices = {"hub-7": Device(id="hub-7", kind="activity_hub", lon=106.631, lat=26.621, resident="r-7", gateway="gw-1")}
    gateway, activity = GatewayDetector(Policies()), ActivityDetector(Policies(), devices)
    g_state, _ = gateway.on_event(None, beat(1, 0), T0)
    r_state, _ = activity.on_event(None, event("a-1", "activity.reading", {"motion": 3}, T0, "hub-7"), T0)
    _, (gateway_alarm,) = gateway.on_time(g_state, due_at(gateway, g_state))
    _, (resident_alarm,) = activity.on_time(r_state, due_at(activity, r_state))
    incidents = book()
    state, _ = incidents.on_alarm(None, gateway_alarm, gateway_alarm.detected_at)
    _, (inhibited,) = incidents.on_alarm(state, resident_alarm, resident_alarm.detected_at)
    assert inhibited.detail.endswith(f"why: {resident_alarm.explanation}")
    assert "every channel silent ≥ 12 h" in inhibited.detail and "(rule activity.silence)" in inhibited.detail


def report(event_id: str, **data) -> LocatedEvent:
    return event(event_id, "citizen.report", {"category": "fire_lane_blocked", "description": "消防通道被电动车堵住",
                                              "reporter_contact": "13800000000", **data}, device=None)


def test_every_valid_citizen_report_is_an_alarm_of_its_category():
    state, alarms = CitizenDetector(Policies()).on_event(None, report("c-1", report_id="QR-2026-0042"), T0)
    alarm = alarms[0]
    assert state is None and alarm.rule == "citizen.report" and alarm.dedup_key == "citizen:G-01:QR-2026-0042"
    assert alarm.title == "群众上报 Citizen report: fire_lane_blocked — 金融城第1网格"
    assert "消防通道被电动车堵住" in alarm.explanation
    assert alarm.event.data["reporter_contact"] == "13800000000"


def test_the_reporters_contact_never_reaches_the_page():
    alarm = CitizenDetector(Policies()).on_event(None, report("c-1", photo_url="https://x/p.jpg"), T0)[1][0]
    assert "13800000000" not in alarm.title + alarm.explanation and "photo: https://x/p.jpg" in alarm.explanation


def test_a_reports_description_reaches_the_page_without_health_names_or_phones():
    description = "3栋张建国老人心脏病发作倒地, 家属电话13912345678，消防通道被电动车堵住"
    alarm = CitizenDetector(Policies()).on_event(None, report("c-1", description=description), T0)[1][0]
    assert "心脏病" not in alarm.explanation and "张建国" not in alarm.explanation
    assert "13912345678" not in alarm.explanation and "*******5678" in alarm.explanation
    assert "消防通道被电动车堵住" in alarm.explanation, "what the reporter saw still reaches the page"


def test_a_report_sent_twice_is_the_same_alarm():
    detector = CitizenDetector(Policies())
    first = detector.on_event(None, report("e-1", report_id="QR-7"), T0)[1][0]
    second = detector.on_event(None, report("e-2", report_id="QR-7"), T0)[1][0]
    assert (first.id, first.dedup_key) == (second.id, second.dedup_key) == ("QR-7:citizen.report", "citizen:G-01:QR-7")


def test_a_category_can_be_labelled_and_classed():
    policies = Policies.model_validate({"detectors": {"citizen": {"categories": {
        "fire_lane_blocked": {"label": "消防通道堵塞", "severity": "critical", "klass": "upper_level"}}}}})
    alarm = CitizenDetector(policies).on_event(None, report("c-1"), T0)[1][0]
    assert "消防通道堵塞" in alarm.title and (alarm.severity, alarm.klass) == ("critical", "upper_level")


def test_every_detector_is_registered_for_its_event_types():
    by_type = build_detectors(Policies())
    assert {t: [d.name for d in ds] for t, ds in by_type.items()} == {
        "heat.reading": ["heat"], "wiring.reading": ["wiring"], "activity.reading": ["activity"],
        "gateway.heartbeat": ["gateway"], "citizen.report": ["citizen"]}
    assert set(REGISTRY) == {"heat", "wiring", "activity", "gateway", "citizen"}
    assert set(by_type) <= set(EVENT_TYPES)


@pytest.mark.parametrize("event_type, data, ok", [
    ("activity.reading", {"water_m3": 0.004, "interval_s": 1800}, True),
    ("activity.reading", {"door": "out"}, True),
    ("activity.reading", {"away": True, "resident": "r-7"}, True),
    ("activity.reading", {"door": "ajar"}, False),
    ("activity.reading", {"resident": "r-7"}, False),
    ("activity.reading", {"water_m3": -1}, False),
    ("gateway.heartbeat", {"gateway": "gw-1", "devices_online": 23}, True),
    ("gateway.heartbeat", {"devices_online": 23}, False),
    ("citizen.report", {"category": "noise", "description": "深夜施工"}, True),
    ("citizen.report", {"description": "no category"}, False),
])
def test_the_new_event_types_check_their_readings(event_type, data, ok):
    model = EVENT_TYPES[event_type]
    if ok:
        model.model_validate(data)
    else:
        with pytest.raises(ValidationError):
            model.model_validate(data)
