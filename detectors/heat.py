"""Abnormal heat (异常热源) from thermal cameras and heat detectors: one threshold rule for now.

Two stages, persistence, rate of rise and hysteresis are the detector issue's work; the
interface (located event and policies in, explained alarm out) stays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from gridalert.config.model import Policies
from gridalert.streams.records import Alarm, LocatedEvent

RULE = "heat.threshold"


def _what(located: LocatedEvent) -> str:
    """What is hot, in the words of the event: device, else zone, else the rounded point."""
    event = located.event
    return event.device or event.data.get("zone") or f"{event.lon:.4f},{event.lat:.4f}"


def detect_heat(located: LocatedEvent, policies: Policies, now: datetime) -> Optional[Alarm]:
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
        dedup_key=f"heat:{place.partition_key}:{_what(located)}",
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
    )
