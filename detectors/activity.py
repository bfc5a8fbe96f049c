"""Solitary-elderly inactivity (独居老人) from water meters, power meters, door and motion sensors.

One subject per resident (``activity:<resident>``; the registry's ``Device.resident``, else the
event's ``data.resident``, else the device id): every device of the resident feeds one state.

- **Silence** (``activity.silence``): every channel silent for ``window_s`` (12 h): less than
  ``window_water_m3`` (0.01 m³) of water in the window, no power above the meter's learned
  standby, no door, no motion.
- **Routine missed** (``activity.routine``): earlier, when the silence is longer than this
  household usually is silent from that time of day (``detectors.routine``).
- **Known absence** suppresses both: a door sensor that reports ``out`` (until ``in`` or signs
  of presence), or the grid worker's app sending ``away: true`` (until ``away: false``).
- **Deadlines are data**: the state holds ``due`` (epoch seconds); the caller runs ``on_time``
  when it has passed, also after a restart. One alarm per silence; activity resuming (or a known
  absence) closes it by itself with an alarm that ``clears``.
- **Missing data is said so**: when no reading at all arrived for ``stale_s``, the alarm says the
  devices (or their gateway) are silent; the alarm carries the device's gateway, so while that
  gateway's incident is open the incident stage records it there instead of paging. When readings
  come back and still show no activity, the alarm is raised again, once.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo

from gridalert.config.model import ActivityRule, Policies
from gridalert.detectors.common import (at, clock, is_due, make_alarm, registry_value, restore, snapshot, span,
                                        what_of, where_of)
from gridalert.detectors.routine import MAX_Q, learn, mark, record_outing, touch, unusual_at
from gridalert.streams.records import Alarm, LocatedEvent

SILENCE, ROUTINE = "activity.silence", "activity.routine"
DEFAULT_INTERVAL_S = 1800.0
LEVEL_RISE = 0.02  # how fast a meter's learned standby or leak level creeps up towards a reading
WATER_NOISE_M3 = 0.0002


def _meter_level(previous: Optional[float], rate: float) -> float:
    """A low envelope: drops at once to a lower reading, creeps up slowly (standby, leaks)."""
    if previous is None or rate < previous:
        return rate
    return previous + LEVEL_RISE * (rate - previous)


def channels(rule: ActivityRule, meters: dict, device: str, t: float,
             data: Mapping[str, Any]) -> tuple[dict, list[str], float, float]:
    """Which channels show activity in this reading: (the device's meter levels, texts, net water m³,
    the interval the reading covers, s)."""
    meter = dict(meters.get(device, {}))
    interval = data.get("interval_s")
    if interval is None:
        previous = meter.get("t")
        known = previous is not None and 0 < t - previous <= 4 * DEFAULT_INTERVAL_S
        interval = t - previous if known else DEFAULT_INTERVAL_S
    hours = max(float(interval), 1.0) / 3600.0
    found: list[str] = []
    net_water = 0.0
    water = data.get("water_m3")
    if water is not None:
        leak = meter.get("w")
        net_water = float(water) - (leak or 0.0) * hours
        if net_water >= rule.water_event_m3:
            found.append(f"water {float(water):.3f} m³")
        meter["w"] = _meter_level(leak if leak is not None else 0.0, float(water) / hours)  # no leak until shown
    power = data.get("power_kwh")
    if power is not None:
        kw = float(power) / hours
        standby = meter.get("p")
        if standby is not None and kw >= standby + rule.power_margin_kw:
            found.append(f"power {kw:.2f} kW (standby {standby:.2f} kW)")
        meter["p"] = _meter_level(standby, kw)
    door = data.get("door")
    if door:
        found.append(f"door {door}")
    motion = data.get("motion")
    if motion:
        found.append(f"motion ({int(motion)})")
    meter["t"] = t
    covers = float(interval) if any(data.get(k) is not None for k in ("water_m3", "power_kwh", "motion")) else 0.0
    return {**meters, device: meter}, found, max(net_water, 0.0), covers


def water_since(water: list, rule: ActivityRule) -> Optional[float]:
    """The latest time from which the window's water adds up to ``window_water_m3`` (None: never)."""
    total = 0.0
    for t, m3 in reversed(water):
        total += m3
        if total >= rule.window_water_m3:
            return t
    return None


class ActivityDetector:
    """The inactivity detector: one state per resident, with a durable deadline."""

    name = "activity"
    event_types = ("activity.reading",)

    def __init__(self, policies: Policies, devices: Mapping[str, Any] = {}, rule: Optional[ActivityRule] = None):
        self.policies, self.devices = policies, devices
        self.rule = rule or policies.detectors.activity
        self.tz = ZoneInfo(policies.timezone)

    def subject(self, located: LocatedEvent) -> str:
        event = located.event
        resident = (registry_value(self.devices, event.device, "resident") or event.data.get("resident")
                    or event.device or what_of(located))
        return f"activity:{resident}"

    # --- events ---------------------------------------------------------------------------------

    def on_event(self, state: Optional[dict], located: LocatedEvent, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        event = located.event
        if registry_value(self.devices, event.device, "special_attention") is False:
            return state, []  # the registry says this device is not watched
        t = event.time.timestamp()
        alarms: list[Alarm] = []
        if state is not None and state.get("due") is not None and state["due"] <= t:
            state, alarms = self.on_time(state, at(state["due"]))  # the deadline passed before this reading
        rule, data = self.rule, event.data
        old = state or {"days": [], "outings": [], "water": [], "meters": {}, "first": t, "clean": True}
        new = dict(old)
        history = rule.history_days
        new["days"] = touch(old["days"], t, self.tz, history)
        if not old["days"] or new["days"][-1][0] != old["days"][-1][0]:  # a new day: learn the routine again
            today = new["days"][-1][0]
            new["surprise"] = [today, *learn(new["days"], today, history)]
        new["last"] = snapshot(located)
        new["subject"] = self.subject(located)
        new["gateway"] = (data.get("gateway") or registry_value(self.devices, event.device, "gateway")
                          or old.get("gateway"))
        if old.get("seen_at") is not None and t - old["seen_at"] > rule.stale_s:
            new["clean"] = False  # a hole in the data: this silence teaches nothing
            new["days"] = mark(new["days"], old["seen_at"], t, self.tz, history, excluded=True)
        new["seen_at"] = max(t, old.get("seen_at") or t)
        meters, found, net_water, interval = channels(rule, old["meters"], event.device or new["subject"], t, data)
        if data.get("door"):
            new["door_at"] = t
        new["meters"] = meters
        water = [w for w in old["water"] if w[0] > t - rule.window_s]
        if net_water > WATER_NOISE_M3:
            water.append([t, net_water])
        new["water"] = water[-500:]

        away = old.get("away")
        if data.get("away") is True or data.get("door") == "out":
            why = "away flag set by the grid worker" if data.get("away") is True else "door sensor reports out"
            new["away"] = away or {"since": t, "why": why}
            new["clean"] = False
            found = [f for f in found if not f.startswith("door")]
            if new.get("alarm"):
                alarms.append(self._clear(new, located, now, f"resident known away: {why} at {clock(t, self.tz)}"))
            new["due"] = None
            return new, alarms
        present = data.get("away") is False or data.get("door") in ("in", "open", "close") or any(
            f.startswith(("water", "motion")) for f in found)
        if away and not present:
            return new, alarms  # still away: power use alone (timers, fridge) is no sign of return
        if away:
            new["away"] = None
            new["days"] = mark(new["days"], away["since"], t, self.tz, history, excluded=True)
            found = found or [f"back ({'away flag cleared' if data.get('away') is False else 'presence'})"]

        if found:
            self._activity(old, new, t, found, interval)
            if new.get("alarm"):
                alarms.append(self._clear(new, located, now, f"activity resumed: {', '.join(found)} at "
                                                              f"{clock(t, self.tz)}"))
        elif new.get("alarm") and new["alarm"].get("stale") and not new.get("away"):
            # readings are back after a gap in the data, and they still show no activity
            new["alarm"] = {**new["alarm"], "stale": False}
            alarms.append(self._raise(new, located, now, new["alarm"]["rule"], f"{event.id}:{new['alarm']['rule']}",
                                      resumed=True))
        new["due"] = self._due(new)[0]
        return new, alarms

    def _activity(self, old: dict, new: dict, t: float, found: list[str], interval: float) -> None:
        previous, history = old.get("active_at"), self.rule.history_days
        if previous is not None and t > previous and old.get("at_door"):
            # an outing, not a silence at home: learned apart, and kept out of the home routine
            if old.get("clean", True):
                new["outings"] = record_outing(old["outings"], previous, min(t - previous, self.rule.window_s),
                                               self.tz, history)
            new["days"] = mark(new["days"], previous, t, self.tz, history, excluded=True)
        new["days"] = mark(new["days"], t, t, self.tz, history)
        if previous is None or t >= previous:
            new["active_at"], new["active_what"] = t, ", ".join(found)
            # The silence begins at the door when the door was the last sign of life, also when a
            # meter's interval reading (the activity may have come before the door) spans it.
            door_at = new.get("door_at")
            new["at_door"] = all(f.startswith("door") for f in found) or (
                door_at is not None and t - interval < door_at <= t)
        new["clean"] = True

    # --- the clock ------------------------------------------------------------------------------

    def _due(self, state: dict) -> tuple[Optional[float], str, Optional[tuple]]:
        """(when the current silence alarms, which rule, the routine facts) — None while away or alarmed."""
        if state.get("away") or state.get("alarm"):
            return None, SILENCE, None
        rule = self.rule
        start = state.get("active_at") or state["first"]
        water_from = water_since(state["water"], rule)
        window_due = max(start, water_from or start) + rule.window_s
        if rule.routine and state.get("active_at") is not None:
            _, surprise, learned = state["surprise"]
            usual = unusual_at(surprise, learned, state["outings"], start, bool(state.get("at_door")), self.tz, rule)
            if usual is not None and usual[0] < window_due:
                return round(usual[0], 3), ROUTINE, usual
        return round(window_due, 3), SILENCE, None

    def next_due(self, state: Optional[dict]) -> Optional[float]:
        return None if state is None else state.get("due")

    def on_time(self, state: dict, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        due, rule_name, usual = self._due(state)
        if due is None or not is_due(due, now):
            return {**state, "due": due}, []
        stale = now.timestamp() - state["seen_at"] >= self.rule.stale_s
        new = {**state, "alarm": {"rule": rule_name, "at": due, "stale": stale}, "due": None}
        located = restore(state["last"])
        alarm = self._raise(new, located, now, rule_name, f"{state['subject']}:{rule_name}:{int(due)}", usual=usual)
        return new, [alarm]

    # --- alarms ---------------------------------------------------------------------------------

    def _raise(self, state: dict, located: LocatedEvent, now: datetime, rule_name: str, alarm_id: str, *,
               usual: Optional[tuple] = None, resumed: bool = False) -> Alarm:
        rule, tz = self.rule, self.tz
        resident = state["subject"].split(":", 1)[1]
        start = state.get("active_at") or state["first"]
        silent = now.timestamp() - start
        since = (f"since {clock(start, tz)} ({span(silent)}; last: {state.get('active_what')})"
                 if state.get("active_at") else f"since readings began at {clock(start, tz)} ({span(silent)})")
        water = sum(m3 for t, m3 in state["water"] if t > now.timestamp() - rule.window_s)
        # What fired first, then its rule and thresholds, then why the data may be missing; the
        # learned detail last before the advice, as the page drops clauses from there first.
        parts = [f"activity.reading for resident {resident}: no water, power, door or motion activity {since}"]
        detail: list[str] = []
        if rule_name == ROUTINE and usual is not None:
            rule_text, detail = self._routine_text(state, usual)
            parts.append(rule_text)
        elif rule_name == SILENCE:
            parts.append(f"every channel silent ≥ {span(rule.window_s)}: water {water:.3f} m³ in the window "
                         f"(< {rule.window_water_m3:g} m³), no power above standby, no door, no motion")
        if resumed:
            parts.append(f"readings resumed at {clock(state['seen_at'], tz)} after a gap and still show no activity")
        elif now.timestamp() - state["seen_at"] >= rule.stale_s:
            gateway = state.get("gateway")
            parts.append(f"no readings at all since {clock(state['seen_at'], tz)}: the devices"
                         + (f" or their gateway {gateway}" if gateway else "") + " may be down")
        parts += [*detail, "phone first, then visit"]
        return make_alarm(
            located, self.policies, now, alarm_id=alarm_id, rule=rule_name,
            dedup_key=f"activity:{located.place.partition_key}:{resident}",
            title=f"独居老人无活动 No activity — resident {resident} — {where_of(located)}",
            explanation="; ".join(parts) + f" (rule {rule_name})", gateway=state.get("gateway"))

    def _routine_text(self, state: dict, usual: tuple) -> tuple[str, list[str]]:
        """The routine rule with its threshold, and the detail behind it (the learned half-hours)."""
        _, total, telling = usual
        _, surprise, learned = state["surprise"]
        later = surprise[1]
        shares = sorted(telling, key=lambda k: -later[k])[:6]
        listed = ", ".join(f"{k // 2:02d}:{30 * (k % 2):02d} {1 - math.exp(-later[k]):.0%}" for k in sorted(shares))
        rule_text = (f"silent through the half-hours with a sign of life on most of its {learned} learned days: "
                     f"less than once in {1 / self.rule.routine_odds:,.0f} under this household's habits")
        detail = [f"those half-hours: {listed} (no half-hour counts above {MAX_Q:.0%})"]
        if state.get("at_door"):
            detail.insert(0, "the silence began at the door and has outlasted its longest outing")
        return rule_text, detail

    def _clear(self, state: dict, located: LocatedEvent, now: datetime, why: str) -> Alarm:
        opened = state["alarm"]
        state["alarm"] = None
        resident = state["subject"].split(":", 1)[1]
        return make_alarm(
            located, self.policies, now, alarm_id=f"{located.event.id}:{opened['rule']}:clear", rule=opened["rule"],
            dedup_key=f"activity:{located.place.partition_key}:{resident}",
            title=f"独居老人活动恢复 Activity resumed — resident {resident} — {where_of(located)}",
            explanation=f"{why} (rule {opened['rule']}; alarm raised at {clock(opened['at'], self.tz)})",
            gateway=state.get("gateway"), clears=True)
