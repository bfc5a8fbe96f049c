"""The detect stage's core: every detector of the district, over durable per-subject state.

A located event goes to each detector that reads its type; each keeps one state per subject
(a camera, a monitor, a resident, a gateway) within the event's grid. The detect agent stores
those states in a changelogged table keyed ``<grid key>|<detector>|<subject>`` and asks, on
every clock tick, which subjects have a deadline due (``next_due``), then runs ``on_time`` on
them. Deadlines are data in the state, so a restarted worker fires what came due while it was
down, once: the alarm ids of time-driven alarms name the deadline, and the incident stage
ignores an alarm id it has seen.

Pure: no Faust, no I/O; ``now`` is passed in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Optional

from gridalert.config.model import Policies
from gridalert.detectors import build_detectors
from gridalert.detectors.common import at, is_due
from gridalert.streams.records import Alarm, DetectorState, LocatedEvent

SEEN_LIMIT = 32  # event ids kept per subject: a gateway's retries come within seconds


def key_of(located: LocatedEvent, detector: str, subject: str) -> str:
    return f"{located.place.partition_key}|{detector}|{subject}"


class DetectStage:
    def __init__(self, policies: Policies, devices: Mapping[str, Any] = {}):
        self.policies, self.devices = policies, devices
        self._built: dict[Optional[str], dict[str, list]] = {}
        self._tuned: dict[tuple[int, str], Any] = {}

    def detectors(self, area: Optional[str]) -> dict[str, list]:
        """Event type -> detectors, with ``area``'s overrides (``detectors.areas``) applied."""
        if area not in self._built:
            policies = self.policies
            if area is not None:
                policies = policies.model_copy(update={"detectors": policies.detectors.for_area(area)})
            self._built[area] = build_detectors(policies, self.devices)
        return self._built[area]

    def _by_name(self, area: Optional[str], name: str, subject: Optional[str] = None):
        detector = next((d for found in self.detectors(area).values() for d in found if d.name == name), None)
        return detector if detector is None or subject is None else self._for_subject(detector, subject)

    def _for_subject(self, detector, subject: str):
        """The detector with this subject's own thresholds (``activity.residents``,
        ``gateway.gateways``), or the detector itself when the subject has none."""
        for_subject = getattr(getattr(detector, "rule", None), "for_subject", None)
        if for_subject is None:
            return detector
        name = subject.split(":", 1)[-1]  # subjects are "<detector>:<id>"
        rule = for_subject(name)
        if rule is detector.rule:
            return detector
        key = (id(detector), name)
        if key not in self._tuned:
            self._tuned[key] = type(detector)(detector.policies, detector.devices, rule=rule)
        return self._tuned[key]

    def reads(self, located: LocatedEvent) -> list[tuple[str, Any]]:
        """(table key, detector) for each detector that reads this event, with its area's thresholds."""
        place = located.place
        area = self.policies.detectors.area_of(place.grid_id, place.village, place.township)
        found = [(d, d.subject(located)) for d in self.detectors(area).get(located.event.event_type, [])]
        return [(key_of(located, d.name, subject), self._for_subject(d, subject)) for d, subject in found]

    def on_event(self, detector, record: Optional[DetectorState], located: LocatedEvent,
                 now: datetime) -> tuple[Optional[DetectorState], list[Alarm]]:
        """One event through one detector's subject state; None: nothing left to keep."""
        event_id = located.event.id
        if record is not None and event_id in record.seen:
            return record, []  # the same reading again (a gateway's retry): counted once
        state, alarms = detector.on_event(record.state if record is not None else None, located, now)
        if state is None:
            return None, alarms
        seen = ([*record.seen, event_id] if record is not None else [event_id])[-SEEN_LIMIT:]
        place = located.place
        return DetectorState(detector=detector.name, subject=detector.subject(located), state=state, seen=seen,
                             area=self.policies.detectors.area_of(place.grid_id, place.village, place.township)), alarms

    def on_time(self, record: Optional[DetectorState], now: datetime) -> tuple[Optional[DetectorState], list[Alarm]]:
        """Run the subject's time-driven rules when its deadline has come."""
        detector = None if record is None else self._by_name(record.area, record.detector, record.subject)
        if detector is None:
            return record, []
        due = detector.next_due(record.state)
        if due is None or not is_due(due, now):
            return record, []
        state, alarms = detector.on_time(record.state, now)
        if state is None:
            return None, alarms
        return record.derive(state=state), alarms

    def next_due(self, record: Optional[DetectorState]) -> Optional[datetime]:
        detector = None if record is None else self._by_name(record.area, record.detector, record.subject)
        if detector is None:
            return None
        due = detector.next_due(record.state)
        return None if due is None else at(due)

    def counts(self, record: Optional[DetectorState]) -> tuple[int, int]:
        """[subjects in alarm, pending deadlines] for the partition's audit."""
        if record is None:
            return 0, 0
        alarmed = 1 if record.state.get("alarm") or record.state.get("down") else 0
        return alarmed, 0 if self.next_due(record) is None else 1
