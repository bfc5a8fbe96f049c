"""Read the projection: incident lists, one incident's timeline, the pages sent for it.

Functions take the caller's session and return model objects; they never write. Rows come back
with timezone-aware UTC datetimes (convert for display at the edge).
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridalert.store.models import DeliveryEntry, Incident, TimelineEntry
from gridalert.streams.records import UNASSIGNED


def list_incidents(*, session: Session, status: Optional[str] = None, grid_id: Optional[str] = None,
                   limit: int = 100) -> list[Incident]:
    """Incidents, newest opened first; optionally only one status and/or one grid.

    ``grid_id="unassigned"`` selects the incidents outside every grid (stored with no grid id).
    """
    statement = select(Incident)
    if status is not None:
        statement = statement.where(Incident.status == status)
    if grid_id == UNASSIGNED:
        statement = statement.where(Incident.grid_id.is_(None))
    elif grid_id is not None:
        statement = statement.where(Incident.grid_id == grid_id)
    statement = statement.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit)
    return list(session.scalars(statement))


def get_timeline(incident_id: str, *, session: Session) -> list[TimelineEntry]:
    """The steps of one incident in order (``seq`` ascending); empty if the incident is unknown."""
    statement = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id).order_by(TimelineEntry.seq)
    return list(session.scalars(statement))


def list_deliveries(incident_id: str, *, session: Session) -> list[DeliveryEntry]:
    """The pages sent for one incident, by dispatch step, then time, person and channel."""
    statement = (select(DeliveryEntry).where(DeliveryEntry.incident_id == incident_id)
                 .order_by(DeliveryEntry.step, DeliveryEntry.at, DeliveryEntry.person_id, DeliveryEntry.channel))
    return list(session.scalars(statement))
