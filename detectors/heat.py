"""Abnormal heat (异常热源) from thermal cameras and heat detectors.

One subject per camera (or zone): ``heat:<device>``. Rules, all in ``policies.yaml`` under
``detectors.heat`` (``config.model.HeatRule``):

- two stages: warning (48 °C) and alarm (50 °C), each after ``persist_frames`` consecutive
  readings at or above it; a hot region smaller than ``min_area_px`` does not count;
- rate of rise: ``rise_c_per_min`` (8 °C/min) over at least ``rise_span_s``, from
  ``rise_floor_c`` up, for ``rise_frames`` consecutive readings that keep rising (a hot vehicle
  passing by is a step that falls back), goes straight to the alarm stage;
- hysteresis: once open, an episode ends only after ``reset_frames`` readings below the warning
  level minus ``reset_c``; until then no new alarm (one fire, one alarm; a stage may still rise
  from warning to alarm once);
- per-zone baseline: a zone whose normal temperature sits near the warning level (a plant room, a
  kitchen exhaust) has its thresholds lifted to baseline + ``baseline_margin_c``, by at most
  ``baseline_max_raise_c``; per-zone or per-camera thresholds in ``zones``;
- building type raises the class (``building_klass``: high-rise, wooden village, warehouse).

The detector explains every alarm (thresholds, readings, persistence) and never clears one: a
fire is closed by a person.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Mapping, Optional

from gridalert.config.model import HeatRule, Policies
from gridalert.detectors.common import building_type_of, make_alarm, raised_klass, registry_value, what_of, where_of
from gridalert.streams.records import Alarm, LocatedEvent

WARNING, ALARM, RISE = "heat.warning", "heat.alarm", "heat.rise"
RECENT_MAX = 64
RISE_DIP_C = 1.0  # a rising reading may be this much below the one before (flames flicker); more breaks the rise


def thresholds(rule: HeatRule, state: Mapping[str, Any], device: Optional[str],
               zone: Optional[str]) -> tuple[float, float, float]:
    """(warning, alarm, lift): the zone's thresholds, lifted by its learned baseline."""
    limits = rule.zones.get(device or "") or rule.zones.get(zone or "")
    warning = limits.warning_c if limits and limits.warning_c is not None else rule.warning_c
    alarm = limits.alarm_c if limits and limits.alarm_c is not None else rule.alarm_c
    lift = 0.0
    baseline = state.get("baseline")
    if baseline is not None and rule.baseline_max_raise_c > 0 and state.get("baseline_n", 0) >= rule.baseline_min_readings:
        lift = min(max(baseline + rule.baseline_margin_c - warning, 0.0), rule.baseline_max_raise_c)
    return warning + lift, alarm + lift, lift


def rise_rate(recent: list, t: float, temperature: float, span_s: float) -> Optional[float]:
    """°C per minute against the newest reading at least ``span_s`` old (and at most 3 spans)."""
    for then, value in reversed(recent):
        age = t - then
        if age >= span_s:
            return (temperature - value) / (age / 60.0) if age <= 3 * span_s else None
    return None


def step(rule: HeatRule, state: Optional[Mapping[str, Any]], t: float, temperature: float,
         area: Optional[int], device: Optional[str] = None, zone: Optional[str] = None) -> tuple[dict, Optional[dict]]:
    """One reading through the rules: the new state, and the alarm to raise (as facts) if any.

    The facts dict names ``rule``, ``stage`` (1 warning, 2 alarm) and the numbers the explanation
    quotes. Pure: the input state is not changed.
    """
    old = state or {}
    warning, alarm, lift = thresholds(rule, old, device, zone)
    counts = area is None or area >= rule.min_area_px
    hot_w, hot_a = counts and temperature >= warning, counts and temperature >= alarm
    streak_w = old.get("streak_w", 0) + 1 if hot_w else 0
    streak_a = old.get("streak_a", 0) + 1 if hot_a else 0
    since_w = old.get("since_w", t) if streak_w > 1 else t
    since_a = old.get("since_a", t) if streak_a > 1 else t
    recent = [r for r in old.get("recent", []) if t - r[0] <= 3 * rule.rise_span_s and r[0] <= t]
    rate = rise_rate(recent, t, temperature, rule.rise_span_s) if rule.rise_c_per_min else None
    fast = rate is not None and rate >= rule.rise_c_per_min and temperature >= rule.rise_floor_c and counts
    # a fire keeps rising; a hot vehicle passing by is a step that falls back at the next reading
    going_on = not recent or temperature >= recent[-1][1] - RISE_DIP_C
    rising = old.get("rising", 0) + 1 if fast and going_on else 0
    recent = (recent + [[t, temperature]])[-RECENT_MAX:]

    level, below = old.get("level", 0), old.get("below", 0)
    if level and temperature < warning - rule.reset_c:
        below += 1
        if below >= rule.reset_frames:
            level, below = 0, 0  # the episode is over: the next crossing is a new alarm
    elif level:
        below = 0

    facts = None
    persisted = lambda streak, since: streak >= rule.persist_frames and t - since >= rule.persist_s  # noqa: E731
    if persisted(streak_a, since_a) or (rule.rise_c_per_min and rising >= rule.rise_frames):
        target = 2
    elif persisted(streak_w, since_w):
        target = 1
    else:
        target = 0
    if target > level:
        by_rise = target == 2 and not persisted(streak_a, since_a)
        facts = {"rule": RISE if by_rise else (ALARM if target == 2 else WARNING), "stage": target,
                 "temperature": temperature, "warning": warning, "alarm": alarm, "lift": lift, "area": area,
                 "frames": streak_a if target == 2 else streak_w,
                 "lasted_s": t - (since_a if target == 2 else since_w), "rate": rate, "rising": rising}
        level, below = target, 0

    baseline, baseline_n, baseline_t = old.get("baseline"), old.get("baseline_n", 0), old.get("baseline_t", t)
    if level == 0 and not hot_w:  # learn the zone's normal only from quiet readings
        if baseline is None:
            baseline = temperature
        else:
            weight = 1.0 - math.exp(-max(t - baseline_t, 0.0) / rule.baseline_tau_s)
            baseline += weight * (temperature - baseline)
        baseline_n, baseline_t = baseline_n + 1, t

    new = {"level": level, "below": below, "streak_w": streak_w, "streak_a": streak_a, "since_w": since_w,
           "since_a": since_a, "rising": rising, "recent": recent, "baseline": baseline,
           "baseline_n": baseline_n, "baseline_t": baseline_t}
    return new, facts


def explain(facts: Mapping[str, Any], rule: HeatRule, source: str, building: Optional[str], klass: str,
            base_klass: str) -> str:
    t = facts["temperature"]
    if facts["rule"] == RISE:
        what = (f"temperature rose {facts['rate']:.1f} °C/min to {t:.1f} °C "
                f"(rate-of-rise ≥ {rule.rise_c_per_min:.1f} °C/min over ≥ {rule.rise_span_s:.0f} s from "
                f"{rule.rise_floor_c:.0f} °C, {facts['rising']} readings)")
    else:
        name, limit = ("alarm", facts["alarm"]) if facts["stage"] == 2 else ("warning", facts["warning"])
        what = (f"temperature {t:.1f} °C ≥ {name} threshold {limit:.1f} °C for {facts['frames']} readings over "
                f"{facts['lasted_s']:.0f} s (persistence {rule.persist_frames} readings, {rule.persist_s:.0f} s)")
    parts = [f"heat.reading from {source}: {what}"]
    if facts["area"] is not None:
        parts.append(f"hot region {facts['area']} px (minimum {rule.min_area_px} px)")
    if facts["lift"] > 0:
        parts.append(f"thresholds lifted {facts['lift']:.1f} °C by this zone's learned baseline")
    if klass != base_klass:
        parts.append(f"building {building} raises the class to {klass}")
    return "; ".join(parts) + f" (rule {facts['rule']})"


class HeatDetector:
    """The heat detector: one state per camera (or zone), no timers."""

    name = "heat"
    event_types = ("heat.reading",)

    def __init__(self, policies: Policies, devices: Mapping[str, Any] = {}, rule: Optional[HeatRule] = None):
        self.policies, self.devices = policies, devices
        self.rule = rule or policies.detectors.heat

    def subject(self, located: LocatedEvent) -> str:
        return f"heat:{what_of(located)}"

    def on_event(self, state: Optional[dict], located: LocatedEvent, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        event = located.event
        data = event.data
        zone = data.get("zone") or registry_value(self.devices, event.device, "zone")
        area = data.get("hot_area_px")
        state, facts = step(self.rule, state, event.time.timestamp(), float(data["temperature_c"]),
                            None if area is None else int(area), event.device, zone)
        if facts is None:
            return state, []
        return state, [self._alarm(located, facts, now, zone)]

    def on_time(self, state: dict, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        return state, []

    def next_due(self, state: Optional[dict]) -> Optional[float]:
        return None

    def _alarm(self, located: LocatedEvent, facts: dict, now: datetime, zone: Optional[str]) -> Alarm:
        event = located.event
        route = self.policies.route(event.event_type)
        building = building_type_of(located, self.devices)
        klass = raised_klass(route.klass.value, building, self.rule.building_klass)
        cn, en = ("预警", "warning") if facts["stage"] == 1 else ("报警", "alarm")
        return make_alarm(
            located, self.policies, now, alarm_id=f"{event.id}:{facts['rule']}", rule=facts["rule"],
            dedup_key=f"heat:{located.place.partition_key}:{what_of(located)}",
            title=f"异常热源{cn} Abnormal heat {en} {facts['temperature']:.1f} °C — {where_of(located)}"
                  + (f" — {zone}" if zone else ""),
            explanation=explain(facts, self.rule, event.device or event.source, building, klass, route.klass.value),
            severity=self.rule.warning_severity if facts["stage"] == 1 else route.severity, klass=klass,
            building_type=building)
