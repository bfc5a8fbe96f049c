"""The detect stage over durable per-subject state, and what the incident stage makes of its alarms."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gridalert.config.model import Device, Policies
from gridalert.detectors.stage import DetectStage
from gridalert.incidents.dispatch import make_order
from gridalert.incidents.routing import Responsibility
from gridalert.streams.records import DetectorState, LocatedEvent, ValidEvent
from tests.support.district import GAP, POLICIES, ROSTER, TOWER, book

T0 = datetime(2026, 11, 23, 2, 15, tzinfo=timezone.utc)
DEVICES = {"hub-7": Device(id="hub-7", kind="activity_hub", lon=106.631, lat=26.621, resident="r-7",
                           special_attention=True)}


def located(event_id: str, at: datetime, *, event_type: str = "heat.reading", device: str = "tc-1",
            place=TOWER, **data) -> LocatedEvent:
    event = ValidEvent(id=event_id, event_type=event_type, source="urn:gw", time=at, lon=106.631, lat=26.621,
                       data=data, device=device)
    return LocatedEvent(event=event, place=place)


class Worker:
    """The detect agent's loop without Kafka: a dict for the table, the records serialised as the
    changelog would, and a clock."""

    def __init__(self, policies: Policies = POLICIES):
        self.stage = DetectStage(policies, DEVICES)
        self.table: dict[str, DetectorState] = {}

    def send(self, item: LocatedEvent, now: datetime | None = None) -> list:
        alarms = []
        for key, detector in self.stage.reads(item):
            record, out = self.stage.on_event(detector, self.table.get(key), item, now or item.event.time)
            self._store(key, record)
            alarms += out
        return alarms

    def tick(self, now: datetime) -> list:
        alarms = []
        for key in [k for k, r in self.table.items() if (d := self.stage.next_due(r)) and d <= now]:
            record, out = self.stage.on_time(self.table[key], now)
            self._store(key, record)
            alarms += out
        return alarms

    def _store(self, key: str, record: DetectorState | None) -> None:
        if record is None:
            self.table.pop(key, None)
        else:
            self.table[key] = DetectorState.loads(record.dumps())  # what a restarted worker reads back


def frames(worker: Worker, temperatures, *, ids=None, device: str = "tc-1", place=TOWER) -> list:
    alarms = []
    for n, temperature in enumerate(temperatures):
        event_id = ids[n] if ids else f"{device}-{n}"
        alarms += worker.send(located(event_id, T0 + timedelta(seconds=5 * n), device=device, place=place,
                                      temperature_c=temperature))
    return alarms


def test_three_hot_frames_raise_one_alarm_and_a_gateway_retry_is_not_a_frame():
    assert frames(Worker(), [63.5, 63.5, 63.5], ids=["f-1", "f-1", "f-1"]) == []
    alarms = frames(Worker(), [63.5, 63.8, 64.2])
    assert [a.rule for a in alarms] == ["heat.alarm"]
    assert "for 3 readings" in alarms[0].explanation and alarms[0].title.startswith("异常热源报警")


def test_each_camera_and_each_grid_keeps_its_own_state():
    worker = Worker()
    assert frames(worker, [63.5, 63.5], device="tc-1") == []
    assert frames(worker, [63.5, 63.5], device="tc-2") == []  # two frames each: neither camera persists
    assert frames(worker, [63.5, 63.5], device="tc-1", place=GAP) == []
    assert {key.split("|")[0] for key in worker.table} == {TOWER.partition_key, GAP.partition_key}


def activity(worker: Worker, n: int, at: datetime, **data) -> list:
    return worker.send(located(f"hub-7-{n}", at, event_type="activity.reading", device="hub-7",
                               **{"water_m3": 0.0, "power_kwh": 0.0, "motion": 0, "interval_s": 1800, **data}))


def test_a_silent_resident_alarms_once_when_the_window_passes_on_the_clock_and_clears_on_activity():
    policies = Policies.model_validate({"detectors": {"activity": {"window_s": 3600, "routine": False}}})
    worker = Worker(policies)
    assert activity(worker, 1, T0, water_m3=0.05, motion=3) == []
    key = next(iter(worker.table))
    assert worker.stage.next_due(worker.table[key]) == T0 + timedelta(hours=1)

    assert worker.tick(T0 + timedelta(minutes=59)) == []
    raised = worker.tick(T0 + timedelta(hours=1, seconds=1))
    assert [(a.rule, a.clears) for a in raised] == [("activity.silence", False)]
    assert "resident r-7" in raised[0].title and "every channel silent ≥ 1 h" in raised[0].explanation
    assert worker.tick(T0 + timedelta(hours=3)) == []  # one alarm per silence, however long it lasts

    cleared = activity(worker, 2, T0 + timedelta(hours=3), water_m3=0.02, motion=1)
    assert [(a.rule, a.clears) for a in cleared] == [("activity.silence", True)]
    assert "activity resumed" in cleared[0].explanation


def test_the_silence_alarm_is_the_same_alarm_when_a_restarted_worker_fires_it_again():
    policies = Policies.model_validate({"detectors": {"activity": {"window_s": 3600, "routine": False}}})
    first, second = Worker(policies), Worker(policies)
    activity(first, 1, T0, water_m3=0.05, motion=3)
    second.table = dict(first.table)  # the changelog as it stood when the first worker died
    fired = first.tick(T0 + timedelta(hours=2))
    again = second.tick(T0 + timedelta(hours=2, minutes=5))  # it had not committed: the step runs again
    assert [a.id for a in fired] == [a.id for a in again] and len(fired) == 1

    incidents = book(policies)
    state, opened = incidents.on_alarm(None, fired[0], T0 + timedelta(hours=2))
    state, repeated = incidents.on_alarm(state, again[0], T0 + timedelta(hours=2, minutes=5))
    assert [e.kind for e in opened][:1] == ["opened"] and repeated == []


def test_a_new_silence_after_a_clear_is_a_new_incident_though_it_quotes_the_same_reading():
    policies = Policies.model_validate({"detectors": {"activity": {"window_s": 3600, "routine": False}}})
    worker, incidents, state = Worker(policies), book(policies), None
    activity(worker, 1, T0, water_m3=0.05, motion=3)
    kinds = []
    for now in (T0 + timedelta(hours=1, seconds=1),):
        for alarm in worker.tick(now):
            state, out = incidents.on_alarm(state, alarm, now)
            kinds += [e.kind for e in out]
    back = T0 + timedelta(hours=2)
    for alarm in activity(worker, 2, back, water_m3=0.02, motion=1):
        state, out = incidents.on_alarm(state, alarm, back)
        kinds += [e.kind for e in out]
    later = back + timedelta(hours=1, seconds=1)
    for alarm in worker.tick(later):
        state, out = incidents.on_alarm(state, alarm, later)
        kinds += [e.kind for e in out]
    assert kinds == ["opened", "dispatched", "resolved", "opened", "dispatched"]
    assert len(state.incidents) == 2


def test_a_warning_that_becomes_an_alarm_raises_the_open_incident_and_pages_again():
    worker, incidents = Worker(), book()
    warning = frames(worker, [48.5, 48.6, 48.9])
    assert [(a.rule, a.severity) for a in warning] == [("heat.warning", "medium")]
    state, out = incidents.on_alarm(None, warning[0], T0)
    alarm = [a for n, t in enumerate([51.0, 52.5, 54.0], start=3)
             for a in worker.send(located(f"tc-1-{n}", T0 + timedelta(seconds=5 * n), temperature_c=t))]
    assert [(a.rule, a.severity) for a in alarm] == [("heat.alarm", "high")]
    state, out = incidents.on_alarm(state, alarm[0], T0 + timedelta(seconds=30))
    assert [e.kind for e in out] == ["raised"]
    raised = out[0]
    assert raised.severity == "high" and raised.title.startswith("异常热源报警") and raised.alarm_count == 2
    order = make_order(raised, Responsibility(ROSTER), POLICIES)
    assert order is not None and order.title.startswith("[升级为报警] 异常热源报警 54.0 °C") and order.responders == ["gh-1"]


def test_a_raise_to_a_severity_that_starts_higher_dispatches_to_that_tier():
    policies = Policies.model_validate({**POLICIES.model_dump(), "severity_start_tier": {"high": "township"}})
    worker, incidents = Worker(policies), book(policies)
    warning = frames(worker, [48.5, 48.6, 48.9])
    state, out = incidents.on_alarm(None, warning[0], T0)
    assert out[-1].tier == "grid"
    alarm = [a for n, t in enumerate([51.0, 52.5, 54.0], start=3)
             for a in worker.send(located(f"tc-1-{n}", T0 + timedelta(seconds=5 * n), temperature_c=t))]
    state, out = incidents.on_alarm(state, alarm[0], T0 + timedelta(seconds=30))
    assert [(e.kind, e.tier) for e in out] == [("raised", "grid"), ("escalated", "township")]


def test_an_area_with_its_own_window_keeps_it_for_its_residents_only():
    policies = Policies.model_validate({"detectors": {
        "activity": {"window_s": 3600, "routine": False},
        "areas": {"金融城社区": {"activity": {"window_s": 7200}}}}})
    village = Worker(policies)
    activity(village, 1, T0, water_m3=0.05, motion=3)  # TOWER is in 金融城社区
    other = Worker(policies)
    other.send(located("hub-7-1", T0, event_type="activity.reading", device="hub-7", place=GAP, water_m3=0.05,
                       motion=3, interval_s=1800))
    assert [a.rule for a in other.tick(T0 + timedelta(hours=1, seconds=1))] == ["activity.silence"]
    assert village.tick(T0 + timedelta(hours=1, seconds=1)) == []  # restored state keeps its area's window
    assert [a.rule for a in village.tick(T0 + timedelta(hours=2, seconds=1))] == ["activity.silence"]


def test_a_resident_with_a_window_of_their_own_alarms_on_it_and_the_others_keep_the_districts():
    # e.g. a resident just home from hospital: the grid worker wants to know after 2 h, not 12
    policies = Policies.model_validate({"detectors": {
        "activity": {"window_s": 14400, "routine": False, "residents": {"r-7": {"window_s": 7200}}}}})
    worker = Worker(policies)
    activity(worker, 1, T0, water_m3=0.05, motion=3)  # hub-7 is r-7's
    worker.send(located("hub-8-1", T0, event_type="activity.reading", device="hub-8", resident="r-8",
                        water_m3=0.05, motion=3, interval_s=1800))
    raised = worker.tick(T0 + timedelta(hours=2, seconds=1))
    assert [(a.rule, "r-7" in a.title) for a in raised] == [("activity.silence", True)]
    assert "every channel silent ≥ 2 h" in raised[0].explanation
    assert [("r-8" in a.title) for a in worker.tick(T0 + timedelta(hours=4, seconds=1))] == [True]


def test_a_gateway_with_a_silence_of_its_own_is_judged_on_it():
    policies = Policies.model_validate({"detectors": {"gateway": {"silence_s": 600, "gateways": {
        "gw-slow": {"silence_s": 3600}}}}})
    worker = Worker(policies)
    for gateway in ("gw-slow", "gw-fast"):
        worker.send(located(f"{gateway}-1", T0, event_type="gateway.heartbeat", device=gateway, gateway=gateway))
    assert {a.rule for a in worker.tick(T0 + timedelta(minutes=11))} == {"gateway.silent"}
    assert len(worker.tick(T0 + timedelta(minutes=61))) == 1  # now the slow one too, once


def test_a_subjects_overrides_are_checked_like_the_districts():
    with pytest.raises(ValueError) as caught:
        Policies.model_validate({"detectors": {"activity": {"residents": {"r-7": {"window_s": -5}}}}})
    assert "residents.r-7.window_s" in str(caught.value)
    with pytest.raises(ValueError) as caught:
        Policies.model_validate({"detectors": {"gateway": {"gateways": {"gw-1": {"silense_s": 60}}}}})
    assert "gateways.gw-1.silense_s" in str(caught.value)
