"""Write incident timelines, departments, page outcomes and timer audits into the projection.

Kafka delivers at least once and a consumer may replay a partition from any offset, so every
write here is keyed by the record's own id and safe to repeat:

* a timeline step is inserted if absent, never changed;
* an incident row follows its highest ``seq`` only: a replayed or late older step never moves
  the state backwards (``IncidentEvent`` carries the whole state, so the newest step suffices);
* a department of a joint dispatch follows the highest ``seq`` of its own steps (``dept_*``);
* a delivery is one attempt (its id ends in the attempt number): inserted if absent; a record
  of the older kind, one per channel, is replaced only by the same delivery with more attempts;
* a partition audit is replaced only by a newer one (by ``at``).

Each write is one ``INSERT ... ON CONFLICT`` statement per batch chunk, so concurrent writers
cannot interleave a read and a write. The functions take the caller's session and never commit:
the caller owns the transaction (``with sessions.begin() as session:``).
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Iterable, Iterator, Sequence, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gridalert.store.models import (
    Base,
    DeliveryEntry,
    Incident,
    IncidentDepartment,
    PartitionAuditEntry,
    TimelineEntry,
)
from gridalert.streams.records import Delivery, IncidentEvent, PartitionAudit

# Stay under SQLite's oldest limit of 999 bound parameters per statement.
_MAX_PARAMETERS = 900
T = TypeVar("T")

# A department's own state after each of its steps; the event's ``status`` is the incident's.
# Other steps that name a department (a refused command, say) leave the department as it was.
DEPARTMENT_STATUS = {
    "dept_dispatched": "dispatched",
    "dept_repaged": "dispatched",
    "dept_escalated": "dispatched",
    "dept_accepted": "accepted",
}


def _insert_for(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the projection supports PostgreSQL and SQLite, not {dialect}")


def _chunks(rows: Sequence[dict[str, Any]], model: type[Base]) -> Iterator[Sequence[dict[str, Any]]]:
    size = max(1, _MAX_PARAMETERS // len(model.__table__.columns))
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _incident_row(event: IncidentEvent) -> dict[str, Any]:
    place = event.place
    return {
        "id": event.incident_id, "status": event.status, "tier": event.tier, "type": event.event_type,
        "title": event.title, "severity": event.severity, "klass": event.klass,
        "dedup_key": event.dedup_key, "explanation": event.explanation or "",
        "district": place.district, "grid_id": place.grid_id, "grid_name": place.grid_name,
        "village": place.village, "township": place.township, "place_reason": place.reason,
        "lon": event.lon, "lat": event.lat, "opened_at": event.opened_at, "updated_at": event.at,
        "last_seq": event.seq, "source_event_id": event.source_event_id,
        "alarm_count": event.alarm_count, "assignee": event.assignee, "close_reason": event.close_reason,
        "rating": event.rating, "rating_comment": event.rating_comment,
    }


def _timeline_row(event: IncidentEvent) -> dict[str, Any]:
    return {"id": event.id, "incident_id": event.incident_id, "seq": event.seq, "kind": event.kind,
            "status": event.status, "tier": event.tier, "at": event.at, "actor": event.actor,
            "detail": event.detail, "department": event.department, "assignee": event.assignee,
            "command_id": event.command_id, "late_s": event.late_s}


def _department_row(event: IncidentEvent) -> dict[str, Any]:
    status = DEPARTMENT_STATUS[event.kind]
    return {"incident_id": event.incident_id, "department": event.department, "tier": event.dept_tier or event.tier,
            "status": status, "last_seq": event.seq, "updated_at": event.at,
            "accepted_by": event.actor if status == "accepted" else None}


def _audit_row(audit: PartitionAudit) -> dict[str, Any]:
    return {"id": audit.id, "partition": audit.partition, "at": audit.at,
            "open_incidents": audit.open_incidents, "pending_steps": audit.pending_steps,
            "overdue_steps": audit.overdue_steps, "max_overdue_s": audit.max_overdue_s}


def _delivery_row(delivery: Delivery) -> dict[str, Any]:
    return {"id": delivery.id, "incident_id": delivery.incident_id, "step": delivery.step,
            "person_id": delivery.person_id, "channel": delivery.channel, "ok": delivery.ok,
            "attempts": delivery.attempts, "error": delivery.error, "at": delivery.at,
            "sent_key": delivery.sent_key, "cause": delivery.cause, "rule": delivery.rule,
            "deputy_for": delivery.deputy_for, "retryable": delivery.retryable}


def _newest(items: Iterable[T], key: Callable[[T], Hashable], order: Callable[[T], Any]) -> list[T]:
    """One item per ``key``: the one with the greatest ``order`` (the first of equals)."""
    newest: dict[Hashable, T] = {}
    for item in items:
        current = newest.get(key(item))
        if current is None or order(item) > order(current):
            newest[key(item)] = item
    return list(newest.values())


def _upsert_forward(model: type[Base], rows: list[dict[str, Any]], order: str, *, session: Session) -> int:
    """Insert ``rows``, or replace stored rows whose ``order`` column is smaller; count the writes."""
    if not rows:
        return 0
    insert = _insert_for(session)
    keys = [column.name for column in model.__table__.primary_key]
    written = 0
    for chunk in _chunks(rows, model):
        statement = insert(model).values(list(chunk))
        newer = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: newer[name] for name in rows[0] if name not in keys},
            where=model.__table__.c[order] < newer[order],
        )
        written += len(session.execute(statement.returning(*model.__table__.primary_key)).all())
    return written


def _upsert_incidents(events: list[IncidentEvent], *, session: Session) -> None:
    newest = _newest(events, key=lambda e: e.incident_id, order=lambda e: e.seq)
    _upsert_forward(Incident, [_incident_row(event) for event in newest], "last_seq", session=session)


def _upsert_departments(events: list[IncidentEvent], *, session: Session) -> None:
    steps = [event for event in events if event.department and event.kind in DEPARTMENT_STATUS]
    newest = _newest(steps, key=lambda e: (e.incident_id, e.department), order=lambda e: e.seq)
    _upsert_forward(IncidentDepartment, [_department_row(event) for event in newest], "last_seq", session=session)


def record_incident_events(events: list[IncidentEvent], *, session: Session) -> int:
    """Project incident timeline steps; return how many steps were new (0 for a replay).

    Upserts each incident from its highest-``seq`` step and each department of a joint dispatch
    from its highest-``seq`` department step (each only if newer than the stored one), then
    inserts the steps not yet recorded. Does not commit.
    """
    if not events:
        return 0
    _upsert_incidents(events, session=session)
    _upsert_departments(events, session=session)
    insert = _insert_for(session)
    rows = list({event.id: _timeline_row(event) for event in events}.values())
    inserted = 0
    for chunk in _chunks(rows, TimelineEntry):
        # No conflict target: a clash on the id or on (incident_id, seq) both mean "already there".
        statement = insert(TimelineEntry).values(list(chunk)).on_conflict_do_nothing()
        inserted += len(session.execute(statement.returning(TimelineEntry.id)).all())
    return inserted


def record_deliveries(deliveries: list[Delivery], *, session: Session) -> int:
    """Project page outcomes; return how many rows were inserted or replaced (0 for a replay).

    A delivery already stored is replaced only by one with more attempts. Does not commit.
    """
    most_attempts = _newest(deliveries, key=lambda d: d.id, order=lambda d: d.attempts)
    return _upsert_forward(DeliveryEntry, [_delivery_row(d) for d in most_attempts], "attempts", session=session)


def record_audits(audits: list[PartitionAudit], *, session: Session) -> int:
    """Project partition timer audits; return how many rows were inserted or replaced.

    An audit already stored is replaced only by a newer one (greater ``at``). Does not commit.
    """
    newest = _newest(audits, key=lambda a: a.id, order=lambda a: a.at)
    return _upsert_forward(PartitionAuditEntry, [_audit_row(a) for a in newest], "at", session=session)
