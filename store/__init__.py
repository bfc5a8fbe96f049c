"""store: the SQL projection of incidents, timelines, departments, pages and timer audits.

Owns the tables (``models``), their Alembic migrations (``migrations``, applied by ``upgrade``
before any process starts), engines and sessions (``db``), the idempotent writers fed from
``gridalert.incidents``, ``gridalert.deliveries`` and ``gridalert.audit`` (``projection``) and
the readers used by the command line and tests (``queries``). Works on SQLite (one file, WAL)
and PostgreSQL.

It must not decide anything: the Kafka topics are the truth and the pipeline's state lives in
Faust tables; these rows are rebuilt from the topics and nothing in the pipeline reads them back
to act on. Data functions take ``*, session`` and never open, commit or roll back a session, and
nothing here calls ``create_all``.
"""

from gridalert.store.db import (
    DatabaseUnavailable,
    alembic_config,
    make_engine,
    make_sessionmaker,
    safe_url,
    upgrade,
)
from gridalert.store.models import (
    ApiToken,
    Base,
    DeliveryEntry,
    Incident,
    IncidentDepartment,
    PartitionAuditEntry,
    TimelineEntry,
)
from gridalert.store.projection import record_audits, record_deliveries, record_incident_events
from gridalert.store.queries import (
    find_command_outcome,
    find_incident,
    find_incident_by_dedup_suffix,
    get_timeline,
    incidents_opened_between,
    last_steps_of_kinds,
    list_audit,
    list_deliveries,
    list_departments,
    list_incidents,
    open_incidents_by_grid,
    search_incidents,
)

__all__ = [
    "ApiToken",
    "Base",
    "DatabaseUnavailable",
    "DeliveryEntry",
    "Incident",
    "IncidentDepartment",
    "PartitionAuditEntry",
    "TimelineEntry",
    "alembic_config",
    "find_command_outcome",
    "find_incident",
    "find_incident_by_dedup_suffix",
    "get_timeline",
    "incidents_opened_between",
    "last_steps_of_kinds",
    "list_audit",
    "list_deliveries",
    "list_departments",
    "list_incidents",
    "open_incidents_by_grid",
    "search_incidents",
    "make_engine",
    "make_sessionmaker",
    "record_audits",
    "record_deliveries",
    "record_incident_events",
    "safe_url",
    "upgrade",
]
