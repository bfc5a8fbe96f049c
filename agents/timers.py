"""Keyed state with durable deadlines: a Faust table, a row per key of when it is next due, and an
in-memory index per partition that a clock tick reads.

Shared by the stages that keep timers: incident escalation (keyed by grid), the detectors that
watch for silence (keyed by grid and subject) and the paging plans (keyed by order and person).

``apply`` runs a pure step on one key's state and keeps the timers in step with it, between two
awaits, so agents of the same partition never interleave inside it. What a write costs does not
grow with the number of keys: the state row of that key, and its ``Timer`` row (``<name>-due``)
only when its earliest deadline moved earlier, appeared or went, or its counts moved. A deadline
that only moved later keeps the earlier time as a wake-up: the tick then finds nothing due and
writes the real one (``_keep_timer``). The clock's tick asks ``due_keys``, which pops a heap of due
times: it touches only what is due, not every key of the partition.

The in-memory index is rebuilt from the ``Timer`` rows after every rebalance (the rows carry their
partition), so a worker that takes a partition over knows its deadlines before its streams resume.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Generic, Iterator, Optional, Protocol, TypeVar

import faust

from gridalert.streams.records import LateSteps, Timer

S = TypeVar("S")
LATE_GRACE_S = 1.0
Step = Callable[[Optional[S]], tuple[Optional[S], list[Any]]]


class Rows(Protocol[S]):
    """Where a TimedTable keeps its states: one Faust table (``TableRows``) or several (e.g. a
    grid's incidents, one row each)."""

    tables: list

    def get(self, key: str) -> Optional[S]: ...

    def put(self, key: str, before: Optional[S], after: Optional[S]) -> None: ...


class TableRows(Generic[S]):
    """One row per key in one Faust table; ``None`` deletes the row."""

    def __init__(self, app: faust.App, name: str, value_type: type, partitions: int):
        self.table = app.Table(name, key_type=str, value_type=value_type, partitions=partitions)
        self.tables = [self.table]

    def get(self, key: str) -> Optional[S]:
        return self.table.get(key)

    def put(self, key: str, before: Optional[S], after: Optional[S]) -> None:
        if after is None:
            self.table.pop(key, None)
        else:
            self.table[key] = after


@dataclass
class PartitionTimers:
    """One partition's deadlines in memory: each key's earliest due time (epoch seconds) and counts.

    ``heap`` holds (due, key) pairs, some stale (the key's due moved since); a pair counts only
    while it matches ``due``. It is rebuilt when stale pairs outnumber live ones.
    """

    due: dict[str, float] = field(default_factory=dict)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    heap: list[tuple[float, str]] = field(default_factory=list)
    late_steps: int = 0
    max_late_s: float = 0.0

    def set(self, key: str, due: Optional[float], counts: tuple[int, int]) -> None:
        if due is None:
            self.due.pop(key, None)
        elif self.due.get(key) != due:
            self.due[key] = due
            heapq.heappush(self.heap, (due, key))
        if any(counts):
            self.counts[key] = counts
        else:
            self.counts.pop(key, None)
        if len(self.heap) > 2 * len(self.due) + 64:
            self.heap = [(d, k) for k, d in self.due.items()]
            heapq.heapify(self.heap)

    def due_keys(self, moment: float) -> list[str]:
        """Keys whose earliest deadline is at or before ``moment``, earliest first. They stay due
        until a write moves their deadline."""
        keys: dict[str, float] = {}
        while self.heap and self.heap[0][0] <= moment:
            due, key = heapq.heappop(self.heap)
            if self.due.get(key) == due:
                keys[key] = due
        for key, due in keys.items():
            heapq.heappush(self.heap, (due, key))
        return list(keys)


class TimedTable(Generic[S]):
    def __init__(self, app: faust.App, name: str, value_type: type, partitions: int, *,
                 next_due: Callable[[Optional[S]], Optional[datetime]],
                 counts: Callable[[Optional[S]], tuple[int, int]],
                 rows: Optional[Rows[S]] = None):
        self.app = app
        self.rows: Rows[S] = rows if rows is not None else TableRows(app, name, value_type, partitions)
        self.timers = app.Table(f"{name}-due", key_type=str, value_type=Timer, partitions=partitions)
        self.late = app.Table(f"{name}-late", key_type=str, value_type=LateSteps, partitions=partitions)
        self.tables = [*self.rows.tables, self.timers, self.late]
        self._next_due, self._counts = next_due, counts
        self._partitions: dict[int, PartitionTimers] = {}
        self.timers.on_recover(self._rebuild)

    def get(self, key: str) -> Optional[S]:
        return self.rows.get(key)

    def apply(self, partition: int, key: str, step: Step,
              late: Callable[[Any], Optional[float]] = lambda out: None) -> list[Any]:
        """Run ``step`` on the key's state; store it (None: delete it) and its earliest deadline if it changed."""
        return self._apply(partition, key, step, late, came_due=False)

    def _apply(self, partition: int, key: str, step: Step, late: Callable[[Any], Optional[float]], *,
               came_due: bool) -> list[Any]:
        before = self.rows.get(key)
        after, out = step(before)
        changed = not (after is before or after == before)
        if changed:
            self.rows.put(key, before, after)
        if changed or came_due:
            # a key that came due gets its real next deadline, not an earlier wake-up (see _keep_timer)
            self._keep_timer(partition, key, after, early_is_enough=not came_due)
        lateness = [s for s in (late(o) for o in out) if s is not None and s > LATE_GRACE_S] if changed else []
        if lateness:
            timers = self.partition(partition)
            timers.late_steps += len(lateness)
            timers.max_late_s = max(timers.max_late_s, *lateness)
            self.late[str(partition)] = LateSteps(late_steps=timers.late_steps, max_late_s=timers.max_late_s)
        return out

    def apply_due(self, partition: int, moment: datetime, step: Step,
                  late: Callable[[Any], Optional[float]] = lambda out: None) -> list[tuple[str, Any]]:
        """Run ``step`` on every key of the partition with a deadline due at ``moment``; (key, output) pairs."""
        return [(key, out) for key in self.due_keys(partition, moment)
                for out in self._apply(partition, key, step, late, came_due=True)]

    def _keep_timer(self, partition: int, key: str, state: Optional[S], *, early_is_enough: bool) -> None:
        """Keep the key's ``Timer`` row and in-memory due time in step with ``state``.

        A deadline that moves later (a resident's silence deadline on every reading, a gateway's on
        every heartbeat) need not be written each time: with ``early_is_enough`` the earlier due
        time already stored is kept as a wake-up, and the clock's tick, finding nothing due then,
        writes the real one once. So a subject heard from every minute costs one timer write per
        deadline period instead of one per reading; a deadline that moves earlier, appears, goes,
        or comes with new counts is written at once."""
        timers = self.partition(partition)
        due = self._next_due(state)
        due_s = due.timestamp() if due else None
        counts = tuple(self._counts(state))
        stored = timers.due.get(key)
        still_good = stored == due_s or (early_is_enough and None not in (stored, due_s) and stored <= due_s)
        if still_good and timers.counts.get(key, (0, 0)) == counts:
            return
        timers.set(key, due_s, counts)
        if due_s is None and not any(counts):
            self.timers.pop(key, None)
        else:
            self.timers[key] = Timer(partition=partition, due=due_s, open=counts[0], pending=counts[1])

    def due_keys(self, partition: int, moment: datetime) -> list[str]:
        timers = self._partitions.get(partition)
        return timers.due_keys(moment.timestamp()) if timers is not None else []

    def partition(self, partition: int) -> PartitionTimers:
        """This worker's in-memory timers of one partition (empty if it holds none)."""
        timers = self._partitions.get(partition)
        if timers is None:
            timers = self._partitions[partition] = PartitionTimers()
        return timers

    def keys(self, partition: int) -> Iterator[str]:
        """Keys of the partition with a deadline or something counted (open incidents, plans)."""
        timers = self._partitions.get(partition)
        if timers is not None:
            yield from list(dict.fromkeys([*timers.counts, *timers.due]))

    async def _rebuild(self) -> None:
        """After a rebalance: the partitions this worker now owns, from their ``Timer`` rows."""
        self.rebuild(self._active_partitions())

    def rebuild(self, partitions: set[int]) -> None:
        self._partitions = {p: PartitionTimers() for p in partitions}
        for key, timer in list(self.timers.items()):
            timers = self._partitions.get(timer.partition)
            if timers is not None:
                timers.set(key, timer.due, (timer.open, timer.pending))
        for p, timers in self._partitions.items():
            late = self.late.get(str(p))
            if late is not None:
                timers.late_steps, timers.max_late_s = late.late_steps, late.max_late_s

    def _active_partitions(self) -> set[int]:
        topic = self.timers.changelog_topic.get_topic_name()
        return {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == topic}
