"""locate (upgrade drain): ``gridalert.validated`` → ``gridalert.located``, keyed by grid.

Events are validated and located by one agent now (``agents/intake.py``) and nothing writes
``gridalert.validated`` any more. A worker upgraded from a version that still did may find events
there that were validated but not yet located; this agent locates them, so an upgrade loses none.
It can go, with the topic, once no deployment older than this one is left (docs/operations.md).
"""

from __future__ import annotations

from gridalert.agents.boundary import guard
from gridalert.streams.app import Stage
from gridalert.streams.records import LocatedEvent


def register(stage: Stage) -> None:
    topics = stage.topics

    @stage.app.agent(topics.validated, name="gridalert.locate")
    async def locate(stream):
        async for event in stream.events():
            async with guard(event, "locate", topics.dead_letters):
                valid = event.value
                grids = stage.maps.current  # one map for the whole event: place and version agree
                place = grids.locate(valid.lon, valid.lat)
                located = LocatedEvent(event=valid, place=place, map_version=grids.version)
                await topics.located.send(key=place.partition_key, value=located)
