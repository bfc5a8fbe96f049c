"""The benchmark's event mix: what a district's gateways send in a busy minute, as Kafka messages.

Shares by message (``MIX``): heat readings of thermal cameras and heat detectors, activity readings
of residents' meters and sensors, wiring (fire-risk) readings of residual-current and arc-fault
monitors, gateway heartbeats and a few citizen reports. Registered devices send only their id (the
device registry places them, as docs/events.md recommends); heartbeats and reports carry lon/lat.
Readings are steady and under every threshold, so they raise nothing; a share of messages are
*alarms* instead: an 80 °C frame, a 600 mA wiring reading or a citizen's fire-hazard report, each
in its own staffed grid, from a device of its own, so each opens one incident and pages one grid
head. Messages are keyed by device (as ``gridalert send`` keys them) and deterministic by seed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from gridalert.streams.producer import event_key

BEIJING = timezone(timedelta(hours=8))
MIX = {"heat.reading": 0.30, "activity.reading": 0.40, "wiring.reading": 0.15, "gateway.heartbeat": 0.149,
       "citizen.report": 0.001}
KINDS = {"heat.reading": ("thermal_camera", "heat_detector"),
         "activity.reading": ("water_meter", "power_meter", "door_sensor", "motion_sensor"),
         "wiring.reading": ("residual_current_monitor", "arc_fault_detector")}
DEVICES_PER_GATEWAY = 20


@dataclass(frozen=True)
class Message:
    key: bytes
    value: bytes
    alarm_grid: Optional[str] = None  # the grid whose head this message's alarm pages


class EventMix:
    """Endless, deterministic messages for one district (``benchmarks.bench_district.District``)."""

    def __init__(self, district, *, seed: int = 0, prefix: str = "bench"):
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.by_kind = {kind: [d for d in district.devices if d["kind"] in kinds] for kind, kinds in KINDS.items()}
        self.gateways = [(f"gw-{n:05d}", d["lon"], d["lat"])
                         for n, d in enumerate(district.devices[::DEVICES_PER_GATEWAY])]
        self.alarm_spots = list(district.alarm_spots)
        self.rng.shuffle(self.alarm_spots)
        self.steady = {d["id"]: round(self.rng.uniform(15.0, 34.0), 1) for d in district.devices}
        self.count = 0
        self.alarms = 0

    def messages(self, n: int, *, alarm_every: int) -> list[Message]:
        """``n`` messages, one in ``alarm_every`` an alarm (fewer if the staffed grids run out)."""
        return [self.alarm() if (i + 1) % alarm_every == 0 and self.alarms_left() else self.reading()
                for i in range(n)]

    def alarms_left(self) -> int:
        return len(self.alarm_spots) - self.alarms

    def reading(self) -> Message:
        event_type = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if event_type == "citizen.report":
            return self.alarm("citizen.report")
        if event_type == "gateway.heartbeat":
            gateway, lon, lat = self.rng.choice(self.gateways)
            return self._message(event_type, {"gateway": gateway, "devices_online": DEVICES_PER_GATEWAY,
                                              "lon": lon, "lat": lat})
        device = self.rng.choice(self.by_kind[event_type])
        return self._message(event_type, {"device": device["id"], **self._normal(event_type, device["id"])})

    def alarm(self, event_type: Optional[str] = None) -> Message:
        """An alarm in the next unused staffed grid (a reading if none is left)."""
        if not self.alarms_left():
            return self.reading()
        grid, lon, lat = self.alarm_spots[self.alarms]
        self.alarms += 1
        event_type = event_type or self.rng.choice(["heat.reading", "wiring.reading", "citizen.report"])
        device = f"{self.prefix}-alarm-{self.alarms:05d}"
        data = {"lon": lon, "lat": lat, "device": device}
        if event_type == "heat.reading":
            data.update(temperature_c=80.0, hot_area_px=60)
        elif event_type == "wiring.reading":
            data.update(residual_current_ma=600.0)
        else:
            data = {"lon": lon, "lat": lat, "category": "fire_hazard", "description": "楼道堆放杂物",
                    "report_id": device}
        return self._message(event_type, data, alarm_grid=grid)

    def _normal(self, event_type: str, device: str) -> dict:
        if event_type == "heat.reading":
            return {"temperature_c": self.steady[device], "hot_area_px": 0}
        if event_type == "wiring.reading":
            return {"residual_current_ma": round(100 + self.steady[device] * 3, 1)}  # 145–202 mA: natural leakage
        return {"water_m3": round(self.rng.uniform(0.0, 0.02), 3), "power_kwh": round(self.rng.uniform(0.05, 0.4), 2),
                "motion": self.rng.randrange(0, 20), "interval_s": 1800}

    def _message(self, event_type: str, data: dict, alarm_grid: Optional[str] = None) -> Message:
        self.count += 1
        event = {"specversion": "1.0", "id": f"{self.prefix}-{self.count:08d}", "source": "urn:bench:gw",
                 "type": event_type, "time": datetime.now(BEIJING).isoformat(timespec="milliseconds"),
                 "data": data}
        value = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        return Message(event_key(value) or b"", value, alarm_grid)
