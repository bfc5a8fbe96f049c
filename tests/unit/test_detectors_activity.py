"""Solitary-elderly inactivity: all channels silent, learned routine, known absence, durable deadlines."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from gridalert.config.model import Device, Policies
from gridalert.detectors import build_detectors
from gridalert.detectors.activity import ActivityDetector
from gridalert.streams.records import LocatedEvent, Place, ValidEvent

LOCAL = ZoneInfo("Asia/Shanghai")
DAY0 = datetime(2026, 11, 2, tzinfo=LOCAL)  # a Monday
PLACE = Place(district="开阳县", grid_id="KY-03", grid_name="双流镇第3网格", village="凤凰村", township="双流镇")
DEVICES = {
    "hub-7": Device(id="hub-7", kind="activity_hub", lon=107.0, lat=27.0, resident="r-7", household="h-7",
                    gateway="gw-1", special_attention=True),
    "door-7": Device(id="door-7", kind="door_sensor", lon=107.0, lat=27.0, resident="r-7", gateway="gw-1"),
    "hub-8": Device(id="hub-8", kind="activity_hub", lon=107.0, lat=27.0, resident="r-8", special_attention=False),
}
QUIET = {"water_m3": 0.0, "power_kwh": 0.02, "motion": 0, "interval_s": 1800}


def local(day: int, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return DAY0 + timedelta(days=day, hours=h, minutes=m)


class Resident:
    """Feeds one resident's readings and runs the clock as the incident stage would."""

    def __init__(self, policies: Policies = Policies(), roundtrip: bool = False):
        self.detector = ActivityDetector(policies, DEVICES)
        self.state = None
        self.alarms = []
        self.count = 0
        self.roundtrip = roundtrip

    def clock(self, until: datetime) -> None:
        while self.state is not None:
            due = self.detector.next_due(self.state)
            if due is None or due > until.timestamp():
                return
            self.state, out = self.detector.on_time(self.state, datetime.fromtimestamp(due, tz=timezone.utc))
            self.alarms += out

    def send(self, when: datetime, device: str = "hub-7", **data) -> list:
        self.clock(when)
        self.count += 1
        event = ValidEvent(id=f"{device}-{self.count}", event_type="activity.reading", source="urn:hub", time=when,
                           lon=107.0, lat=27.0, data=data, device=device)
        before = len(self.alarms)
        self.state, out = self.detector.on_event(self.state, LocatedEvent(event=event, place=PLACE), when)
        if self.roundtrip and self.state is not None:
            self.state = json.loads(json.dumps(self.state, default=str))
        self.alarms += out
        return self.alarms[before:]

    def quiet(self, start: datetime, end: datetime) -> None:
        t = start
        while t <= end:
            self.send(t, **QUIET)
            t += timedelta(minutes=30)

    def rules(self) -> list[tuple[str, bool]]:
        return [(a.rule, a.clears) for a in self.alarms]


def test_twelve_hours_of_silence_on_every_channel_alarms():
    r = Resident()
    r.send(local(0, "08:00"), water_m3=0.006, motion=5, power_kwh=0.02, interval_s=1800)
    r.quiet(local(0, "08:30"), local(0, "21:00"))
    assert r.rules() == [("activity.silence", False)]
    alarm = r.alarms[0]
    due = local(0, "20:00").timestamp()
    assert alarm.detected_at.timestamp() == due and alarm.id == f"activity:r-7:activity.silence:{int(due)}"
    assert alarm.dedup_key == "activity:KY-03:r-7" and alarm.gateway == "gw-1"
    assert alarm.event.id == "hub-7-24"  # the last reading seen before the deadline (19:30)
    assert "every channel silent ≥ 12 h" in alarm.explanation and "(rule activity.silence)" in alarm.explanation


def test_one_silent_alarm_per_silence():
    r = Resident()
    r.send(local(0, "08:00"), motion=5)
    r.quiet(local(0, "08:30"), local(1, "12:00"))
    assert len(r.alarms) == 1


def test_small_water_uses_adding_up_to_the_window_limit_keep_the_resident_alive():
    r = Resident()
    r.send(local(0, "08:00"), motion=5)
    t = local(0, "08:30")
    while t <= local(0, "13:00"):
        r.send(t, water_m3=0.002, power_kwh=0.02, motion=0, interval_s=1800)  # below the per-reading 0.003 m³
        t += timedelta(minutes=30)
    assert r.detector.next_due(r.state) > local(0, "20:00").timestamp()


@pytest.mark.parametrize("power_kwh, alive", [(0.02, False), (0.025, False), (0.2, True)])
def test_power_counts_above_the_learned_standby(power_kwh, alive):
    r = Resident()
    r.quiet(local(0, "06:00"), local(0, "08:00"))  # standby 0.04 kW learned
    r.send(local(0, "08:30"), water_m3=0.0, power_kwh=power_kwh, motion=0, interval_s=1800)
    assert (r.state.get("active_at") == local(0, "08:30").timestamp()) is alive


@pytest.mark.parametrize("away, back", [
    pytest.param({"device": "app", "away": True, "resident": "r-7"}, {"device": "app", "away": False, "resident": "r-7"},
                 id="the grid worker's away flag"),
    pytest.param({"device": "door-7", "door": "out"}, {"device": "door-7", "door": "in"}, id="door out, then in"),
])
def test_known_absence_suppresses_and_return_restarts_the_countdown(away, back):
    r = Resident()
    r.send(local(0, "08:00"), motion=5)
    r.send(local(0, "09:00"), **away)
    assert r.detector.next_due(r.state) is None
    r.quiet(local(0, "09:30"), local(3, "09:00"))  # three days away: only standby power
    assert r.alarms == []
    r.send(local(3, "10:00"), **back)
    assert r.detector.next_due(r.state) == local(3, "22:00").timestamp()


def test_water_or_motion_while_away_means_the_resident_is_back():
    r = Resident()
    r.send(local(0, "09:00"), device="app", away=True, resident="r-7")
    r.send(local(1, "09:00"), water_m3=0.008, power_kwh=0.02, motion=0, interval_s=1800)
    assert r.state["away"] is None and r.detector.next_due(r.state) is not None


def test_activity_resuming_closes_the_alarm_by_itself():
    r = Resident()
    r.send(local(0, "08:00"), motion=5)
    r.quiet(local(0, "08:30"), local(0, "21:00"))
    cleared = r.send(local(0, "21:30"), water_m3=0.0, power_kwh=0.02, motion=4, interval_s=1800)
    assert [(a.rule, a.clears) for a in cleared] == [("activity.silence", True)]
    assert cleared[0].dedup_key == r.alarms[0].dedup_key and cleared[0].id == "hub-7-28:activity.silence:clear"
    assert cleared[0].explanation.startswith("activity resumed: motion (4) at 11-02 21:30")


def test_a_known_absence_after_the_alarm_closes_it_too():
    r = Resident()
    r.send(local(0, "08:00"), motion=5)
    r.quiet(local(0, "08:30"), local(0, "21:00"))
    cleared = r.send(local(0, "21:40"), device="app", away=True, resident="r-7")
    assert cleared[0].clears and cleared[0].explanation.startswith("resident known away: away flag set by the grid worker")


def regular_days(r: Resident, days: int, *, active=("07:00", "21:00"), nap_every: int = 0) -> None:
    """Days of a regular routine: a sign of life every half-hour while up, quiet at night."""
    for day in range(days):
        t = local(day, "00:00")
        while t < local(day + 1, "00:00"):
            hhmm = t.strftime("%H:%M")
            napping = nap_every and day % nap_every == 0 and "13:00" <= hhmm < "15:00"
            if active[0] <= hhmm <= active[1] and not napping:
                r.send(t, water_m3=0.0, power_kwh=0.02, motion=6, interval_s=1800)
            else:
                r.send(t, **QUIET)
            t += timedelta(minutes=30)


def morning(r: Resident, day: int, until: str) -> None:
    r.quiet(local(day, "00:00"), local(day, "06:30"))
    t = local(day, "07:00")
    while t <= local(day, until):
        r.send(t, water_m3=0.0, power_kwh=0.02, motion=6, interval_s=1800)
        t += timedelta(minutes=30)


def test_a_missed_routine_alarms_hours_before_the_twelve_hour_window():
    r = Resident()
    regular_days(r, 20)
    morning(r, 20, "09:00")
    r.quiet(local(20, "09:30"), local(20, "21:00"))
    routine = [a for a in r.alarms if a.rule == "activity.routine"]
    assert len(routine) == 1 and len(r.alarms) == 1
    delay = routine[0].detected_at - local(20, "09:00")
    assert timedelta(hours=1, minutes=30) <= delay <= timedelta(hours=3)
    assert "on most of its 20 learned days" in routine[0].explanation


def test_a_nap_the_household_often_takes_is_no_alarm():
    r = Resident()
    regular_days(r, 20, nap_every=2)
    morning(r, 20, "12:30")
    r.quiet(local(20, "13:00"), local(20, "14:30"))
    r.send(local(20, "15:00"), water_m3=0.0, power_kwh=0.02, motion=6, interval_s=1800)
    assert r.alarms == []


def test_the_routine_waits_for_enough_learned_days():
    r = Resident()
    regular_days(r, 5)
    morning(r, 5, "09:00")
    r.quiet(local(5, "09:30"), local(5, "21:30"))
    assert [a.rule for a in r.alarms] == ["activity.silence"]


def test_missing_readings_are_said_and_the_alarm_names_the_gateway():
    r = Resident()
    r.send(local(0, "08:00"), motion=5)
    r.clock(local(0, "21:00"))  # the gateway is down: nothing arrives
    alarm = r.alarms[0]
    assert alarm.gateway == "gw-1" and "no readings at all since 11-02 08:00" in alarm.explanation
    assert "gateway gw-1 may be down" in alarm.explanation


def test_readings_that_come_back_still_silent_raise_the_alarm_again_once():
    r = Resident()
    r.send(local(0, "08:00"), motion=5)
    r.clock(local(0, "21:00"))
    again = r.send(local(0, "22:00"), **QUIET)
    later = r.send(local(0, "22:30"), **QUIET)
    assert [a.id for a in again] == ["hub-7-2:activity.silence"] and later == []
    assert "readings resumed at 11-02 22:00 after a gap and still show no activity" in again[0].explanation


def test_a_device_not_marked_for_special_attention_is_not_watched():
    r = Resident()
    assert r.send(local(0, "08:00"), device="hub-8", motion=3) == [] and r.state is None


def test_a_reading_after_a_missed_deadline_fires_it_first():
    r = Resident()
    r.send(local(0, "08:00"), motion=5)
    detector, state = r.detector, r.state
    event = ValidEvent(id="late", event_type="activity.reading", source="urn:hub", time=local(0, "22:00"), lon=107.0,
                       lat=27.0, data={"motion": 3}, device="hub-7")
    _, alarms = detector.on_event(state, LocatedEvent(event=event, place=PLACE), local(0, "22:00"))
    assert [(a.rule, a.clears) for a in alarms] == [("activity.silence", False), ("activity.silence", True)]


def test_the_deadline_survives_a_json_round_trip_of_the_state():
    plain, stored = Resident(), Resident(roundtrip=True)
    for r in (plain, stored):
        regular_days(r, 15)
        morning(r, 15, "09:00")
        r.clock(local(16, "09:00"))
    assert [(a.id, a.explanation) for a in plain.alarms] == [(a.id, a.explanation) for a in stored.alarms]
    assert stored.alarms and json.loads(json.dumps(stored.state)) == stored.state


def test_the_state_is_keyed_by_resident_whatever_the_device():
    detector = build_detectors(Policies(), DEVICES)["activity.reading"][0]
    door = LocatedEvent(event=ValidEvent(id="d", event_type="activity.reading", source="s", time=DAY0, lon=1, lat=1,
                                         data={"door": "open"}, device="door-7"), place=PLACE)
    app = LocatedEvent(event=ValidEvent(id="a", event_type="activity.reading", source="s", time=DAY0, lon=1, lat=1,
                                        data={"away": True, "resident": "r-9"}, device=None), place=PLACE)
    assert detector.subject(door) == "activity:r-7" and detector.subject(app) == "activity:r-9"
