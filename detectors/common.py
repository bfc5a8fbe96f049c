"""What every detector needs: what an alarm is about, the registry's facts about a device, the
plain-data snapshot of an event kept in detector state, and building one explained ``Alarm``.

Detector state is plain JSON data (dicts, lists, numbers, strings): the incident stage's owner
stores it in a changelogged table. Times inside state are epoch seconds (numbers) or ISO text.
Nothing here pages, opens incidents or touches Kafka.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping, Optional

from gridalert.config.model import EventClass, Policies
from gridalert.streams.records import Alarm, LocatedEvent

KLASS_ORDER = (EventClass.own_level.value, EventClass.upper_level.value, EventClass.difficult.value)


def what_of(located: LocatedEvent) -> str:
    """What an alarm is about, for grouping: the device, else the zone, else the rounded point."""
    event = located.event
    return event.device or event.data.get("zone") or f"{event.lon:.4f},{event.lat:.4f}"


def registry_value(devices: Mapping[str, Any], device: Optional[str], name: str) -> Any:
    """A field of the device's registry entry (None when the device or the field is unknown)."""
    entry = devices.get(device or "")
    value = getattr(entry, name, None) if entry is not None else None
    return getattr(value, "value", value)  # enums (building type) travel as their text


def building_type_of(located: LocatedEvent, devices: Mapping[str, Any]) -> Optional[str]:
    """The building type from the event's data, else from the device registry."""
    from_event = located.event.data.get("building_type")
    if from_event:
        return str(from_event)
    found = registry_value(devices, located.event.device, "building_type")
    return str(found) if found else None


def raised_klass(base: str, building_type: Optional[str], table: Mapping[str, Any]) -> str:
    """The higher of the route's class and the class the building type raises it to."""
    raised = table.get(building_type or "")
    if raised is None:
        return base
    raised = getattr(raised, "value", raised)
    return max(base, raised, key=KLASS_ORDER.index)


# --- times ----------------------------------------------------------------------------------------

def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def is_due(due: float, now: datetime) -> bool:
    """Has the deadline come? (A millisecond of slack: a datetime keeps only microseconds.)"""
    return now.timestamp() >= due - 1e-3


def clock(seconds: float, tz) -> str:
    """Local wall-clock text for an explanation: ``11-23 14:05``."""
    return datetime.fromtimestamp(seconds, tz=tz).strftime("%m-%d %H:%M")


def span(seconds: float) -> str:
    """A duration for people: ``45 min``, ``3 h 10 min``, ``2 d 4 h``."""
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --- the event kept in state ------------------------------------------------------------------------

def snapshot(located: LocatedEvent) -> dict:
    """The located event as plain JSON data; ``restore`` turns it back into the record."""
    event, place = located.event, located.place
    return {
        "event": {"id": event.id, "event_type": event.event_type, "source": event.source,
                  "time": event.time.isoformat(), "lon": event.lon, "lat": event.lat, "data": event.data,
                  "device": event.device, "subject": event.subject},
        "place": {"district": place.district, "grid_id": place.grid_id, "grid_name": place.grid_name,
                  "village": place.village, "township": place.township, "reason": place.reason},
        "map_version": located.map_version,
    }


def restore(snap: Mapping[str, Any]) -> LocatedEvent:
    return LocatedEvent.from_data(dict(snap))


# --- alarms ---------------------------------------------------------------------------------------

def where_of(located: LocatedEvent) -> str:
    place = located.place
    return place.grid_name or place.district


def make_alarm(located: LocatedEvent, policies: Policies, now: datetime, *, alarm_id: str, rule: str,
               dedup_key: str, title: str, explanation: str, severity: Optional[str] = None,
               klass: Optional[str] = None, building_type: Optional[str] = None, gateway: Optional[str] = None,
               inhibits_gateway: Optional[str] = None, clears: bool = False) -> Alarm:
    """An alarm about ``located``: severity and class default to the event type's route."""
    route = policies.route(located.event.event_type)
    return Alarm(id=alarm_id, rule=rule, dedup_key=dedup_key, severity=severity or route.severity,
                 klass=klass or route.klass.value, title=title, explanation=explanation, event=located.event,
                 place=located.place, detected_at=now, building_type=building_type, gateway=gateway,
                 inhibits_gateway=inhibits_gateway, clears=clears)
