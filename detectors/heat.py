"""Abnormal heat (异常热源) from thermal cameras and heat detectors: one threshold rule for now.

Two stages, persistence, rate of rise and hysteresis are the detector issue's work; the
interface (located event and policies in, explained alarm out) stays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from gridalert.config.model import Policies
from gridalert.detectors.common import what_of
from gridalert.streams.records import Alarm, LocatedEvent

RULE = "heat.threshold"


def detect_heat(located: LocatedEvent, policies: Policies, now: datetime,
                building_type: Optional[str] = None) -> Optional[Alarm]:
    """Alarm when the reading is at or above the alarm threshold.

    >>> # temperature_c 63.5 with alarm_c 50 -> Alarm(rule="heat.threshold", ...)
    """
    threshold = policies.detectors.heat.alarm_c
    temperature = float(located.event.data["temperature_c"])
    if temperature < threshold:
        return None
    route = policies.route(located.event.event_type)
    place = located.place
    where = place.grid_name or place.district
    zone = located.event.data.get("zone")
    return Alarm(
        id=f"{located.event.id}:{RULE}",
        rule=RULE,
        dedup_key=f"heat:{place.partition_key}:{what_of(located)}",
        severity=route.severity,
        klass=route.klass.value,
        title=f"异常热源 Abnormal heat {temperature:.1f} °C — {where}" + (f" — {zone}" if zone else ""),
        explanation=(
            f"{located.event.event_type} from {located.event.device or located.event.source}: "
            f"temperature {temperature:.1f} °C ≥ alarm threshold {threshold:.1f} °C (rule {RULE})"
        ),
        event=located.event,
        place=place,
        detected_at=now,
        building_type=building_type or located.event.data.get("building_type"),
    )
