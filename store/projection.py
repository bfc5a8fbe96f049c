"""Write incident timelines and page outcomes into the projection, idempotently.

Kafka delivers at least once and a consumer may replay a partition from any offset, so every
write here is keyed by the record's own id and safe to repeat:

* a timeline step is inserted if absent, never changed;
* an incident row follows its highest ``seq`` only: a replayed or late older step never moves
  the state backwards (``IncidentEvent`` carries the whole state, so the newest step suffices);
* a delivery is inserted if absent, and replaced only by the same delivery with more attempts
  (a retry that came later, typically the one that finally got through).

Each write is one ``INSERT ... ON CONFLICT`` statement per batch chunk, so concurrent writers
cannot interleave a read and a write. The functions take the caller's session and never commit:
the caller owns the transaction (``with sessions.begin() as session:``).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gridalert.store.models import Base, DeliveryEntry, Incident, TimelineEntry
from gridalert.streams.records import Delivery, IncidentEvent

# Stay under SQLite's oldest limit of 999 bound parameters per statement.
_MAX_PARAMETERS = 900


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
    }


def _timeline_row(event: IncidentEvent) -> dict[str, Any]:
    return {"id": event.id, "incident_id": event.incident_id, "seq": event.seq, "kind": event.kind,
            "status": event.status, "tier": event.tier, "at": event.at, "actor": event.actor,
            "detail": event.detail}


def _delivery_row(delivery: Delivery) -> dict[str, Any]:
    return {"id": delivery.id, "incident_id": delivery.incident_id, "step": delivery.step,
            "person_id": delivery.person_id, "channel": delivery.channel, "ok": delivery.ok,
            "attempts": delivery.attempts, "error": delivery.error, "at": delivery.at}


def _newest_per_incident(events: Iterable[IncidentEvent]) -> list[IncidentEvent]:
    newest: dict[str, IncidentEvent] = {}
    for event in events:
        current = newest.get(event.incident_id)
        if current is None or event.seq > current.seq:
            newest[event.incident_id] = event
    return list(newest.values())


def _upsert_incidents(events: list[IncidentEvent], *, session: Session) -> None:
    insert = _insert_for(session)
    rows = [_incident_row(event) for event in _newest_per_incident(events)]
    for chunk in _chunks(rows, Incident):
        statement = insert(Incident).values(list(chunk))
        newer = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=[Incident.id],
            set_={name: newer[name] for name in rows[0] if name != "id"},
            where=Incident.last_seq < newer.last_seq,
        )
        session.execute(statement)


def record_incident_events(events: list[IncidentEvent], *, session: Session) -> int:
    """Project incident timeline steps; return how many steps were new (0 for a replay).

    Upserts each incident from its highest-``seq`` step (only if newer than the stored one),
    then inserts the steps not yet recorded. Does not commit.
    """
    if not events:
        return 0
    _upsert_incidents(events, session=session)
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
    if not deliveries:
        return 0
    most_attempts: dict[str, Delivery] = {}
    for delivery in deliveries:
        current = most_attempts.get(delivery.id)
        if current is None or delivery.attempts > current.attempts:
            most_attempts[delivery.id] = delivery
    insert = _insert_for(session)
    rows = [_delivery_row(delivery) for delivery in most_attempts.values()]
    written = 0
    for chunk in _chunks(rows, DeliveryEntry):
        statement = insert(DeliveryEntry).values(list(chunk))
        later = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=[DeliveryEntry.id],
            set_={name: later[name] for name in rows[0] if name != "id"},
            where=DeliveryEntry.attempts < later.attempts,
        )
        written += len(session.execute(statement.returning(DeliveryEntry.id)).all())
    return written
