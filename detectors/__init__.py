"""Detect stage cores: which located events need a person, and why.

``DETECTORS`` maps an event type to a pure function ``(event, policies, now) -> Alarm | None``.
A detector never pages and never opens incidents; it explains its verdict in ``Alarm.explanation``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Optional

from gridalert.config.model import Policies
from gridalert.detectors.heat import detect_heat
from gridalert.streams.records import Alarm, LocatedEvent

Detector = Callable[[LocatedEvent, Policies, datetime], Optional[Alarm]]

DETECTORS: dict[str, Detector] = {
    "heat.reading": detect_heat,
}


def detect(located: LocatedEvent, policies: Policies, now: datetime) -> Optional[Alarm]:
    """Run the detector registered for the event's type (None: no detector, or nothing found)."""
    detector = DETECTORS.get(located.event.event_type)
    return detector(located, policies, now) if detector else None


__all__ = ["DETECTORS", "Detector", "detect"]
