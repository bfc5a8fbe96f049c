"""locate: ``gridalert.validated`` → ``gridalert.located``, keyed by grid (one grid, one partition).

A point in no grid is not dropped: it is located to the district centre with reason ``unassigned``.
"""

from __future__ import annotations

from gridalert.agents.boundary import guard
from gridalert.streams.app import Stage
from gridalert.streams.records import LocatedEvent


def register(stage: Stage) -> None:
    topics, grids = stage.topics, stage.config.grids

    @stage.app.agent(topics.validated, name="gridalert.locate")
    async def locate(stream):
        async for event in stream.events():
            async with guard(event, "locate", topics.dead_letters):
                valid = event.value
                place = grids.locate(valid.lon, valid.lat)
                await topics.located.send(key=place.partition_key, value=LocatedEvent(event=valid, place=place))
