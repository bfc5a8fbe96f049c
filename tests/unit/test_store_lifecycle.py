"""The projection of the incident lifecycle: revision 0002, departments, commands, timer audits.

Like tests/unit/test_store.py, every test taking ``database_url`` runs on SQLite, and on
PostgreSQL too when ``GRIDALERT_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import MetaData

from gridalert.store import (
    alembic_config,
    find_command_outcome,
    find_incident,
    get_timeline,
    list_audit,
    list_deliveries,
    list_departments,
    make_engine,
    make_sessionmaker,
    record_audits,
    record_incident_events,
    upgrade,
)
from gridalert.streams.records import PartitionAudit
from tests.unit.test_store import T0, step, table_names, write_events




def audit(partition: int, *, minutes: int, overdue: int = 0, app: str = "gridalert") -> PartitionAudit:
    return PartitionAudit(id=f"{app}:{partition}", partition=partition, at=T0 + timedelta(minutes=minutes),
                          open_incidents=3, pending_steps=5, overdue_steps=overdue,
                          max_overdue_s=12.5 * overdue)


def write_audits(sessions, *audits: PartitionAudit) -> int:
    with sessions.begin() as session:
        return record_audits(list(audits), session=session)


def departments(sessions, incident_id: str) -> list[tuple]:
    with sessions() as session:
        return [(d.department, d.status, d.tier, d.last_seq, d.accepted_by)
                for d in list_departments(incident_id, session=session)]


# --- revision 0002 ----------------------------------------------------------------------------


def write_as_revision_0001(url: str) -> None:
    """One incident with two steps and one page, written in the shape revision 0001 knew."""
    utc = T0.astimezone(timezone.utc)
    engine = make_engine(url)
    try:
        tables = MetaData()
        tables.reflect(engine)
        with engine.begin() as connection:
            connection.execute(tables.tables["incidents"].insert(), [dict(
                id="INC-1", status="dispatched", tier="grid", type="heat.reading", title="63.5 °C",
                severity="critical", klass="fire", dedup_key="heat:INC-1", explanation="", district="观山湖区",
                grid_id="G-01", grid_name=None, village=None, township=None, place_reason=None,
                lon=106.631, lat=26.621, opened_at=utc, updated_at=utc, last_seq=2, source_event_id="evt-1")])
            connection.execute(tables.tables["timeline"].insert(), [
                dict(id=f"INC-1:{seq}", incident_id="INC-1", seq=seq, kind=status, status=status, tier="grid",
                     at=utc, actor="gridalert", detail="") for seq, status in ((1, "new"), (2, "dispatched"))])
            connection.execute(tables.tables["deliveries"].insert(), [dict(
                id="INC-1:2:gh-1:json-1", incident_id="INC-1", step=2, person_id="gh-1", channel="json-1",
                ok=True, attempts=1, error=None, at=utc)])
    finally:
        engine.dispose()


def test_upgrading_a_database_with_0001_data_keeps_every_row(database_url):
    command.upgrade(alembic_config(database_url), "0001")
    write_as_revision_0001(database_url)
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            row = find_incident("INC-1", session=session)
            assert (row.status, row.last_seq, row.alarm_count, row.opened_at) == ("dispatched", 2, 1, T0)
            assert (row.assignee, row.close_reason, row.rating, row.rating_comment) == (None, None, None, None)
            timeline = get_timeline("INC-1", session=session)
            assert [(s.seq, s.department, s.command_id, s.late_s) for s in timeline] == [
                (1, None, None, None), (2, None, None, None)]
            assert len(list_deliveries("INC-1", session=session)) == 1
    finally:
        engine.dispose()


def test_an_incident_from_before_0002_moves_on_with_the_new_columns(database_url):
    command.upgrade(alembic_config(database_url), "0001")
    write_as_revision_0001(database_url)
    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        write_events(sessions, step("INC-1", 3, "accepted", assignee="gh-1", alarm_count=2))
        with sessions() as session:
            row = find_incident("INC-1", session=session)
            assert (row.status, row.assignee, row.alarm_count) == ("accepted", "gh-1", 2)
            assert [s.seq for s in get_timeline("INC-1", session=session)] == [1, 2, 3]
    finally:
        engine.dispose()


def test_downgrading_to_0001_keeps_the_rows_and_drops_only_the_new_tables(database_url):
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        write_events(make_sessionmaker(engine), step("INC-1", 1, "new"),
                     step("INC-1", 2, "new", kind="dept_dispatched", department="fire", command_id="c-1"))
        command.downgrade(alembic_config(database_url), "0001")
        assert table_names(database_url) == {"incidents", "timeline", "deliveries", "alembic_version"}
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM timeline").scalar() == 2
            assert connection.exec_driver_sql("SELECT status FROM incidents").scalar() == "new"
        upgrade(database_url)  # and back again
    finally:
        engine.dispose()


# --- the incident's new columns ---------------------------------------------------------------


def test_the_incident_shows_assignee_alarms_closing_and_rating_of_its_newest_step(sessions):
    write_events(sessions,
                 step("INC-1", 1, "new"),
                 step("INC-1", 2, "new", kind="alarm_repeated", alarm_count=4),
                 step("INC-1", 3, "closed", assignee="gh-1", alarm_count=4, close_reason="false alarm"),
                 step("INC-1", 4, "closed", kind="rated", assignee="gh-1", alarm_count=4,
                      close_reason="false alarm", rating=2, rating_comment="慢了"))
    with sessions() as session:
        row = find_incident("INC-1", session=session)
    assert (row.assignee, row.alarm_count, row.close_reason) == ("gh-1", 4, "false alarm")
    assert (row.rating, row.rating_comment) == (2, "慢了")


def test_a_late_older_step_does_not_take_back_a_rating(sessions):
    write_events(sessions, step("INC-1", 4, "closed", kind="rated", rating=5))
    write_events(sessions, step("INC-1", 3, "closed"))
    with sessions() as session:
        assert find_incident("INC-1", session=session).rating == 5


def test_a_timeline_step_keeps_its_department_assignee_command_and_lateness(sessions):
    write_events(sessions, step("INC-1", 1, "new"),
                 step("INC-1", 2, "dispatched", kind="dept_repaged", department="fire", late_s=1.5),
                 step("INC-1", 3, "accepted", assignee="gh-1", command_id="cmd-7"))
    with sessions() as session:
        assert [(s.kind, s.department, s.assignee, s.command_id, s.late_s)
                for s in get_timeline("INC-1", session=session)] == [
            ("new", None, None, None, None),
            ("dept_repaged", "fire", None, None, 1.5),
            ("accepted", None, "gh-1", "cmd-7", None)]


def test_an_unknown_incident_is_not_found(sessions):
    with sessions() as session:
        assert find_incident("INC-404", session=session) is None


# --- departments of a joint dispatch (联合处置) --------------------------------------------------


def test_each_department_shows_its_own_state_not_the_incidents(sessions):
    write_events(sessions,
                 step("INC-1", 1, "new"),
                 step("INC-1", 2, "dispatched", kind="dept_dispatched", department="fire"),
                 step("INC-1", 3, "dispatched", kind="dept_dispatched", department="power"),
                 step("INC-1", 4, "dispatched", kind="dept_accepted", department="fire", actor="fire-desk"),
                 step("INC-1", 5, "dispatched", kind="dept_escalated", department="power", tier="village"))
    assert departments(sessions, "INC-1") == [
        ("fire", "accepted", "grid", 4, "fire-desk"),
        ("power", "dispatched", "village", 5, None)]
    with sessions() as session:
        assert find_incident("INC-1", session=session).status == "dispatched"


@pytest.mark.parametrize("kind, status", [
    ("dept_dispatched", "dispatched"),
    ("dept_repaged", "dispatched"),
    ("dept_escalated", "dispatched"),
    ("dept_accepted", "accepted"),
])
def test_a_department_step_sets_the_departments_status(sessions, kind, status):
    write_events(sessions, step("INC-1", 1, "dispatched", kind=kind, department="fire"))
    assert [d[:2] for d in departments(sessions, "INC-1")] == [("fire", status)]


@pytest.mark.parametrize("batches", [
    pytest.param([[4], [3]], id="a late older step in a later batch"),
    pytest.param([[4, 3]], id="an older step after a newer one in one batch"),
    pytest.param([[3, 4], [3, 4]], id="a replay"),
])
def test_a_department_never_moves_back_to_an_older_step(sessions, batches):
    kinds = {3: "dept_escalated", 4: "dept_accepted"}
    for batch in batches:
        write_events(sessions, *[step("INC-1", seq, "dispatched", kind=kinds[seq], department="fire")
                                 for seq in batch])
    assert departments(sessions, "INC-1") == [("fire", "accepted", "grid", 4, "gridalert")]


def test_a_step_naming_a_department_without_changing_it_leaves_the_department_as_it_was(sessions):
    write_events(sessions, step("INC-1", 1, "dispatched", kind="dept_accepted", department="fire"),
                 step("INC-1", 2, "dispatched", kind="command_refused", department="fire", command_id="c-9"))
    assert departments(sessions, "INC-1") == [("fire", "accepted", "grid", 1, "gridalert")]


def test_an_incident_without_joint_dispatch_has_no_departments(sessions):
    write_events(sessions, step("INC-1", 1, "new"), step("INC-1", 2, "dispatched"))
    assert departments(sessions, "INC-1") == []


# --- command outcomes -------------------------------------------------------------------------


def test_the_step_a_command_produced_is_found_by_the_commands_id(sessions):
    write_events(sessions, step("INC-1", 1, "new"), step("INC-1", 2, "dispatched"),
                 step("INC-1", 3, "accepted", actor="gh-1", command_id="cmd-accept"),
                 step("INC-1", 4, "accepted", kind="command_refused", actor="vs-1", command_id="cmd-late"))
    with sessions() as session:
        accepted = find_command_outcome("cmd-accept", session=session)
        refused = find_command_outcome("cmd-late", session=session)
    assert (accepted.id, accepted.kind, accepted.actor) == ("INC-1:3", "accepted", "gh-1")
    assert (refused.id, refused.kind) == ("INC-1:4", "command_refused")


def test_a_command_not_applied_yet_has_no_outcome(sessions):
    write_events(sessions, step("INC-1", 1, "new"))
    with sessions() as session:
        assert find_command_outcome("cmd-pending", session=session) is None


# --- partition audits -------------------------------------------------------------------------


def test_audits_are_listed_by_partition(sessions):
    assert write_audits(sessions, audit(2, minutes=1), audit(0, minutes=1), audit(1, minutes=1)) == 3
    with sessions() as session:
        assert [a.id for a in list_audit(session=session)] == ["gridalert:0", "gridalert:1", "gridalert:2"]


@pytest.mark.parametrize("first, then, stored, written", [
    pytest.param((1, 0), (2, 3), (2, 3), 1, id="a newer audit replaces the stored one"),
    pytest.param((2, 3), (1, 0), (2, 3), 0, id="an older audit arriving late changes nothing"),
    pytest.param((2, 3), (2, 3), (2, 3), 0, id="a replay changes nothing"),
])
def test_a_partitions_newest_audit_wins(sessions, first, then, stored, written):
    write_audits(sessions, audit(0, minutes=first[0], overdue=first[1]))
    assert write_audits(sessions, audit(0, minutes=then[0], overdue=then[1])) == written
    with sessions() as session:
        [row] = list_audit(session=session)
    assert (row.at, row.overdue_steps, row.max_overdue_s) == (
        T0 + timedelta(minutes=stored[0]), stored[1], 12.5 * stored[1])
    assert row.at.tzinfo == timezone.utc


def test_within_one_batch_the_newest_audit_wins(sessions):
    assert write_audits(sessions, audit(0, minutes=5, overdue=1), audit(0, minutes=4, overdue=9)) == 1
    with sessions() as session:
        assert [a.overdue_steps for a in list_audit(session=session)] == [1]


def test_an_empty_batch_of_audits_writes_nothing(sessions):
    with sessions.begin() as session:
        assert record_audits([], session=session) == 0
        assert record_incident_events([], session=session) == 0
