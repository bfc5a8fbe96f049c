"""Dispatch stage core: a ``dispatched`` timeline event in, an order for a tier's queue out.

The order names responders by id and carries the page text and the acceptance deadline; the
notifier turns it into pages, a department's own system may read the same queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from gridalert.config.model import Policies
from gridalert.incidents.routing import Responsibility
from gridalert.streams.records import DispatchOrder, IncidentEvent

LOCAL_TIME = ZoneInfo("Asia/Shanghai")


def page_text(event: IncidentEvent, accept_by: datetime) -> str:
    local = event.opened_at.astimezone(LOCAL_TIME)
    deadline = accept_by.astimezone(LOCAL_TIME)
    return "\n".join([
        event.title,
        f"地点 Place: {event.place.label()}",
        f"坐标 Point: {event.lon:.5f}, {event.lat:.5f}",
        f"原因 Why: {event.explanation}",
        f"事件 Incident: {event.incident_id} (opened {local:%Y-%m-%d %H:%M:%S} Beijing time)",
        f"请于 {deadline:%H:%M} 前接单 Please accept by {deadline:%H:%M}.",
    ])


def make_order(event: IncidentEvent, responsibility: Responsibility,
               policies: Policies) -> Optional[DispatchOrder]:
    """The order for a ``dispatched`` event; None for any other kind of timeline event.

    Deterministic: a replayed event yields the same order, deadline included.
    """
    if event.kind != "dispatched":
        return None
    people = responsibility.at(event.tier, event.place)
    accept_by = event.at + timedelta(seconds=policies.tiers[event.tier].accept_timeout_s)
    return DispatchOrder(
        id=f"{event.incident_id}:{event.seq}",
        incident_id=event.incident_id,
        step=event.seq,
        tier=event.tier,
        title=event.title,
        body=page_text(event, accept_by),
        place=event.place,
        responders=[p.id for p in people],
        issued_at=event.at,
        accept_by=accept_by,
    )
