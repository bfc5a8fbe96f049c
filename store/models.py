"""Tables of the SQL projection: incidents, their timelines and departments, pages, timer audits.

The projection is a read model written from Kafka topics (``gridalert.incidents``,
``gridalert.deliveries``, ``gridalert.audit``); the topics are the truth and these rows can always
be rebuilt from them. Every row's primary key is the id of the record it came from (for a
department, incident and department), which is what makes the writes idempotent. Times are
stored in UTC and always come back timezone-aware.

This module declares tables only; writing is ``store.projection``, reading ``store.queries``, and
the schema reaches a database through the Alembic migrations, never ``create_all``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that later migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC.

    PostgreSQL keeps it as ``timestamptz``; SQLite has no time zones, so the value is stored as
    naive UTC text (which also sorts correctly) and given back its UTC zone on the way out.
    A naive datetime is refused: it would be stored at the wrong instant without anyone noticing.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to a UTC column; attach a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {str: String(), datetime: UTCDateTime(), float: Float()}


class Incident(Base):
    """An incident's latest known state (one row per incident, from its highest-``seq`` event).

    ``grid_id`` is None for a place in no grid (``place_reason`` says why); the district
    centre owns such incidents.
    """

    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(primary_key=True)  # the incident id
    status: Mapped[str] = mapped_column(index=True)
    tier: Mapped[str]
    type: Mapped[str]
    title: Mapped[str] = mapped_column(Text)
    severity: Mapped[str]
    klass: Mapped[str]
    dedup_key: Mapped[str]
    explanation: Mapped[str] = mapped_column(Text, default="")
    district: Mapped[str]
    grid_id: Mapped[Optional[str]] = mapped_column(index=True)
    grid_name: Mapped[Optional[str]]
    village: Mapped[Optional[str]]
    township: Mapped[Optional[str]]
    place_reason: Mapped[Optional[str]]
    lon: Mapped[float]
    lat: Mapped[float]
    opened_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]  # ``at`` of the event the row now reflects
    last_seq: Mapped[int] = mapped_column(Integer)
    source_event_id: Mapped[str]
    alarm_count: Mapped[int] = mapped_column(Integer, server_default="1")  # alarms folded into it
    assignee: Mapped[Optional[str]]
    close_reason: Mapped[Optional[str]] = mapped_column(Text)
    rating: Mapped[Optional[int]] = mapped_column(Integer)
    rating_comment: Mapped[Optional[str]] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"Incident({self.id!r}, status={self.status!r}, tier={self.tier!r}, seq={self.last_seq})"


class TimelineEntry(Base):
    """One step of an incident's timeline (an ``IncidentEvent``), kept forever."""

    __tablename__ = "timeline"
    # The unique index leads with incident_id, so it also serves "the timeline of one incident";
    # a second index on incident_id alone would only slow the writes.
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[str] = mapped_column(primary_key=True)  # "<incident_id>:<seq>"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str]
    status: Mapped[str]
    tier: Mapped[str]
    at: Mapped[datetime]
    actor: Mapped[str]
    detail: Mapped[str] = mapped_column(Text)
    department: Mapped[Optional[str]]  # set on a joint-dispatch department's own step
    assignee: Mapped[Optional[str]]
    command_id: Mapped[Optional[str]] = mapped_column(index=True)  # the command this step applied
    late_s: Mapped[Optional[float]]  # how long after its deadline a timer step fired

    def __repr__(self) -> str:
        return f"TimelineEntry({self.id!r}, kind={self.kind!r}, status={self.status!r})"


class DeliveryEntry(Base):
    """One attempt at paging one person on one channel for one dispatch step, and its result.

    One row per attempt (``id`` is ``<sent_key>:<rule>:<attempt>``); rows written before 0003 hold
    one row per channel with ``id`` = ``sent_key`` and the count of attempts. No foreign key to
    ``incidents``: deliveries come from another topic and may be projected before their incident is.
    """

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(primary_key=True)  # "<incident_id>:<step>:<person_id>:<channel>:<rule>:<attempt>"
    incident_id: Mapped[str] = mapped_column(index=True)
    step: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[str]
    channel: Mapped[str]
    ok: Mapped[bool]
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime]
    sent_key: Mapped[Optional[str]]  # "<incident_id>:<step>:<person_id>:<channel>", the sent-log key
    cause: Mapped[Optional[str]]  # rule, failover, deputy, retry, reply, stand_down
    rule: Mapped[Optional[int]] = mapped_column(Integer)  # the person's rule that sent it
    deputy_for: Mapped[Optional[str]]  # a deputy's page: whom they stand in for
    retryable: Mapped[Optional[bool]]  # a failure: was it worth retrying

    def __repr__(self) -> str:
        return f"DeliveryEntry({self.id!r}, ok={self.ok}, attempts={self.attempts})"


class IncidentDepartment(Base):
    """One department's part in a joint dispatch (联合处置), from its highest-``seq`` step.

    ``status`` is the department's own (``dispatched``, ``accepted``), not the incident's;
    ``accepted_by`` is the actor of its ``dept_accepted`` step.
    """

    __tablename__ = "incident_departments"

    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    department: Mapped[str] = mapped_column(primary_key=True)
    tier: Mapped[str]
    status: Mapped[str]
    last_seq: Mapped[int] = mapped_column(Integer)
    accepted_by: Mapped[Optional[str]]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"IncidentDepartment({self.incident_id!r}, {self.department!r}, status={self.status!r})"


class PartitionAuditEntry(Base):
    """How one partition's timers stood at ``at`` (the newest ``PartitionAudit`` per id)."""

    __tablename__ = "partition_audit"

    id: Mapped[str] = mapped_column(primary_key=True)  # "<app>:<partition>"
    partition: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    open_incidents: Mapped[int] = mapped_column(Integer)
    pending_steps: Mapped[int] = mapped_column(Integer)
    overdue_steps: Mapped[int] = mapped_column(Integer)
    max_overdue_s: Mapped[float]

    def __repr__(self) -> str:
        return f"PartitionAuditEntry({self.id!r}, overdue={self.overdue_steps}, at={self.at.isoformat()})"


__all__ = ["Base", "DeliveryEntry", "Incident", "IncidentDepartment", "NAMING_CONVENTION", "PartitionAuditEntry",
           "TimelineEntry", "UTCDateTime"]


class ApiToken(Base):
    """A bearer token of the command centre's API (``gridalert token``).

    Only the SHA-256 of the token's secret is kept; the token itself is shown once, when it is
    created. A token is a person's (their roster role and area decide what it may see and do) or a
    read-only viewer's of one area. Revoking keeps the row, so the audit still names its owner.
    """

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(primary_key=True)  # the public part of the token
    secret_sha256: Mapped[str]
    person_id: Mapped[Optional[str]]
    viewer_area: Mapped[Optional[str]]
    viewer_kind: Mapped[Optional[str]]
    label: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[Optional[datetime]]
