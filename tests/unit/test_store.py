"""The SQL projection: migrations, idempotent writes from replayed topics, reads, and failures.

Every test that takes ``database_url`` runs on SQLite, and on PostgreSQL too when
``GRIDALERT_TEST_DATABASE_URL`` is set (see tests/conftest.py).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import OperationalError, StatementError

from gridalert.store import (
    Base,
    DatabaseUnavailable,
    Incident,
    TimelineEntry,
    get_timeline,
    list_deliveries,
    list_incidents,
    make_engine,
    make_sessionmaker,
    record_deliveries,
    record_incident_events,
    upgrade,
)
from gridalert.streams.records import Delivery, IncidentEvent, Place

BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 23, 2, 15, tzinfo=BEIJING)
TOWER = Place(district="观山湖区", grid_id="G-01", grid_name="金融城第1网格", village="金融城社区",
              township="金华园街道")
GAP = Place(district="观山湖区", reason="unassigned")
TABLES = {"incidents", "timeline", "deliveries", "incident_departments", "partition_audit", "api_tokens"}


def step(incident_id: str, seq: int, status: str, *, kind: str | None = None, tier: str = "grid",
         place: Place = TOWER, opened_at: datetime = T0, actor: str = "gridalert",
         **fields: Any) -> IncidentEvent:
    """One timeline step at ``opened_at`` + ``seq`` minutes; ``fields`` sets any other field."""
    return IncidentEvent(
        id=f"{incident_id}:{seq}", incident_id=incident_id, seq=seq, kind=kind or status, status=status,
        tier=tier, at=opened_at + timedelta(minutes=seq), actor=actor, detail=f"step {seq}",
        event_type="heat.reading", title="金融城第1网格 63.5 °C", severity="critical", klass="fire",
        dedup_key=f"heat:{incident_id}", place=place, lon=106.631, lat=26.621, opened_at=opened_at,
        source_event_id=f"evt-{incident_id}", explanation="63.5 °C ≥ alarm threshold 50.0 °C", **fields)


def page(incident_id: str, *, attempts: int, ok: bool, person: str = "gh-1", step_no: int = 2) -> Delivery:
    return Delivery(id=f"{incident_id}:{step_no}:{person}:json-1", incident_id=incident_id, step=step_no,
                    person_id=person, channel="json-1", ok=ok, attempts=attempts,
                    at=T0 + timedelta(seconds=attempts), error=None if ok else "HTTP 503")




def write_events(sessions, *events: IncidentEvent) -> int:
    with sessions.begin() as session:
        return record_incident_events(list(events), session=session)


def write_pages(sessions, *pages: Delivery) -> int:
    with sessions.begin() as session:
        return record_deliveries(list(pages), session=session)


def incident(sessions, incident_id: str) -> Incident:
    with sessions() as session:
        return session.get(Incident, incident_id)


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- migrations -------------------------------------------------------------------------------


def test_upgrade_creates_the_tables_on_an_empty_database(database_url):
    assert table_names(database_url) == set()
    upgrade(database_url)
    assert table_names(database_url) == TABLES | {"alembic_version"}


def test_upgrading_again_is_harmless_and_keeps_the_data(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    write_events(sessions, step("INC-1", 1, "new"))
    upgrade(database_url)
    upgrade(database_url)
    assert incident(sessions, "INC-1").status == "new"
    engine.dispose()


def test_concurrent_starters_upgrade_without_tripping_over_each_other(database_url):
    # Separate processes, as in production (the runner, several workers): each must succeed.
    code = "import sys; from gridalert.store import upgrade; upgrade(sys.argv[1])"
    starters = [subprocess.Popen([sys.executable, "-c", code, database_url], stderr=subprocess.PIPE, text=True)
                for _ in range(4)]
    failures = [p.stderr.read() for p in starters if p.wait(timeout=120) != 0]
    assert failures == []
    assert TABLES <= table_names(database_url)


def test_upgrades_from_several_threads_of_one_process_all_succeed(database_url):
    errors: list[BaseException] = []

    def start() -> None:
        try:
            upgrade(database_url)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_the_migrations_build_exactly_the_schema_the_models_declare(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_an_sqlite_file_in_a_missing_directory_gets_its_directory(tmp_path):
    url = f"sqlite:///{tmp_path / 'data' / 'nested' / 'gridalert.db'}"
    upgrade(url)
    assert (tmp_path / "data" / "nested" / "gridalert.db").is_file()


def test_sqlite_is_shared_through_wal_with_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gridalert.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


# --- incident events --------------------------------------------------------------------------


def test_new_steps_are_counted_and_the_incident_shows_the_latest(sessions):
    assert write_events(sessions, step("INC-1", 1, "new"), step("INC-1", 2, "dispatched")) == 2
    row = incident(sessions, "INC-1")
    assert (row.status, row.tier, row.last_seq) == ("dispatched", "grid", 2)
    assert (row.grid_id, row.grid_name, row.village, row.township) == ("G-01", "金融城第1网格", "金融城社区", "金华园街道")
    assert row.explanation == "63.5 °C ≥ alarm threshold 50.0 °C"


def test_replaying_the_same_events_inserts_nothing_and_keeps_the_state(sessions):
    events = [step("INC-1", 1, "new"), step("INC-1", 2, "dispatched"), step("INC-1", 3, "accepted")]
    write_events(sessions, *events)
    assert write_events(sessions, *events) == 0
    assert write_events(sessions, events[0]) == 0
    assert incident(sessions, "INC-1").status == "accepted"
    with sessions() as session:
        assert [s.seq for s in get_timeline("INC-1", session=session)] == [1, 2, 3]


def test_an_older_step_after_a_newer_one_does_not_move_the_incident_back(sessions):
    write_events(sessions, step("INC-1", 3, "accepted"))
    assert write_events(sessions, step("INC-1", 2, "dispatched", tier="village")) == 1
    row = incident(sessions, "INC-1")
    assert (row.status, row.tier, row.last_seq) == ("accepted", "grid", 3)
    with sessions() as session:
        assert [s.seq for s in get_timeline("INC-1", session=session)] == [2, 3], "the late step is still kept"


def test_within_one_batch_the_highest_seq_wins_whatever_the_order(sessions):
    write_events(sessions, step("INC-1", 2, "dispatched"), step("INC-1", 1, "new"))
    assert (incident(sessions, "INC-1").status, incident(sessions, "INC-1").last_seq) == ("dispatched", 2)


def test_times_come_back_as_the_same_instant_in_utc(sessions):
    write_events(sessions, step("INC-1", 1, "new"))
    row = incident(sessions, "INC-1")
    assert row.opened_at == T0 and row.opened_at.tzinfo == timezone.utc
    assert row.updated_at == T0 + timedelta(minutes=1)


def test_an_incident_outside_every_grid_is_stored_without_grid(sessions):
    write_events(sessions, step("INC-9", 1, "new", tier="district", place=GAP))
    row = incident(sessions, "INC-9")
    assert (row.grid_id, row.place_reason, row.district) == (None, "unassigned", "观山湖区")


def test_writers_leave_the_transaction_to_the_caller(sessions):
    with sessions() as session:
        assert record_incident_events([step("INC-1", 1, "new")], session=session) == 1
        assert record_deliveries([page("INC-1", attempts=1, ok=True)], session=session) == 1
        session.rollback()
    assert incident(sessions, "INC-1") is None
    with sessions() as session:
        assert list_deliveries("INC-1", session=session) == []


def test_a_naive_datetime_is_refused_rather_than_stored_at_the_wrong_instant(sessions):
    naive = step("INC-1", 1, "new")
    naive.at = naive.at.replace(tzinfo=None)
    with pytest.raises(StatementError, match="naive datetime"):
        write_events(sessions, naive)


def test_an_empty_batch_writes_nothing(sessions):
    with sessions.begin() as session:
        assert record_incident_events([], session=session) == 0
        assert record_deliveries([], session=session) == 0


def test_a_large_batch_is_written_in_full(sessions):
    events = [step(f"INC-{n}", seq, "new") for n in range(150) for seq in (1, 2)]
    assert write_events(sessions, *events) == 300
    with sessions() as session:
        assert len(session.scalars(select(TimelineEntry.id)).all()) == 300


# --- deliveries -------------------------------------------------------------------------------


def test_replaying_deliveries_writes_nothing(sessions):
    pages = [page("INC-1", attempts=1, ok=True), page("INC-1", attempts=1, ok=True, person="vs-1")]
    assert write_pages(sessions, *pages) == 2
    assert write_pages(sessions, *pages) == 0
    with sessions() as session:
        rows = list_deliveries("INC-1", session=session)
    assert [(d.person_id, d.ok) for d in rows] == [("gh-1", True), ("vs-1", True)]


@pytest.mark.parametrize("first, then, stored", [
    pytest.param((1, False), (3, True), (3, True), id="the retry that got through replaces the failure"),
    pytest.param((3, True), (1, False), (3, True), id="an earlier attempt arriving late changes nothing"),
    pytest.param((2, False), (2, False), (2, False), id="the same record again changes nothing"),
])
def test_a_delivery_is_replaced_only_by_one_with_more_attempts(sessions, first, then, stored):
    write_pages(sessions, page("INC-1", attempts=first[0], ok=first[1]))
    written = write_pages(sessions, page("INC-1", attempts=then[0], ok=then[1]))
    with sessions() as session:
        [row] = list_deliveries("INC-1", session=session)
    assert (row.attempts, row.ok) == stored
    assert row.error == (None if stored[1] else "HTTP 503")
    assert written == (1 if then[0] > first[0] else 0)


def test_within_one_batch_the_delivery_with_most_attempts_wins(sessions):
    assert write_pages(sessions, page("INC-1", attempts=2, ok=True), page("INC-1", attempts=1, ok=False)) == 1
    with sessions() as session:
        [row] = list_deliveries("INC-1", session=session)
    assert (row.attempts, row.ok) == (2, True)


def test_a_delivery_may_arrive_before_its_incident(sessions):
    assert write_pages(sessions, page("INC-7", attempts=1, ok=True)) == 1


# --- queries ----------------------------------------------------------------------------------


def test_incidents_are_listed_newest_first_and_filtered(sessions):
    write_events(sessions,
                 step("INC-1", 1, "new", opened_at=T0),
                 step("INC-2", 1, "new", opened_at=T0 + timedelta(hours=1), place=GAP, tier="district"),
                 step("INC-3", 2, "dispatched", opened_at=T0 + timedelta(hours=2)))
    with sessions() as session:
        assert [i.id for i in list_incidents(session=session)] == ["INC-3", "INC-2", "INC-1"]
        assert [i.id for i in list_incidents(session=session, status="new")] == ["INC-2", "INC-1"]
        assert [i.id for i in list_incidents(session=session, grid_id="G-01")] == ["INC-3", "INC-1"]
        assert [i.id for i in list_incidents(session=session, grid_id="unassigned")] == ["INC-2"]
        assert [i.id for i in list_incidents(session=session, limit=1)] == ["INC-3"]


def test_a_timeline_is_in_seq_order_and_empty_for_an_unknown_incident(sessions):
    write_events(sessions, step("INC-1", 3, "accepted"), step("INC-1", 1, "new"), step("INC-1", 2, "dispatched"))
    with sessions() as session:
        assert [(s.seq, s.kind) for s in get_timeline("INC-1", session=session)] == [
            (1, "new"), (2, "dispatched"), (3, "accepted")]
        assert get_timeline("INC-404", session=session) == []


# --- an unreachable database ------------------------------------------------------------------

@pytest.fixture
def unreachable_url() -> str:
    """A PostgreSQL URL with a password, on a loopback port nobody listens on."""
    return f"postgresql+psycopg://gridalert:s3cret-pw@127.0.0.1:{closed_port()}/gridalert"


def test_upgrade_against_an_unreachable_database_names_it_without_the_password(unreachable_url):
    with pytest.raises(DatabaseUnavailable) as raised:
        upgrade(unreachable_url)
    message = str(raised.value)
    assert "s3cret-pw" not in message and "gridalert:***@127.0.0.1" in message
    assert "database unavailable" in message and "\n" not in message


def test_reading_from_an_unreachable_database_raises_database_unavailable(unreachable_url):
    engine = make_engine(unreachable_url)
    try:
        with pytest.raises(DatabaseUnavailable) as raised, make_sessionmaker(engine)() as session:
            list_incidents(session=session)
    finally:
        engine.dispose()
    assert "s3cret-pw" not in str(raised.value)
    # Still an OperationalError: the recorder keeps retrying while the database is down.
    assert isinstance(raised.value, OperationalError)


def test_an_sqlite_file_that_cannot_be_created_is_unavailable(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(DatabaseUnavailable, match="cannot create directory"):
        upgrade(f"sqlite:///{blocker / 'gridalert.db'}")
