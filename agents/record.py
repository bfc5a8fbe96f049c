"""record: ``gridalert.incidents``, ``gridalert.deliveries`` and ``gridalert.audit`` → the SQL projection.

Writes in small batches through one worker thread (SQLAlchemy is synchronous). Idempotent: a
replay writes nothing twice. A database that is down is retried with backoff, holding the
partition (the log keeps the events); a batch the database refuses for another reason is
dead-lettered record by record so one bad row does not block the rest.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

from sqlalchemy.exc import OperationalError

from gridalert import metrics
from gridalert.agents.boundary import dead_letter_for
from gridalert.store import make_engine, make_sessionmaker, record_audits, record_deliveries, record_incident_events
from gridalert.streams import topics as names
from gridalert.streams.app import Stage
from gridalert.streams.records import PartitionAudit

log = logging.getLogger("gridalert.record")
BATCH, WITHIN_S = 200, 0.2


def register(stage: Stage) -> None:
    topics = stage.topics
    engine = make_engine(stage.settings.effective_database_url)
    sessions = make_sessionmaker(engine)
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gridalert-record")

    def write(fn: Callable, records: Sequence) -> int:
        with sessions.begin() as session:
            return fn(list(records), session=session)

    async def project(fn: Callable, events: list, stage_name: str) -> None:
        loop, delay = asyncio.get_running_loop(), 0.5
        metrics.EVENTS_IN.labels(stage_name).inc(len(events))
        while True:
            try:
                await loop.run_in_executor(writer, write, fn, [e.value for e in events])
                metrics.EVENTS_OUT.labels(stage_name).inc(len(events))
                return
            except OperationalError as exc:
                log.warning("database unavailable (%s); retrying in %.1f s", exc.orig, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
            except Exception:  # noqa: BLE001 - isolate the bad record, keep the rest
                log.exception("%s: batch refused; writing records one by one", stage_name)
                for event in events:
                    try:
                        await loop.run_in_executor(writer, write, fn, [event.value])
                        metrics.EVENTS_OUT.labels(stage_name).inc()
                    except Exception as exc:  # noqa: BLE001
                        metrics.DEAD_LETTERS.labels(stage_name, metrics.DATABASE).inc()
                        reason = f"{stage_name} failed: {type(exc).__name__}: {exc}"
                        await topics.dead_letters.send(key=event.message.topic,
                                                       value=dead_letter_for(event, stage_name, reason))
                return

    @stage.app.agent(topics.incidents, name="gridalert.record-incidents")
    async def record_incidents(stream):
        async for events in stream.take_events(BATCH, within=WITHIN_S):
            await project(record_incident_events, events, "record")

    @stage.app.agent(topics.deliveries, name="gridalert.record-deliveries")
    async def record_delivery_rows(stream):
        async for events in stream.take_events(BATCH, within=WITHIN_S):
            await project(record_deliveries, events, "record")

    audits = stage.app.topic(names.AUDIT, key_type=str, value_type=PartitionAudit)

    @stage.app.agent(audits, name="gridalert.record-audit")
    async def record_audit_rows(stream):
        async for events in stream.take_events(BATCH, within=WITHIN_S):
            await project(record_audits, events, "record")
