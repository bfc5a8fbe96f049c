"""Grid-keyed state with durable deadlines: a Faust table plus a per-partition index of due times.

Shared by the stages that keep timers: incident escalation (keyed by grid) and the detectors that
watch for silence (keyed by grid and subject).
``apply`` runs a pure step on one grid's state and keeps the index in step with it, between two
awaits, so agents of the same partition never interleave inside it. The clock's tick asks
``due_keys`` which grids have something due on that partition: it reads the index, not every grid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Generic, Optional, TypeVar

import faust

from gridalert.streams.records import DueIndex

S = TypeVar("S")
LATE_GRACE_S = 1.0


class TimedTable(Generic[S]):
    def __init__(self, app: faust.App, name: str, value_type: type, partitions: int, *,
                 next_due: Callable[[Optional[S]], Optional[datetime]],
                 counts: Callable[[Optional[S]], tuple[int, int]]):
        self.state = app.Table(name, key_type=str, value_type=value_type, partitions=partitions)
        self.index = app.Table(f"{name}-due", key_type=str, value_type=DueIndex, partitions=partitions)
        self._next_due, self._counts = next_due, counts

    def get(self, key: str) -> Optional[S]:
        return self.state.get(key)

    def apply(self, partition: int, key: str, step: Callable[[Optional[S]], tuple[Optional[S], list[Any]]],
              late: Callable[[Any], Optional[float]] = lambda out: None) -> list[Any]:
        """Run ``step`` on the key's state; store it (None: delete it) and its earliest deadline if it changed."""
        before = self.state.get(key)
        after, out = step(before)
        if after != before:
            if after is None:
                self.state.pop(key, None)
            else:
                self.state[key] = after
            index = self.index.get(str(partition)) or DueIndex(due={}, counts={})
            due = self._next_due(after)
            due_s = due.timestamp() if due else None
            counts = list(self._counts(after))
            lateness = [s for s in (late(o) for o in out) if s is not None and s > LATE_GRACE_S]
            if index.due.get(key) != due_s or index.counts.get(key, [0, 0]) != counts or lateness:
                # the index is written only when this key's deadline or counts moved: most readings
                # change a detector's state but not when it is next due
                due_map = {k: v for k, v in index.due.items() if k != key}
                count_map = {k: v for k, v in index.counts.items() if k != key}
                index = index.derive(due={**due_map, **({key: due_s} if due_s is not None else {})},
                                     counts={**count_map, **({key: counts} if any(counts) else {})})
                if lateness:
                    index = index.derive(late_steps=index.late_steps + len(lateness),
                                         max_late_s=max(index.max_late_s, *lateness))
                self.index[str(partition)] = index
        return out

    def apply_due(self, partition: int, moment: datetime, step: Callable[[Optional[S]], tuple[Optional[S], list[Any]]],
                  late: Callable[[Any], Optional[float]] = lambda out: None) -> list[tuple[str, Any]]:
        """Run ``step`` on every key of the partition with a deadline due at ``moment``; (key, output) pairs."""
        return [(key, out) for key in self.due_keys(partition, moment)
                for out in self.apply(partition, key, step, late)]

    def due_keys(self, partition: int, moment: datetime) -> list[str]:
        index = self.index.get(str(partition))
        if index is None:
            return []
        return [key for key, due in index.due.items() if due <= moment.timestamp()]

    def partition_index(self, partition: int) -> DueIndex:
        return self.index.get(str(partition)) or DueIndex(due={}, counts={})
