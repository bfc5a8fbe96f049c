"""Fire-risk wiring (电气火灾隐患) from electrical fire monitors: residual current, arc faults and
cable temperature, one subject per monitor (``wiring:<device>``).

Natural leakage is 100–200 mA and 300 mA can start a fire: residual current warns at 300 and
alarms at 500 mA by default; arc-fault monitoring ignores 9 or fewer arcing half-cycles in one
second; the cable warns at 60 °C and alarms at 70 °C. Every quantity needs ``persist_readings``
consecutive readings and ends its episode only after ``reset_readings`` readings below its reset
level (hysteresis). Thresholds may be overridden per monitor (``detectors.wiring.devices``).

Monitoring alarms; it never cuts power (GB 50116 practice), and every explanation says so. Each
monitor keeps its household file (一户一档) in the state: the last ``history_size`` episodes, so
that "3rd alarm in 30 days" shows a recurring fault to the person who goes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo

from gridalert.config.model import Policies, WiringRule
from gridalert.detectors.common import (building_type_of, make_alarm, ordinal, raised_klass, registry_value,
                                        what_of, where_of)
from gridalert.streams.records import Alarm, LocatedEvent

RESIDUAL, ARC, CABLE = "wiring.residual_current", "wiring.arc_fault", "wiring.cable_temperature"
NO_CUT = "monitor only, do not cut power"
DAY = 86400.0


def _levels(rule: WiringRule, data: Mapping[str, Any]) -> dict[str, tuple[float, int, bool]]:
    """Per quantity present: (value, stage it reaches now 0/1/2, below its reset level)."""
    found: dict[str, tuple[float, int, bool]] = {}
    residual = data.get("residual_current_ma")
    if residual is not None:
        value = float(residual)
        stage = 2 if value >= rule.residual_ma_alarm else 1 if value >= rule.residual_ma_warning else 0
        found[RESIDUAL] = (value, stage, value < rule.residual_ma_warning - rule.reset_ma)
    arcs = data.get("arc_half_cycles")
    if arcs is not None:
        value = int(arcs)
        found[ARC] = (value, 2 if value >= rule.arc_half_cycles_alarm else 0, value < rule.arc_half_cycles_alarm)
    cable = data.get("cable_temperature_c")
    if cable is not None:
        value = float(cable)
        stage = 2 if value >= rule.cable_c_alarm else 1 if value >= rule.cable_c_warning else 0
        found[CABLE] = (value, stage, value < rule.cable_c_warning - rule.reset_c)
    return found


def step(rule: WiringRule, state: Optional[Mapping[str, Any]], t: float,
         data: Mapping[str, Any]) -> tuple[dict, list[dict]]:
    """One reading: the new state and the findings that open or raise an episode (as facts).

    State per quantity: its open stage, the streak at each stage and readings below reset.
    """
    old = state or {}
    quantities = {name: dict(q) for name, q in old.get("q", {}).items()}
    findings = []
    for name, (value, now_stage, below_reset) in _levels(rule, data).items():
        q = quantities.get(name, {"level": 0, "s1": 0, "s2": 0, "below": 0})
        q["s1"] = q["s1"] + 1 if now_stage >= 1 else 0
        q["s2"] = q["s2"] + 1 if now_stage >= 2 else 0
        if q["level"]:
            q["below"] = q["below"] + 1 if below_reset else 0
            if q["below"] >= rule.reset_readings:
                q["level"], q["below"] = 0, 0
        target = 2 if q["s2"] >= rule.persist_readings else 1 if q["s1"] >= rule.persist_readings else 0
        if target > q["level"]:
            findings.append({"rule": name, "stage": target, "value": value,
                             "readings": q["s2"] if target == 2 else q["s1"]})
            q["level"], q["below"] = target, 0
        quantities[name] = q
    history = list(old.get("file", []))
    if findings:
        worst = max(findings, key=lambda f: f["stage"])
        open_episode = any(q.get("level") for q in old.get("q", {}).values())
        if history and open_episode:  # a stage rose within an open episode: same file entry, raised
            history[-1] = [history[-1][0], worst["rule"], max(history[-1][2], worst["stage"]), worst["value"]]
        else:
            history = (history + [[t, worst["rule"], worst["stage"], worst["value"]]])[-rule.history_size:]
    return {"q": quantities, "file": history}, findings


def recurrence(history: list, t: float, days: int) -> int:
    """Episodes in the household file within ``days`` before ``t`` (the current one included)."""
    return sum(1 for entry in history if t - entry[0] <= days * DAY)


def describe(finding: Mapping[str, Any], rule: WiringRule) -> str:
    value = finding["value"]
    if finding["rule"] == RESIDUAL:
        limit = rule.residual_ma_alarm if finding["stage"] == 2 else rule.residual_ma_warning
        text = f"residual current {value:.0f} mA ≥ {limit:.0f} mA"
    elif finding["rule"] == ARC:
        text = f"{value} arcing half-cycles in 1 s ≥ {rule.arc_half_cycles_alarm} (9 or fewer are ignored)"
    else:
        limit = rule.cable_c_alarm if finding["stage"] == 2 else rule.cable_c_warning
        text = f"cable temperature {value:.1f} °C ≥ {limit:.1f} °C"
    stage = "alarm" if finding["stage"] == 2 else "warning"
    return f"{stage}: {text} for {finding['readings']} readings"


def file_note(history: list, t: float, days: int, tz) -> str:
    """The household file's count and its last earlier episodes, on local dates (``11-06``)."""
    count = recurrence(history, t, days)
    earlier = [e for e in history[:-1] if t - e[0] <= days * DAY][-3:]
    note = f"{ordinal(count)} alarm in {days} days (household file 一户一档)"
    if earlier:
        note += ": earlier " + ", ".join(
            f"{datetime.fromtimestamp(e[0], tz=tz).strftime('%m-%d')} {e[1].split('.')[1]}" for e in earlier)
    return note


class WiringDetector:
    """The wiring detector: one state per monitor, no timers."""

    name = "wiring"
    event_types = ("wiring.reading",)

    def __init__(self, policies: Policies, devices: Mapping[str, Any] = {}, rule: Optional[WiringRule] = None):
        self.policies, self.devices = policies, devices
        self.rule = rule or policies.detectors.wiring
        self.tz = ZoneInfo(policies.timezone)
        self._per_device: dict[str, WiringRule] = {}

    def rule_for(self, device: Optional[str]) -> WiringRule:
        key = device or ""
        found = self._per_device.get(key)
        if found is None:
            found = self._per_device[key] = self.rule.for_device(device)
        return found

    def subject(self, located: LocatedEvent) -> str:
        return f"wiring:{what_of(located)}"

    def on_event(self, state: Optional[dict], located: LocatedEvent, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        event = located.event
        rule = self.rule_for(event.device)
        t = event.time.timestamp()
        state, findings = step(rule, state, t, event.data)
        if not findings:
            return state, []
        return state, [self._alarm(located, rule, findings, state["file"], t, now)]

    def on_time(self, state: dict, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        return state, []

    def next_due(self, state: Optional[dict]) -> Optional[float]:
        return None

    def _alarm(self, located: LocatedEvent, rule: WiringRule, findings: list[dict], history: list, t: float,
               now: datetime) -> Alarm:
        event = located.event
        findings = sorted(findings, key=lambda f: -f["stage"])
        worst = findings[0]
        route = self.policies.route(event.event_type)
        building = building_type_of(located, self.devices)
        klass = raised_klass(route.klass.value, building, rule.building_klass)
        household = registry_value(self.devices, event.device, "household")
        circuit = event.data.get("circuit")
        # What fired first and the safety advice last; between them the household file before the
        # household and building (the page names the place), as a page drops clauses from the end.
        parts = [f"wiring.reading from {event.device or event.source}: " + "; ".join(describe(f, rule) for f in findings),
                 file_note(history, t, rule.history_days, self.tz)]
        if household:
            parts.append(f"household {household}")
        if building:
            parts.append(f"building: {building}")
        parts.append(NO_CUT)
        cn, en = ("报警", "alarm") if worst["stage"] == 2 else ("预警", "warning")
        return make_alarm(
            located, self.policies, now, alarm_id=f"{event.id}:{worst['rule']}", rule=worst["rule"],
            dedup_key=f"wiring:{located.place.partition_key}:{what_of(located)}",
            title=f"电气火灾隐患{cn} Fire-risk wiring {en} — {where_of(located)}" + (f" — {circuit}" if circuit else ""),
            explanation="; ".join(parts) + f" (rule {worst['rule']})",
            severity=route.severity if worst["stage"] == 2 else rule.warning_severity, klass=klass,
            building_type=building)
