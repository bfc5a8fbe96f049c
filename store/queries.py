"""Read the projection: incidents, timelines, departments, pages, command outcomes, timer audits.

Functions take the caller's session and return model objects; they never write. Rows come back
with timezone-aware UTC datetimes (convert for display at the edge).
"""

from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridalert.store.models import DeliveryEntry, Incident, IncidentDepartment, PartitionAuditEntry, TimelineEntry
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


def find_incident(incident_id: str, *, session: Session) -> Optional[Incident]:
    """One incident's latest known state, or None if it is not (yet) projected."""
    return session.get(Incident, incident_id)


def get_timeline(incident_id: str, *, session: Session) -> list[TimelineEntry]:
    """The steps of one incident in order (``seq`` ascending); empty if the incident is unknown."""
    statement = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id).order_by(TimelineEntry.seq)
    return list(session.scalars(statement))


def list_deliveries(incident_id: str, *, session: Session) -> list[DeliveryEntry]:
    """The pages sent for one incident, by dispatch step, then time, person and channel."""
    statement = (select(DeliveryEntry).where(DeliveryEntry.incident_id == incident_id)
                 .order_by(DeliveryEntry.step, DeliveryEntry.at, DeliveryEntry.person_id, DeliveryEntry.channel))
    return list(session.scalars(statement))


def list_departments(incident_id: str, *, session: Session) -> list[IncidentDepartment]:
    """The departments of one incident's joint dispatch, by name; empty if it has none."""
    statement = (select(IncidentDepartment).where(IncidentDepartment.incident_id == incident_id)
                 .order_by(IncidentDepartment.department))
    return list(session.scalars(statement))


def find_command_outcome(command_id: str, *, session: Session) -> Optional[TimelineEntry]:
    """The timeline step a command produced (``command_refused`` when it was refused).

    None while the command is not applied yet, or not yet projected: the caller polls. Should a
    command ever produce several steps, the first one is its outcome.
    """
    statement = (select(TimelineEntry).where(TimelineEntry.command_id == command_id)
                 .order_by(TimelineEntry.seq, TimelineEntry.id).limit(1))
    return session.scalars(statement).first()


def list_audit(*, session: Session) -> list[PartitionAuditEntry]:
    """The newest timer audit of every partition, by partition (then by app, in its id)."""
    statement = select(PartitionAuditEntry).order_by(PartitionAuditEntry.partition, PartitionAuditEntry.id)
    return list(session.scalars(statement))


def incidents_opened_between(since: datetime, until: datetime, *,
                             session: Session) -> list[tuple[Incident, list[TimelineEntry]]]:
    """Incidents opened in ``[since, until)`` with their timelines in order (for the key figures)."""
    incidents = list(session.scalars(select(Incident).where(Incident.opened_at >= since, Incident.opened_at < until)
                                     .order_by(Incident.opened_at, Incident.id)))
    steps: dict[str, list[TimelineEntry]] = {incident.id: [] for incident in incidents}
    ids = list(steps)
    for start in range(0, len(ids), 500):  # bounded IN lists for SQLite's parameter limit
        statement = (select(TimelineEntry).where(TimelineEntry.incident_id.in_(ids[start:start + 500]))
                     .order_by(TimelineEntry.incident_id, TimelineEntry.seq))
        for entry in session.scalars(statement):
            steps[entry.incident_id].append(entry)
    return [(incident, steps[incident.id]) for incident in incidents]


def search_incidents(*, session: Session, status: Optional[str] = None, event_type: Optional[str] = None,
                     tier: Optional[str] = None, district: Optional[str] = None, township: Optional[str] = None,
                     village: Optional[str] = None, grid_id: Optional[str] = None, department: Optional[str] = None,
                     since: Optional[datetime] = None, until: Optional[datetime] = None,
                     updated_after: Optional[datetime] = None, limit: Optional[int] = 100) -> list[Incident]:
    """Incidents matching every filter given (opened in ``[since, until)``, changed after
    ``updated_after``), newest opened first.

    ``department`` keeps incidents dispatched to that joint-dispatch department.
    """
    statement = select(Incident)
    for column, value in ((Incident.status, status), (Incident.type, event_type), (Incident.tier, tier),
                          (Incident.district, district), (Incident.township, township),
                          (Incident.village, village), (Incident.grid_id, grid_id)):
        if value is not None:
            statement = statement.where(column == value)
    if department is not None:
        statement = statement.where(Incident.id.in_(
            select(IncidentDepartment.incident_id).where(IncidentDepartment.department == department)))
    if since is not None:
        statement = statement.where(Incident.opened_at >= since)
    if until is not None:
        statement = statement.where(Incident.opened_at < until)
    if updated_after is not None:
        statement = statement.where(Incident.updated_at > updated_after)
    statement = statement.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit)
    return list(session.scalars(statement))


def open_incidents_by_grid(*, session: Session) -> dict[Optional[str], list[Incident]]:
    """Open incidents (not resolved, verified or closed) grouped by grid id (None: in no grid)."""
    grouped: dict[Optional[str], list[Incident]] = {}
    statement = select(Incident).where(Incident.status.not_in(("resolved", "verified", "closed")))
    for incident in session.scalars(statement):
        grouped.setdefault(incident.grid_id, []).append(incident)
    return grouped


def find_incident_by_dedup_suffix(suffix: str, *, session: Session) -> Optional[Incident]:
    """The newest incident whose dedup key ends with ``:<suffix>`` (a citizen report's id)."""
    statement = (select(Incident).where(Incident.dedup_key.like(f"%:{suffix}"))
                 .order_by(Incident.opened_at.desc()).limit(1))
    return session.scalars(statement).first()


def last_steps_of_kinds(incident_ids: Iterable[str], kinds: Iterable[str], *,
                        session: Session) -> dict[str, TimelineEntry]:
    """For each incident, its latest step (highest ``seq``) whose kind is one of ``kinds``;
    incidents with no such step are left out."""
    ids, wanted = list(incident_ids), list(kinds)
    if not ids or not wanted:
        return {}
    statement = (select(TimelineEntry).where(TimelineEntry.incident_id.in_(ids), TimelineEntry.kind.in_(wanted))
                 .order_by(TimelineEntry.incident_id, TimelineEntry.seq))
    return {step.incident_id: step for step in session.scalars(statement)}
