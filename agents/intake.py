"""intake: ``gridalert.events`` (CloudEvents bytes) → ``gridalert.located`` (keyed by grid) or the DLQ.

Validating an event (``streams.cloudevents.parse_event``) and locating it (``geo``) are both pure
and cheap: tens of microseconds and about one. Passing each event between them through a topic
cost several times more than both (a send, a fetch, a record decoded again), so one agent does
both, on batches: it takes up to ``intake_batch`` events as they come, waiting at most
``intake_wait_ms`` for more, validates each, locates the valid ones in one vectorised call, and
sends them on. A batch's offsets are acknowledged once all of it has been handled, so a crash
handles the batch again rather than losing any of it (every later step is idempotent).

What each event gets is what the two stages gave it one by one: a rejected event is dead-lettered
by stage ``validate`` with its reason; the gateway's key keeps a device's readings in order up to
here, and the grid's key from here on; a point in no grid goes to the district centre with reason
``unassigned``; every located event records the version of the map that placed it (one map for
the whole batch, so a new map file applies to the next batch: ``geo/reload.py``).
"""

from __future__ import annotations

from typing import Sequence

import faust

from gridalert.agents.boundary import guard
from gridalert.streams.app import Stage
from gridalert.streams.cloudevents import parse_event
from gridalert.streams.records import LocatedEvent, ValidEvent


def register(stage: Stage) -> None:
    topics, settings = stage.topics, stage.settings

    async def validated(batch: Sequence[faust.EventT]) -> list[tuple[faust.EventT, ValidEvent]]:
        valid = []
        for event in batch:
            async with guard(event, "validate", topics.dead_letters):
                valid.append((event, parse_event(event.message.value, event.message.headers, devices=stage.devices)))
        return valid

    @stage.app.agent(topics.events, name="gridalert.intake")
    async def intake(stream):
        async for batch in stream.take_events(settings.intake_batch, within=settings.intake_wait_ms / 1000):
            valid = await validated(batch)
            grids = stage.maps.current  # one map for the whole batch: places and version agree
            try:
                places = grids.locate_many([v.lon for _, v in valid], [v.lat for _, v in valid])
            except Exception:  # noqa: BLE001 - then each event alone, so only one that fails is dead-lettered
                places = [None] * len(valid)
            for (event, valid_event), place in zip(valid, places):
                async with guard(event, "locate", topics.dead_letters):
                    if place is None:
                        place = grids.locate(valid_event.lon, valid_event.lat)
                    located = LocatedEvent(event=valid_event, place=place, map_version=grids.version)
                    await topics.located.send(key=place.partition_key, value=located)
