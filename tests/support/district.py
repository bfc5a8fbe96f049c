"""A small district for unit tests of the incident cores: one grid with its chain of command,
two departments and a district leader."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional

from gridalert.config.model import Policies, Roster
from gridalert.detectors.stage import DetectStage
from gridalert.incidents.book import Book
from gridalert.incidents.routing import Responsibility
from gridalert.streams.records import Alarm, Command, LocatedEvent, Place, ValidEvent

T0 = datetime(2026, 11, 22, 18, 15, tzinfo=timezone.utc)  # 02:15 in Guiyang
TOWER = Place(district="观山湖区", grid_id="G-01", grid_name="金融城第1网格", village="金融城社区", township="金华园街道")
GAP = Place(district="观山湖区", reason="unassigned")


def person(pid, name, role, area):
    return {"id": pid, "name": name, "role": role, "area": area, "channels": [f"json://127.0.0.1/inbox/{pid}"]}


ROSTER = Roster.model_validate({"staff": [
    person("gh-1", "王芳", "grid_head", "G-01"),
    person("vs-1", "李强", "village_secretary", "金融城社区"),
    person("td-1", "赵敏", "township_duty", "金华园街道"),
    person("dd-1", "张伟", "district_duty", "观山湖区"),
    person("dl-1", "陈杰", "district_leader", "观山湖区"),
    person("fire-1", "消防值班", "dept_fire", "观山湖区"),
    person("power-1", "供电值班", "dept_power", "金华园街道"),
    person("power-2", "供电调度", "dept_power", "观山湖区"),
]})

POLICIES = Policies.model_validate({
    "routing": {"heat.reading": {"start_tier": "grid"}, "wiring.reading": {"start_tier": "grid"}},
    "tiers": {"grid": {"accept_timeout_s": 60, "repages": 1}, "village": {"accept_timeout_s": 60, "repages": 0},
              "township": {"accept_timeout_s": 60, "repages": 0}, "district": {"accept_timeout_s": 60, "repages": 0}},
    "run_cards": [{"name": "wooden village wiring", "event_types": ["wiring.reading"],
                   "building_types": ["wooden_village"], "departments": ["fire", "power"]}],
    "joint_dispatch": {"clock_s": 300, "accept_timeout_s": 90, "repages": 0},
})


def book(policies: Policies = POLICIES) -> Book:
    return Book(policies, Responsibility(ROSTER))


def reading(event_id: str, temperature: float = 63.5, place: Place = TOWER, device: str = "tc-1",
            event_type: str = "heat.reading", data: Optional[dict] = None) -> LocatedEvent:
    data = data if data is not None else {"temperature_c": temperature}
    event = ValidEvent(id=event_id, event_type=event_type, source="urn:gw", time=T0, lon=106.631, lat=26.621,
                       data=data, device=device)
    return LocatedEvent(event=event, place=place)


def one_reading(policies: Policies) -> Policies:
    """The policies with every reading judged alone: heat at one threshold (``alarm_c``) with no
    persistence, rise or baseline; wiring without persistence. Book and routing tests start here."""
    heat = policies.detectors.heat.model_copy(update={
        "warning_c": policies.detectors.heat.alarm_c, "persist_frames": 1, "persist_s": 0.0,
        "rise_c_per_min": None, "baseline_max_raise_c": 0.0, "min_area_px": 0})
    wiring = policies.detectors.wiring
    wiring = wiring.model_copy(update={"persist_readings": 1, "devices": {
        name: limits.model_copy(update={"persist_readings": 1}) for name, limits in wiring.devices.items()}})
    return policies.model_copy(update={"detectors": policies.detectors.model_copy(
        update={"heat": heat, "wiring": wiring})})


def detect(located: LocatedEvent, policies: Policies = POLICIES, now: datetime = T0,
           devices: Mapping[str, Any] = {}) -> Optional[Alarm]:
    """The alarm one reading raises on its own (see ``one_reading``), or None."""
    stage = DetectStage(one_reading(policies), devices)
    for _, detector in stage.reads(located):
        _, alarms = stage.on_event(detector, None, located, now)
        if alarms:
            return alarms[0]
    return None


def alarm(event_id: str = "e-1", **kwargs) -> Alarm:
    result = detect(reading(event_id, **kwargs), POLICIES, T0)
    assert result is not None
    return result


def wooden_village_wiring(event_id: str = "w-1") -> Alarm:
    return detect(reading(event_id, event_type="wiring.reading", device="wm-7",
                          data={"residual_current_ma": 420, "building_type": "wooden_village"}), POLICIES, T0)


def command(action: str, incident_id: Optional[str], actor: str = "gh-1", cid: Optional[str] = None, **fields) -> Command:
    return Command(id=cid or f"c-{action}-{actor}-{fields.get('department', '')}", action=action, actor=actor, at=T0,
                   partition_key=TOWER.partition_key, incident_id=incident_id, **fields)


def after(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
