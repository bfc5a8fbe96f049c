"""Table recovery that seeks the stream partitions to their committed offsets before resuming them.

Why: in faust-streaming 0.15.3, ``faust.tables.recovery.Recovery.on_recovery_completed`` (called
once the tables are recovered after every rebalance, including a worker's first) does, in order:

1. ``consumer.resume_partitions(<stream partitions>)``;
2. ``await consumer.perform_seek()``: the stream partitions back to their committed offsets;
3. ``app.flow_control.resume()``, which **empties every stream's queue**
   (they are ``FlowControlQueue(clear_on_resume=True)``), then ``consumer.resume_flow()``.

The fetcher is already running at step 1 (table recovery resumed the flow to read the
changelogs), and the aiokafka consumer reads the set of active partitions live. So while step 2
waits for the broker, events of the resumed partitions are fetched and delivered into the agents'
queues, and the consumer's read offsets move past them. Then the seek moves the fetch position
back, and step 3 throws away whatever had not yet left the queues. An event an agent took before
step 3 is fetched again (handled twice); an event still queued at step 3 whose offset the fetcher
had already recorded as read is dropped as "already read" when fetched again: lost. A lost event
is never acknowledged either, so the committed offset of its partition stops before it until the
worker restarts. ``tests/faults/test_restart_backlog.py`` shows both.

The fix is the order: seek first, while the stream partitions are still paused (nothing of them
can be fetched), then resume them, set ``completed``, empty the queues and resume the flow with no
``await`` in between, so nothing can be delivered into a queue that is about to be emptied. The
first event delivered from a stream partition is then the one at its committed offset.

``GridTableManager`` makes faust build this ``Recovery``: ``faust.App(..., TableManager=...)``.
The override replaces the whole method (the order cannot be changed from outside it); it is
faust-streaming 0.15.3's body otherwise. ``tests/unit/test_recovery.py`` fails on any other faust
version, so that an upgrade is checked against this override.
"""

from __future__ import annotations

import asyncio
from typing import cast

import faust
from faust.tables import TableManager
from faust.tables.recovery import Recovery

#: The faust-streaming version whose ``Recovery.on_recovery_completed`` this module replaces.
REVIEWED_FAUST = "0.15.3"


class SeekFirstRecovery(Recovery):
    """``Recovery`` whose ``on_recovery_completed`` seeks before it resumes (see the module)."""

    async def on_recovery_completed(self, generation_id: int = 0) -> None:
        app, consumer = self.app, self.app.consumer
        self.log.info("Restore complete!")
        await app.on_rebalance_complete.send()
        self._set_recovery_ended()
        callbacks = [asyncio.ensure_future(table.on_recovery_completed(self.actives_for_table[table],
                                                                       self.standbys_for_table[table]))
                     for table in self.tables.values()]
        if callbacks:
            await asyncio.wait(callbacks)
        if app.consumer_generation_id != generation_id:
            self.log.warning(f"Recovery rebalancing again app id {app.consumer_generation_id} "
                             f"param {generation_id}")
            return
        if consumer.assignment():
            # The stream partitions are still paused: the running fetcher cannot deliver any of
            # their events while this waits for the broker.
            self.log.info("Seek stream partitions to committed offsets.")
            await self._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
            if app.consumer_generation_id != generation_id:  # a rebalance began during the seek
                self.log.warning("Recovery rebalancing again after the seek")
                return
        # No await from here to resume_flow(): the queues are emptied before the first event of a
        # resumed partition can be put in one.
        self.log.dev("Resume stream partitions")
        consumer.resume_partitions({tp for tp in consumer.assignment() if not self._is_changelog_tp(tp)})
        self.completed.set()
        app.flow_control.resume()
        consumer.resume_flow()
        await cast(faust.App, app)._fetcher.maybe_start()
        self.tables.on_actives_ready()
        if not app.assignor.assigned_standbys():
            self.tables.on_standbys_ready()
        app.on_rebalance_end()
        self.log.info("Worker ready")


class GridTableManager(TableManager):
    """faust's ``TableManager`` with ``SeekFirstRecovery`` as its recovery service."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = SeekFirstRecovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery
