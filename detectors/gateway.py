"""Silent gateways (网关离线): a gateway that misses its heartbeats is one gateway problem.

One subject per gateway (``gateway:<id>``, from ``data.gateway`` or the event's device). When no
heartbeat arrived for ``detectors.gateway.silence_s``, one alarm opens with dedup key
``gateway:<grid key>:<gateway id>`` and ``inhibits_gateway=<gateway id>``: the incident stage then
records the alarms of devices behind that gateway (``Device.gateway``) on this incident instead of
paging for each resident. The next heartbeat clears it by itself. The deadline is data (``due``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo

from gridalert.config.model import GatewayRule, Policies
from gridalert.detectors.common import at, clock, is_due, make_alarm, restore, snapshot, span, where_of
from gridalert.streams.records import Alarm, LocatedEvent

SILENT = "gateway.silent"


def gateway_of(located: LocatedEvent) -> str:
    event = located.event
    return str(event.data.get("gateway") or event.device or event.source)


class GatewayDetector:
    name = "gateway"
    event_types = ("gateway.heartbeat",)

    def __init__(self, policies: Policies, devices: Mapping[str, Any] = {}, rule: Optional[GatewayRule] = None):
        self.policies, self.devices = policies, devices
        self.rule = rule or policies.detectors.gateway
        self.tz = ZoneInfo(policies.timezone)

    def subject(self, located: LocatedEvent) -> str:
        return f"gateway:{gateway_of(located)}"

    def on_event(self, state: Optional[dict], located: LocatedEvent, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        t = located.event.time.timestamp()
        alarms: list[Alarm] = []
        if state is not None and state.get("due") is not None and state["due"] <= t:
            state, alarms = self.on_time(state, at(state["due"]))  # the deadline passed before this heartbeat
        if state is not None and t < state["beat_at"]:
            return state, alarms  # a late, older heartbeat says nothing about now
        online = located.event.data.get("devices_online")
        new = {"last": snapshot(located), "gateway": gateway_of(located), "beat_at": t, "online": online,
               "down": None, "due": round(t + self.rule.silence_s, 3)}
        if state is not None and state.get("down"):
            down = state["down"]
            alarms.append(self._alarm(
                located, now, alarm_id=f"{located.event.id}:{SILENT}:clear", clears=True,
                title=f"网关恢复 Gateway back — {new['gateway']} — {where_of(located)}",
                explanation=(f"heartbeat received from gateway {new['gateway']} at {clock(t, self.tz)} after "
                             f"{span(t - state['beat_at'])} of silence"
                             + (f"; {online} devices online" if online is not None else "")
                             + f" (rule {SILENT}; alarm raised at {clock(down, self.tz)})")))
        return new, alarms

    def next_due(self, state: Optional[dict]) -> Optional[float]:
        return None if state is None else state.get("due")

    def on_time(self, state: dict, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        due = state.get("due")
        if due is None or not is_due(due, now):
            return state, []
        located = restore(state["last"])
        gateway, online = state["gateway"], state.get("online")
        alarm = self._alarm(
            located, now, alarm_id=f"gateway:{gateway}:{SILENT}:{int(due)}", inhibits_gateway=gateway,
            title=f"网关离线 Gateway silent — {gateway} — {where_of(located)}",
            explanation=(f"no heartbeat from gateway {gateway} since {clock(state['beat_at'], self.tz)} "
                         f"({span(now.timestamp() - state['beat_at'])} ≥ {span(self.rule.silence_s)})"
                         + (f"; it last reported {online} devices online" if online is not None else "")
                         + "; alarms of devices behind it are recorded on this incident instead of paging; "
                           "closes by itself at the next heartbeat"
                         + f" (rule {SILENT})"))
        return {**state, "down": due, "due": None}, [alarm]

    def _alarm(self, located: LocatedEvent, now: datetime, *, alarm_id: str, title: str, explanation: str,
               clears: bool = False, inhibits_gateway: Optional[str] = None) -> Alarm:
        gateway = gateway_of(located)
        return make_alarm(located, self.policies, now, alarm_id=alarm_id, rule=SILENT,
                          dedup_key=f"gateway:{located.place.partition_key}:{gateway}", title=title,
                          explanation=explanation, clears=clears, inhibits_gateway=inhibits_gateway)
