"""Small helpers every detector uses: what an alarm is about, and the building it is in."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from gridalert.streams.records import LocatedEvent


def what_of(located: LocatedEvent) -> str:
    """What an alarm is about, for grouping: the device, else the zone, else the rounded point."""
    event = located.event
    return event.device or event.data.get("zone") or f"{event.lon:.4f},{event.lat:.4f}"


def building_type_of(located: LocatedEvent, devices: Mapping[str, Any]) -> Optional[str]:
    """The building type from the event's data, else from the device registry."""
    from_event = located.event.data.get("building_type")
    if from_event:
        return str(from_event)
    device = devices.get(located.event.device or "")
    return getattr(device, "building_type", None) if device is not None else None
