"""Detect stage cores: which located events need a person, and why (see docs/detectors.md).

Every detector is a small class with the ``Detector`` shape: it names the event types it reads,
the subject (the state key within a grid: a camera, a monitor, a resident, a gateway) an event
belongs to, and two pure steps, ``on_event`` and ``on_time``, that take the subject's state (plain
JSON data, or None) and return the new state and the alarms. ``next_due`` says when ``on_time``
must run: deadlines are data in the state, so they survive a restart. ``REGISTRY`` maps a
detector name to its class; ``build_detectors`` gives, per event type, the detectors to run.

A detector never pages and never opens incidents; it explains its verdict in
``Alarm.explanation`` (the rule, the thresholds, the readings that fired it): ``; ``-separated
clauses, what fired first, the advice and ``(rule …)`` last, the clauses between most important
first, since a page that must be short drops those from the end (``notifiers.messages``).

``detectors.stage.DetectStage`` runs them all over durable per-subject state for the detect agent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Optional, Protocol

from gridalert.config.model import Policies
from gridalert.detectors.activity import ActivityDetector
from gridalert.detectors.citizen import CitizenDetector
from gridalert.detectors.gateway import GatewayDetector
from gridalert.detectors.heat import HeatDetector
from gridalert.detectors.wiring import WiringDetector
from gridalert.streams.records import Alarm, LocatedEvent


class Detector(Protocol):
    name: str                      # "heat", "activity", "wiring", "gateway", "citizen"
    event_types: tuple[str, ...]   # the event types it reads

    def subject(self, located: LocatedEvent) -> str:
        """The state key within the grid, e.g. ``heat:tc-1``, ``activity:resident-7``."""

    def on_event(self, state: Optional[dict], located: LocatedEvent,
                 now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        """One event through the rules: the subject's new state (None: forget it) and alarms."""

    def on_time(self, state: dict, now: datetime) -> tuple[Optional[dict], list[Alarm]]:
        """Run when ``next_due(state) <= now``: the time-driven alarms (silence, missed routine)."""

    def next_due(self, state: Optional[dict]) -> Optional[float]:
        """Epoch seconds of the next time-driven check; None when there is none."""


REGISTRY: dict[str, type] = {
    "heat": HeatDetector,
    "wiring": WiringDetector,
    "activity": ActivityDetector,
    "gateway": GatewayDetector,
    "citizen": CitizenDetector,
}


def build_detectors(policies: Policies, devices: Mapping[str, Any] = {}) -> dict[str, list[Detector]]:
    """Event type -> the detectors that read it, configured from ``policies.detectors``."""
    by_type: dict[str, list[Detector]] = {}
    for detector_class in REGISTRY.values():
        detector = detector_class(policies, devices)
        for event_type in detector.event_types:
            by_type.setdefault(event_type, []).append(detector)
    return by_type


__all__ = ["Detector", "REGISTRY", "build_detectors"]
