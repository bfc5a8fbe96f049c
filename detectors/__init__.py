"""Detect stage cores: which located events need a person, and why.

``DETECTORS`` maps an event type to a pure function
``(event, policies, now, building_type) -> Alarm | None``.
A detector never pages and never opens incidents; it explains its verdict in ``Alarm.explanation``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Mapping, Optional

from gridalert.config.model import Policies
from gridalert.detectors.common import building_type_of
from gridalert.detectors.heat import detect_heat
from gridalert.detectors.wiring import detect_wiring
from gridalert.streams.records import Alarm, LocatedEvent

Detector = Callable[[LocatedEvent, Policies, datetime, Optional[str]], Optional[Alarm]]

DETECTORS: dict[str, Detector] = {
    "heat.reading": detect_heat,
    "wiring.reading": detect_wiring,
}


def detect(located: LocatedEvent, policies: Policies, now: datetime,
           devices: Mapping[str, Any] = {}) -> Optional[Alarm]:
    """Run the detector registered for the event's type (None: no detector, or nothing found).

    The building type (from the event or the device registry) travels with the alarm, so run
    cards can send e.g. a wooden-village alarm straight to joint dispatch.
    """
    detector = DETECTORS.get(located.event.event_type)
    if detector is None:
        return None
    return detector(located, policies, now, building_type_of(located, devices))


__all__ = ["DETECTORS", "Detector", "detect"]
