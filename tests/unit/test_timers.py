"""Durable timers (``agents/timers.py``) and a grid's incidents kept one row each
(``agents/incident.GridRows``): what a tick finds due, what a write costs, what a rebalance rebuilds.

The tables are real faust tables in this process (memory store, as in the worker); their
changelog producer is replaced by one that serialises and counts (``benchmarks.inprocess``).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest

from benchmarks.inprocess import Changelog, offline_app, on_partition
from gridalert.agents.incident import GridRows
from gridalert.agents.timers import PartitionTimers, TimedTable
from gridalert.incidents.book import Book
from gridalert.streams.records import DetectorState, GridIncidents
from tests.support.district import T0, after, alarm, book, command

AT = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


# ---- the in-memory index of one partition ---------------------------------------------------

def test_a_tick_finds_the_keys_due_earliest_first_and_they_stay_due_until_their_deadline_moves():
    timers = PartitionTimers()
    timers.set("b", 20.0, (1, 1))
    timers.set("a", 10.0, (1, 1))
    timers.set("c", 30.0, (1, 1))
    assert timers.due_keys(5.0) == []
    assert timers.due_keys(25.0) == ["a", "b"]
    assert timers.due_keys(25.0) == ["a", "b"]  # nothing moved them: still due
    timers.set("a", 40.0, (1, 1))
    timers.set("b", None, (0, 0))
    assert timers.due_keys(35.0) == ["c"]
    assert timers.counts == {"a": (1, 1), "c": (1, 1)}


def test_the_index_agrees_with_reading_every_key_through_many_moves():
    rng, timers, truth = random.Random(3), PartitionTimers(), {}
    for n in range(20_000):
        key = f"k{rng.randrange(300)}"
        due = None if rng.random() < 0.1 else float(rng.randrange(1000))
        timers.set(key, due, (0, 1) if due is not None else (0, 0))
        if due is None:
            truth.pop(key, None)
        else:
            truth[key] = due
        if n % 97 == 0:
            moment = float(rng.randrange(1000))
            expected = sorted((d, k) for k, d in truth.items() if d <= moment)
            assert [k for _, k in sorted((truth[k], k) for k in timers.due_keys(moment))] == [k for _, k in expected]
    assert len(timers.heap) <= 2 * len(timers.due) + 64  # stale entries are swept, not kept for ever


# ---- a TimedTable on faust tables -----------------------------------------------------------

def silence_step(due: Optional[float]):
    """A detector-like step: the subject's state, due at ``due`` (None: nothing pending)."""
    def step(state: Optional[DetectorState]):
        return DetectorState(detector="activity", subject="r-1", state={"due": due}, seen=[]), []
    return step


def detector_table(app) -> TimedTable[DetectorState]:
    return TimedTable(app, "detector-states", DetectorState, 4,
                      next_due=lambda s: datetime.fromtimestamp(s.state["due"], timezone.utc)
                      if s is not None and s.state.get("due") is not None else None,
                      counts=lambda s: (0, 1) if s is not None and s.state.get("due") is not None else (0, 0))


def test_a_write_that_does_not_move_the_deadline_writes_the_state_only():
    app = offline_app("t-timers")
    table = detector_table(app)
    changelog = Changelog(table.tables, "gridalert.located")
    event = on_partition("gridalert.located", 2)
    table.apply(2, "G-1|activity|r-1", silence_step(AT.timestamp()))
    assert changelog.writes == {"detector-states": 1, "detector-states-due": 1}
    table.apply(2, "G-1|activity|r-1", lambda s: (s.derive(seen=["e-2"]), []))  # new state, same deadline
    assert changelog.writes == {"detector-states": 2, "detector-states-due": 1}
    table.apply(2, "G-1|activity|r-1", lambda s: (s, []))  # nothing changed: nothing written
    assert changelog.writes == {"detector-states": 2, "detector-states-due": 1}
    assert table.due_keys(2, AT) == ["G-1|activity|r-1"] and table.due_keys(1, AT) == []
    del event


def silent_until(due: float):
    """A silence detector's time step: fires (and forgets its deadline) once ``due`` has come."""
    def step(state: Optional[DetectorState], moment: datetime):
        if state is None or moment.timestamp() < state.state["due"]:
            return state, []
        return state.derive(state={"due": None}), ["silent"]
    return step


def test_a_deadline_moved_later_is_written_once_when_the_old_one_comes_and_fires_at_the_new_one():
    app = offline_app("t-later")
    table = detector_table(app)
    changelog = Changelog(table.tables, "gridalert.located")
    event = on_partition("gridalert.located", 1)
    key, first = "G-1|activity|r-1", AT.timestamp()
    table.apply(1, key, silence_step(first))
    for minute in range(1, 6):  # a reading a minute, each moving the silence deadline a minute later
        table.apply(1, key, silence_step(first + 60 * minute))
    assert changelog.writes == {"detector-states": 6, "detector-states-due": 1}  # the first deadline only
    real = first + 300

    def tick(at: float) -> list:
        return [out for _, out in table.apply_due(1, datetime.fromtimestamp(at, timezone.utc),
                                                   lambda s: silent_until(real)(s, datetime.fromtimestamp(at, timezone.utc)))]

    assert tick(first) == []  # woken at the old deadline: nothing due, the real one written
    assert changelog.writes == {"detector-states": 6, "detector-states-due": 2}
    assert table.due_keys(1, datetime.fromtimestamp(real - 1, timezone.utc)) == []
    assert tick(real - 1) == []
    assert tick(real) == ["silent"]
    assert table.due_keys(1, datetime.fromtimestamp(real + 3600, timezone.utc)) == []
    table.rebuild({1})  # the Timer row agrees with memory: nothing pending after a rebalance either
    assert table.due_keys(1, datetime.fromtimestamp(real + 3600, timezone.utc)) == []
    del event


def test_a_deadline_moved_earlier_is_written_at_once():
    app = offline_app("t-earlier")
    table = detector_table(app)
    changelog = Changelog(table.tables, "gridalert.located")
    event = on_partition("gridalert.located", 0)
    table.apply(0, "k", silence_step(AT.timestamp() + 600))
    table.apply(0, "k", silence_step(AT.timestamp()))
    assert changelog.writes == {"detector-states": 2, "detector-states-due": 2}
    table.rebuild({0})
    assert table.due_keys(0, AT) == ["k"]
    del event


def test_after_a_rebalance_the_worker_knows_the_deadlines_of_the_partitions_it_owns_and_only_those():
    app = offline_app("t-rebalance")
    table = detector_table(app)
    Changelog(table.tables, "gridalert.located")
    for partition, key, due in [(0, "G-0|activity|r", AT), (1, "G-1|activity|r", AT + timedelta(seconds=5)),
                                (1, "G-9|activity|r", AT + timedelta(hours=1))]:
        event = on_partition("gridalert.located", partition)
        table.apply(partition, key, silence_step(due.timestamp()))
    del event
    table.rebuild({1, 3})  # what ``on_recover`` does with the partitions now assigned
    assert table.due_keys(0, AT + timedelta(minutes=1)) == []  # revoked: another worker's now
    assert table.due_keys(1, AT + timedelta(minutes=1)) == ["G-1|activity|r"]
    assert list(table.keys(1)) == ["G-1|activity|r", "G-9|activity|r"]


def test_late_steps_are_counted_per_partition_and_survive_a_rebuild():
    app = offline_app("t-late")
    table = detector_table(app)
    Changelog(table.tables, "gridalert.located")
    event = on_partition("gridalert.located", 0)
    table.apply(0, "k", lambda s: (DetectorState(detector="d", subject="s", state={}, seen=["x"]), [3.5, 0.2]),
                late=lambda out: out)
    table.rebuild({0})
    assert (table.partition(0).late_steps, table.partition(0).max_late_s) == (1, 3.5)
    del event


# ---- a grid's incidents, a row each ---------------------------------------------------------

def incident_table(app) -> TimedTable[GridIncidents]:
    return TimedTable(app, "incident-grids", GridIncidents, 4, next_due=Book.next_due, counts=Book.counts,
                      rows=GridRows(app, 4))


def test_a_step_of_one_incident_writes_that_incident_not_the_grid():
    app = offline_app("t-grid-rows")
    table, b = incident_table(app), book()
    changelog = Changelog(table.tables, "gridalert.alarms", keep=True)
    event = on_partition("gridalert.alarms", 0)
    alarms = [alarm(device=f"tc-{n}", event_id=f"e-{n}") for n in range(20)]
    for n, a in enumerate(alarms):
        table.apply(0, "G-1", lambda s, a=a: b.on_alarm(s, a, T0 + timedelta(seconds=n)))
    assert len(table.get("G-1").incidents) == 20
    changelog.keys.clear()
    first = next(iter(table.get("G-1").incidents))
    table.apply(0, "G-1", lambda s: b.on_command(s, command("accept", first), after(30))[:2])
    assert [name for name, _ in changelog.keys].count("incident-states") == 1
    assert ("incident-states", f"G-1/{first}") in changelog.keys
    changelog.keys.clear()
    fired = table.apply_due(0, after(400), lambda s: b.on_tick(s, after(400)))
    assert {e.incident_id for _, e in fired} == set(table.get("G-1").incidents) - {first}
    assert [name for name, _ in changelog.keys].count("incident-states") == 19
    del event


@pytest.mark.parametrize("durable", [False, True])
def test_the_grid_read_back_is_the_grid_written(durable):
    app = offline_app(f"t-read-back-{durable}")
    table, b = incident_table(app), book()
    Changelog(table.tables, "gridalert.alarms")
    event = on_partition("gridalert.alarms", 0)
    table.apply(0, "G-1", lambda s: b.on_alarm(s, alarm(), T0))
    table.apply(0, "G-1", lambda s: b.on_alarm(s, alarm(device="tc-2", event_id="e-2"), T0))
    written = table.get("G-1")
    if durable:  # as a restarted worker reads its rows back from the changelog
        rows = table.rows
        for t in rows.tables:
            t.data.update({k: type(v).loads(v.dumps()) for k, v in t.data.items()})
    assert table.get("G-1").dumps() == written.dumps()
    del event
