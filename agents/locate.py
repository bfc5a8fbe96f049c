"""locate: ``gridalert.validated`` → ``gridalert.located``, keyed by grid (one grid, one partition).

A point in no grid is not dropped: it is located to the district centre with reason ``unassigned``.
Every located event records the version of the map that placed it; a new map file applies to
the next event (``geo/reload.py``).
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
