"""Incident stage core: alarms in, timeline events out, for the incidents of one grid (事件).

``apply_alarm(state, alarm, ...) -> (state, events)`` is the whole contract: no Faust, no I/O.
The agent keeps ``state`` in a durable table keyed by grid and produces ``events`` in order.

Idempotency: incident ids derive from the alarm that opened them, timeline ids are
``<incident_id>:<seq>``, and ``state.seen`` remembers recent event ids, so a replayed alarm
yields nothing and a re-run after a crash yields the same ids the projection already has.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Optional

from gridalert.incidents.routing import Assignment
from gridalert.streams.records import Alarm, GridIncidents, IncidentEvent

SEEN_LIMIT = 2048  # event ids remembered per grid; far more than a grid sees between replays
SYSTEM = "gridalert"


def incident_id_for(alarm: Alarm) -> str:
    digest = hashlib.sha256(f"{alarm.dedup_key}|{alarm.event.id}".encode()).hexdigest()[:10]
    return f"INC-{alarm.event.time.strftime('%Y%m%d')}-{digest}"


def empty_state() -> GridIncidents:
    return GridIncidents(open={}, seen=[])


def _event(previous: Optional[IncidentEvent], alarm: Alarm, *, incident_id: str, seq: int, kind: str,
           status: str, tier: str, at: datetime, detail: str) -> IncidentEvent:
    return IncidentEvent(
        id=f"{incident_id}:{seq}",
        incident_id=incident_id,
        seq=seq,
        kind=kind,
        status=status,
        tier=tier,
        at=at,
        actor=SYSTEM,
        detail=detail,
        event_type=alarm.event.event_type,
        title=alarm.title if previous is None else previous.title,
        severity=alarm.severity,
        klass=alarm.klass,
        dedup_key=alarm.dedup_key,
        place=alarm.place,
        lon=alarm.event.lon,
        lat=alarm.event.lat,
        opened_at=previous.opened_at if previous else at,
        source_event_id=previous.source_event_id if previous else alarm.event.id,
        explanation=alarm.explanation,
    )


def apply_alarm(state: Optional[GridIncidents], alarm: Alarm, *, assignment: Assignment,
                now: datetime) -> tuple[GridIncidents, list[IncidentEvent]]:
    """Open an incident for a new alarm, or note a repeat on the one already open.

    A new dedup key opens an incident (``opened``, status new) and dispatches it at once to the
    assigned tier (``dispatched``). A further alarm with the same key while it is open adds
    ``alarm_repeated`` to its timeline and pages nobody. An event id already seen changes nothing.
    """
    state = state or empty_state()
    if alarm.event.id in state.seen:
        return state, []
    seen = (state.seen + [alarm.event.id])[-SEEN_LIMIT:]
    current = state.open.get(alarm.dedup_key)
    if current is not None:
        repeat = _event(current, alarm, incident_id=current.incident_id, seq=current.seq + 1,
                        kind="alarm_repeated", status=current.status, tier=current.tier, at=now,
                        detail=f"repeated by event {alarm.event.id}: {alarm.explanation}")
        return GridIncidents(open={**state.open, alarm.dedup_key: repeat}, seen=seen), [repeat]
    incident_id = incident_id_for(alarm)
    opened = _event(None, alarm, incident_id=incident_id, seq=1, kind="opened", status="new",
                    tier=assignment.tier, at=now, detail=alarm.explanation)
    dispatched = _event(opened, alarm, incident_id=incident_id, seq=2, kind="dispatched",
                        status="dispatched", tier=assignment.tier, at=now, detail=assignment.note)
    return GridIncidents(open={**state.open, alarm.dedup_key: dispatched}, seen=seen), [opened, dispatched]
