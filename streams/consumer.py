"""The worker's Kafka consumer: every record it fetches is handed to a stream or fetched again.

Why: in faust-streaming 0.15.3 the consumer thread returns a batch of records and moves the
partition's fetch position past them; the main loop then hands them to the streams one by one,
and silently skips every record whose partition is not active *at that moment*. Partitions are
paused and resumed all through a rebalance (table recovery pauses the stream partitions, reads the
changelogs, pauses those, resumes the streams), so a batch fetched while a partition was active
can be handed on after it was paused. Worse, the fetch waits up to a second and aiokafka reads the
set of partitions it was asked for while it waits: faust passes its live set of active partitions,
and when recovery empties that set mid-wait, aiokafka reads the empty set as "every partition"
and returns records of paused stream partitions too.

Skipped records are never processed and, behind the next record handed on, faust's gap
bookkeeping commits past them. The fault suite saw it: a worker restarted after SIGKILL took over
its partitions and handled nothing of what the killed worker had left uncommitted
(`tests/faults/test_worker_crash.py`).

What this consumer changes, and nothing else:

- it asks aiokafka with a copy of the active partitions, never an empty set;
- after each batch, a partition with records that were not handed on (skipped, or left behind when
  a rebalance cut the batch short) is sought back to the first of them, unless something else has
  already moved its fetch position to or before that record (the seek to committed offsets after
  a rebalance does). The check and the seek run together in the consumer's thread.

``GridApp`` is ``faust.App`` with this consumer. ``tests/unit/test_recovery.py`` fails on any other
faust version, so an upgrade is checked against this module and ``streams/recovery.py`` together.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Mapping, Optional, Sequence

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, Message

#: How long the consumer's thread may wait for a partition's fetch position before a rewind.
POSITION_TIMEOUT_S = 10.0


def left_behind(batch: Mapping[Any, Sequence[Any]], handed: Mapping[Any, int]) -> dict[Any, int]:
    """Per partition of ``batch``, the offset of its first record not handed on (``handed``: the
    last offset handed on per partition; records of a partition are handed on in order)."""
    first: dict[Any, int] = {}
    for tp, records in batch.items():
        last = handed.get(tp)
        if last is not None and records and records[-1].offset <= last:
            continue  # the usual case, checked without walking the batch
        for record in records:
            if last is None or record.offset > last:
                first[tp] = record.offset
                break
    return first


class RewindingConsumer(faust_aiokafka.Consumer):
    """faust's aiokafka consumer that seeks back to records it fetched and did not hand on."""

    _batch: Mapping[Any, Sequence[Any]] = {}

    async def _getmany(self, active_partitions: Optional[set[TP]], timeout: float) -> Mapping[Any, Sequence[Any]]:
        asked = None if active_partitions is None else set(active_partitions)
        if asked is not None and not asked:
            return {}
        self._batch = await self._thread.getmany(asked, timeout)
        return self._batch

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Message]]:
        handed: dict[Any, int] = {}
        try:
            async for tp, message in super().getmany(timeout):
                handed[tp] = message.offset
                yield tp, message
        finally:
            batch, self._batch = self._batch, {}
            if not self.should_stop:
                for tp, offset in left_behind(batch, handed).items():
                    await self._rewind(tp, offset)

    async def _rewind(self, tp: Any, offset: int) -> None:
        async def in_consumer_thread(consumer) -> Optional[int]:
            if tp not in consumer.assignment():
                return None  # revoked: its next owner starts from the committed offset
            try:
                position = await asyncio.wait_for(consumer.position(tp), POSITION_TIMEOUT_S)
            except asyncio.TimeoutError:
                return None  # no position yet: it is being reset to the committed offset
            if position <= offset:
                return None  # already sought back (to the committed offset) by someone else
            consumer.seek(tp, offset)
            return position

        moved_from = await self._thread.call_thread(in_consumer_thread, self._thread._ensure_consumer())
        if moved_from is not None:
            self.log.info("Fetching %s[%s] again from %s: %d fetched records were not handed to a stream",
                          tp.topic, tp.partition, offset, moved_from - offset)


class GridTransport(faust_aiokafka.Transport):
    Consumer = RewindingConsumer


class GridApp(faust.App):
    """``faust.App`` whose consumer is ``RewindingConsumer`` (the producer is faust's own)."""

    def _new_transport(self) -> GridTransport:
        return GridTransport(self.conf.broker_consumer, self)
